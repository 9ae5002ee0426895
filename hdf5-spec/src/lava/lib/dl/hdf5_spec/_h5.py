"""Guarded low-level HDF5 access shared by the reader and the writer.

Every dataset is checked before it is read: its kind (dataset or group), rank, element count and
dtype kind. A declared size above the cap is refused without allocating anything, so a hostile
file cannot make the reader allocate unbounded memory. Nothing is unpickled or evaluated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import h5py
import numpy as np

from ._errors import FormatError

__all__ = [
    "DEFAULT_MAX_ELEMENTS",
    "MAX_LAYERS",
    "MAX_NESTING",
    "MAX_RANK",
    "MAX_STRING",
    "Context",
    "decode_str",
    "read_raw",
    "write_attr",
    "write_raw",
]

#: Largest number of elements a single dataset may declare (2**28, i.e. 1 GiB of float32).
DEFAULT_MAX_ELEMENTS = 1 << 28
#: Largest rank of any dataset.
MAX_RANK = 8
#: Largest number of layers of one file.
MAX_LAYERS = 1 << 16
#: Longest string (bytes) accepted in a ``type``/``activation``-like dataset or attribute.
MAX_STRING = 4096
#: Deepest nesting of unknown groups kept in ``extra``.
MAX_NESTING = 8

_KIND_NAMES = {
    "i": "integer",
    "u": "unsigned integer",
    "f": "floating point",
    "b": "boolean",
    "S": "fixed-length byte string",
    "O": "variable-length string",
    "U": "unicode string",
}


@dataclass
class Context:
    """Where the reader is (file and layer path), for error messages, plus the size cap."""

    file: str | None = None
    layer: str | None = None
    max_elements: int = DEFAULT_MAX_ELEMENTS

    def error(self, message: str, field: str | None = None, cls: type = FormatError) -> Exception:
        """Build a :class:`FormatError` naming the file, the layer and ``field``."""
        return cls(message, file=self.file, layer=self.layer, field=field)

    def at(self, layer: str | None) -> Context:
        """A copy of this context for another layer path."""
        return Context(self.file, layer, self.max_elements)


def _kind_name(kind: str) -> str:
    return _KIND_NAMES.get(kind, repr(kind))


def check_dataset(
    obj: Any,
    ctx: Context,
    field: str,
    *,
    kinds: str | None = None,
    ndims: tuple[int, ...] | None = None,
) -> h5py.Dataset:
    """Check that ``obj`` is a dataset of an accepted dtype kind, rank and size; return it.

    Parameters
    ----------
    obj : h5py object
        What the group holds under ``field``.
    kinds : str, optional
        Accepted numpy dtype kinds (``"iu"``, ``"f"``, ``"b"``, ``"SO"``).
    ndims : tuple of int, optional
        Accepted ranks.
    """
    if not isinstance(obj, h5py.Dataset):
        raise ctx.error(f"expected a dataset, found a {type(obj).__name__}", field)
    shape = obj.shape
    if shape is None:
        raise ctx.error("the dataset has a null dataspace (no value)", field)
    if len(shape) > MAX_RANK:
        raise ctx.error(f"rank {len(shape)} exceeds the maximum rank {MAX_RANK}", field)
    if ndims is not None and len(shape) not in ndims:
        want = " or ".join(str(n) for n in ndims)
        raise ctx.error(f"expected rank {want}, found shape {tuple(shape)}", field)
    size = 1
    for n in shape:
        size *= int(n)
    if size > ctx.max_elements:
        raise ctx.error(
            f"declared size {tuple(shape)} ({size} elements) exceeds the limit of "
            f"{ctx.max_elements} elements; the file is corrupt or hostile (raise the limit with "
            f"read(..., max_elements=N) only for a file you trust)",
            field,
        )
    try:
        kind = obj.dtype.kind
    except Exception as exc:  # unsupported HDF5 type
        raise ctx.error(f"unsupported HDF5 datatype ({exc})", field) from None
    if kinds is not None and kind not in kinds:
        want = " or ".join(_kind_name(k) for k in kinds)
        raise ctx.error(
            f"wrong dtype {obj.dtype} ({_kind_name(kind)}); expected {want}", field
        )
    if kind in "SU" and obj.dtype.itemsize > MAX_STRING:
        raise ctx.error(f"string dtype of {obj.dtype.itemsize} bytes is too long", field)
    if kind == "V":
        raise ctx.error(f"compound/opaque dtype {obj.dtype} is not part of the format", field)
    return obj


def read_dataset(obj: Any, ctx: Context, field: str, **kw: Any) -> Any:
    """:func:`check_dataset`, then read the whole dataset (wrapping HDF5 errors)."""
    ds = check_dataset(obj, ctx, field, **kw)
    try:
        return ds[()]
    except Exception as exc:  # truncated or corrupt storage
        raise ctx.error(f"cannot read the data ({type(exc).__name__}: {exc})", field) from None


def decode_str(value: Any, ctx: Context, field: str) -> str:
    """Decode a string value (bytes, numpy bytes/str, or a length-1 array of those)."""
    if isinstance(value, np.ndarray):
        if value.size != 1:
            raise ctx.error(f"expected one string, found an array of shape {value.shape}", field)
        value = value.reshape(-1)[0]
    if isinstance(value, (bytes, np.bytes_)):
        if len(value) > MAX_STRING:
            raise ctx.error("string too long", field)
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            raise ctx.error(f"string {bytes(value)[:40]!r} is not valid UTF-8", field) from None
    if isinstance(value, str):
        return str(value)
    raise ctx.error(f"expected a string, found {type(value).__name__}", field)


def read_attr(obj: Any, name: str, ctx: Context) -> Any:
    """Read an HDF5 attribute with the same guards (strings decoded, arrays capped)."""
    try:
        attr_id = obj.attrs.get_id(name)
        shape = attr_id.shape
        size = int(np.prod(shape)) if shape else 1
        if size > ctx.max_elements:
            raise ctx.error(f"attribute of {size} elements is too large", f"@{name}")
        if size == 0:  # nothing to read (and HDF5 can hang reading a corrupt empty attribute)
            kind = attr_id.dtype.kind
            return np.empty(shape, dtype=object if kind in "OSU" else attr_id.dtype)
        attr_id.get_storage_size()  # raises on corrupt attribute storage
        value = obj.attrs[name]
    except FormatError:
        raise
    except Exception as exc:
        raise ctx.error(f"cannot read attribute ({type(exc).__name__}: {exc})", f"@{name}") \
            from None
    return value


def read_raw(obj: Any, ctx: Context, field: str, depth: int = 0) -> Any:
    """Read an unknown dataset (numpy array, dtype kept) or group (dict), with the size cap."""
    if isinstance(obj, h5py.Group):
        if depth >= MAX_NESTING:
            raise ctx.error(f"groups nested deeper than {MAX_NESTING} levels", field)
        return {k: read_raw(obj[k], ctx, f"{field}/{k}", depth + 1) for k in obj}
    value = read_dataset(obj, ctx, field)
    info = h5py.check_string_dtype(obj.dtype)
    arr = np.asarray(value)
    if info is not None and info.length is None:
        arr = np.asarray(value, dtype=object)
        arr = np.array([decode_str(v, ctx, field) for v in arr.reshape(-1)], dtype=object)
        arr = arr.reshape(np.shape(value))
    elif arr.dtype.kind == "O":
        raise ctx.error(f"unsupported variable-length dtype {obj.dtype}", field)
    return arr


def write_attr(obj: Any, name: str, value: Any) -> None:
    """Write an attribute kept by the reader (strings as variable-length UTF-8)."""
    if isinstance(value, np.ndarray) and value.dtype.kind in "OU":
        data = np.array([str(v) for v in value.reshape(-1)], dtype=object).reshape(value.shape)
        obj.attrs.create(name, data=data, dtype=h5py.string_dtype())
    else:
        obj.attrs[name] = value


def write_raw(group: h5py.Group, name: str, value: Any) -> None:
    """Write a value kept by :func:`read_raw` (array or nested dict) back under ``name``."""
    if isinstance(value, dict):
        sub = group.create_group(name)
        for key, item in value.items():
            write_raw(sub, key, item)
        return
    arr = np.asarray(value)
    if arr.dtype.kind in "OU":
        data = np.array([str(v) for v in arr.reshape(-1)], dtype=object).reshape(arr.shape)
        group.create_dataset(name, data=data, dtype=h5py.string_dtype())
    else:
        group.create_dataset(name, data=arr)
