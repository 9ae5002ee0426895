"""Version of the lava-dl-hdf5-spec distribution."""

__version__ = "0.1.0"
