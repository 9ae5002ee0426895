"""Version of the code-free lava-dl metapackage."""

__version__ = "0.7.0"
