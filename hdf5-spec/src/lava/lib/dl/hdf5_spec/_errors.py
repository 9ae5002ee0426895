"""Exceptions and warnings of the network exchange format.

Every error raised while reading, validating or writing a ``.net`` file is a :class:`FormatError`
(a :class:`ValueError`). Its message names the file, the HDF5 path of the layer (``/layer/3``) and
the field concerned, and says how to fix the problem where a fix exists.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "FormatError",
    "LegacyFormatWarning",
    "UnsupportedExtensionError",
    "UnsupportedFormatError",
    "ValidationError",
]


def _where(file: str | None, layer: str | None, field: str | None) -> str:
    parts = []
    if file:
        parts.append(f"file {file!r}")
    if layer:
        parts.append(f"layer {layer}")
    if field:
        parts.append(f"field {field!r}")
    return ", ".join(parts)


class FormatError(ValueError):
    """A ``.net`` file (or an in-memory description) does not follow the format.

    Parameters
    ----------
    message : str
        What is wrong and, where possible, how to fix it.
    file : str, optional
        The file name.
    layer : str, optional
        HDF5 path of the layer, e.g. ``"/layer/3"``.
    field : str, optional
        On-disk name of the field, e.g. ``"weight"`` or ``"neuron/vThMant"``.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        layer: str | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.layer = layer
        self.field = field
        where = _where(file, layer, field)
        super().__init__(f"{where}: {message}" if where else message)

    def with_file(self, file: str | None) -> FormatError:
        """Return a copy of this error that also names ``file``."""
        if file is None or self.file is not None:
            return self
        new = self.__class__.__new__(self.__class__)
        FormatError.__init__(new, self.message, file=file, layer=self.layer, field=self.field)
        for key, value in vars(self).items():
            if key not in {"message", "file", "layer", "field"}:
                setattr(new, key, value)
        return new


class UnsupportedFormatError(FormatError):
    """The file uses a newer major format version than this package reads.

    The message names the format version found and the package version to install.
    """


class UnsupportedExtensionError(UnsupportedFormatError):
    """The file lists a required extension that no installed package provides."""


class ValidationError(FormatError):
    """One or more validation problems; :attr:`problems` lists every one of them.

    Parameters
    ----------
    problems : sequence of FormatError
        The individual problems, each naming its layer and field.
    file : str, optional
        The file name.
    """

    def __init__(self, problems: Sequence[FormatError], *, file: str | None = None) -> None:
        self.problems = [p.with_file(file) for p in problems]
        lines = "\n".join(f"  - {p}" for p in self.problems)
        n = len(self.problems)
        super().__init__(
            f"{n} validation problem{'s' if n != 1 else ''}:\n{lines}", file=None
        )
        self.file = file

    def with_file(self, file: str | None) -> ValidationError:  # noqa: D102
        if file is None or self.file is not None:
            return self
        return ValidationError(self.problems, file=file)


class LegacyFormatWarning(UserWarning):
    """The file has no ``format_version``: it was written by lava-dl 0.6 or older.

    Issued once per read. Convert the file with ``python -m lava.lib.dl.hdf5_spec upgrade OLD NEW``.
    """
