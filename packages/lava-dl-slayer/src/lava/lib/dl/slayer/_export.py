r"""First-party exporters: slayer blocks -> :mod:`lava.lib.dl.hdf5_spec` layers -> hdf5 groups.

An *exporter* is a function ``exporter(block, *, input_shape=None) -> hdf5_spec.Layer``. It reads
the block and returns a new layer description; it never changes the block (lava-dl 0.6 folded the
weight norm into the live model, spec §15 #27). Exporters are registered under
``"<namespace>/<type>"`` keys in the entry-point group ``lava.lib.dl.exporters``
(:data:`lava.lib.dl.hdf5_spec.plugins.EXPORTERS_GROUP`); slayer's own blocks use the ``lava-dl``
namespace and register through the same group, in ``pyproject.toml``. A third-party block sets
``hdf5_namespace``/``hdf5_type`` on its class and ships an entry point for its key.

Units written (hardware mantissas)
----------------------------------
- weights: ``pre_hook_fx(weight, descale=True)``, i.e. integers :math:`w \cdot w_s` (even values in
  ``[-256, 254]`` with the default 8-bit hook), float32;
- bias (from a batch norm): ``-quantize_8bit(running_mean) * w_s``, float32 ``(C,)``;
- delays: :math:`\lfloor d \rfloor` per output channel, float32, never clamped;
- neuron parameters: the neuron's ``device_params`` (decays in :math:`2^{-12}`, thresholds as
  ``vThMant`` at :math:`w_s`).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from lava.lib.dl import hdf5_spec as _hdf5_spec
from lava.lib.dl.hdf5_spec.plugins import EXPORTERS_GROUP, PluginRegistry

if hasattr(_hdf5_spec, "DenseLayer"):
    hdf5_spec: Any = _hdf5_spec
else:  # pragma: no cover - older hdf5-spec without the public re-exports
    from lava.lib.dl.hdf5_spec import _model as hdf5_spec  # TODO(hdf5-spec)

__all__ = [
    "AFFINE_V_TH_MANT",
    "EXPORTERS",
    "export_network",
    "network_description",
    "get_exporter",
    "registry",
    "write_layer",
]

#: Threshold mantissa written for the neuron of an ``Affine`` readout: it never fires.
AFFINE_V_TH_MANT = (1 << 18) - 1

Exporter = Callable[..., Any]

_REGISTRY: PluginRegistry | None = None


def registry() -> PluginRegistry:
    """The exporter registry (entry-point group ``lava.lib.dl.exporters``)."""
    global _REGISTRY
    if _REGISTRY is None:
        _REGISTRY = PluginRegistry(EXPORTERS_GROUP, what="slayer exporter")
    return _REGISTRY


def get_exporter(key: str) -> Exporter:
    """The exporter registered for ``key`` (``"<namespace>/<type>"``).

    Raises
    ------
    lava.lib.dl.hdf5_spec.plugins.PluginNotFoundError
        No installed distribution registers ``key``; the message says what to install.
    """
    return registry().get(key)


# ====================================================================== helpers
def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().numpy()


def _py(value: Any) -> Any:
    """numpy / torch scalars -> python scalars; arrays stay numpy arrays."""
    if isinstance(value, torch.Tensor):
        value = _np(value)
    if isinstance(value, np.ndarray):
        return value.item() if value.ndim == 0 else value
    if isinstance(value, np.generic):
        return value.item()
    return value


def _neuron(block: Any, **overrides: Any) -> hdf5_spec.Neuron | None:
    neuron = getattr(block, "neuron", None)
    if neuron is None:
        return None
    params = {k: _py(v) for k, v in dict(neuron.device_params).items()}
    norm = getattr(neuron, "norm", None)
    if norm is not None and hasattr(norm, "weight_exp"):
        params["weight_exp"] = _py(norm.weight_exp)
    params.update(overrides)
    ntype = params.pop("type")
    return hdf5_spec.Neuron(type=str(ntype), params=params)


def _shape(block: Any, input_shape: tuple[int, ...] | None) -> tuple[int, ...]:
    shape = block.shape
    if shape is None and input_shape is not None:
        shape = block.output_shape(tuple(input_shape))
    if shape is None:
        raise ValueError(
            f"cannot export {type(block).__module__}.{type(block).__name__} before its neuron "
            "shape is known: pass input_shape=(C, H, W) (the input neuron shape) to "
            "export_hdf5, or run one forward pass first"
        )
    return tuple(int(s) for s in shape)


def _descale(hook: Any, w: torch.Tensor, block: Any) -> np.ndarray:
    """Integer weight mantissas ``hook(w, descale=True)`` as float32."""
    with torch.no_grad():
        if hook is None:
            neuron = getattr(block, "neuron", None)
            scale = getattr(neuron, "w_scale", 1)
            warnings.warn(
                f"{type(block).__name__} was built with pre_hook_fx=None: its weights were never "
                f"quantized, so they are exported as weight * {scale} without rounding; train "
                "with the default 8-bit pre-hook for bit-exact deployment",
                stacklevel=3,
            )
            out = w * scale
        else:
            try:
                out = hook(w, descale=True)
            except TypeError as exc:
                raise TypeError(
                    f"{type(block).__name__}: the synapse pre_hook_fx {hook!r} must accept the "
                    f"keyword 'descale' (fx(weight, descale=True) returns the integer mantissas) "
                    f"to be exported: {exc}"
                ) from exc
    return _np(out).astype(np.float32)


def _masked(block: Any, syn: Any) -> torch.Tensor:
    with torch.no_grad():
        w = syn.effective_weight().detach()
        mask = getattr(block, "mask", None)
        if mask is not None:
            w = w * mask.to(w.dtype)
    return w


def _weights(block: Any, syn: Any) -> tuple[np.ndarray, np.ndarray | None]:
    """``(weight, weight_imag)`` mantissas of a (possibly complex) synapse, time axis kept."""
    if getattr(syn, "complex", False):
        re = _descale(syn.real.pre_hook_fx, _masked(block, syn.real), block)
        im = _descale(syn.imag.pre_hook_fx, _masked(block, syn.imag), block)
        return re, im
    return _descale(syn.pre_hook_fx, _masked(block, syn), block), None


def _drop_time(w: np.ndarray | None) -> np.ndarray | None:
    return None if w is None else w[..., 0]


def _bias(block: Any, channels: int) -> np.ndarray | None:
    neuron = getattr(block, "neuron", None)
    if neuron is None:
        return None
    total = None
    norm = getattr(neuron, "norm", None)
    if norm is not None and hasattr(norm, "bias"):
        with torch.no_grad():
            b = _np(torch.as_tensor(norm.bias)).astype(np.float32).reshape(-1)
        total = np.broadcast_to(b, (channels,)).astype(np.float32)
    nb = getattr(neuron, "bias", None)
    if isinstance(nb, torch.Tensor) and bool(torch.any(nb != 0)):
        b = _np(nb).astype(np.float32).reshape(-1) * float(neuron.w_scale)
        b = np.broadcast_to(b, (channels,)).astype(np.float32)
        total = b if total is None else (total + b).astype(np.float32)
    return total


def _delay(block: Any, channels: int) -> np.ndarray | None:
    d = getattr(block, "delay", None)
    if d is None:
        return None
    value = getattr(d, "delay", None)
    if value is None:  # created at the first forward as U[0, 1): the integer delay is 0
        return np.zeros(channels, dtype=np.float32)
    return np.floor(_np(value)).astype(np.float32).reshape(-1)


def _geometry(syn: Any) -> dict[str, tuple[int, int]]:
    real = syn.real if getattr(syn, "complex", False) else syn
    return {
        "kernel_size": tuple(real.kernel_size[:2]),
        "stride": tuple(real.stride[:2]),
        "padding": tuple(real.padding[:2]),
        "dilation": tuple(real.dilation[:2]),
    }


# ====================================================================== exporters
def export_input(block: Any, *, input_shape: tuple[int, ...] | None = None) -> Any:
    """Input block -> :class:`hdf5_spec.InputLayer` (weight/bias as mantissas)."""
    shape = _shape(block, input_shape)
    weight = bias = None
    if block.neuron is not None:
        if block.weight is not None:
            weight = float(_descale(block.pre_hook_fx, block.weight, block).reshape(-1)[0])
        if block.bias is not None:
            bias = float(_descale(block.pre_hook_fx, block.bias, block).reshape(-1)[0])
    return hdf5_spec.InputLayer(shape=shape, neuron=_neuron(block), weight=weight, bias=bias)


def export_flatten(block: Any, *, input_shape: tuple[int, ...] | None = None) -> Any:
    """Flatten block -> :class:`hdf5_spec.FlattenLayer` with shape ``(C*H*W, 1, 1)``."""
    shape = block.shape
    if shape is None and input_shape is not None:
        shape = (math.prod(input_shape), 1, 1)
    if shape is None:
        _shape(block, None)
    return hdf5_spec.FlattenLayer(shape=shape)


def export_average(block: Any, *, input_shape: tuple[int, ...] | None = None) -> Any:
    """Average or TimeDecimation block -> :class:`hdf5_spec.AverageLayer`."""
    factor = getattr(block, "factor", None)
    if factor is not None:
        return hdf5_spec.AverageLayer(shape=_shape(block, input_shape), factor=factor)
    return hdf5_spec.AverageLayer(shape=_shape(block, input_shape),
                                  num_outputs=block.num_outputs)


def _dense_fields(block: Any, syn: Any) -> dict[str, Any]:
    weight, weight_imag = _weights(block, syn)
    out = weight.shape[0]
    return {
        "in_features": math.prod(weight.shape[1:]),
        "out_features": out,
        "weight": weight.reshape(out, -1),
        "weight_imag": None if weight_imag is None else weight_imag.reshape(out, -1),
    }


def export_dense(block: Any, *, input_shape: tuple[int, ...] | None = None) -> Any:
    """Dense, Affine or sigma-delta Output block -> :class:`hdf5_spec.DenseLayer`."""
    fields = _dense_fields(block, block.synapse)
    out = fields["out_features"]
    if hasattr(block, "dynamics"):  # Affine readout: a neuron that never fires, or none
        neuron = _neuron(block, vThMant=AFFINE_V_TH_MANT) if block.dynamics else None
        return hdf5_spec.DenseLayer(shape=(out,), neuron=neuron, **fields)
    overrides = {"sigma_output": True} if getattr(block, "sigma_output", False) else {}
    return hdf5_spec.DenseLayer(
        shape=(out,), neuron=_neuron(block, **overrides), bias=_bias(block, out),
        delay=_delay(block, out), **fields,
    )


def export_dense_rec(block: Any, *, input_shape: tuple[int, ...] | None = None) -> Any:
    """Recurrent block -> :class:`hdf5_spec.RecurrentDenseLayer`."""
    fields = _dense_fields(block, block.input_synapse)
    rec, _ = _weights(block, block.recurrent_synapse)
    out = fields["out_features"]
    return hdf5_spec.RecurrentDenseLayer(
        shape=(out,), neuron=_neuron(block), bias=_bias(block, out), delay=_delay(block, out),
        weight_rec=rec.reshape(out, out), **fields,
    )


def export_kwta(block: Any, *, input_shape: tuple[int, ...] | None = None) -> Any:
    """KWTA block -> :class:`hdf5_spec.KWTALayer`."""
    fields = _dense_fields(block, block.synapse)
    out = fields["out_features"]
    return hdf5_spec.KWTALayer(
        shape=(out,), neuron=_neuron(block), bias=_bias(block, out),
        num_winners=block.num_winners, self_excitation=block.self_excitation, **fields,
    )


def _conv(block: Any, input_shape: Any, cls: type) -> Any:
    syn = block.synapse
    weight, weight_imag = _weights(block, syn)
    real = syn.real if getattr(syn, "complex", False) else syn
    shape = _shape(block, input_shape)
    return cls(
        shape=shape, neuron=_neuron(block), in_channels=real.in_channels,
        out_channels=real.out_channels, groups=real.groups, weight=_drop_time(weight),
        weight_imag=_drop_time(weight_imag), bias=_bias(block, shape[0]),
        delay=_delay(block, shape[0]), **_geometry(syn),
    )


def export_conv(block: Any, *, input_shape: tuple[int, ...] | None = None) -> Any:
    """Conv block -> :class:`hdf5_spec.ConvLayer` (weight ``(out, in/groups, kH, kW)``)."""
    return _conv(block, input_shape, hdf5_spec.ConvLayer)


def export_convT(block: Any, *, input_shape: tuple[int, ...] | None = None) -> Any:  # noqa: N802
    """ConvT block -> :class:`hdf5_spec.ConvTransposeLayer`, weight ``(in, out/groups, kH, kW)``."""
    return _conv(block, input_shape, hdf5_spec.ConvTransposeLayer)


def _pool(block: Any, input_shape: Any, cls: type) -> Any:
    weight, weight_imag = _weights(block, block.synapse)
    shape = _shape(block, input_shape)
    return cls(
        shape=shape, neuron=_neuron(block), weight=_drop_time(weight),
        weight_imag=_drop_time(weight_imag), delay=_delay(block, shape[0]),
        **_geometry(block.synapse),
    )


def export_pool(block: Any, *, input_shape: tuple[int, ...] | None = None) -> Any:
    """Pool block -> :class:`hdf5_spec.PoolLayer`."""
    return _pool(block, input_shape, hdf5_spec.PoolLayer)


def export_unpool(block: Any, *, input_shape: tuple[int, ...] | None = None) -> Any:
    """Unpool block -> :class:`hdf5_spec.UnpoolLayer`."""
    return _pool(block, input_shape, hdf5_spec.UnpoolLayer)


#: The first-party exporters, by key (the same table is declared as entry points).
EXPORTERS: dict[str, Exporter] = {
    "lava-dl/input": export_input,
    "lava-dl/flatten": export_flatten,
    "lava-dl/average": export_average,
    "lava-dl/dense": export_dense,
    "lava-dl/dense_rec": export_dense_rec,
    "lava-dl/kwta": export_kwta,
    "lava-dl/conv": export_conv,
    "lava-dl/convT": export_convT,
    "lava-dl/pool": export_pool,
    "lava-dl/unpool": export_unpool,
}


# ====================================================================== hdf5 writing
def _write_value(group: Any, name: str, value: Any) -> None:
    if isinstance(value, bool | np.bool_):
        group.create_dataset(name, data=np.bool_(value))
    elif isinstance(value, str):
        group.create_dataset(name, data=value)  # variable-length UTF-8 string
    elif isinstance(value, int | np.integer):
        group.create_dataset(name, data=np.int64(value))
    elif isinstance(value, float | np.floating):
        group.create_dataset(name, data=np.float64(value))
    elif isinstance(value, np.ndarray):
        group.create_dataset(name, data=value)
    else:
        raise TypeError(f"cannot write field {name!r} of type {type(value).__name__} to hdf5")


_SCALAR_INT_FIELDS = {
    "in_features": "inFeatures", "out_features": "outFeatures", "in_channels": "inChannels",
    "out_channels": "outChannels", "groups": "groups", "num_outputs": "numOutputs",
    "factor": "factor", "num_winners": "numWinners",
}
_PAIR_FIELDS = {"kernel_size": "kernelSize", "stride": "stride", "padding": "padding",
                "dilation": "dilation"}
_ARRAY_FIELDS = {"bias": "bias", "delay": "delay", "weight_rec": "weight_rec"}


def _fallback_write_layer(layer: Any, group: Any) -> None:
    """Write one layer in the format-1.x layout (lava-dl 0.6 key names).

    TODO(hdf5-spec): replace by the package's layer-level writer once it exposes one.
    """
    t = str(layer.type)
    group.create_dataset("type", data=np.array([t.encode("ascii")], dtype=f"S{max(10, len(t))}"))
    group.create_dataset("shape", data=np.asarray(layer.shape, dtype=np.int64))
    group.attrs["namespace"] = layer.namespace
    group.attrs["encoding_version"] = np.int64(layer.encoding_version)
    for attr, key in _SCALAR_INT_FIELDS.items():
        value = getattr(layer, attr, None)
        if value is not None:
            group.create_dataset(key, data=np.int64(value))
    for attr, key in _PAIR_FIELDS.items():
        value = getattr(layer, attr, None)
        if value is not None:
            group.create_dataset(key, data=np.asarray(value, dtype=np.int64))
    if getattr(layer, "self_excitation", None) is not None:
        group.create_dataset("selfExcitation", data=np.float64(layer.self_excitation))
    weight = getattr(layer, "weight", None)
    weight_imag = getattr(layer, "weight_imag", None)
    if isinstance(layer, hdf5_spec.InputLayer):
        for name in ("weight", "bias"):
            v = getattr(layer, name)
            if v is not None:
                group.create_dataset(name, data=np.asarray([v], dtype=np.float32))
    elif weight_imag is not None:
        w = group.create_group("weight")
        w.create_dataset("real", data=np.asarray(weight, dtype=np.float32))
        w.create_dataset("imag", data=np.asarray(weight_imag, dtype=np.float32))
    elif weight is not None:
        group.create_dataset("weight", data=np.asarray(weight, dtype=np.float32))
    for attr, key in _ARRAY_FIELDS.items():
        value = getattr(layer, attr, None)
        if value is not None and not isinstance(layer, hdf5_spec.InputLayer):
            group.create_dataset(key, data=np.asarray(value, dtype=np.float32))
    if layer.neuron is not None:
        ng = group.create_group("neuron")
        ng.create_dataset("type", data=str(layer.neuron.type))
        for key, value in layer.neuron.params.items():
            _write_value(ng, key, value)
    for key, value in getattr(layer, "extra", {}).items():
        _write_value(group, key, value)


def write_layer(layer: Any, group: Any) -> None:
    """Write a :class:`hdf5_spec.Layer` into the (empty) hdf5 group ``group``.

    Uses hdf5-spec's layer writer (the one :func:`hdf5_spec.write` uses for ``layer/<i>``), so a
    block exported on its own and a whole network written by ``hdf5_spec.write`` are identical.
    """
    writer = getattr(_hdf5_spec, "write_layer", None)
    if writer is not None:
        writer(layer, group)
        return
    try:  # TODO(hdf5-spec): use a public layer-level writer once hdf5-spec exports one
        from lava.lib.dl.hdf5_spec._writer import _write_layer
    except ImportError:  # pragma: no cover - older hdf5-spec
        _fallback_write_layer(layer, group)
    else:
        _write_layer(group, layer)


def network_description(
    blocks: Any,
    *,
    input_shape: tuple[int, ...] | None = None,
    simulation: Any = None,
) -> Any:
    """A :class:`hdf5_spec.NetworkDescription` of a sequence of blocks (input to output).

    Parameters
    ----------
    blocks : iterable of blocks, or a module with a ``blocks`` attribute
        The layers in order.
    input_shape : tuple of int, optional
        Input neuron shape of the first block; shapes are propagated through the blocks, so a
        network can be exported before any forward pass.
    simulation : hdf5_spec.Simulation, optional
        The ``simulation`` group.
    """
    blocks = getattr(blocks, "blocks", blocks)
    layers = []
    shape = None if input_shape is None else tuple(int(s) for s in input_shape)
    for block in blocks:
        layer = block.export_layer(input_shape=shape)
        layers.append(layer)
        shape = tuple(layer.shape)
    return hdf5_spec.NetworkDescription(layers=layers, simulation=simulation)


def export_network(
    blocks: Any,
    filename: Any,
    *,
    input_shape: tuple[int, ...] | None = None,
    simulation: Any = None,
) -> Any:
    """Write a sequence of blocks as a format-1.x network file (``layer/0``, ``layer/1``, ...).

    Parameters
    ----------
    blocks : iterable of blocks, or a module with a ``blocks`` attribute
        The layers in order.
    filename : str or os.PathLike or h5py.Group
        Target file (overwritten) or empty group.
    input_shape, simulation
        See :func:`network_description`.

    Returns
    -------
    hdf5_spec.NetworkDescription
        What was written.
    """
    net = network_description(blocks, input_shape=input_shape, simulation=simulation)
    _hdf5_spec.write(net, filename)
    return net
