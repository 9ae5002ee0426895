"""SLAYER 2.0: direct training of spiking neural networks with surrogate gradients and learnable delays."""

from ._version import __version__

__all__ = ["__version__"]
