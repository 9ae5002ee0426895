"""Neuron mathematics of lava-dl: reference dynamics, compiled CPU kernels and CuPy GPU kernels."""

from ._version import __version__

__all__ = ["__version__"]
