"""DECOLLE: deep continuous local learning for spiking networks.

Built only on the public slayer API and entry points.
"""

from ._version import __version__

__all__ = ["__version__"]
