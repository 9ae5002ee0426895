"""Versioned hdf5 network exchange format of lava-dl: typed model, reader, writer, validation, migration and plugin discovery."""

from ._version import __version__

__all__ = ["__version__"]
