"""The native runtime network: lava-dl's netx network without Lava (numpy only).

Layout
------
Arrays are **batch first, time last**, in the file's (slayer) order: a step input is
``(*in_shape)`` or ``(B, *in_shape)``, a whole sequence ``(*in_shape, T)`` or
``(B, *in_shape, T)``; ``in_shape`` is ``(C, H, W)`` or ``(N,)``. Use :func:`from_lava_layout`
and :func:`to_lava_layout` to convert from/to Lava's ``(X, Y, C[, T])`` port layout.

Semantics
---------
Identical to the Lava fixed-point models netx composes (see :mod:`lava.lib.dl.netx._plan`): a
step input is what a Lava source would deliver to ``net.in_layer.neuron.a_in`` when the first
block is an Input block, or to ``net.inp`` (the first synapse) otherwise; :meth:`Network.step`
returns what ``net.out_layer.out`` sends at that step. Steps count from 1 (as Lava's
``time_step``), which sets the phase of ``reset_interval``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from .._loaders import build_plan
from .._plan import LayerPlan, NetworkPlan
from . import _routing  # noqa: F401 - registers the routing block models
from ._fused import FusedChain
from ._neurons import NEURON_MODELS, NeuronModel
from ._ops import time_first
from ._synapses import SYNAPSE_MODELS, RecurrentDenseModel, SynapseModel

__all__ = ["Layer", "Network", "from_lava_layout", "to_lava_layout"]


def from_lava_layout(x: np.ndarray, spatial: int, *, time_axis: bool = True) -> np.ndarray:
    """Lava ``(X, Y, C[, T])`` (any leading batch axes) to file order ``(C, H, W[, T])``.

    ``spatial`` is the number of neuron axes (3 for ``(X, Y, C)``, 1 for ``(N,)``).
    """
    x = np.asarray(x)
    if spatial <= 1:
        return x
    end = x.ndim - (1 if time_axis else 0)
    axes = list(range(x.ndim))
    axes[end - spatial:end] = reversed(axes[end - spatial:end])
    return np.transpose(x, axes)


def to_lava_layout(x: np.ndarray, spatial: int, *, time_axis: bool = True) -> np.ndarray:
    """File order ``(C, H, W[, T])`` to Lava ``(X, Y, C[, T])`` (the inverse permutation)."""
    return from_lava_layout(x, spatial, time_axis=time_axis)


class Layer:
    """One block of a native network.

    Attributes
    ----------
    plan : LayerPlan
        What the loader made of the file layer.
    neuron : NeuronModel
        The neuron model (``neuron.set_bias`` drives an input layer through its bias).
    synapse : SynapseModel or None
        None for an input block.
    state : dict of str to np.ndarray
        Neuron state ``(B, *shape)`` (e.g. ``'u'``, ``'v'`` for LIF, ``'sigma'``...): exact
        integers, int64 or (LIF) float64; probes always return int64.
    s : np.ndarray or None
        Output message of the last step, ``(B, *shape)`` (bool for spiking neurons, int64 for
        graded messages; probes and network outputs are int64).
    a : np.ndarray or None
        Current the neuron received at the last step (``(2, B, *shape)`` for resonators).
    """

    def __init__(self, plan: LayerPlan) -> None:
        self.plan = plan
        self.shape = tuple(plan.shape)
        kind = plan.neuron.kind
        if kind not in NEURON_MODELS:
            raise ValueError(
                f"layer {plan.index} ({plan.type}): no native model for neuron kind {kind!r}"
            )
        self.neuron: NeuronModel = NEURON_MODELS[kind](plan.neuron, self.shape)
        self.synapse: SynapseModel | None = None
        self.pad_end: tuple[int, int] = (0, 0)
        #: Positions of the blocks concatenated into this block's input (concat), else None.
        self.sources: tuple[int, ...] | None = plan.sources
        if plan.synapse is not None and plan.synapse.kind != "identity":
            skind = plan.synapse.kind
            if skind not in SYNAPSE_MODELS:
                raise ValueError(
                    f"layer {plan.index} ({plan.type}): no native model for synapse {skind!r}"
                )
            syn_plan = plan.synapse
            self.pad_end = tuple(getattr(syn_plan, "pad_end", (0, 0)))
            if any(self.pad_end):  # ceil-mode pooling: the synapse sees the padded input
                c, h, w = syn_plan.in_shape  # type: ignore[attr-defined]
                syn_plan = replace(syn_plan, in_shape=(c, h + self.pad_end[0],
                                                       w + self.pad_end[1]), pad_end=(0, 0))
            self.synapse = SYNAPSE_MODELS[skind](syn_plan, self.shape)
            if plan.input_message_bits == 0:  # binary port: messages are 0/1 spikes
                self.synapse.absmax = 1
            if hasattr(self.neuron, "set_input_bound"):
                self.neuron.set_input_bound(self.synapse.output_bound())
        self.recurrent = isinstance(self.synapse, RecurrentDenseModel)
        #: The synapse reads spikes: any nonzero incoming value counts as 1 (Lava's binary port).
        self.binary_port = self.synapse is not None and plan.input_message_bits == 0
        self.state: dict[str, np.ndarray] = {}
        self.s: np.ndarray | None = None
        self.a: np.ndarray | None = None

    @property
    def block(self) -> str:
        """netx block name (``'Dense'``, ``'Conv'``, ``'Input'``...)."""
        return self.plan.block

    def reset(self, batch: int) -> None:
        """Zero the state for ``batch`` samples."""
        self.state = self.neuron.init_state(batch)
        if self.synapse is not None:
            self.synapse.reset(batch)
        self.s = None
        self.a = None

    def gather(self, messages: list[np.ndarray]) -> np.ndarray:
        """Concatenate the sources' messages (``messages[k]`` is block ``k``'s, ``(..., B,
        *shape)``) along the channel axis."""
        assert self.sources is not None
        parts = [np.asarray(messages[j], dtype=np.int64) for j in self.sources]
        axis = parts[0].ndim - len(self.shape)
        return np.concatenate(parts, axis=axis)

    def feed(self, s_prev: np.ndarray) -> None:
        """Give the synapse the presynaptic message of this step."""
        assert self.synapse is not None
        self.synapse.push(self.prepare(s_prev))

    def prepare(self, s: np.ndarray, *, lead: int = 1) -> np.ndarray:
        """The incoming message as the synapse reads it (``lead`` leading axes: 1 for a step
        ``(B, *in_shape)``, 2 for a chunk ``(T, B, *in_shape)``): any nonzero value counts as 1
        at a binary port (``input_message_bits == 0``, as Lava's synapses read it); flattened
        for a dense synapse after a spatial block; zero-padded at the bottom and right for
        ceil-mode pooling."""
        if self.binary_port and s.dtype != np.bool_:
            s = s != 0
        if self.plan.flatten_input:
            return s.reshape(*s.shape[:lead], -1)
        if any(self.pad_end):
            eh, ew = self.pad_end
            pad = [(0, 0)] * (s.ndim - 2) + [(0, eh), (0, ew)]
            return np.pad(s, pad)
        return s

    def fire(self, a: np.ndarray, t: int) -> np.ndarray:
        """Run the neuron on current ``a`` at step ``t``; return and remember its message."""
        if self.neuron.complex_input and not (a.ndim == len(self.shape) + 2 and a.shape[0] == 2
                                              and self.synapse is not None
                                              and self.synapse.lead == (2,)):
            a = np.stack([a, a])  # ComplexInput: the same current to both parts
        self.a = a
        self.s = self.neuron.step(self.state, a, t)
        return self.s


class Network:
    """A network description executed by the native numpy runtime.

    Parameters
    ----------
    net_config : str, path, NetworkDescription, h5py object or NetworkPlan
        The ``.net`` file (or its parsed description, or a ready plan).
    num_layers, skip_layers, input_message_bits, input_shape, reset_interval, reset_offset,
    spike_exp, sparse_fc_layer
        As :class:`lava.lib.dl.netx.hdf5.Network` (see :func:`~lava.lib.dl.netx._loaders.
        build_plan`); ``input_shape`` is in Lava order ``(X, Y, C)``.

    Attributes
    ----------
    plan : NetworkPlan
    layers : list of Layer
    in_layer, out_layer : Layer
    time_step : int
        Steps run since the last :meth:`reset`.

    Examples
    --------
    >>> net = Network("tiny.net")                          # doctest: +SKIP
    >>> out = net.run(np.zeros((3, 16, 16, 20), int))      # doctest: +SKIP
    """

    def __init__(
        self,
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
    ) -> None:
        if isinstance(net_config, NetworkPlan):
            self.plan = net_config
        else:
            self.plan = build_plan(
                net_config, num_layers=num_layers, skip_layers=skip_layers,
                input_message_bits=input_message_bits, input_shape=input_shape,
                reset_interval=reset_interval, reset_offset=reset_offset, spike_exp=spike_exp,
                sparse_fc_layer=sparse_fc_layer,
            )
        self.filename = self.plan.source
        self.layers = [Layer(p) for p in self.plan.layers]
        self.in_layer = self.layers[0]
        self.out_layer = self.layers[-1]
        self.input_shape = tuple(self.plan.input_shape)
        self.output_shape = tuple(self.plan.output_shape)
        self.time_step = 0
        self._batch: int | None = None
        self._batched: bool | None = None
        self.step_seconds = 0.0
        #: Fused step of dense + LIF chains (numba), or None when not applicable.
        self._fused: FusedChain | None = FusedChain.build(self)

    # ------------------------------------------------------------------ basics
    def __len__(self) -> int:
        return len(self.layers)

    def __repr__(self) -> str:
        return f"native.Network({self.filename!r}, {len(self)} blocks)"

    def __str__(self) -> str:
        head = f"{'#':>3} {'block':<15} {'neuron':<12} {'shape':<18} {'synapse':<24}"
        rows = [head, "-" * len(head)]
        for i, layer in enumerate(self.layers):
            syn = layer.plan.synapse
            desc = "-" if syn is None else syn.kind
            if syn is not None and hasattr(syn, "stride"):
                desc += f" k{syn.kernel_size} s{syn.stride} p{syn.padding}"  # type: ignore
            if syn is not None and getattr(syn, "delay", None) is not None:
                desc += " delay"
            rows.append(f"{i:>3} {layer.block:<15} {layer.plan.neuron.kind:<12} "
                        f"{str(layer.shape):<18} {desc:<24}")
        return "\n".join(rows)

    def _chain(self, target: str) -> FusedChain | None:
        """The active fused chain for a ``step()`` to ``target``, or None (regular path; an
        active chain first hands its pending currents back)."""
        chain = self._fused
        if chain is None:
            return None
        if target != "inp":
            chain.leave()
            return None
        if not chain.active:
            if not chain.usable():
                return None
            chain.enter()
        return chain

    def _leave_chain(self) -> None:
        if self._fused:
            self._fused.leave()

    def reset(self) -> None:
        """Forget every state; the next step is step 1."""
        if self._fused:
            self._fused.active = False
        self.time_step = 0
        self._batch = None
        self._batched = None
        for layer in self.layers:
            layer.state = {}
            layer.s = None
            layer.a = None

    def _start(self, batch: int, batched: bool) -> None:
        if self._batch is None:
            self._batch, self._batched = batch, batched
            for layer in self.layers:
                layer.reset(batch)
        elif (batch, batched) != (self._batch, self._batched):
            raise ValueError(
                f"the network holds state for a batch of {self._batch} "
                f"({'batched' if self._batched else 'unbatched'}) input; got {batch}. "
                "Call reset() before changing the batch size."
            )

    def target_shape(self, target: str = "inp") -> tuple[int, ...]:
        """Shape (file order) of a step input for ``target`` (see :meth:`step`)."""
        if target == "inp":
            return self.input_shape
        if target == "neuron":
            return self.in_layer.shape
        raise ValueError(f"target must be 'inp' or 'neuron', got {target!r}")

    def _check_input(self, x: Any, target: str = "inp") -> tuple[np.ndarray, bool]:
        a = np.asarray(x)
        shape = self.target_shape(target)
        n = len(shape)
        if a.ndim == n and a.shape == shape:
            batched = False
            a = a[None]
        elif a.ndim == n + 1 and a.shape[1:] == shape:
            batched = True
        else:
            raise ValueError(
                f"input of shape {a.shape} does not match the shape {shape} expected at "
                f"{'net.inp' if target == 'inp' else 'net.in_layer.neuron.a_in'} (file order "
                "(C, H, W) or (N,)), optionally with a leading batch axis; convert Lava-layout "
                "data with from_lava_layout()"
            )
        if a.dtype.kind == "b":
            a = a.astype(np.int64)
        elif a.dtype.kind == "f":
            if not np.all(np.isfinite(a)) or np.any(a != np.trunc(a)):
                raise ValueError(
                    "input values must be integers (fixed-point mantissas); got non-integer "
                    "floats: quantize them first (e.g. np.round(x * 64))"
                )
            a = a.astype(np.int64)
        elif a.dtype.kind in "iu":
            a = a.astype(np.int64, copy=False)
        else:
            raise ValueError(f"input dtype {a.dtype} is not numeric")
        return a, batched

    # ------------------------------------------------------------------ running
    def step(self, x: Any, *, target: str = "inp") -> np.ndarray:
        """Advance one step.

        Parameters
        ----------
        x : array_like
            Integer input ``(*in_shape)`` or ``(B, *in_shape)`` (file order).
        target : {'inp', 'neuron'}
            ``'inp'``: ``x`` is what Lava would send to ``net.inp`` (the first synapse, or the
            input neuron of an Input block); a first synapse built with
            ``input_message_bits=0`` reads spikes, so any nonzero value counts as 1.
            ``'neuron'``: ``x`` goes straight to ``net.in_layer.neuron.a_in`` (bypassing a
            first synapse; shape of the first block).

        Returns
        -------
        np.ndarray
            int64 output message of the last block, ``(*out_shape)`` or ``(B, *out_shape)``.
        """
        chain = self._fused
        if (chain is not None and chain.active and type(x) is np.ndarray
                and x.dtype == np.int64 and self._batched is False and target == "inp"
                and x.shape == self.input_shape):  # hot path of a streaming dense + LIF chain
            a, batched = x[None], False
        else:
            a, batched = self._check_input(x, target)
            self._start(a.shape[0], batched)
            chain = self._chain(target)
        if chain is not None:  # dense + LIF chain: one compiled call per block
            t0 = time.perf_counter()
            self.time_step += 1
            out = chain.step(a, self.time_step).astype(np.int64)
            self.step_seconds += time.perf_counter() - t0
            return out if batched else out[0]
        t0 = time.perf_counter()
        self.time_step += 1
        t = self.time_step
        s_prev = a  # a binary port binarizes in Layer.prepare
        for k, layer in enumerate(self.layers):
            if layer.sources is not None:
                s_prev = layer.gather([lay.s for lay in self.layers[:k]])
            if layer.synapse is None or (k == 0 and target == "neuron"):
                current = s_prev
            else:
                current = layer.synapse.pop()
                layer.feed(s_prev)
            s_prev = layer.fire(current, t)
            if layer.recurrent:
                layer.synapse.push_recurrent(s_prev)  # type: ignore[union-attr]
        self.step_seconds += time.perf_counter() - t0
        if s_prev.dtype != np.int64:
            s_prev = s_prev.astype(np.int64)
        return s_prev if batched else s_prev[0]

    def _to_int(self, a: np.ndarray) -> np.ndarray:
        if a.dtype.kind == "b":
            return a.astype(np.int64)
        if a.dtype.kind == "f":
            if not np.all(np.isfinite(a)) or np.any(a != np.trunc(a)):
                raise ValueError(
                    "input values must be integers (fixed-point mantissas); got non-integer "
                    "floats: quantize them first (e.g. np.round(x * 64))"
                )
            return a.astype(np.int64)
        if a.dtype.kind in "iu":
            return a.astype(np.int64, copy=False)
        raise ValueError(f"input dtype {a.dtype} is not numeric")

    def run(
        self,
        x: Any,
        *,
        probes: Iterable[tuple[int, str]] | Mapping[str, tuple[int, str]] | None = None,
        target: str = "inp",
        stepwise: bool = False,
    ) -> np.ndarray | tuple[np.ndarray, dict[Any, np.ndarray]]:
        """Run a whole sequence (continuing from the current state).

        Parameters
        ----------
        x : array_like
            ``(*in_shape, T)`` or ``(B, *in_shape, T)``, time last.
        probes : iterable of (layer, var) or mapping name -> (layer, var), optional
            ``layer`` is a block index (negative allowed); ``var`` is ``'s'`` (output message),
            ``'a'`` (input current) or a neuron state (``'u'``, ``'v'``, ``'sigma'``, ``'re'``,
            ``'im'``, ``'th'``, ``'ref'``...). Values are recorded after each step.
        target : {'inp', 'neuron'}
            Where the input goes, as :meth:`step`.
        stepwise : bool
            Force the step-by-step schedule. By default a network without recurrent blocks is
            run block by block over chunks of time (each synapse processes a whole chunk in one
            product), which gives exactly the same result, faster.

        Returns
        -------
        np.ndarray or (np.ndarray, dict)
            Output ``(*out_shape, T)`` / ``(B, *out_shape, T)``; with probes also a dict of
            probe key -> array (time last, same batching as ``x``).
        """
        self._leave_chain()
        arr = np.asarray(x)
        if arr.ndim < 2:
            raise ValueError("run() needs an input with a trailing time axis")
        n_t = arr.shape[-1]
        items: list[tuple[Any, int, str]] = []
        if probes is not None:
            pairs = probes.items() if isinstance(probes, Mapping) else ((p, p) for p in probes)
            for key, (li, var) in pairs:
                layer = self.layers[li]
                if not (var in ("s", "a") or var in layer.neuron.state_names):
                    raise ValueError(
                        f"block {li} ({layer.block}, {layer.plan.neuron.kind}) has no variable "
                        f"{var!r}; use 's', 'a' or one of {list(layer.neuron.state_names)}"
                    )
                items.append((key, li % len(self.layers), var))
        rec: dict[Any, list[np.ndarray]] = {k: [] for k, _, _ in items}
        if n_t == 0:
            raise ValueError("run() needs at least one time step")
        first, batched = self._check_input(arr[..., 0], target)
        if stepwise or self._chunk(first.shape[0]) < 4 or any(
            layer.recurrent for layer in self.layers
        ):
            outs = []
            # contiguous steps from blocked copies of a few steps at a time (cheaper than
            # strided reads, and the copy is still in cache when the step reads it)
            block = max(1, min(n_t, (1 << 18) // max(1, first.size)))
            for c0 in range(0, n_t, block):
                seq = time_first(arr[..., c0:c0 + block])
                for t in range(seq.shape[0]):
                    outs.append(self.step(seq[t], target=target))
                    for key, li, var in items:
                        rec[key].append(self._probe(li, var))
            out = np.stack(outs, axis=-1)
        else:
            seq = time_first(arr)  # contiguous steps (a blocked copy)
            seq = self._to_int(seq)
            if not batched:
                seq = seq[:, None]
            out = np.moveaxis(self._run_layer_major(seq, batched, target, items, rec), 0, -1)
            if not batched:
                out = out[0]
        if probes is None:
            return out
        return out, {k: np.stack(v, axis=-1) for k, v in rec.items()}

    def _probe(self, li: int, var: str) -> np.ndarray:
        layer = self.layers[li]
        if var == "s":
            v = layer.s
        elif var == "a":
            v = layer.a
        else:
            v = layer.state[var]
        assert v is not None
        v = v.astype(np.int64)  # a copy; float64 states hold exact integers
        if not self._batched:
            v = v[:, 0] if var == "a" and v.ndim == len(layer.shape) + 2 else v[0]
        return v

    def _chunk(self, batch: int) -> int:
        """Steps per chunk of the block schedule: about 2**18 values per block and chunk (the
        arrays then stay in cache); large layers run step by step instead."""
        biggest = max(int(np.prod(layer.shape)) for layer in self.layers)
        biggest = max(biggest, int(np.prod(self.input_shape)))
        return (1 << 18) // max(1, batch * biggest)

    def _run_layer_major(self, seq: np.ndarray, batched: bool, target: str,
                         items: list[tuple[Any, int, str]],
                         rec: dict[Any, list[np.ndarray]]) -> np.ndarray:
        """Block-by-block schedule over chunks of time; ``seq`` is ``(T, B, *shape)``."""
        n_t, batch = seq.shape[0], seq.shape[1]
        self._start(batch, batched)
        chunk = max(1, min(n_t, self._chunk(batch)))
        by_layer: dict[int, list[tuple[Any, str]]] = {}
        for key, li, var in items:
            by_layer.setdefault(li, []).append((key, var))
        t_start = time.perf_counter()
        outs = []
        keep = {j for layer in self.layers for j in (layer.sources or ())}
        for c0 in range(0, n_t, chunk):
            s = seq[c0:c0 + chunk]
            n_c = s.shape[0]
            kept: dict[int, np.ndarray] = {}
            for k, layer in enumerate(self.layers):
                if layer.sources is not None:
                    s = layer.gather(kept)  # type: ignore[arg-type]
                if layer.synapse is None or (k == 0 and target == "neuron"):
                    a = s
                else:
                    a = layer.synapse.run_sequence(layer.prepare(s, lead=2))
                probes_here = by_layer.get(k, ())
                if not probes_here and not layer.neuron.complex_input:
                    # whole chunk in one call (numba kernels loop over time inside)
                    res = layer.neuron.run_sequence(layer.state, a, self.time_step + c0 + 1)
                    layer.a, layer.s = a[-1], res[-1]
                else:
                    res = np.empty((n_c, batch, *layer.shape), dtype=np.int64)
                    for j in range(n_c):
                        res[j] = layer.fire(a[j], self.time_step + c0 + j + 1)
                        for key, var in probes_here:
                            rec[key].append(self._probe(k, var))
                s = res
                if k in keep:
                    kept[k] = res
            outs.append(s)
        self.time_step += n_t
        self.step_seconds += time.perf_counter() - t_start
        return np.concatenate(outs, axis=0).astype(np.int64, copy=False)

    def set_bias(self, layer: int, bias: Any) -> None:
        """Set the bias mantissa of block ``layer`` (file order; LIF/ALIF/sigma-delta)."""
        neuron = self.layers[layer].neuron
        if not hasattr(neuron, "set_bias"):
            raise ValueError(f"block {layer} ({type(neuron).__name__}) has no bias")
        neuron.set_bias(np.asarray(bias))  # type: ignore[attr-defined]

    def activity(self) -> list[dict[str, Any]]:
        """Per-block summary of the last step: nonzero messages and shape."""
        out = []
        for i, layer in enumerate(self.layers):
            s = layer.s
            out.append({
                "block": i, "type": layer.block, "neuron": layer.plan.neuron.kind,
                "shape": layer.shape,
                "nonzero": 0 if s is None else int(np.count_nonzero(s)),
            })
        return out
