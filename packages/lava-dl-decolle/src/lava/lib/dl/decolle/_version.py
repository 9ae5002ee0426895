"""Version of the lava-dl-decolle distribution."""

__version__ = "0.1.0"
