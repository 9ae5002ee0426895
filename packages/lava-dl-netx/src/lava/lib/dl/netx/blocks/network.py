"""``hdf5.Network``: a ``.net`` network description as a hierarchical Lava process.

The file is read by :mod:`lava.lib.dl.hdf5_spec`, translated into backend-neutral plans by
:func:`lava.lib.dl.netx._loaders.build_plan` (the construction algorithm of lava-dl's netx:
``num_layers``, ``skip_layers``, message widths, reset phases), and every plan becomes a block of
:mod:`lava.lib.dl.netx.blocks.process`. Builders are looked up in two registries,
:data:`NEURON_BUILDERS` (plan neuron kind -> ``neuron_params``) and :data:`BLOCK_BUILDERS`
(plan synapse kind -> block), so third parties can add kinds without editing this module.

(This module lives in the ``blocks`` package because Lava discovers process models by scanning
the folder of the process's module.)
"""

from __future__ import annotations

import os
import typing as ty
from collections.abc import Callable
from types import SimpleNamespace

import numpy as np

from lava.lib.dl.netx import _plan as P
from lava.lib.dl.netx._loaders import build_plan
from lava.lib.dl.netx.blocks import process as B
from lava.lib.dl.netx.procs import neurons as N
from lava.lib.dl.netx.procs import routing as R
from lava.lib.dl.netx.utils import optimize_weight_bits
from lava.magma.core.decorator import implements, tag
from lava.magma.core.model.sub.model import AbstractSubProcessModel
from lava.magma.core.process.ports.ports import InPort, OutPort
from lava.magma.core.process.process import AbstractProcess
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol

__all__ = ["BLOCK_BUILDERS", "NEURON_BUILDERS", "Network", "register_block_builder",
           "register_neuron_builder", "run_network"]

#: Tags of run configurations the network runs correctly with (None = any model; netx's
#: processes only have fixed-point models, so None selects them).
SUPPORTED_TAGS = (None, "fixed_pt", "bit_accurate_loihi")

NeuronBuilder = Callable[[ty.Any], tuple[dict[str, ty.Any], ty.Any]]
BlockBuilder = Callable[[P.LayerPlan, dict[str, ty.Any], ty.Any, "Network"], AbstractProcess]

#: plan neuron kind -> ``fn(neuron_plan) -> (neuron_params, bias or None)``; the bias is in the
#: file order and is converted by the block builder.
NEURON_BUILDERS: dict[str, NeuronBuilder] = {}
#: plan synapse kind (``'input'`` for blocks without synapse) -> block builder.
BLOCK_BUILDERS: dict[str, BlockBuilder] = {}


def register_neuron_builder(kind: str) -> Callable[[NeuronBuilder], NeuronBuilder]:
    """Register the Lava neuron construction for plan neurons of ``kind``."""

    def deco(fn: NeuronBuilder) -> NeuronBuilder:
        NEURON_BUILDERS[kind] = fn
        return fn

    return deco


def register_block_builder(kind: str) -> Callable[[BlockBuilder], BlockBuilder]:
    """Register the Lava block construction for plan synapses of ``kind``."""

    def deco(fn: BlockBuilder) -> BlockBuilder:
        BLOCK_BUILDERS[kind] = fn
        return fn

    return deco


def _to_lava(a: ty.Any) -> ty.Any:
    """File-order array ``(C, H, W)`` -> Lava order ``(X, Y, C)`` (1-D unchanged)."""
    if a is None:
        return None
    a = np.asarray(a)
    return a.transpose(tuple(reversed(range(a.ndim))))


# --------------------------------------------------------------------------- neurons
def _decay(d: ty.Any) -> ty.Any:
    """A plan decay for a Lava process: an int, or the per-neuron array in Lava order."""
    return int(d) if np.ndim(d) == 0 else _to_lava(np.asarray(d, dtype=np.int64))


@register_neuron_builder("lif")
def _lif(n: P.LIFNeuron) -> tuple[dict[str, ty.Any], ty.Any]:
    params: dict[str, ty.Any] = dict(vth=int(n.vth), du=_decay(n.du), dv=_decay(n.dv),
                                     bias_exp=int(n.bias_exp), num_message_bits=0)
    if np.ndim(n.du) or np.ndim(n.dv):  # per-neuron decays: Lava's LIF takes one per layer
        params.update(neuron_proc=N.LIFPerNeuron, reset_interval=n.reset_interval,
                      reset_offset=int(n.reset_offset))
    elif n.reset_interval:
        params.update(neuron_proc=N.LIFReset, reset_interval=int(n.reset_interval),
                      reset_offset=int(n.reset_offset))
    else:
        params["neuron_proc"] = N.LIF
    return params, n.bias_mant


@register_neuron_builder("alif")
def _alif(n: P.ALIFNeuron) -> tuple[dict[str, ty.Any], ty.Any]:
    return dict(neuron_proc=N.ALIF, vth=int(n.vth), du=_decay(n.du), dv=_decay(n.dv),
                vth_step=int(n.vth_step), th_decay=_decay(n.th_decay),
                ref_decay=_decay(n.ref_decay),
                bias_exp=int(n.bias_exp), reset_interval=n.reset_interval,
                reset_offset=int(n.reset_offset), num_message_bits=0), n.bias_mant


@register_neuron_builder("delta")
def _delta(n: P.DeltaNeuron) -> tuple[dict[str, ty.Any], ty.Any]:
    return dict(neuron_proc=N.Delta, vth=int(n.vth), spike_exp=int(n.spike_exp),
                state_exp=int(n.state_exp), cum_error=bool(n.cum_error),
                num_message_bits=n.out_message_bits), None


@register_neuron_builder("sigma_delta")
def _sigma_delta(n: P.SigmaDeltaNeuron) -> tuple[dict[str, ty.Any], ty.Any]:
    mode = P.ACTIVATIONS.get(n.activation)
    if mode is None:
        raise ValueError(f"sigma-delta activation {n.activation!r} is not supported; use one "
                         f"of {sorted(P.ACTIVATIONS)}")
    return dict(neuron_proc=N.SigmaDelta, vth=int(n.vth), spike_exp=int(n.spike_exp),
                state_exp=int(n.state_exp), cum_error=bool(n.cum_error),
                act_mode=N.ActivationMode[mode], num_message_bits=n.out_message_bits), n.bias


@register_neuron_builder("sigma")
def _sigma(n: P.SigmaNeuron) -> tuple[dict[str, ty.Any], ty.Any]:
    return dict(neuron_proc=N.Sigma, num_message_bits=n.out_message_bits), None


@register_neuron_builder("rf")
def _rf(n: P.RFNeuron) -> tuple[dict[str, ty.Any], ty.Any]:
    return dict(neuron_proc=N.RF_IZ if n.izhikevich else N.RF, sin_decay=_decay(n.sin_decay),
                cos_decay=_decay(n.cos_decay), vth=n.vth, state_exp=int(n.state_exp),
                decay_bits=int(n.decay_bits), num_message_bits=0), None


@register_neuron_builder("adrf")
def _adrf(n: P.ADRFNeuron) -> tuple[dict[str, ty.Any], ty.Any]:
    return dict(neuron_proc=N.ADRF, sin_decay=_decay(n.sin_decay),
                cos_decay=_decay(n.cos_decay), vth=int(n.vth), vth_step=int(n.vth_step),
                th_decay=_decay(n.th_decay), ref_decay=_decay(n.ref_decay),
                state_exp=int(n.state_exp), decay_bits=int(n.decay_bits),
                izhikevich=bool(n.izhikevich),
                num_message_bits=0), None


@register_neuron_builder("identity")
def _identity(n: P.IdentityNeuron) -> tuple[dict[str, ty.Any], ty.Any]:
    return dict(neuron_proc=R.Identity, num_message_bits=n.out_message_bits), None


@register_neuron_builder("decimate")
def _decimate(n: P.DecimateNeuron) -> tuple[dict[str, ty.Any], ty.Any]:
    return dict(neuron_proc=R.Decimate, factor=int(n.factor), phase=int(n.phase),
                num_message_bits=n.out_message_bits), None


# --------------------------------------------------------------------------- blocks
def _dense_weights(w: np.ndarray, exp: int) -> tuple[np.ndarray, int, int]:
    opt = optimize_weight_bits(w)
    return opt.weight, opt.num_weight_bits, int(exp) + opt.weight_exponent


@register_block_builder("input")
def _input_block(plan: P.LayerPlan, neuron_params: dict[str, ty.Any], bias: ty.Any,
                 net: Network) -> AbstractProcess:
    cls = B.ComplexInput if plan.neuron.is_complex else B.Input
    return cls(shape=P.lava_shape(plan.shape), neuron_params=neuron_params,
               transform=plan.transform or None, bias=_to_lava(bias))


@register_block_builder("dense")
def _dense_block(plan: P.LayerPlan, neuron_params: dict[str, ty.Any], bias: ty.Any,
                 net: Network) -> AbstractProcess:
    syn = plan.synapse
    w, bits, exp = _dense_weights(syn.weight, syn.weight_exp)
    cls = B.Average if plan.block == "Average" else B.Dense
    return cls(shape=P.lava_shape(plan.shape), neuron_params=neuron_params, weight=w,
                   delay=syn.delay, bias=_to_lava(bias), num_weight_bits=bits,
                   weight_exponent=exp, sparse_synapse=net.sparse_fc_layer,
                   input_message_bits=plan.input_message_bits)


@register_block_builder("dense_rec")
def _recurrent_block(plan: P.LayerPlan, neuron_params: dict[str, ty.Any], bias: ty.Any,
                     net: Network) -> AbstractProcess:
    syn = plan.synapse
    n_in = syn.weight.shape[1]
    joint = np.concatenate([syn.weight, syn.weight_rec], axis=1)  # one shared exponent
    w, bits, exp = _dense_weights(joint, syn.weight_exp)
    return B.RecurrentDense(
        shape=P.lava_shape(plan.shape), neuron_params=neuron_params, weight=w[:, :n_in],
        weight_rec=w[:, n_in:], delay=syn.delay, bias=_to_lava(bias), num_weight_bits=bits,
        weight_exponent=exp, sparse_synapse=net.sparse_fc_layer,
        input_message_bits=plan.input_message_bits)


@register_block_builder("complex_dense")
def _complex_dense_block(plan: P.LayerPlan, neuron_params: dict[str, ty.Any], bias: ty.Any,
                         net: Network) -> AbstractProcess:
    syn = plan.synapse
    wr, br, er = _dense_weights(syn.weight, 0)
    wi, bi, ei = _dense_weights(syn.weight_imag, 0)
    return B.ComplexDense(shape=P.lava_shape(plan.shape), neuron_params=neuron_params,
                          weight_real=wr, weight_imag=wi, delay=syn.delay,
                          num_weight_bits=(br, bi), weight_exponent=(er, ei),
                          sparse_synapse=net.sparse_fc_layer,
                          input_message_bits=plan.input_message_bits)


@register_block_builder("conv")
def _conv_block(plan: P.LayerPlan, neuron_params: dict[str, ty.Any], bias: ty.Any,
                net: Network) -> AbstractProcess:
    syn = plan.synapse
    common = dict(shape=P.lava_shape(plan.shape), input_shape=P.lava_shape(syn.in_shape),
                  neuron_params=neuron_params, weight=syn.lava_weight(), bias=_to_lava(bias),
                  stride=syn.stride[::-1], padding=syn.padding[::-1],
                  dilation=syn.dilation[::-1], groups=syn.groups, delay=syn.delay,
                  input_message_bits=plan.input_message_bits, pad_end=syn.pad_end[::-1])
    if syn.weight_imag is not None:
        return B.ComplexConv(weight_imag=syn.lava_weight(syn.weight_imag), **common)
    cls = B.Pool if syn.origin == "pool" else B.Conv
    return cls(**common)


@register_block_builder("convT")
def _conv_t_block(plan: P.LayerPlan, neuron_params: dict[str, ty.Any], bias: ty.Any,
                  net: Network) -> AbstractProcess:
    syn = plan.synapse
    if syn.weight_imag is not None:
        raise ValueError("complex transposed convolutions are not supported by the Lava "
                         "backend")
    cls = B.Unpool if syn.origin == "unpool" else B.ConvT
    return cls(shape=P.lava_shape(plan.shape), input_shape=P.lava_shape(syn.in_shape),
               neuron_params=neuron_params, weight=syn.weight, bias=_to_lava(bias),
               stride=syn.stride, padding=syn.padding, dilation=syn.dilation,
               groups=syn.groups, delay=syn.delay, input_message_bits=plan.input_message_bits)


@register_block_builder("identity")
def _routing_block(plan: P.LayerPlan, neuron_params: dict[str, ty.Any], bias: ty.Any,
                   net: Network) -> AbstractProcess:
    if plan.sources is not None:
        shapes = [P.lava_shape(net.plan_layers[j].shape) for j in plan.sources]
        return B.Concat(shapes=shapes, num_message_bits=plan.output_message_bits)
    return B.TimeDecimation(shape=P.lava_shape(plan.shape), neuron_params=neuron_params)


def build_block(plan: P.LayerPlan, net: Network) -> AbstractProcess:
    """Build the Lava block of one layer plan (errors name the file layer)."""
    kind = "input" if plan.synapse is None else plan.synapse.kind
    nb = NEURON_BUILDERS.get(plan.neuron.kind)
    bb = BLOCK_BUILDERS.get(kind)
    where = f"layer {plan.index} (/layer/{plan.index}, type {plan.type!r})"
    if nb is None:
        raise ValueError(f"{where}: the Lava backend has no neuron for plan kind "
                         f"{plan.neuron.kind!r} (known: {', '.join(sorted(NEURON_BUILDERS))})")
    if bb is None:
        raise ValueError(f"{where}: the Lava backend has no block for synapse kind {kind!r} "
                         f"(known: {', '.join(sorted(BLOCK_BUILDERS))})")
    try:
        params, bias = nb(plan.neuron)
        return bb(plan, params, bias, net)
    except (ValueError, TypeError) as exc:
        raise type(exc)(f"{where}: {exc}") from exc


# --------------------------------------------------------------------------- network
class Network(AbstractProcess):
    """A network description (``.net`` file) as a hierarchical Lava process.

    Parameters
    ----------
    net_config : str, path or NetworkDescription
        The network file (or an already read :class:`lava.lib.dl.hdf5_spec.NetworkDescription`).
    num_layers : int, optional
        Use only the first ``num_layers`` file layers (flatten and neuron-less input count).
    skip_layers : int
        Build but do not keep the first ``skip_layers`` file layers (the network then starts at
        a synapse, fed with ``input_message_bits``-wide messages).
    input_message_bits : int
        Width of the messages fed to the first block's synapse (0 = binary spikes).
    input_shape : tuple of int, optional
        ``(X, Y, C)`` (Lava order), needed when the file starts with a spatial layer and has
        no input layer.
    reset_interval : int, optional
        Zero the state of CUBA/ALIF neurons every ``reset_interval`` steps; block ``k`` resets
        at the phase ``reset_offset + 1 + k`` (one step of latency per block).
    reset_offset : int
        Phase of the reset.
    spike_exp : int
        Sigma-delta spike exponent (default 6).
    sparse_fc_layer : bool
        Use sparse synapses for the dense layers (same arithmetic).

    Attributes
    ----------
    layers : list
        The blocks, input to output; ``in_layer`` and ``out_layer`` are the first and last.
    inp, out : InPort, OutPort
        The network's ports (``inp`` feeds ``in_layer.inp``; ``out`` carries
        ``out_layer.out``).
    plan : NetworkPlan
        The backend-neutral plan the blocks were built from (shared with the native runtime).
    net_config : NetworkDescription
        The parsed file (no file handle stays open).
    filename : str
        Source of the description.
    input_message_bits, output_message_bits : int
        Widths of the messages at ``inp`` and ``out``.

    Notes
    -----
    netx's processes have only fixed-point models, so any run configuration
    (``Loihi1SimCfg``/``Loihi2SimCfg``, ``select_tag`` None, ``'fixed_pt'`` or
    ``'bit_accurate_loihi'``) runs the integer dynamics; another tag is refused when the network
    is compiled.
    """

    def __init__(self, net_config: ty.Any, num_layers: int | None = None, skip_layers: int = 0,
                 input_message_bits: int = 0, input_shape: tuple[int, ...] | None = None,
                 reset_interval: int | None = None, reset_offset: int = 0, spike_exp: int = 6,
                 sparse_fc_layer: bool = False, **options: ty.Any) -> None:
        from lava.lib.dl.netx._loaders import _read

        super().__init__(net_config=os.fspath(net_config) if isinstance(
            net_config, (str, os.PathLike)) else "<memory>", num_layers=num_layers,
            input_message_bits=input_message_bits)
        desc, source = _read(net_config)
        self.filename = os.fspath(net_config) if isinstance(net_config, (str, os.PathLike)) \
            else source
        self.net_config = desc
        self.num_layers = num_layers
        self.skip_layers = skip_layers
        self.input_shape = input_shape
        self.reset_interval = reset_interval
        self.reset_offset = reset_offset
        self.spike_exp = spike_exp
        self.sparse_fc_layer = bool(sparse_fc_layer)
        named = SimpleNamespace(layers=desc.layers, source=source)  # errors name the file
        self.plan = build_plan(named, num_layers=num_layers, skip_layers=skip_layers,
                               input_message_bits=input_message_bits, input_shape=input_shape,
                               reset_interval=reset_interval, reset_offset=reset_offset,
                               spike_exp=spike_exp, sparse_fc_layer=sparse_fc_layer, **options)
        self.plan_layers = self.plan.layers
        self.layers = [build_block(p, self) for p in self.plan.layers]
        for i in range(1, len(self.layers)):
            prev, blk = self.layers[i - 1], self.layers[i]
            sources = self.plan.layers[i].sources
            if sources is not None:
                for port, j in zip(blk.inputs, sources, strict=True):
                    self.layers[j].out.connect(port)
                continue
            src = prev.out
            if self.plan.layers[i].flatten_input:
                if len(prev.out.shape) == 3:  # (X, Y, C) -> (C, Y, X) flattened: torch order
                    src = prev.out.transpose([2, 1, 0]).flatten()
                elif len(prev.out.shape) != 1:
                    src = prev.out.flatten()
            src.connect(blk.inp)
        self.in_layer = self.layers[0]
        self.out_layer = self.layers[-1]
        self.input_message_bits = self.plan.input_message_bits
        self.output_message_bits = self.plan.output_message_bits
        self.inp = InPort(shape=self.in_layer.inp.shape)
        self.out = OutPort(shape=self.out_layer.out.shape)
        self.inp.connect(self.in_layer.inp)
        self.out_layer.out.connect(self.out)

    def __len__(self) -> int:
        return len(self.layers)

    def __str__(self) -> str:
        head = (f"|{'Type':^11}|{'W':^5}|{'H':^5}|{'C':^5}|{'ker':^7}|{'str':^7}|{'pad':^7}"
                f"|{'dil':^7}|{'grp':^4}|{'delay':^7}|")
        rows = ["-" * len(head), head, "-" * len(head)]
        for blk, p in zip(self.layers, self.plan.layers, strict=True):
            shape = tuple(blk.shape) + (1,) * (3 - len(blk.shape))
            syn = p.synapse
            if syn is not None and hasattr(syn, "stride"):
                pair = lambda v: f"{v[1]}, {v[0]}"  # noqa: E731 - (H, W) -> "X, Y"
                geo = (pair(syn.kernel_size), pair(syn.stride), pair(syn.padding),
                       pair(syn.dilation), str(syn.groups))
            else:
                geo = ("", "", "", "", "")
            delay = getattr(syn, "delay", None) is not None
            rows.append(f"|{blk.block:^11}|{shape[0]:^5}|{shape[1]:^5}|{shape[2]:^5}"
                        f"|{geo[0]:^7}|{geo[1]:^7}|{geo[2]:^7}|{geo[3]:^7}|{geo[4]:^4}"
                        f"|{str(delay):^7}|")
        rows.append("-" * len(head))
        return "\n".join(rows)

    def compile(self, run_cfg: ty.Any, compile_config: dict[str, ty.Any] | None = None) -> ty.Any:
        """Compile with ``run_cfg``; a tag other than None/``'fixed_pt'``/
        ``'bit_accurate_loihi'`` is refused (the network holds integer parameters)."""
        check_run_cfg(run_cfg)
        return super().compile(run_cfg, compile_config)


def check_run_cfg(run_cfg: ty.Any) -> None:
    """Refuse run configurations that would select non-fixed-point models."""
    tag_ = getattr(run_cfg, "select_tag", None)
    if tag_ not in SUPPORTED_TAGS:
        raise ValueError(
            f"netx networks hold the integer fixed-point parameters of the file and run only "
            f"with fixed-point models; got select_tag={tag_!r}. Use "
            "Loihi2SimCfg(select_tag='fixed_pt') (or no tag)."
        )


@implements(proc=Network, protocol=LoihiProtocol)
@tag("fixed_pt", "bit_accurate_loihi")
class PyNetworkModel(AbstractSubProcessModel):
    """Sub-process model of :class:`Network`: exposes the blocks."""

    def __init__(self, proc: Network) -> None:
        for i, blk in enumerate(proc.layers):
            setattr(self, f"layer_{i}", blk)


#: Names of neuron state probes that differ between the native runtime and the Lava processes.
_PROBE_ALIASES = {"re": "real", "im": "imag"}


def run_network(net: Network, x: ty.Any, *, target: str = "inp", run_cfg: ty.Any = None,
                probes: ty.Any = None) -> ty.Any:
    """Run a netx network on Lava between a ring-buffer source and sink, then stop it.

    Parameters
    ----------
    net : Network
        A freshly built network (a Lava network runs once: it is stopped at the end).
    x : array_like
        Input ``(*port_shape, T)``, Lava layout, time last: what the source sends each step.
    target : {'inp', 'neuron'}
        ``'inp'``: connect the source to ``net.inp``; ``'neuron'``: to the first block's neuron
        input (``net.in_layer.neuron.a_in``, both inputs of a resonator), as lava-dl's tests do.
    run_cfg : RunConfig, optional
        Default ``Loihi2SimCfg(select_tag='fixed_pt')``.
    probes : iterable of (block index, var), optional
        Neuron variables (``'u'``, ``'v'``, ``'sigma'``, ``'real'``/``'re'``, ...) or ``'s'``
        (the block's output message) to record after every step (through
        :class:`~lava.lib.dl.netx.procs.io.MemoryProbe` / ``MemorySink``: no slow
        ``Var.get()``).

    Returns
    -------
    np.ndarray or (np.ndarray, dict)
        What ``net.out`` sent, ``(*out_shape, T)``; with probes also ``{(i, var): array}``
        (time last).
    """
    from lava.lib.dl.netx.procs.io import MemoryProbe, MemorySink, RingBufferSource
    from lava.magma.core.run_conditions import RunSteps
    from lava.magma.core.run_configs import Loihi2SimCfg

    data = np.asarray(x)
    if data.ndim < 2:
        raise ValueError("x needs a trailing time axis: (*port_shape, T)")
    n_t = int(data.shape[-1])
    if target == "inp":
        ports = [net.inp]
    elif target == "neuron":
        neuron = net.in_layer.neuron
        ports = [neuron.a_real_in, neuron.a_imag_in] if hasattr(neuron, "a_real_in") \
            else [neuron.a_in]
    else:
        raise ValueError(f"target must be 'inp' or 'neuron', got {target!r}")
    if tuple(data.shape[:-1]) != tuple(ports[0].shape):
        raise ValueError(f"x has the per-step shape {data.shape[:-1]}, the {target} port has "
                         f"{tuple(ports[0].shape)} (Lava layout (X, Y, C) or (N,))")
    recorders: list[ty.Any] = []
    items = []
    try:
        for li, key_var in probes or ():
            var = _PROBE_ALIASES.get(key_var, key_var)
            blk = net.layers[li]
            if var == "s":
                rec = MemorySink(shape=tuple(blk.out.shape), buffer=n_t)
                blk.out.connect(rec.a_in)
            else:
                if not hasattr(blk.neuron, var):
                    raise ValueError(f"block {li} ({blk.block}) has no neuron variable {var!r}")
                rec = MemoryProbe(var=getattr(blk.neuron, var), buffer=n_t)
            recorders.append(rec)
            items.append(((li, key_var), rec))
        src = RingBufferSource(data=data.astype(np.int32))
        for port in ports:
            src.s_out.connect(port)
        sink = MemorySink(shape=tuple(net.out.shape), buffer=n_t)
        recorders.append(sink)
        net.out.connect(sink.a_in)
        cfg = run_cfg if run_cfg is not None else Loihi2SimCfg(select_tag="fixed_pt")
        try:
            net.run(condition=RunSteps(num_steps=n_t), run_cfg=cfg)
        finally:
            net.stop()
        out = sink.read()
        probed = {key: rec.read() for key, rec in items}
    finally:
        for rec in recorders:
            rec.release()
    if not items:
        return out
    return out, probed
