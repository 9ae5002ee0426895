"""Writer of format 1.x files.

The layout is the de-facto lava-dl layout, so lava-dl 0.6's netx still loads every layer type it
knows: ``layer/<i>`` groups, ``type`` as a fixed-length ASCII array of shape (1,) (``S10``, longer
only for a longer plugin type name), ``shape`` int64, integer fields int64 scalars or (2,)
arrays, weights float32, the ``neuron`` group with a variable-length string ``type``, int64
integers, HDF5 booleans and float64 floats. Versioning lives only in HDF5 attributes: root
``format_version``, ``writer``, ``namespaces``, ``required_extensions``; per layer ``namespace``
and ``encoding_version``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from ._errors import FormatError
from ._h5 import write_attr, write_raw
from ._model import (
    FORMAT_VERSION,
    GenericLayer,
    Layer,
    NetworkDescription,
    Neuron,
)
from ._specs import CODECS, LAYER_SPECS
from ._version import __version__

__all__ = ["WRITER", "write", "write_layer"]

#: Value of the root attribute ``writer``.
WRITER = f"lava-dl-hdf5-spec {__version__}"

_STR = h5py.string_dtype(encoding="utf-8")


def _ascii(value: str, what: str) -> bytes:
    try:
        return value.encode("ascii")
    except UnicodeEncodeError:
        raise FormatError(f"{value!r} must be ASCII", field=what) from None


def _write_str_attr(obj: Any, name: str, value: str) -> None:
    """Fixed-length ASCII attribute: stored inline, not in the global heap."""
    obj.attrs.create(name, data=np.bytes_(_ascii(value, f"@{name}")))


def _write_str_list(obj: Any, name: str, values: tuple[str, ...]) -> None:
    encoded = [_ascii(v, f"@{name}") for v in values]
    width = max([1] + [len(v) for v in encoded])
    obj.attrs.create(name, data=np.array(encoded, dtype=f"S{width}"), shape=(len(values),))


def _write_scalar_param(group: h5py.Group, key: str, value: Any) -> None:
    if isinstance(value, dict):
        write_raw(group, key, value)
    elif isinstance(value, np.ndarray):
        group.create_dataset(key, data=value)
    elif isinstance(value, (bool, np.bool_)):
        group.create_dataset(key, data=np.bool_(value))
    elif isinstance(value, (int, np.integer)):
        group.create_dataset(key, data=np.int64(value))
    elif isinstance(value, (float, np.floating)):
        group.create_dataset(key, data=np.float64(value))
    elif isinstance(value, str):
        group.create_dataset(key, data=value, dtype=_STR)
    else:
        raise FormatError(f"cannot store a {type(value).__name__} value", field=f"neuron/{key}")


def _write_neuron(group: h5py.Group, neuron: Neuron) -> None:
    sub = group.create_group("neuron")
    sub.create_dataset("type", data=neuron.type, dtype=_STR)
    for key, value in neuron.params.items():
        _write_scalar_param(sub, key, value)


def _write_layer(group: h5py.Group, layer: Layer) -> None:
    _write_str_attr(group, "namespace", layer.namespace)
    group.attrs["encoding_version"] = np.int64(layer.encoding_version)
    encoded = layer.type.encode("ascii")
    group.create_dataset("type", data=np.array([encoded], dtype=f"S{max(10, len(encoded))}"))
    group.create_dataset("shape", data=np.asarray(layer.shape, dtype=np.int64))
    if layer.neuron is not None:
        _write_neuron(group, layer.neuron)
    if isinstance(layer, GenericLayer):
        for key, value in layer.fields.items():
            write_raw(group, key, value)
    else:
        spec = LAYER_SPECS[layer.key]
        for f in spec.fields:
            if f.present(layer):
                CODECS[f.codec].write(group, f, layer)
    attrs = layer.extra.get("@attrs", {})
    for key, value in layer.extra.items():
        if key != "@attrs":
            write_raw(group, key, value)
    for key, value in attrs.items():
        if key not in group.attrs:
            write_attr(group, key, value)


def write_layer(layer: Layer, group: h5py.Group, *, validate: bool = True) -> None:
    """Write one layer into the empty h5py group ``group`` exactly as :func:`write` writes
    ``layer/<i>`` (used by exporters that write a single block).

    Raises
    ------
    ValidationError
        When ``validate`` is true and the layer is invalid on its own.
    """
    if validate:
        from ._errors import ValidationError
        from ._validate import layer_problems

        problems = layer_problems(layer)
        if problems:
            raise ValidationError([FormatError(m, layer=group.name, field=f or None)
                                   for f, m in problems])
    if len(group) or len(group.attrs):
        raise ValueError(f"write_layer() needs an empty group; {group.name!r} is not empty")
    _write_layer(group, layer)


def _write_root(root: h5py.Group, net: NetworkDescription) -> None:
    _write_str_attr(root, "format_version", FORMAT_VERSION)
    _write_str_attr(root, "writer", WRITER)
    _write_str_list(root, "namespaces", net.namespaces)
    _write_str_list(root, "required_extensions", net.required_extensions)
    layers = root.create_group("layer")
    for i, layer in enumerate(net.layers):
        try:
            _write_layer(layers.create_group(str(i)), layer)
        except FormatError as exc:
            raise FormatError(exc.message, layer=f"/layer/{i}", field=exc.field) from None
    if net.simulation is not None:
        sim = root.create_group("simulation")
        if net.simulation.ts is not None:
            sim.create_dataset("Ts", data=np.int64(net.simulation.ts))
        if net.simulation.t_sample is not None:
            sim.create_dataset("tSample", data=np.int64(net.simulation.t_sample))
        for key, value in net.simulation.extra.items():
            write_raw(sim, key, value)
    for key, value in net.extra.items():
        if key == "@attrs":
            for name, attr in value.items():
                if name not in root.attrs:
                    write_attr(root, name, attr)
        else:
            write_raw(root, key, value)


def write(net: NetworkDescription, target: Any, *, validate: bool = True) -> None:
    """Write ``net`` as a format :data:`FORMAT_VERSION` file.

    Parameters
    ----------
    net : NetworkDescription
        The description (a legacy one is written in the current format; use
        :func:`~lava.lib.dl.hdf5_spec.upgrade` to migrate explicitly).
    target : str, os.PathLike or h5py.Group
        A path (created or overwritten) or an empty, writable h5py File/Group.
    validate : bool
        Validate first and refuse to write an invalid description (default True).

    Raises
    ------
    ValidationError
        When ``validate`` is true and ``net`` is invalid; nothing is written.
    """
    if validate:
        from ._validate import validate as _validate

        _validate(net)
    if isinstance(target, h5py.Group):
        if len(target) or len(target.attrs):
            raise ValueError("write() needs an empty group; it is not empty")
        _write_root(target, net)
        return
    if not isinstance(target, (str, os.PathLike)):
        raise TypeError(f"expected a path or an h5py Group, got {type(target).__name__}")
    path = Path(os.fspath(target))
    tmp = path.with_name(path.name + ".tmp-writing")
    try:
        with h5py.File(tmp, "w") as handle:
            _write_root(handle, net)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
