"""Reader for legacy (lava-dl <= 0.6) files and format 1.x files.

Version rules (``spec/compatibility.md``):

- no root attribute ``format_version``: legacy file, read with one :class:`LegacyFormatWarning`;
- major above :data:`SUPPORTED_MAJOR`: :class:`UnsupportedFormatError` naming the version and the
  package to install;
- a newer minor of a supported major: read; unknown optional fields are kept in ``extra``;
- a name in ``required_extensions`` that no installed package provides:
  :class:`UnsupportedExtensionError`.

Layers are read by index (``layer/0``, ``layer/1``, ... ``layer/<n-1>``), never in the
lexicographic order HDF5 lists them; missing or extra indices are errors.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from ._errors import (
    FormatError,
    LegacyFormatWarning,
    UnsupportedExtensionError,
    UnsupportedFormatError,
)
from ._h5 import (
    DEFAULT_MAX_ELEMENTS,
    MAX_LAYERS,
    Context,
    decode_str,
    read_attr,
    read_dataset,
    read_raw,
)
from ._model import (
    FIRST_PARTY_NAMESPACE,
    FORMAT_VERSION,
    GenericLayer,
    Layer,
    NetworkDescription,
    Neuron,
    Simulation,
)
from ._specs import CODECS, LAYER_SPECS, known_extensions
from ._version import __version__

__all__ = ["SUPPORTED_MAJOR", "open_source", "parse_version", "read"]

SUPPORTED_MAJOR = int(FORMAT_VERSION.split(".")[0])
_VERSION_RE = re.compile(r"^(\d{1,6})\.(\d{1,6})$")
_INDEX_RE = re.compile(r"^(0|[1-9]\d*)$")
_ROOT_ATTRS = ("format_version", "writer", "namespaces", "required_extensions")
_LAYER_ATTRS = ("namespace", "encoding_version")


def parse_version(text: str, ctx: Context | None = None) -> tuple[int, int]:
    """Parse ``"major.minor"``.

    Raises
    ------
    FormatError
        When ``text`` is not of that form.
    """
    m = _VERSION_RE.match(text.strip()) if isinstance(text, str) else None
    if m is None:
        ctx = ctx or Context()
        raise ctx.error(f"format_version {text!r} is not of the form 'major.minor' (e.g. '1.0')",
                        "@format_version")
    return int(m.group(1)), int(m.group(2))


@contextmanager
def open_source(source: Any, ctx: Context) -> Iterator[h5py.Group]:
    """Open ``source`` (path or h5py File/Group) read-only, turning I/O errors into FormatError."""
    if isinstance(source, (h5py.File, h5py.Group)):
        ctx.file = ctx.file or source.file.filename
        yield source
        return
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(f"expected a path or an h5py File/Group, got {type(source).__name__}")
    path = os.fspath(source)
    ctx.file = path
    if not Path(path).exists():
        raise FileNotFoundError(f"{path!r}: no such file")
    try:
        handle = h5py.File(path, "r")
    except OSError as exc:
        raise ctx.error(
            f"not a readable HDF5 file (truncated, corrupt or another format): {exc}"
        ) from None
    try:
        yield handle
    finally:
        handle.close()


def _str_list(value: Any, ctx: Context, name: str) -> tuple[str, ...]:
    arr = np.asarray(value)
    if arr.ndim > 1:
        raise ctx.error("expected a 1-D list of strings", f"@{name}")
    return tuple(decode_str(v, ctx, f"@{name}") for v in arr.reshape(-1))


def _read_neuron(group: Any, ctx: Context) -> Neuron:
    if not isinstance(group, h5py.Group):
        raise ctx.error("'neuron' must be a group of scalar datasets", "neuron")
    if "type" not in group:
        raise ctx.error("the neuron group has no 'type' (e.g. 'CUBA', 'SDNN')", "neuron/type")
    ntype = decode_str(read_dataset(group["type"], ctx, "neuron/type", kinds="SOU",
                                    ndims=(0, 1)), ctx, "neuron/type")
    params: dict[str, Any] = {}
    for key in group:
        if key == "type":
            continue
        name = f"neuron/{key}"
        obj = group[key]
        if isinstance(obj, h5py.Group):
            params[key] = read_raw(obj, ctx, name)
            continue
        value = read_dataset(obj, ctx, name)
        arr = np.asarray(value)
        if arr.ndim == 0:
            kind = arr.dtype.kind
            if kind == "b":
                params[key] = bool(arr)
            elif kind in "iu":
                params[key] = int(arr)
            elif kind == "f":
                params[key] = float(arr)
            elif kind in "SOU":
                params[key] = decode_str(value, ctx, name)
            else:
                raise ctx.error(f"unsupported dtype {arr.dtype}", name)
        else:
            if arr.dtype.kind in "SOU":
                raise ctx.error("string arrays are not allowed in a neuron group", name)
            params[key] = np.array(arr)
    return Neuron(type=ntype, params=params)


def _read_layer(group: Any, index: int, ctx: Context, legacy: bool) -> Layer:
    ctx = ctx.at(f"/layer/{index}")
    if not isinstance(group, h5py.Group):
        raise ctx.error("expected a layer group, found a dataset")
    if "type" not in group:
        if legacy and len(group) == 0:
            raise ctx.error(
                "empty layer group: lava-dl 0.6 wrote an empty group for a KWTA block, whose "
                "export did nothing; the layer's parameters are not in the file. Re-export the "
                "network with lava-dl-slayer, which writes 'kwta' layers", "type")
        raise ctx.error("missing the 'type' dataset (e.g. b'dense')", "type")
    ltype = decode_str(read_dataset(group["type"], ctx, "type", kinds="SOU", ndims=(0, 1)),
                       ctx, "type")
    namespace = FIRST_PARTY_NAMESPACE
    encoding_version = 1
    if not legacy:
        if "namespace" in group.attrs:
            namespace = decode_str(read_attr(group, "namespace", ctx), ctx, "@namespace")
        if "encoding_version" in group.attrs:
            ev = np.asarray(read_attr(group, "encoding_version", ctx))
            if ev.size != 1 or ev.dtype.kind not in "iu":
                raise ctx.error("must be one integer", "@encoding_version")
            encoding_version = int(ev.reshape(()))
    spec = LAYER_SPECS.get(f"{namespace}/{ltype}")
    if "shape" in group:
        shape_val = np.asarray(read_dataset(group["shape"], ctx, "shape", kinds="iu",
                                            ndims=(0, 1)))
        shape = tuple(int(v) for v in shape_val.reshape(-1))
    elif spec is not None:
        raise ctx.error(f"missing the 'shape' dataset of the {ltype!r} layer", "shape")
    else:
        shape = ()
    neuron = _read_neuron(group["neuron"], ctx) if "neuron" in group else None
    common: dict[str, Any] = {"shape": shape, "neuron": neuron, "namespace": namespace,
                              "encoding_version": encoding_version}
    taken = {"type", "shape", "neuron"}
    if spec is None:
        fields = {k: read_raw(group[k], ctx, k) for k in group if k not in taken}
        return GenericLayer(type=ltype, fields=fields, **common)
    kwargs: dict[str, Any] = {}
    for fspec in spec.fields:
        if fspec.name in group:
            kwargs.update(CODECS[fspec.codec].read(group[fspec.name], ctx, fspec))
            taken.add(fspec.name)
        elif fspec.required:
            raise ctx.error(f"missing required field of a {ltype!r} layer ({fspec.description})",
                            fspec.name)
    for fix in spec.fixups:
        fix(kwargs)
    extra = {k: read_raw(group[k], ctx, k) for k in group if k not in taken}
    other_attrs = [a for a in group.attrs if legacy or a not in _LAYER_ATTRS]
    if other_attrs:
        extra["@attrs"] = {a: read_attr(group, a, ctx) for a in other_attrs}
    return spec.cls(extra=extra, **kwargs, **common)


def _read_simulation(group: Any, ctx: Context) -> Simulation:
    ctx = ctx.at("/simulation")
    if not isinstance(group, h5py.Group):
        raise ctx.error("'simulation' must be a group")
    values: dict[str, int | None] = {"Ts": None, "tSample": None}
    extra = {}
    for key in group:
        if key in values:
            arr = np.asarray(read_dataset(group[key], ctx, key, kinds="iu", ndims=(0, 1)))
            if arr.size != 1:
                raise ctx.error(f"expected one integer, found shape {arr.shape}", key)
            values[key] = int(arr.reshape(()))
        else:
            extra[key] = read_raw(group[key], ctx, key)
    return Simulation(ts=values["Ts"], t_sample=values["tSample"], extra=extra)


def _check_version(root: h5py.Group, ctx: Context) -> tuple[str | None, str | None,
                                                              tuple[str, ...]]:
    if "format_version" not in root.attrs:
        return None, None, ()
    raw = read_attr(root, "format_version", ctx)
    text = decode_str(raw, ctx, "@format_version")
    major, minor = parse_version(text, ctx)
    writer = None
    if "writer" in root.attrs:
        writer = decode_str(read_attr(root, "writer", ctx), ctx, "@writer")
    if major > SUPPORTED_MAJOR:
        by = f" It was written by {writer}." if writer else ""
        hint = ""
        if writer and writer.startswith("lava-dl-hdf5-spec "):
            hint = f"lava-dl-hdf5-spec>={writer.split()[1]}"
        else:
            hint = f"a lava-dl-hdf5-spec release that reads format {major}.x"
        raise ctx.error(
            f"format version {text} is newer than this reader supports "
            f"(lava-dl-hdf5-spec {__version__} reads format {SUPPORTED_MAJOR}.x).{by} "
            f"Install {hint}: pip install -U lava-dl-hdf5-spec",
            "@format_version", cls=UnsupportedFormatError)
    if major < 1:
        raise ctx.error(f"format version {text} does not exist (the first is 1.0)",
                        "@format_version")
    required: tuple[str, ...] = ()
    if "required_extensions" in root.attrs:
        required = _str_list(read_attr(root, "required_extensions", ctx), ctx,
                             "required_extensions")
        missing = sorted(set(required) - known_extensions())
        if missing:
            raise ctx.error(
                f"the file requires extension(s) {missing} that no installed package provides. "
                f"Install the plugin distribution(s) that provide them (they register layer "
                f"types in the namespace of the same name)",
                "@required_extensions", cls=UnsupportedExtensionError)
    return text, writer, required


def read(source: Any, *, validate: bool = True, max_elements: int = DEFAULT_MAX_ELEMENTS,
         warn_legacy: bool = True) -> NetworkDescription:
    """Read a network description.

    Parameters
    ----------
    source : str, os.PathLike, h5py.File or h5py.Group
        The ``.net`` file (or an open handle, which is left open).
    validate : bool
        Run :func:`~lava.lib.dl.hdf5_spec.validate` on the result (default True).
    max_elements : int
        Largest element count any single dataset may declare.
    warn_legacy : bool
        Issue :class:`LegacyFormatWarning` for a file without ``format_version``.

    Returns
    -------
    NetworkDescription
        ``format_version`` is ``None`` for a legacy file.

    Raises
    ------
    FileNotFoundError
        When the path does not exist.
    FormatError
        For a non-HDF5, truncated, corrupt or inconsistent file; the message names the file, the
        layer path and the field. Subclasses: :class:`UnsupportedFormatError` (newer major,
        unknown required extension), :class:`ValidationError`.
    """
    ctx = Context(max_elements=int(max_elements))
    with open_source(source, ctx) as root:
        try:
            net = _read_root(root, ctx, warn_legacy)
        except FormatError:
            raise
        except (OSError, RuntimeError, KeyError, ValueError, TypeError) as exc:
            raise ctx.error(f"corrupt file ({type(exc).__name__}: {exc})") from None
    if validate:
        from ._validate import validate as _validate

        _validate(net, file=ctx.file)
    return net


def _read_root(root: h5py.Group, ctx: Context, warn_legacy: bool) -> NetworkDescription:
    version, writer, required = _check_version(root, ctx)
    legacy = version is None
    if legacy and warn_legacy:
        warnings.warn(
            f"{ctx.file!r} has no format_version: it is a legacy lava-dl (<= 0.6) file. It is "
            f"read as such; convert it with 'python -m lava.lib.dl.hdf5_spec upgrade OLD NEW'.",
            LegacyFormatWarning, stacklevel=4)
    if "layer" not in root:
        raise ctx.error("no 'layer' group: this is not a lava-dl network description", "layer")
    layers_group = root["layer"]
    if not isinstance(layers_group, h5py.Group):
        raise ctx.error("'layer' must be a group", "layer")
    keys = list(layers_group.keys())
    if len(keys) > MAX_LAYERS:
        raise ctx.error(f"{len(keys)} layers exceed the limit of {MAX_LAYERS}", "layer")
    bad = [k for k in keys if not _INDEX_RE.match(k)]
    if bad:
        raise ctx.error(f"layer names must be decimal indices 0..n-1; found {sorted(bad)[:5]}",
                        "layer")
    indices = sorted(int(k) for k in keys)
    if indices != list(range(len(indices))):
        missing = sorted(set(range(len(indices))) - set(indices))[:5]
        raise ctx.error(
            f"layer indices must be contiguous 0..{len(indices) - 1}; missing {missing}, "
            f"found {indices[:10]}{'...' if len(indices) > 10 else ''}", "layer")
    layers = [_read_layer(layers_group[str(i)], i, ctx, legacy) for i in range(len(indices))]
    simulation = _read_simulation(root["simulation"], ctx) if "simulation" in root else None
    extra: dict[str, Any] = {}
    for key in root:
        if key not in ("layer", "simulation"):
            extra[key] = read_raw(root[key], ctx, key)
    attrs = [a for a in root.attrs if legacy or a not in _ROOT_ATTRS]
    if attrs:
        extra["@attrs"] = {a: read_attr(root, a, ctx) for a in attrs}
    return NetworkDescription(layers=layers, simulation=simulation, format_version=version,
                              writer=writer, required_extensions=required, extra=extra,
                              source=ctx.file)
