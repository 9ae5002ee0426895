"""Version of the lava-dl-core distribution."""

__version__ = "0.1.0"
