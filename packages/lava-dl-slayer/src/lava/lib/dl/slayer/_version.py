"""Version of the lava-dl-slayer distribution."""

__version__ = "0.1.0"
