"""Rebuild a trainable slayer network from an hdf5 network description.

:class:`SequentialNetwork` reads any file slayer writes (and lava-dl 0.6 files) through
:func:`lava.lib.dl.hdf5_spec.read` and builds one block per ``layer/<i>``: the neuron family is
chosen from the layer's ``neuron/type`` (:data:`NEURON_FAMILIES`), the constructor arguments from
the neuron's ``neuron_params(device_params)``, and the learned tensors (weights, delays, input
gain/offset, bias) are loaded from the file, descaled from their hardware mantissas
(``weight / w_scale``). Exporting the rebuilt network gives the same file contents.

Layer-type -> builder and neuron-type -> family are registries (:data:`LAYER_BUILDERS`,
:data:`NEURON_FAMILIES`, :data:`ACTIVATIONS`) that plugins may extend.
"""

from __future__ import annotations

import functools
import importlib
import inspect
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from lava.lib.dl import hdf5_spec

__all__ = [
    "ACTIVATIONS",
    "LAYER_BUILDERS",
    "NEURON_FAMILIES",
    "PER_CHANNEL_FIELDS",
    "SequentialNetwork",
    "get_classes",
    "get_neuron_params",
]

#: neuron type (``neuron/type`` on disk) -> slayer family module name.
NEURON_FAMILIES: dict[str, str] = {
    "CUBA": "cuba",
    "LOIHI": "cuba",
    "ALIF": "alif",
    "RF_PHASE": "rf",
    "RF_IZHIKEVICH": "rf_iz",
    "ADRF_PHASE": "adrf",
    "ADRF_IZHIKEVICH": "adrf_iz",
    "SDNN": "sigma_delta",
}


def _identity(x: torch.Tensor) -> torch.Tensor:
    return x


#: sigma-delta activation name (``neuron/activation``) -> function.
ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "relu": F.relu,
    "relu6": F.relu6,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "identity": _identity,
    "_identity": _identity,
    "leaky_relu": F.leaky_relu,
    "elu": F.elu,
    "gelu": F.gelu,
    "silu": F.silu,
}

#: family used for layers without a neuron group (e.g. an Affine readout without dynamics).
_DEFAULT_PARAMS = {"threshold": 1.0, "current_decay": 1.0, "voltage_decay": 1.0}


def get_classes(neuron_type: str | None = None) -> tuple[Any, Any]:
    """``(neuron module, block module)`` of a neuron type.

    Parameters
    ----------
    neuron_type : str or None
        ``neuron/type`` of a layer (``'CUBA'``, ``'LOIHI'``, ``'ALIF'``, ``'SDNN'``, ...). None
        means CUBA.

    Raises
    ------
    ValueError
        For an unknown type; the message lists the known ones.
    """
    key = "CUBA" if neuron_type is None else str(neuron_type)
    if isinstance(neuron_type, bytes):
        key = neuron_type.decode()
    family = NEURON_FAMILIES.get(key)
    if family is None:
        raise ValueError(
            f"unknown neuron type {key!r}; known types: {', '.join(sorted(NEURON_FAMILIES))}. "
            "Register a family in lava.lib.dl.slayer.auto.NEURON_FAMILIES for a plugin neuron"
        )
    return (
        importlib.import_module(f"lava.lib.dl.slayer.neuron.{family}"),
        importlib.import_module(f"lava.lib.dl.slayer.block.{family}"),
    )


def _device_params(handle: Any) -> dict[str, Any]:
    if isinstance(handle, hdf5_spec.Neuron):
        return {"type": handle.type, **handle.params}
    out = {}
    for key in handle.keys():
        value = handle[key][()]
        if isinstance(value, bytes):
            value = value.decode()
        elif isinstance(value, np.ndarray) and value.dtype.kind == "S":
            value = value.reshape(-1)[0].decode()
        elif isinstance(value, np.generic):
            value = value.item()
        out[key] = value
    return out


def get_neuron_params(handle: Any, neuron_class: Any, *, scale: int = 1 << 6,
                      p_scale: int = 1 << 12) -> dict[str, Any]:
    """Neuron constructor arguments from a ``neuron`` group.

    Parameters
    ----------
    handle : h5py.Group or hdf5_spec.Neuron
        The layer's neuron group (or its model).
    neuron_class : module or class
        Anything with ``neuron_params(device_params, scale, p_scale)`` (a neuron module such as
        ``slayer.neuron.cuba``).
    scale, p_scale : int
        Weight and decay scales. Defaults 64 and 4096.

    Returns
    -------
    dict
        Keyword arguments of the family's ``Neuron`` (``graded_spike`` and, for SDNN, the
        ``activation`` function included when the neuron takes them).
    """
    dp = _device_params(handle)
    params = dict(neuron_class.neuron_params(dp, scale, p_scale))
    module = inspect.getmodule(neuron_class) if inspect.isclass(neuron_class) else neuron_class
    neuron_cls = getattr(module, "Neuron", None)
    accepted = set(inspect.signature(neuron_cls).parameters) if neuron_cls else set()
    if "graded_spike" in accepted and "gradedSpike" in dp:
        params["graded_spike"] = bool(dp["gradedSpike"])
    if "activation" in accepted and "activation" not in params:
        name = str(dp.get("activation", "relu"))
        if name not in ACTIVATIONS:
            raise ValueError(
                f"unknown sigma-delta activation {name!r}; known: {', '.join(sorted(ACTIVATIONS))}"
                ". Add it to lava.lib.dl.slayer.auto.ACTIVATIONS"
            )
        params["activation"] = ACTIVATIONS[name]
    return params


# ====================================================================== builders
def _tensor(a: Any) -> torch.Tensor:
    return torch.tensor(np.array(a, dtype=np.float32))


def _scale_of(block: Any) -> float:
    neuron = getattr(block, "neuron", None)
    return float(getattr(neuron, "w_scale", 1 << 6))


def _load_weight(block: Any, syn: Any, weight: Any, weight_imag: Any = None) -> None:
    scale = _scale_of(block)
    pairs = [(syn.real, weight), (syn.imag, weight_imag)] if syn.complex else [(syn, weight)]
    for half, w in pairs:
        if w is None:
            raise ValueError(f"{type(block).__name__}: the layer has no imaginary weight")
        target = half.weight
        data = _tensor(w).reshape(target.shape) / scale
        with torch.no_grad():
            half.weight.data = data.to(target.dtype)


def _load_delay(block: Any, delay: Any) -> None:
    if delay is None or block.delay is None:
        return
    block.delay.init_delay(len(np.asarray(delay).reshape(-1)), _tensor(delay).reshape(-1))


#: per-channel neuron field (an array on disk) -> (state-dict key of the neuron, unit divisor:
#: 'w' = the weight scale, 1 = stored as is).
PER_CHANNEL_FIELDS: dict[str, tuple[str, Any]] = {
    "iDecay": ("current_decay", 1),
    "vDecay": ("voltage_decay", 1),
    "thDecay": ("threshold_decay", 1),
    "refDecay": ("refractory_decay", 1),
    "sinDecay": ("sin_decay", 1),
    "cosDecay": ("cos_decay", 1),
    "vThMant": ("delta.threshold", "w"),
}


def _per_channel(layer: Any) -> dict[str, np.ndarray]:
    if layer.neuron is None:
        return {}
    return {k: np.asarray(v) for k, v in layer.neuron.params.items()
            if isinstance(v, np.ndarray) and v.ndim > 0 and v.size > 1}


def _family_of(layer: Any, ctx: dict[str, Any]) -> tuple[Any, Any, dict[str, Any]]:
    ntype = None if layer.neuron is None else layer.neuron.type
    neuron_mod, block_mod = get_classes(ntype)
    if layer.neuron is None:
        params = dict(_DEFAULT_PARAMS)
    else:
        arrays = _per_channel(layer)
        neuron = layer.neuron
        if arrays:  # build with shared_param=False from the channel means, load values after
            unknown = sorted(set(arrays) - set(PER_CHANNEL_FIELDS))
            if unknown:
                raise ValueError(
                    f"per-channel neuron fields {unknown} cannot be loaded; known per-channel "
                    f"fields: {', '.join(sorted(PER_CHANNEL_FIELDS))}"
                )
            mean = {k: float(v.mean()) for k, v in arrays.items()}
            neuron = hdf5_spec.Neuron(type=neuron.type, params={**neuron.params, **mean})
        params = get_neuron_params(neuron, neuron_mod)
        if arrays:
            params["shared_param"] = False
    if ctx["persistent_state"]:
        params["persistent_state"] = True
    return neuron_mod, block_mod, params


def _load_per_channel(block: Any, layer: Any) -> None:
    """Load the per-channel neuron parameters of ``layer`` into the block's neuron."""
    arrays = _per_channel(layer)
    if not arrays:
        return
    neuron = block.neuron
    state = {}
    for field_name, values in arrays.items():
        key, unit = PER_CHANNEL_FIELDS[field_name]
        scale = _scale_of(block) if unit == "w" else float(unit)
        t = _tensor(values).reshape(-1) / scale
        if key == "delta.threshold":
            t = t.reshape((-1,) + (1,) * (len(layer.shape) - 1))
        state[key] = t
    result = neuron.load_state_dict(state, strict=False)
    if result.unexpected_keys:
        raise ValueError(
            f"{type(block).__name__}: the neuron has no per-channel parameter(s) "
            f"{result.unexpected_keys}"
        )


def _with_bias(params: dict[str, Any], bias: Any, channels: int) -> tuple[dict[str, Any], Any]:
    """A layer bias becomes a mean-only batch norm whose running mean is ``-bias / w_scale``."""
    if bias is None:
        return params, None
    from .neuron.norm import MeanOnlyBatchNorm

    params = dict(params)
    params["norm"] = functools.partial(MeanOnlyBatchNorm, num_features=channels)
    return params, bias


def _set_bias(block: Any, bias: Any) -> None:
    if bias is None:
        return
    norm = getattr(block.neuron, "norm", None)
    if norm is None:
        raise ValueError(f"{type(block).__name__}: cannot load a bias into a neuron without norm")
    scale = _scale_of(block)
    with torch.no_grad():
        norm.running_mean.data = (-_tensor(bias).reshape(-1) / scale).to(norm.running_mean.dtype)


def _build_input(layer: Any, ctx: dict[str, Any]) -> Any:
    _, block_mod, params = _family_of(layer, ctx)
    if layer.neuron is None:
        block = block_mod.Input(None)
    else:
        scale = float(params.get("scale", 1 << 6))
        weight = None if layer.weight is None else layer.weight / scale
        bias = None if layer.bias is None else layer.bias / scale
        block = block_mod.Input(params, weight=weight, bias=bias)
        _load_per_channel(block, layer)
    return block


def _build_flatten(layer: Any, ctx: dict[str, Any]) -> Any:
    return get_classes(None)[1].Flatten()


def _build_average(layer: Any, ctx: dict[str, Any]) -> Any:
    blocks = get_classes(None)[1]
    if layer.factor is not None:
        return blocks.TimeDecimation(layer.factor)
    num = layer.num_outputs if layer.num_outputs is not None else int(layer.shape[0])
    return blocks.Average(num)


def _build_dense(layer: Any, ctx: dict[str, Any]) -> Any:
    _, block_mod, params = _family_of(layer, ctx)
    vth = None if layer.neuron is None else layer.neuron.get("vThMant")
    n_in, n_out = layer.in_features, layer.out_features
    affine = vth is not None and np.ndim(vth) == 0 and int(vth) == (1 << 18) - 1
    if layer.neuron is None or affine:  # an Affine readout
        cuba = get_classes(None)[1] if not hasattr(block_mod, "Affine") else block_mod
        block = cuba.Affine(params, n_in, n_out, dynamics=layer.neuron is not None)
    elif bool(layer.neuron.get("sigma_output", False)):
        block = block_mod.Output(params, n_in, n_out)
    else:
        params, bias = _with_bias(params, layer.bias, n_out)
        block = block_mod.Dense(params, n_in, n_out, delay=layer.delay is not None)
        _set_bias(block, bias)
        _load_delay(block, layer.delay)
    _load_weight(block, block.synapse, layer.weight, layer.weight_imag)
    if layer.neuron is not None:
        _load_per_channel(block, layer)
    return block


def _build_dense_rec(layer: Any, ctx: dict[str, Any]) -> Any:
    _, block_mod, params = _family_of(layer, ctx)
    params, bias = _with_bias(params, layer.bias, layer.out_features)
    block = block_mod.Recurrent(params, layer.in_features, layer.out_features,
                                delay=layer.delay is not None)
    _set_bias(block, bias)
    _load_delay(block, layer.delay)
    _load_weight(block, block.input_synapse, layer.weight)
    _load_weight(block, block.recurrent_synapse, layer.weight_rec)
    _load_per_channel(block, layer)
    return block


def _build_kwta(layer: Any, ctx: dict[str, Any]) -> Any:
    _, block_mod, params = _family_of(layer, ctx)
    block = block_mod.KWTA(params, layer.in_features, layer.out_features, layer.num_winners,
                           self_excitation=layer.self_excitation)
    _load_weight(block, block.synapse, layer.weight)
    _load_per_channel(block, layer)
    return block


def _build_conv(layer: Any, ctx: dict[str, Any]) -> Any:
    _, block_mod, params = _family_of(layer, ctx)
    params, bias = _with_bias(params, layer.bias, layer.out_channels)
    cls = block_mod.ConvT if layer.type == "convT" else block_mod.Conv
    block = cls(params, layer.in_channels, layer.out_channels, layer.kernel_size,
                stride=layer.stride, padding=layer.padding, dilation=layer.dilation,
                groups=layer.groups, delay=layer.delay is not None)
    _set_bias(block, bias)
    _load_delay(block, layer.delay)
    _load_weight(block, block.synapse, layer.weight, layer.weight_imag)
    _load_per_channel(block, layer)
    return block


def _build_pool(layer: Any, ctx: dict[str, Any]) -> Any:
    _, block_mod, params = _family_of(layer, ctx)
    cls = block_mod.Unpool if layer.type == "unpool" else block_mod.Pool
    block = cls(params, layer.kernel_size, stride=layer.stride, padding=layer.padding,
                dilation=layer.dilation, delay=layer.delay is not None)
    _load_delay(block, layer.delay)
    if layer.weight is not None:
        w = np.broadcast_to(np.asarray(layer.weight, dtype=np.float32),
                            (1, 1, *layer.kernel_size))
        wi = None if layer.weight_imag is None else np.broadcast_to(
            np.asarray(layer.weight_imag, dtype=np.float32), (1, 1, *layer.kernel_size))
        _load_weight(block, block.synapse, w, w if wi is None else wi)
    _load_per_channel(block, layer)
    return block


#: layer type (on-disk ``type``) -> builder ``(layer, ctx) -> block``.
LAYER_BUILDERS: dict[str, Callable[[Any, dict[str, Any]], Any]] = {
    "input": _build_input,
    "flatten": _build_flatten,
    "average": _build_average,
    "dense": _build_dense,
    "dense_rec": _build_dense_rec,
    "kwta": _build_kwta,
    "conv": _build_conv,
    "convT": _build_conv,
    "pool": _build_pool,
    "unpool": _build_pool,
}


class SequentialNetwork(torch.nn.Module):
    """A trainable sequential network rebuilt from an hdf5 description.

    Parameters
    ----------
    network_config : str or os.PathLike or h5py.Group or hdf5_spec.NetworkDescription
        The network file (any file slayer writes, or a lava-dl 0.6 file).
    persistent_state : bool
        Build the neurons with persistent state. Default False.
    reduction : {'sum', 'mean'} or None
        Reduce the output over every axis but batch and channel (time, and space). Default None.
    weight_norm : bool
        Enable weight normalisation on every synapse after loading. Default False.
    count_log : bool
        ``forward`` also returns the event rate of every block. Default False.

    Attributes
    ----------
    blocks : torch.nn.ModuleList
        One block per layer, in order.
    input_shape : tuple of int or None
        Neuron shape of the first layer.
    """

    def __init__(
        self,
        network_config: Any,
        persistent_state: bool = False,
        reduction: str | None = None,
        weight_norm: bool = False,
        count_log: bool = False,
    ) -> None:
        super().__init__()
        if reduction not in (None, "sum", "mean"):
            raise ValueError(f"reduction must be None, 'sum' or 'mean', got {reduction!r}")
        if isinstance(network_config, hdf5_spec.NetworkDescription):
            net = network_config
        else:
            net = hdf5_spec.read(network_config)
        self.description = net
        self.reduction = reduction
        self.count_log = bool(count_log)
        ctx = {"persistent_state": bool(persistent_state)}
        blocks = []
        for i, layer in enumerate(net.layers):
            builder = LAYER_BUILDERS.get(layer.type)
            if builder is None:
                raise ValueError(
                    f"layer/{i}: slayer.auto cannot build layer type {layer.type!r} "
                    f"(namespace {layer.namespace!r}); known types: "
                    f"{', '.join(sorted(LAYER_BUILDERS))}. Register a builder in "
                    "lava.lib.dl.slayer.auto.LAYER_BUILDERS"
                )
            try:
                block = builder(layer, ctx)
            except (KeyError, TypeError, ValueError) as exc:
                raise ValueError(f"layer/{i} ({layer.type}): {exc}") from exc
            block.count_log = self.count_log
            if weight_norm:
                for syn in _synapses(block):
                    syn.enable_weight_norm()
            blocks.append(block)
        self.blocks = torch.nn.ModuleList(blocks)
        self.input_shape = tuple(net.layers[0].shape) if net.layers else None

    def forward(self, x: Any) -> Any:
        """Run every block in order.

        Parameters
        ----------
        x : torch.Tensor
            ``(N, C, [H, W,] T)`` input.

        Returns
        -------
        torch.Tensor or (torch.Tensor, list)
            The output (reduced if ``reduction``), and the per-block event rates when
            ``count_log``.
        """
        counts = []
        for block in self.blocks:
            x = block(x)
            if self.count_log:
                x, count = x
                counts.append(count)
        if self.reduction is not None:
            flat = x.reshape(x.shape[0], x.shape[1], -1)
            x = flat.sum(-1) if self.reduction == "sum" else flat.mean(-1)
        return (x, counts) if self.count_log else x

    def export_hdf5(self, filename: Any) -> Any:
        """Write the (trained) network back to a network file; returns the description."""
        from ._export import export_network

        return export_network(self.blocks, filename, input_shape=self.input_shape,
                              simulation=self.description.simulation)


def _synapses(block: Any) -> list[Any]:
    return [
        s for s in (getattr(block, "synapse", None), getattr(block, "input_synapse", None),
                    getattr(block, "recurrent_synapse", None))
        if s is not None
    ]
