"""Validation of a network description against the field specifications.

Checks, per layer: the type is registered (else it is kept as a generic layer and only its shape
is checked), required fields are present, values have the specified dtypes, arrays are finite,
sizes are positive and consistent (weight shape against ``inFeatures``/``outFeatures``, kernel
against channels and groups, bias/delay lengths, neuron count against ``shape``), the neuron group
is present or absent as the type demands, and neuron parameters have the specified kinds and
ranges. Across layers: a dense layer's ``inFeatures`` equals the neuron count of the layer before
it, a conv/pool layer's input channels and output size follow from the previous ``(C, H, W)``
shape (:math:`H_{out} = \\lfloor (H + 2p - d(k - 1) - 1) / s \\rfloor + 1`), and ``concat`` only
refers to earlier layers.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ._errors import FormatError, ValidationError
from ._model import (
    ConcatLayer,
    ConvLayer,
    ConvTransposeLayer,
    DenseLayer,
    GenericLayer,
    Layer,
    NetworkDescription,
    Neuron,
    PoolLayer,
    UnpoolLayer,
)
from ._specs import CODECS, LAYER_SPECS, NEURON_SPECS, NeuronField

__all__ = ["collect_problems", "layer_problems", "validate"]

_KIND_CHECK = {
    "int": lambda v: isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)),
    "bool": lambda v: isinstance(v, (bool, np.bool_)),
    "str": lambda v: isinstance(v, str),
    "float": lambda v: isinstance(v, (float, int, np.floating, np.integer))
    and not isinstance(v, (bool, np.bool_)),
}


def _neuron_problems(neuron: Neuron) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if not isinstance(neuron, Neuron):
        return [("neuron", f"must be a Neuron, got {type(neuron).__name__}")]
    spec = NEURON_SPECS.get(neuron.type)
    if spec is None:
        return [("neuron/type", f"unknown neuron type {neuron.type!r}; known: "
                                f"{sorted(NEURON_SPECS)} (a plugin may register more with "
                                f"register_neuron_spec)")]
    for f in spec.fields:
        if f.required and f.name not in neuron.params:
            out.append((f"neuron/{f.name}", f"required by neuron type {neuron.type!r} "
                                            f"({f.description})"))
    for key, value in neuron.params.items():
        if key == "type":
            out.append(("neuron/type", "must not appear in params (use Neuron.type)"))
            continue
        f = spec.field(key)
        if isinstance(value, np.ndarray):
            if value.dtype.kind not in "biuf":
                out.append((f"neuron/{key}", f"unsupported array dtype {value.dtype}"))
            elif value.dtype.kind == "f" and not np.all(np.isfinite(value)):
                out.append((f"neuron/{key}", "non-finite value(s)"))
            continue
        if isinstance(value, dict):
            continue
        if f is None:
            if not isinstance(value, (bool, int, float, str, np.generic)):
                out.append((f"neuron/{key}", f"unsupported value type {type(value).__name__}"))
            continue
        out.extend(_field_problems(f, value))
    return out


def _field_problems(f: NeuronField, value: Any) -> list[tuple[str, str]]:
    name = f"neuron/{f.name}"
    if not _KIND_CHECK[f.kind](value):
        return [(name, f"must be {f.kind}, got {type(value).__name__} {value!r}")]
    if f.kind in ("int", "float"):
        if not np.isfinite(value):
            return [(name, f"must be finite, got {value}")]
        if f.range is not None:
            low, high = f.range
            if (low is not None and value < low) or (high is not None and value > high):
                return [(name, f"{value} is outside [{low}, {high}]")]
    return []


def _layer_problems(layer: Layer) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if not isinstance(layer, Layer):
        return [("", f"must be a Layer, got {type(layer).__name__}")]
    if not isinstance(layer.shape, tuple) or any(
            not isinstance(v, int) or v <= 0 for v in layer.shape):
        out.append(("shape", f"sizes must be positive integers, got {layer.shape}"))
    if not layer.type:
        out.append(("type", "the layer type is empty"))
    if isinstance(layer, GenericLayer):
        if layer.neuron is not None:
            out.extend(_neuron_problems(layer.neuron))
        return out
    spec = LAYER_SPECS.get(layer.key)
    if spec is None:
        return out + [("type", f"no layer spec is registered for {layer.key!r}")]
    if not isinstance(layer, spec.cls):
        out.append(("type", f"{layer.key!r} layers must be {spec.cls.__name__}, got "
                            f"{type(layer).__name__}"))
        return out
    if not layer.shape:
        out.append(("shape", "missing (every layer stores its neuron shape)"))
    if spec.neuron == "required" and layer.neuron is None:
        out.append(("neuron", f"a {layer.type!r} layer needs a neuron group"))
    elif spec.neuron == "forbidden" and layer.neuron is not None:
        out.append(("neuron", f"a {layer.type!r} layer has no neurons; remove the neuron group"))
    elif layer.neuron is not None:
        out.extend(_neuron_problems(layer.neuron))
    names = set()
    for f in spec.fields:
        names.add(f.name)
        value = getattr(layer, f.attr)
        if value is None:
            if f.required:
                out.append((f.name, f"missing required field ({f.description})"))
            continue
        codec = CODECS[f.codec]
        out.extend((f.name, msg) for msg in codec.check(value, f))
        if f.imag_attr and getattr(layer, f.imag_attr) is not None:
            out.extend((f"{f.name}/imag", msg)
                       for msg in codec.check(getattr(layer, f.imag_attr), f))
    clash = sorted(names & set(layer.extra)) + sorted({"type", "shape", "neuron"} &
                                                      set(layer.extra))
    if clash:
        out.append(("extra", f"unknown-field store holds known field name(s) {clash}"))
    if not any(msg for _, msg in out):
        for check in spec.checks:
            out.extend(check(layer))
    return out


def layer_problems(layer: Layer) -> list[tuple[str, str]]:
    """Problems of one layer on its own, as ``(field, message)`` pairs."""
    return _layer_problems(layer)


def _floor_size(n: int, p: int, d: int, k: int, s: int) -> int:
    """Output size of a convolution or pooling window sweep (windows fully inside)."""
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def _ceil_size(n: int, p: int, d: int, k: int, s: int) -> int:
    """Pooling output size when the input is zero-padded at the end up to whole windows.

    A last window that would start in the end padding (at or beyond ``n + p``) is dropped.
    """
    out = -(-(n + 2 * p - d * (k - 1) - 1) // s) + 1
    if (out - 1) * s >= n + p:
        out -= 1
    return out


def _link_problems(prev: Layer, layer: Layer) -> list[tuple[str, str]]:
    """Consistency of ``layer`` with the layer before it."""
    if not prev.shape or any(v <= 0 for v in prev.shape):
        return []
    n_prev = prev.num_neurons
    out: list[tuple[str, str]] = []
    if isinstance(layer, DenseLayer) and layer.in_features > 0 and \
            not isinstance(prev, ConcatLayer):
        if layer.in_features != n_prev:
            out.append(("inFeatures", f"{layer.in_features} differs from the {n_prev} neurons "
                                      f"of the previous layer (shape {prev.shape})"))
    if isinstance(layer, (ConvLayer, PoolLayer)) and len(prev.shape) == 3 and \
            len(layer.shape) == 3 and not isinstance(prev, ConcatLayer):
        c, h, w = prev.shape
        if isinstance(layer, ConvLayer) and layer.in_channels != c:
            out.append(("inChannels", f"{layer.in_channels} differs from the {c} channels of the "
                                      f"previous layer (shape {prev.shape})"))
        if isinstance(layer, PoolLayer) and not isinstance(layer, UnpoolLayer) and \
                layer.shape[0] != c:
            out.append(("shape", f"pooling keeps channels: {layer.shape[0]} != {c}"))
        if not isinstance(layer, (ConvTransposeLayer, UnpoolLayer)):
            geometry = list(zip((h, w), layer.padding, layer.dilation, layer.kernel_size,
                                layer.stride, strict=False))
            expected = tuple(_floor_size(*g) for g in geometry)
            accepted = {expected}
            if isinstance(layer, PoolLayer):  # slayer pads the input up to whole windows
                accepted.add(tuple(_ceil_size(*g) for g in geometry))
            if tuple(layer.shape[1:]) not in accepted:
                out.append(("shape", f"(H, W) = {tuple(layer.shape[1:])} but the input "
                                     f"{(h, w)} with kernel {layer.kernel_size}, stride "
                                     f"{layer.stride}, padding {layer.padding}, dilation "
                                     f"{layer.dilation} gives {expected}"))
    return out


def collect_problems(net: NetworkDescription) -> list[FormatError]:
    """Every problem of ``net`` as a list of :class:`FormatError` (empty when valid)."""
    problems: list[FormatError] = []
    if not isinstance(net, NetworkDescription):
        return [FormatError(f"expected a NetworkDescription, got {type(net).__name__}")]
    if net.format_version is not None:
        from ._reader import parse_version

        try:
            parse_version(net.format_version)
        except FormatError as exc:
            problems.append(exc)
    if not net.layers:
        problems.append(FormatError("the network has no layers", field="layer"))
    for i, layer in enumerate(net.layers):
        path = f"/layer/{i}"
        found = _layer_problems(layer)
        if isinstance(layer, ConcatLayer):
            late = [j for j in layer.layers if j >= i]
            if late:
                found.append(("layers", f"must refer to earlier layers (< {i}), got {late}"))
        if not found and i > 0 and isinstance(net.layers[i - 1], Layer):
            found.extend(_link_problems(net.layers[i - 1], layer))
        problems.extend(FormatError(msg, layer=path, field=f or None) for f, msg in found)
    sim = net.simulation
    if sim is not None:
        for name, value in (("Ts", sim.ts), ("tSample", sim.t_sample)):
            if value is not None and (not isinstance(value, int) or value <= 0):
                problems.append(FormatError(f"must be a positive integer, got {value!r}",
                                            layer="/simulation", field=name))
    return problems


def validate(net_or_path: Any, *, file: str | None = None) -> None:
    """Validate a network description or a file.

    Parameters
    ----------
    net_or_path : NetworkDescription, str, os.PathLike, h5py.File or h5py.Group
        What to check; a file is read first (without its own validation pass).
    file : str, optional
        File name used in the messages.

    Raises
    ------
    ValidationError
        Listing every problem (each names the layer path and the field).
    FormatError
        When a file cannot be read at all.
    """
    if not isinstance(net_or_path, NetworkDescription):
        from ._reader import read

        if isinstance(net_or_path, (str, os.PathLike)):
            file = file or os.fspath(net_or_path)
        net = read(net_or_path, validate=False, warn_legacy=False)
    else:
        net = net_or_path
    problems = collect_problems(net)
    if problems:
        raise ValidationError(problems, file=file)
