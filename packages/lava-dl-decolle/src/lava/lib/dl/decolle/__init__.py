"""DECOLLE: deep continuous local learning for spiking networks, built on public slayer extension points."""

from ._version import __version__

__all__ = ["__version__"]
