"""Version of the lava-dl-bootstrap distribution."""

__version__ = "0.1.0"
