"""Layer loaders: from an hdf5 network description to backend-neutral plans.

One loader per layer type, looked up by the key ``"<namespace>/<type>"`` in the entry-point group
``lava.lib.dl.netx.loaders`` (first-party loaders are registered there by this distribution's
``pyproject.toml``, third-party plugins register their own namespace the same way). A loader is a
callable ``loader(layer, ctx) -> LayerPlan | None``:

``layer``
    an :class:`lava.lib.dl.hdf5_spec.Layer` (the typed model of ``layer/<i>``);
``ctx``
    the :class:`LoadContext` of the construction (index, shape and message width of what feeds
    the layer, network options); a loader may update it (``flatten`` sets ``ctx.flatten_next``,
    a neuron-less ``input`` sets ``ctx.prev_shape``) and returns None when it adds no block.

:func:`build_plan` runs the construction algorithm of lava-dl's ``hdf5.Network`` (netx.md §2.3):
``num_layers`` truncates the file layers, ``skip_layers`` builds but does not keep the first
blocks, message widths flow forward, and the k-th kept block gets the reset phase
``reset_offset + 1 + k``. A layer that cannot be mapped raises :class:`LoaderError` naming its
index, its type and the reason.

Neuron translation (file ``neuron/*`` -> plan) is a registry too, :data:`NEURON_TRANSLATORS`,
keyed by ``neuron/type``.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._plan import (
    ACTIVATIONS,
    ADRFNeuron,
    ALIFNeuron,
    ComplexDenseSynapse,
    ConvSynapse,
    ConvTransposeSynapse,
    DecimateNeuron,
    DeltaNeuron,
    DenseSynapse,
    IdentityNeuron,
    IdentitySynapse,
    LayerPlan,
    LIFNeuron,
    NetworkPlan,
    NeuronPlan,
    RecurrentDenseSynapse,
    RFNeuron,
    SigmaDeltaNeuron,
    SigmaNeuron,
    conv_output_shape,
)

__all__ = [
    "DEFAULT_VTH",
    "LOADERS_GROUP",
    "NEURON_TRANSLATORS",
    "LoadContext",
    "LoaderError",
    "build_plan",
    "get_loader",
    "load_average",
    "load_concat",
    "load_conv",
    "load_conv_transpose",
    "load_dense",
    "load_dense_comp",
    "load_flatten",
    "load_input",
    "load_kwta",
    "load_pool",
    "load_unpool",
    "load_unsupported",
    "loader_registry",
    "translate_neuron",
]

LOADERS_GROUP = "lava.lib.dl.netx.loaders"

#: Threshold of the default neuron lava-dl 0.6 gives a dense layer without a neuron group.
#: Written ``1 << 18 - 1`` there, i.e. ``1 << 17`` by operator precedence (quirk B7, kept).
DEFAULT_VTH = 1 << 17


class LoaderError(ValueError):
    """A layer of a network description cannot be mapped to a netx block."""


@dataclass
class LoadContext:
    """State of the construction while loaders run.

    Attributes
    ----------
    index : int
        Index of the file layer being loaded.
    prev_shape : tuple of int or None
        File-order shape of what feeds this layer (previous block or input shape).
    input_message_bits : int
        Width of the incoming message (0 = binary spikes).
    flatten_next : bool
        A ``flatten`` layer precedes this one.
    reset_interval, reset_offset : int or None, int
        Periodic reset of CUBA neurons; ``reset_offset`` is already the phase this block gets.
    spike_exp : int
        Sigma-delta spike exponent.
    sparse_fc_layer : bool
        Dense synapses should be sparse (a hint for the Lava backend; same arithmetic).
    source : str
        Name of the description (for messages).
    options : dict
        Any further option given to :func:`build_plan` (for third-party loaders).
    latency : int
        Steps from the network input to the output of what feeds this layer (one per synapse).
    divisor : int
        ``output_divisor`` of what feeds this layer (see :attr:`LayerPlan.output_divisor`).
    blocks : dict of int to (int, LayerPlan)
        File layer index -> (position in the network, plan) of every block kept so far (what a
        ``concat`` layer may reference).
    """

    index: int = 0
    prev_shape: tuple[int, ...] | None = None
    input_message_bits: int = 0
    flatten_next: bool = False
    reset_interval: int | None = None
    reset_offset: int = 1
    spike_exp: int = 6
    sparse_fc_layer: bool = False
    is_first: bool = True
    source: str = "<memory>"
    options: dict[str, Any] = field(default_factory=dict)
    latency: int = 0
    divisor: int = 1
    blocks: dict[int, tuple[int, LayerPlan]] = field(default_factory=dict)

    def error(self, layer: Any, reason: str) -> LoaderError:
        """A :class:`LoaderError` naming the source, layer index and type."""
        return LoaderError(
            f"{self.source}: layer {self.index} (/layer/{self.index}, type "
            f"{_key(layer)!r}) cannot be mapped: {reason}"
        )


def _key(layer: Any) -> str:
    ns = getattr(layer, "namespace", None) or "lava-dl"
    return f"{ns}/{layer.type}"


# --------------------------------------------------------------------------- registry
_REGISTRY: Any = None


def _plugin_registry(group: str) -> Any:
    """The entry-point registry of ``group`` (one small function: swap here if discovery moves)."""
    from lava.lib.dl.hdf5_spec._plugins import PluginRegistry

    return PluginRegistry(group, what="netx loader")


def loader_registry() -> Any:
    """The process-wide registry of netx loaders (a ``PluginRegistry``)."""
    global _REGISTRY
    if _REGISTRY is None:
        _REGISTRY = _plugin_registry(LOADERS_GROUP)
    return _REGISTRY


def get_loader(key: str) -> Callable[[Any, LoadContext], LayerPlan | None]:
    """Return the loader registered for ``key`` (``"<namespace>/<type>"``)."""
    return loader_registry().get(key)


# --------------------------------------------------------------------------- helpers
def _as_int(x: Any) -> np.ndarray:
    """File numbers -> int64 by truncation toward zero (as lava-dl's ``astype(int)``)."""
    a = np.asarray(x)
    if a.dtype.kind == "f":
        if not np.all(np.isfinite(a)):
            raise ValueError("contains NaN or infinite values")
        a = np.trunc(a)
    return a.astype(np.int64)


def _pair(v: Any, name: str, ctx: LoadContext, layer: Any) -> tuple[int, int]:
    a = _as_int(v).reshape(-1)
    if a.size == 1:
        return int(a[0]), int(a[0])
    if a.size != 2:
        raise ctx.error(layer, f"{name} must be a scalar or an (H, W) pair, got {a.tolist()}")
    return int(a[0]), int(a[1])


def _param(neuron: Any, key: str, ctx: LoadContext, layer: Any, default: Any = None) -> Any:
    params = neuron.params
    if key not in params:
        if default is not None:
            return default
        raise ctx.error(layer, f"neuron type {neuron.type!r} needs the field neuron/{key}")
    v = params[key]
    if isinstance(v, bytes):
        v = v.decode()
    return v


def _int_param(neuron: Any, key: str, ctx: LoadContext, layer: Any, default: Any = None) -> int:
    v = _param(neuron, key, ctx, layer, default)
    try:
        a = _as_int(v).reshape(-1)
    except (TypeError, ValueError):
        raise ctx.error(layer, f"neuron/{key} must be an integer, got {v!r}") from None
    if a.size != 1 and not (a.size > 1 and np.all(a == a[0])):
        raise ctx.error(
            layer, f"neuron/{key} holds {a.size} different per-neuron values; netx supports one "
            "value per layer for this field (decays may differ per channel or neuron, "
            "thresholds may not)"
        )
    return int(a[0])


def _decay_param(neuron: Any, key: str, ctx: LoadContext, layer: Any,
                 shape: tuple[int, ...]) -> int | np.ndarray:
    """A decay that slayer may export per channel or per neuron (``shared_param=False``): an
    ``int`` when every value is the same, else an int64 array of the layer shape (file order;
    per-channel values broadcast along the channel axis 0)."""
    v = _param(neuron, key, ctx, layer)
    try:
        a = _as_int(v)
    except (TypeError, ValueError):
        raise ctx.error(layer, f"neuron/{key} must hold integers, got {v!r}") from None
    flat = a.reshape(-1)
    if flat.size == 0:
        raise ctx.error(layer, f"neuron/{key} is empty")
    if flat.size == 1 or np.all(flat == flat[0]):
        return int(flat[0])
    n = int(np.prod(shape))
    if flat.size == n:
        return flat.reshape(shape).copy()
    if len(shape) > 1 and flat.size == shape[0]:
        return np.broadcast_to(flat.reshape((-1,) + (1,) * (len(shape) - 1)), shape).copy()
    raise ctx.error(
        layer, f"neuron/{key} has {flat.size} values; expected 1, {shape[0]} (one per channel) "
        f"or {n} (one per neuron of the shape {tuple(shape)})"
    )


def _bias(bias: Any, shape: tuple[int, ...], ctx: LoadContext, layer: Any) -> np.ndarray | None:
    """Broadcast a file bias to the layer shape: scalar, per neuron or per channel (axis 0)."""
    if bias is None:
        return None
    b = _as_int(bias)
    if b.size == 1:
        return np.full(shape, int(b.reshape(-1)[0]), dtype=np.int64)
    if b.shape == tuple(shape) or b.size == int(np.prod(shape)) and b.ndim == 1 and len(shape) == 1:
        return b.reshape(shape)
    if b.ndim == 1 and len(shape) > 1 and b.size == shape[0]:
        return np.broadcast_to(b.reshape((-1,) + (1,) * (len(shape) - 1)), shape).copy()
    raise ctx.error(layer, f"bias of shape {b.shape} does not fit the layer shape {shape}")


def _delay(delay: Any, out: int, inp: int, ctx: LoadContext, layer: Any) -> np.ndarray | None:
    """Expand a dense delay (per out, per in or scalar) to ``(out, in)`` int64 steps."""
    if delay is None:
        return None
    d = np.asarray(delay)
    if d.size and (not np.all(np.isfinite(d)) or d.min() < 0):
        raise ctx.error(layer, "delay must hold finite values >= 0")
    d = np.floor(d).astype(np.int64).reshape(-1)
    if d.size == 1:
        return np.full((out, inp), int(d[0]), dtype=np.int64)
    if d.size == out:
        return np.repeat(d[:, None], inp, axis=1)
    if d.size == inp:
        return np.repeat(d[None, :], out, axis=0)
    raise ctx.error(
        layer, f"delay has {d.size} values; expected 1, {out} (outputs) or {inp} (inputs)"
    )


def _chan_delay(delay: Any, channels: int, ctx: LoadContext, layer: Any) -> np.ndarray | None:
    if delay is None:
        return None
    d = np.asarray(delay)
    if d.size and (not np.all(np.isfinite(d)) or d.min() < 0):
        raise ctx.error(layer, "delay must hold finite values >= 0")
    d = np.floor(d).astype(np.int64).reshape(-1)
    if d.size == 1:
        return np.full(channels, int(d[0]), dtype=np.int64)
    if d.size != channels:
        raise ctx.error(layer, f"delay has {d.size} values; expected 1 or {channels} (channels)")
    return d


# --------------------------------------------------------------------------- neurons
NeuronTranslator = Callable[..., NeuronPlan]
NEURON_TRANSLATORS: dict[str, NeuronTranslator] = {}


def _register_neuron(*names: str) -> Callable[[NeuronTranslator], NeuronTranslator]:
    def deco(fn: NeuronTranslator) -> NeuronTranslator:
        for n in names:
            NEURON_TRANSLATORS[n] = fn
        return fn

    return deco


def _warn_reset(ctx: LoadContext, layer: Any, what: str) -> None:
    if ctx.reset_interval:
        warnings.warn(
            f"{ctx.source}: layer {ctx.index} ({what}): reset_interval is not supported for this "
            "neuron type and is ignored",
            stacklevel=4,
        )


@_register_neuron("CUBA", "LOIHI")
def _cuba(neuron: Any, *, layer: Any, ctx: LoadContext, role: str, bias: Any,
          shape: tuple[int, ...]) -> NeuronPlan:
    if bool(neuron.params.get("gradedSpike", False)):
        warnings.warn(
            f"{ctx.source}: layer {ctx.index}: gradedSpike=True is not supported by netx "
            "(as in lava-dl 0.6, binary spikes are sent)",
            stacklevel=3,
        )
    ref = _int_param(neuron, "refDelay", ctx, layer, 1)
    if ref > 1:
        warnings.warn(
            f"{ctx.source}: layer {ctx.index}: refDelay={ref} is ignored (the Loihi LIF "
            "model has no refractory period beyond the voltage reset)",
            stacklevel=3,
        )
    return LIFNeuron(
        du=_decay_param(neuron, "iDecay", ctx, layer, shape) - 1,
        dv=_decay_param(neuron, "vDecay", ctx, layer, shape),
        vth=_int_param(neuron, "vThMant", ctx, layer),
        bias_mant=_bias(bias, shape, ctx, layer),
        bias_exp=6,
        reset_interval=ctx.reset_interval,
        reset_offset=ctx.reset_offset,
    )


@_register_neuron("ALIF")
def _alif(neuron: Any, *, layer: Any, ctx: LoadContext, role: str, bias: Any,
          shape: tuple[int, ...]) -> NeuronPlan:
    return ALIFNeuron(
        du=_decay_param(neuron, "iDecay", ctx, layer, shape) - 1,
        dv=_decay_param(neuron, "vDecay", ctx, layer, shape),
        vth=_int_param(neuron, "vThMant", ctx, layer),
        vth_step=_int_param(neuron, "vThStep", ctx, layer),
        th_decay=_decay_param(neuron, "thDecay", ctx, layer, shape),
        ref_decay=_decay_param(neuron, "refDecay", ctx, layer, shape),
        bias_mant=_bias(bias, shape, ctx, layer),
        reset_interval=ctx.reset_interval,
        reset_offset=ctx.reset_offset,
    )


@_register_neuron("SDNN")
def _sdnn(neuron: Any, *, layer: Any, ctx: LoadContext, role: str, bias: Any,
          shape: tuple[int, ...]) -> NeuronPlan:
    _warn_reset(ctx, layer, "sigma-delta")
    vth = _int_param(neuron, "vThMant", ctx, layer, 0)
    if "sigma_output" in neuron.params and bool(neuron.params["sigma_output"]):
        if bias is not None and np.any(np.asarray(bias) != 0):
            raise ctx.error(layer, "a sigma_output (Sigma readout) layer cannot have a bias")
        return SigmaNeuron()
    if role == "input":
        return DeltaNeuron(vth=vth, spike_exp=ctx.spike_exp, state_exp=6)
    act = str(_param(neuron, "activation", ctx, layer, "relu"))
    if act not in ACTIVATIONS:
        raise ctx.error(
            layer, f"sigma-delta activation {act!r} is not supported; use one of "
            f"{sorted(ACTIVATIONS)}"
        )
    return SigmaDeltaNeuron(
        vth=vth, bias=_bias(bias, shape, ctx, layer), spike_exp=ctx.spike_exp, state_exp=6,
        activation=act,
    )


def _no_bias(ctx: LoadContext, layer: Any, bias: Any, what: str) -> None:
    if bias is not None and np.any(np.asarray(bias) != 0):
        raise ctx.error(layer, f"{what} neurons take no bias, but the layer has one")


@_register_neuron("RF_PHASE", "RF_IZHIKEVICH")
def _rf(neuron: Any, *, layer: Any, ctx: LoadContext, role: str, bias: Any,
        shape: tuple[int, ...]) -> NeuronPlan:
    _warn_reset(ctx, layer, "resonate-and-fire")
    _no_bias(ctx, layer, bias, "resonate-and-fire")
    return RFNeuron(
        sin_decay=_decay_param(neuron, "sinDecay", ctx, layer, shape),
        cos_decay=_decay_param(neuron, "cosDecay", ctx, layer, shape),
        vth=_int_param(neuron, "vThMant", ctx, layer),
        izhikevich=neuron.type == "RF_IZHIKEVICH",
    )


@_register_neuron("ADRF_PHASE", "ADRF_IZHIKEVICH")
def _adrf(neuron: Any, *, layer: Any, ctx: LoadContext, role: str, bias: Any,
          shape: tuple[int, ...]) -> NeuronPlan:
    _warn_reset(ctx, layer, "adaptive resonate-and-fire")
    _no_bias(ctx, layer, bias, "adaptive resonate-and-fire")
    return ADRFNeuron(
        sin_decay=_decay_param(neuron, "sinDecay", ctx, layer, shape),
        cos_decay=_decay_param(neuron, "cosDecay", ctx, layer, shape),
        vth=_int_param(neuron, "vThMant", ctx, layer),
        vth_step=_int_param(neuron, "vThStep", ctx, layer),
        th_decay=_decay_param(neuron, "thDecay", ctx, layer, shape),
        ref_decay=_decay_param(neuron, "refDecay", ctx, layer, shape),
        izhikevich=neuron.type == "ADRF_IZHIKEVICH",
    )


def translate_neuron(layer: Any, ctx: LoadContext, *, role: str, bias: Any,
                     shape: tuple[int, ...]) -> NeuronPlan:
    """Translate ``layer.neuron`` with the registered translator of its type.

    A dense layer without a neuron group gets lava-dl's default non-leaky integrator
    (``iDecay 0, vDecay 4096, vThMant 1 << 17``).
    """
    neuron = layer.neuron
    if neuron is None:
        return LIFNeuron(du=-1, dv=4096, vth=DEFAULT_VTH, bias_mant=_bias(bias, shape, ctx, layer),
                         reset_interval=ctx.reset_interval, reset_offset=ctx.reset_offset)
    ntype = neuron.type.decode() if isinstance(neuron.type, bytes) else str(neuron.type)
    fn = NEURON_TRANSLATORS.get(ntype)
    if fn is None:
        raise ctx.error(
            layer, f"neuron type {ntype!r} is unknown to netx (known: "
            f"{', '.join(sorted(NEURON_TRANSLATORS))})"
        )
    return fn(neuron, layer=layer, ctx=ctx, role=role, bias=bias, shape=shape)


# --------------------------------------------------------------------------- layer loaders
def _attr(layer: Any, name: str, default: Any) -> Any:
    v = getattr(layer, name, None)
    return default if v is None else v


def _shape(layer: Any) -> tuple[int, ...]:
    return tuple(int(s) for s in np.asarray(layer.shape).reshape(-1))


def _scalar(v: Any, default: float) -> float:
    return default if v is None else float(np.asarray(v).reshape(-1)[0])


def load_input(layer: Any, ctx: LoadContext) -> LayerPlan | None:
    """``input``: an Input block (Delta / LIF / ComplexInput) or, without a neuron, a shape."""
    shape = _shape(layer)
    if layer.neuron is None:
        ctx.prev_shape = shape
        return None
    transform = {
        "weight": _scalar(getattr(layer, "weight", None), 64),
        "bias": _scalar(getattr(layer, "bias", None), 0),
    }
    neuron = translate_neuron(layer, ctx, role="input", bias=None, shape=shape)
    return LayerPlan(index=ctx.index, type=layer.type, shape=shape, neuron=neuron,
                     synapse=None, input_shape=shape, transform=transform)


def load_flatten(layer: Any, ctx: LoadContext) -> LayerPlan | None:
    """``flatten``: the next dense layer reads the previous output flattened in (C, H, W) order."""
    ctx.flatten_next = True
    return None


def _dense_input(layer: Any, ctx: LoadContext, in_features: int) -> tuple[tuple[int, ...], bool]:
    prev = ctx.prev_shape
    if prev is None:
        return (in_features,), False
    if int(np.prod(prev)) != in_features:
        raise ctx.error(
            layer, f"it expects {in_features} inputs but the previous layer has shape {prev} "
            f"({int(np.prod(prev))} values)"
        )
    return prev, len(prev) > 1


def _dense_weight(w: Any, out: int, inp: int, name: str, ctx: LoadContext, layer: Any):
    try:
        a = _as_int(w)
    except ValueError as exc:
        raise ctx.error(layer, f"{name} {exc}") from None
    if a.size != out * inp:
        raise ctx.error(layer, f"{name} has shape {a.shape}, expected ({out}, {inp})")
    return a.reshape(out, inp)


def load_dense(layer: Any, ctx: LoadContext) -> LayerPlan:
    """``dense`` / ``dense_rec`` / ``dense_comp``: Dense, RecurrentDense or ComplexDense."""
    w = layer.weight
    w_arr = np.asarray(w)
    out = int(_attr(layer, "out_features", w_arr.shape[0] if w_arr.ndim > 1 else 1))
    inp = int(_attr(layer, "in_features", w_arr.reshape(out, -1).shape[1]))
    shape = (out,)
    in_shape, flat = _dense_input(layer, ctx, inp)
    flat = flat or ctx.flatten_next
    weight = _dense_weight(w, out, inp, "weight", ctx, layer)
    delay = _delay(getattr(layer, "delay", None), out, inp, ctx, layer)
    w_imag = getattr(layer, "weight_imag", None)
    w_rec = getattr(layer, "weight_rec", None)
    bias = getattr(layer, "bias", None)
    neuron = translate_neuron(layer, ctx, role="synapse", bias=bias, shape=shape)
    syn: Any
    if w_imag is not None:
        if w_rec is not None:
            raise ctx.error(layer, "complex recurrent dense layers are not supported")
        if not neuron.is_complex:
            raise ctx.error(layer, "complex weights need a resonator (RF/ADRF) neuron")
        syn = ComplexDenseSynapse(weight=weight,
                                  weight_imag=_dense_weight(w_imag, out, inp, "weight/imag",
                                                            ctx, layer),
                                  delay=delay)
    elif w_rec is not None:
        syn = RecurrentDenseSynapse(weight=weight, delay=delay,
                                    weight_rec=_dense_weight(w_rec, out, out, "weight_rec",
                                                             ctx, layer))
    else:
        syn = DenseSynapse(weight=weight, delay=delay)
    return LayerPlan(index=ctx.index, type=layer.type, shape=shape, neuron=neuron, synapse=syn,
                     input_shape=in_shape, flatten_input=flat,
                     input_message_bits=ctx.input_message_bits)


def _spatial_in(layer: Any, ctx: LoadContext, channels: int | None) -> tuple[int, int, int]:
    prev = ctx.prev_shape
    if prev is None:
        raise ctx.error(
            layer, "the input shape is unknown: the file has no input layer before this "
            "spatial layer; pass input_shape=(X, Y, C) (Lava order) to the network"
        )
    if len(prev) != 3:
        raise ctx.error(layer, f"it needs a (C, H, W) input but the previous shape is {prev}")
    if channels is not None and prev[0] != channels:
        raise ctx.error(
            layer, f"it expects {channels} input channels but the previous layer has {prev[0]}"
        )
    return prev  # type: ignore[return-value]


def _check_out(layer: Any, ctx: LoadContext, computed: tuple[int, ...]) -> tuple[int, ...]:
    shape = _shape(layer)
    if tuple(shape) != tuple(computed):
        raise ctx.error(
            layer, f"the stored shape {shape} differs from the computed output shape {computed}"
        )
    return shape


def _geometry(layer: Any, ctx: LoadContext, kernel: tuple[int, int]) -> dict[str, Any]:
    stride = getattr(layer, "stride", None)
    return {
        "stride": kernel if stride is None else _pair(stride, "stride", ctx, layer),
        "padding": _pair(_attr(layer, "padding", 0), "padding", ctx, layer),
        "dilation": _pair(_attr(layer, "dilation", 1), "dilation", ctx, layer),
    }


def _conv_weight(w: Any, name: str, ctx: LoadContext, layer: Any) -> np.ndarray:
    try:
        a = _as_int(w)
    except ValueError as exc:
        raise ctx.error(layer, f"{name} {exc}") from None
    if a.ndim == 5 and a.shape[-1] == 1:
        a = a[..., 0]
    if a.ndim != 4:
        raise ctx.error(layer, f"{name} must be 4-D (out, in/groups, kH, kW), got {a.shape}")
    return a


def load_conv(layer: Any, ctx: LoadContext) -> LayerPlan:
    """``conv``: a Conv block (torch correlation semantics; delays per output channel)."""
    weight = _conv_weight(layer.weight, "weight", ctx, layer)
    groups = int(_as_int(_attr(layer, "groups", 1)).reshape(-1)[0])
    c_out = weight.shape[0]
    in_shape = _spatial_in(layer, ctx, weight.shape[1] * groups)
    kernel = (int(weight.shape[2]), int(weight.shape[3]))
    geo = _geometry(layer, ctx, (1, 1))
    hw = conv_output_shape(in_shape[1:], kernel, geo["stride"], geo["padding"], geo["dilation"])
    shape = _check_out(layer, ctx, (c_out, *hw))
    w_imag = getattr(layer, "weight_imag", None)
    bias = getattr(layer, "bias", None)
    neuron = translate_neuron(layer, ctx, role="synapse", bias=bias, shape=shape)
    syn = ConvSynapse(
        weight=weight, in_shape=in_shape, out_shape=shape, groups=groups,
        delay=_chan_delay(getattr(layer, "delay", None), c_out, ctx, layer),
        weight_imag=None if w_imag is None else _conv_weight(w_imag, "weight/imag", ctx, layer),
        **geo,
    )
    if (syn.weight_imag is not None) != neuron.is_complex:
        raise ctx.error(layer, "complex weights and resonator neurons must come together")
    return LayerPlan(index=ctx.index, type=layer.type, shape=shape, neuron=neuron, synapse=syn,
                     input_shape=in_shape, input_message_bits=ctx.input_message_bits)


def load_conv_transpose(layer: Any, ctx: LoadContext) -> LayerPlan:
    """``convT``: transposed convolution, weight ``(in, out/groups, kH, kW)``."""
    weight = _conv_weight(layer.weight, "weight", ctx, layer)
    groups = int(_as_int(_attr(layer, "groups", 1)).reshape(-1)[0])
    in_shape = _spatial_in(layer, ctx, weight.shape[0])
    c_out = weight.shape[1] * groups
    kernel = (int(weight.shape[2]), int(weight.shape[3]))
    geo = _geometry(layer, ctx, (1, 1))
    hw = tuple(
        (n - 1) * s - 2 * p + d * (k - 1) + 1
        for n, k, s, p, d in zip(in_shape[1:], kernel, geo["stride"], geo["padding"],
                                 geo["dilation"], strict=True)
    )
    shape = _check_out(layer, ctx, (c_out, *hw))
    bias = getattr(layer, "bias", None)
    neuron = translate_neuron(layer, ctx, role="synapse", bias=bias, shape=shape)
    w_imag = getattr(layer, "weight_imag", None)
    syn = ConvTransposeSynapse(
        weight=weight, in_shape=in_shape, out_shape=shape, groups=groups,
        delay=_chan_delay(getattr(layer, "delay", None), c_out, ctx, layer),
        weight_imag=None if w_imag is None else _conv_weight(w_imag, "weight/imag", ctx, layer),
        **geo,
    )
    return LayerPlan(index=ctx.index, type=layer.type, shape=shape, neuron=neuron, synapse=syn,
                     input_shape=in_shape, input_message_bits=ctx.input_message_bits)


def _pool_kernel(layer: Any, ctx: LoadContext, channels: int) -> tuple[np.ndarray, tuple]:
    ks = getattr(layer, "kernel_size", None)
    w = np.asarray(_as_int(layer.weight)) if getattr(layer, "weight", None) is not None else None
    if ks is None:
        if w is None or w.ndim < 2:
            raise ctx.error(layer, "pool layers need kernelSize or a (1, 1, kH, kW) weight")
        ks = w.shape[-2:] if w.ndim >= 2 else None
    kernel = _pair(ks, "kernelSize", ctx, layer)
    if w is None:
        raise ctx.error(layer, "pool layers need a weight (the sum-pooling weight mantissa)")
    if w.ndim == 5 and w.shape[-1] == 1:
        w = w[..., 0]
    if w.size == 1:
        kw = np.full((1, 1, *kernel), int(w.reshape(-1)[0]), dtype=np.int64)
    elif w.size == kernel[0] * kernel[1]:
        kw = w.reshape(1, 1, *kernel)
    else:
        raise ctx.error(layer, f"pool weight of shape {w.shape} does not match kernel {kernel}")
    return np.repeat(kw, channels, axis=0), kernel


def _ceil_pool(hw: tuple[int, ...], kernel: tuple[int, int], geo: dict[str, Any]
               ) -> tuple[tuple[int, int], tuple[int, int]]:
    """Ceil-mode output size and the zeros appended at the bottom/right (hdf5 format rule):
    ``ceil((n + 2p - d(k-1) - 1)/s) + 1``, one fewer when the last window would start at or
    beyond ``n + p``."""
    size, extra = [], []
    for n, k, s, p, d in zip(hw, kernel, geo["stride"], geo["padding"], geo["dilation"],
                             strict=True):
        span = d * (k - 1) + 1
        padded = n + 2 * p
        out = max(1, -(-(padded - span) // s) + 1)
        if out > 1 and (out - 1) * s >= n + p:
            out -= 1
        size.append(out)
        extra.append(max(0, (out - 1) * s + span - padded))
    return (size[0], size[1]), (extra[0], extra[1])


def load_pool(layer: Any, ctx: LoadContext) -> LayerPlan:
    """``pool``: per-channel sum pooling (a grouped conv with the constant pool weight).

    A stored output size in ceil mode (slayer pools sizes that are not a multiple of the stride
    that way) sets :attr:`ConvSynapse.pad_end`: the input is zero-padded at the bottom and right
    up to whole windows.
    """
    in_shape = _spatial_in(layer, ctx, None)
    c = in_shape[0]
    weight, kernel = _pool_kernel(layer, ctx, c)
    geo = _geometry(layer, ctx, kernel)
    hw = conv_output_shape(in_shape[1:], kernel, geo["stride"], geo["padding"], geo["dilation"])
    ceil_hw, pad_end = _ceil_pool(in_shape[1:], kernel, geo)
    stored = tuple(_shape(layer))
    if stored == (c, *ceil_hw) and ceil_hw != hw:
        hw = ceil_hw  # slayer's ceil mode: the input is zero-padded up to whole windows
    else:
        pad_end = (0, 0)
    shape = _check_out(layer, ctx, (c, *hw))
    neuron = translate_neuron(layer, ctx, role="synapse", bias=getattr(layer, "bias", None),
                              shape=shape)
    syn = ConvSynapse(weight=weight, in_shape=in_shape, out_shape=shape, groups=c,
                      delay=_chan_delay(getattr(layer, "delay", None), c, ctx, layer),
                      origin="pool", pad_end=pad_end, **geo)
    return LayerPlan(index=ctx.index, type=layer.type, shape=shape, neuron=neuron, synapse=syn,
                     input_shape=in_shape, input_message_bits=ctx.input_message_bits)


def load_unpool(layer: Any, ctx: LoadContext) -> LayerPlan:
    """``unpool``: per-channel transposed sum pooling (a grouped transposed conv)."""
    in_shape = _spatial_in(layer, ctx, None)
    c = in_shape[0]
    weight, kernel = _pool_kernel(layer, ctx, c)
    geo = _geometry(layer, ctx, kernel)
    hw = tuple(
        (n - 1) * s - 2 * p + d * (k - 1) + 1
        for n, k, s, p, d in zip(in_shape[1:], kernel, geo["stride"], geo["padding"],
                                 geo["dilation"], strict=True)
    )
    shape = _check_out(layer, ctx, (c, *hw))
    neuron = translate_neuron(layer, ctx, role="synapse", bias=getattr(layer, "bias", None),
                              shape=shape)
    syn = ConvTransposeSynapse(weight=weight, in_shape=in_shape, out_shape=shape, groups=c,
                               delay=_chan_delay(getattr(layer, "delay", None), c, ctx, layer),
                               origin="unpool", **geo)
    return LayerPlan(index=ctx.index, type=layer.type, shape=shape, neuron=neuron, synapse=syn,
                     input_shape=in_shape, input_message_bits=ctx.input_message_bits)


def _quantize_8bit_mantissa(x: float) -> int:
    """slayer's ``quantize_8bit`` as a mantissa: ``2 * round_half_even(32 x)`` in [-256, 254]."""
    return int(min(max(2 * int(np.round(32.0 * x)), -256), 254))


def load_kwta(layer: Any, ctx: LoadContext) -> LayerPlan:
    """``kwta``: dense input synapse plus the fixed lateral synapse ``R = (1 + a) I - 1``.

    slayer runs ``s[t] = neuron(W x[t] + R s[t-1] + b)`` with ``R`` and
    ``b = θ (N - 2K) / N / 64`` quantised like weights (mantissa step 2). ``R`` becomes the
    recurrent synapse (one step of latency, as ``s[t-1]``). A nonzero ``b`` is a constant input
    current; it equals a voltage bias of the same mantissa only when the current does not leak
    over steps (``iDecay = 4096``), so other neurons with ``b != 0`` are refused.
    """
    if getattr(layer, "weight", None) is None:
        raise ctx.error(layer, "the kwta layer has no weight (lava-dl 0.6 exported an empty "
                               "group); re-export it with lava-dl-slayer")
    plan = load_dense(layer, ctx)
    n = plan.shape[0]
    k = int(_attr(layer, "num_winners", 0))
    if not 0 < k <= n:
        raise ctx.error(layer, f"num_winners must be in [1, {n}], got {k}")
    a = min(max(float(_attr(layer, "self_excitation", 0.5)), 0.0), 1.0)
    rec = np.full((n, n), _quantize_8bit_mantissa(-1.0), dtype=np.int64)
    np.fill_diagonal(rec, _quantize_8bit_mantissa(a))  # (1 + a) - 1 on the diagonal
    neuron = plan.neuron
    if not isinstance(neuron, (LIFNeuron, ALIFNeuron)):
        raise ctx.error(layer, "kwta layers need a CUBA or ALIF neuron")
    b = _quantize_8bit_mantissa(neuron.vth / 64.0 * (n - 2 * k) / n / 64.0)
    if b:
        if neuron.du + 1 != 4096:
            raise ctx.error(
                layer, f"its lateral input bias ({b} mantissa) is a constant current, which "
                "netx can only express as a voltage bias when iDecay = 4096 "
                f"(got iDecay = {neuron.du + 1})"
            )
        base = neuron.bias_mant if neuron.bias_mant is not None else np.zeros(n, np.int64)
        neuron = type(neuron)(**{**_fields(neuron), "bias_mant": base + b})
    syn = plan.synapse
    return LayerPlan(
        index=plan.index, type=plan.type, shape=plan.shape, neuron=neuron,
        synapse=RecurrentDenseSynapse(weight=syn.weight, delay=syn.delay, weight_rec=rec),
        input_shape=plan.input_shape, flatten_input=plan.flatten_input,
        input_message_bits=plan.input_message_bits,
    )


def _fields(obj: Any) -> dict[str, Any]:
    from dataclasses import fields

    return {f.name: getattr(obj, f.name) for f in fields(obj) if f.init}


class _GenericDense:
    """View of a generic ``dense_comp`` layer (unknown to the reader) as a dense layer."""

    def __init__(self, layer: Any) -> None:
        f = dict(layer.fields)
        self.type = layer.type
        self.namespace = getattr(layer, "namespace", "lava-dl")
        self.shape = layer.shape
        self.neuron = layer.neuron
        w = f.get("weight")
        if isinstance(w, dict):
            self.weight, self.weight_imag = w.get("real"), w.get("imag")
        else:
            self.weight, self.weight_imag = w, None
        self.bias = f.get("bias")
        self.delay = f.get("delay")
        self.in_features = f.get("inFeatures")
        self.out_features = f.get("outFeatures")
        if self.in_features is not None:
            self.in_features = int(np.asarray(self.in_features).reshape(-1)[0])
        if self.out_features is not None:
            self.out_features = int(np.asarray(self.out_features).reshape(-1)[0])


def load_dense_comp(layer: Any, ctx: LoadContext) -> LayerPlan:
    """``dense_comp`` (lava-dl 0.6 crashed on it, B4): a complex dense layer."""
    view = layer if hasattr(layer, "weight") else _GenericDense(layer)
    if getattr(view, "weight", None) is None:
        raise ctx.error(layer, "dense_comp needs weight/real and weight/imag")
    return load_dense(view, ctx)


def load_average(layer: Any, ctx: LoadContext) -> LayerPlan:
    """``average``: population average (``numOutputs``) or time decimation (``factor``).

    * Population average (slayer ``Average(K)``): the incoming message (flattened in (C, H, W)
      order, ``N`` values) is split into ``K`` consecutive groups of ``M = N / K``; a 0/1 dense
      synapse sums each group into an :class:`IdentityNeuron`. The block sends the group **sum**
      (one step of latency, like any synapse); the mean is the message divided by
      ``output_divisor = M``.
    * Time decimation (slayer ``TimeDecimation(F)``): a :class:`DecimateNeuron` without synapse
      sends each window's **sum** of ``F`` steps on the window's last step (``output_divisor =
      F``). Windows start at step 1: they line up with slayer's when the blocks before it were
      trained with ``delay_shift=True`` (slayer's default, which models the same one step of
      latency per synapse as netx).

    Integer messages cannot carry the mean itself, so an ``average`` block must be the last
    block (or be followed only by other ``average`` / ``concat`` blocks); a synapse after it is
    refused by :func:`build_plan`.
    """
    if layer.neuron is not None:
        raise ctx.error(layer, "average layers take no neuron group (slayer writes none); "
                               "remove /neuron from the layer")
    prev = ctx.prev_shape
    if prev is None:
        raise ctx.error(layer, "the input shape is unknown: the file has no layer before this "
                               "average layer; pass input_shape=(X, Y, C) to the network")
    k, f = getattr(layer, "num_outputs", None), getattr(layer, "factor", None)
    if (k is None) == (f is None):
        raise ctx.error(layer, "an average layer needs exactly one of numOutputs (population "
                               "average) and factor (time decimation)")
    if f is not None:
        f = int(f)
        if f < 1 or f & (f - 1):
            raise ctx.error(layer, f"the time decimation factor must be a power of two, got {f}")
        shape = _check_stored(layer, ctx, tuple(prev))
        return LayerPlan(index=ctx.index, type=layer.type, shape=shape,
                         neuron=DecimateNeuron(factor=f, phase=0),
                         synapse=IdentitySynapse(), input_shape=tuple(prev),
                         input_message_bits=ctx.input_message_bits,
                         output_divisor=ctx.divisor * f)
    k = int(k)
    n = int(np.prod(prev))
    if k < 1 or n % k:
        raise ctx.error(layer, f"numOutputs={k} does not divide the {n} incoming values "
                               f"(previous shape {tuple(prev)})")
    m = n // k
    _check_stored(layer, ctx, (k,))
    weight = np.kron(np.eye(k, dtype=np.int64), np.ones((1, m), dtype=np.int64))
    return LayerPlan(index=ctx.index, type=layer.type, shape=(k,),
                     neuron=IdentityNeuron(message_bits=24), synapse=DenseSynapse(weight=weight),
                     input_shape=tuple(prev), flatten_input=len(prev) > 1,
                     input_message_bits=ctx.input_message_bits, output_divisor=ctx.divisor * m)


def _check_stored(layer: Any, ctx: LoadContext, computed: tuple[int, ...]) -> tuple[int, ...]:
    """Compare a stored shape with the computed one, ignoring trailing 1s (``(K, 1, 1)`` is
    ``(K,)``); returns the computed shape."""
    stored = getattr(layer, "shape", None)
    if stored is not None:
        a = list(_shape(layer))
        b = list(computed)
        while len(a) > len(b) and a[-1] == 1:
            a.pop()
        while len(b) > len(a) and b[-1] == 1:
            b.pop()
        if a != b:
            raise ctx.error(layer, f"the stored shape {_shape(layer)} differs from the computed "
                                   f"output shape {computed}")
    return tuple(computed)


def load_concat(layer: Any, ctx: LoadContext) -> LayerPlan:
    """``concat``: the messages of earlier blocks, of the same step, concatenated along the
    channel axis (axis 0 in file order; all sources must agree on the other axes).

    ``layers`` holds file layer indices; each must be an earlier layer that became a block of
    this network (not a ``flatten``, a neuron-less ``input``, or a skipped layer). The block has
    no synapse and no latency; the next block's synapse reads the concatenation. Sources with
    different ``output_divisor`` are refused; the message width is the widest source's.
    """
    if layer.neuron is not None:
        raise ctx.error(layer, "concat layers take no neuron group; remove /neuron")
    refs = [int(j) for j in np.asarray(getattr(layer, "layers", None) or [], np.int64).ravel()]
    if not refs:
        raise ctx.error(layer, "a concat layer needs a non-empty 'layers' list")
    positions, plans = [], []
    for j in refs:
        if not 0 <= j < ctx.index:
            raise ctx.error(layer, f"layers holds {j}; a concat may only reference earlier "
                                   f"layers (0 .. {ctx.index - 1})")
        if j not in ctx.blocks:
            raise ctx.error(layer, f"layer {j} is not a block of this network (a flatten, a "
                                   "neuron-less input or a skipped layer); reference the block "
                                   "that produces the message instead")
        pos, plan = ctx.blocks[j]
        positions.append(pos)
        plans.append(plan)
    shapes = [tuple(p.shape) for p in plans]
    if len({len(s) for s in shapes}) != 1 or len({s[1:] for s in shapes}) != 1:
        raise ctx.error(layer, f"its sources have shapes {shapes}; they must agree on every "
                               "axis but the channel axis (file order (C, H, W) or (N,))")
    divisors = {p.output_divisor for p in plans}
    if len(divisors) != 1:
        raise ctx.error(layer, "its sources scale their messages differently (average blocks "
                               f"with output divisors {sorted(divisors)})")
    shape = (sum(s[0] for s in shapes), *shapes[0][1:])
    shape = _check_stored(layer, ctx, shape)
    bits = max(p.output_message_bits for p in plans)
    return LayerPlan(index=ctx.index, type=layer.type, shape=shape,
                     neuron=IdentityNeuron(message_bits=bits), synapse=IdentitySynapse(),
                     input_shape=shape, input_message_bits=bits, sources=tuple(positions),
                     output_divisor=divisors.pop())


def load_unsupported(layer: Any, ctx: LoadContext) -> LayerPlan:
    """Types that exist in the format but have no netx block: a clear error."""
    raise ctx.error(layer, "no netx block exists for this type")


# --------------------------------------------------------------------------- construction
def _read(net_config: Any) -> tuple[Any, str]:
    if isinstance(net_config, (str, os.PathLike)):
        from lava.lib.dl.hdf5_spec import read

        with warnings.catch_warnings():
            try:
                from lava.lib.dl.hdf5_spec import LegacyFormatWarning

                warnings.simplefilter("ignore", LegacyFormatWarning)
            except ImportError:  # pragma: no cover - older hdf5_spec
                pass
            return read(net_config), os.fspath(net_config)
    if hasattr(net_config, "layers"):
        return net_config, str(getattr(net_config, "source", None) or "<memory>")
    from lava.lib.dl.hdf5_spec import read

    return read(net_config), str(getattr(net_config, "filename", "<h5py object>"))


def _finish_plan(plan: LayerPlan, layer: Any, ctx: LoadContext,
                 plans: list[LayerPlan]) -> LayerPlan:
    """Set the plan's latency; refuse a synapse after a block whose messages are scaled."""
    syn = plan.synapse
    passthrough = syn is None or syn.kind == "identity"
    if ctx.divisor != 1 and not passthrough:
        raise ctx.error(
            layer, f"it follows an average block, whose messages are sums ({ctx.divisor} times "
            "the mean slayer computes); integer synapses cannot scale them back exactly. Make "
            "the average layer the last one (or drop it with num_layers)"
        )
    if plan.sources:
        bad = [j for j in plan.sources if not 0 <= j < len(plans)]
        if bad:
            raise ctx.error(layer, f"sources {bad} are not blocks built before it")
        base = max(plans[j].latency for j in plan.sources)
    else:
        base = ctx.latency
    latency = base + (0 if passthrough else 1)
    if plan.latency != latency:
        from dataclasses import replace

        plan = replace(plan, latency=latency)
    return plan


def build_plan(
    net_config: Any,
    *,
    num_layers: int | None = None,
    skip_layers: int = 0,
    input_message_bits: int = 0,
    input_shape: tuple[int, ...] | None = None,
    reset_interval: int | None = None,
    reset_offset: int = 0,
    spike_exp: int = 6,
    sparse_fc_layer: bool = False,
    **options: Any,
) -> NetworkPlan:
    """Build the block plans of a network description (lava-dl's ``hdf5.Network`` algorithm).

    Parameters
    ----------
    net_config : str, path, NetworkDescription or h5py object
        The ``.net`` file or its parsed description.
    num_layers : int, optional
        Use only the first ``num_layers`` *file* layers (flatten and neuron-less input count).
    skip_layers : int
        Build the first ``skip_layers`` file layers but do not keep them; their shape and output
        message width feed the next block.
    input_message_bits : int
        Width of the message fed to the first block's synapse (0 = binary spikes).
    input_shape : tuple of int, optional
        **Lava order** ``(X, Y, C)`` (as lava-dl), needed when the file starts with a spatial
        layer and has no input layer.
    reset_interval, reset_offset : int or None, int
        Periodic reset of CUBA/ALIF neurons; block ``k`` (0-based, kept blocks) resets at the
        phase ``reset_offset + 1 + k``.
    spike_exp : int
        Sigma-delta spike exponent (default 6).
    sparse_fc_layer : bool
        Record that dense synapses should be sparse (Lava backend; same arithmetic).
    **options
        Passed to third-party loaders through ``ctx.options``.

    Returns
    -------
    NetworkPlan

    Raises
    ------
    LoaderError
        A layer cannot be mapped (names the layer index, its type and why).
    """
    desc, source = _read(net_config)
    layers = list(desc.layers)
    n = len(layers)
    if num_layers:
        n = min(n, int(num_layers))
    ctx = LoadContext(
        prev_shape=None if input_shape is None else tuple(reversed(tuple(input_shape))),
        input_message_bits=int(input_message_bits), reset_interval=reset_interval,
        reset_offset=int(reset_offset) + 1, spike_exp=int(spike_exp),
        sparse_fc_layer=bool(sparse_fc_layer), source=source, options=dict(options),
    )
    registry = loader_registry()
    plans: list[LayerPlan] = []
    net_input_shape: tuple[int, ...] | None = ctx.prev_shape
    net_input_bits = int(input_message_bits)
    for i in range(n):
        layer = layers[i]
        ctx.index = i
        key = _key(layer)
        try:
            loader = registry.get(key)
        except KeyError as exc:  # PluginNotFoundError is a KeyError
            raise ctx.error(layer, str(exc)) from None
        plan = loader(layer, ctx)
        if plan is None:
            if not plans and i >= skip_layers:
                net_input_shape = ctx.prev_shape
            continue
        plan = _finish_plan(plan, layer, ctx, plans)
        ctx.flatten_next = False
        ctx.prev_shape = plan.shape
        ctx.input_message_bits = plan.output_message_bits
        ctx.latency = plan.latency
        ctx.divisor = plan.output_divisor
        if i < skip_layers:
            ctx.latency = 0  # the first kept block reads the network input
            net_input_shape = plan.shape
            net_input_bits = plan.output_message_bits
            continue
        if not plans:
            net_input_shape = plan.input_shape if plan.input_shape is not None else plan.shape
            if plan.synapse is None:
                net_input_bits = 0
        ctx.blocks[i] = (len(plans), plan)
        plans.append(plan)
        ctx.reset_offset += 1
    if not plans:
        raise LoaderError(
            f"{source}: no block to build from {n} layer(s) (num_layers={num_layers}, "
            f"skip_layers={skip_layers})"
        )
    assert net_input_shape is not None
    return NetworkPlan(
        layers=tuple(plans), input_shape=tuple(net_input_shape),
        input_message_bits=net_input_bits, source=source,
        options=dict(num_layers=num_layers, skip_layers=skip_layers,
                     input_message_bits=input_message_bits, input_shape=input_shape,
                     reset_interval=reset_interval, reset_offset=reset_offset,
                     spike_exp=spike_exp, sparse_fc_layer=sparse_fc_layer, **options),
    )
