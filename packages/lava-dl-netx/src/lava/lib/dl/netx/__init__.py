"""NetX: deploy exported lava-dl networks on Lava's Loihi simulators and on a native numpy runtime."""

from ._version import __version__

__all__ = ["__version__"]
