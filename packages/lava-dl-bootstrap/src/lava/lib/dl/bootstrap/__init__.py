"""Bootstrap: ANN-accelerated training of rate-coded spiking networks."""

from ._version import __version__

__all__ = ["__version__"]
