"""Version of the lava-dl-netx distribution."""

__version__ = "0.1.0"
