"""Fused ``step()`` for chains of dense synapses and LIF neurons (numba).

A network whose blocks are all dense synapses (with or without delays) feeding Loihi LIF
neurons, as the oxford network, spends most of a Python-level ``step()`` in per-call overhead.
:class:`FusedChain` runs each block's synapse and neurons in one compiled call
(:func:`._fused_kernels.dense_lif_step`), on the same LIF state arrays as the block's neuron
model and the same arithmetic (the LIF update is :func:`._numba_kernels.lif_run`).

Each synapse's pending currents live in a contiguous ring while the chain is *active*;
:meth:`FusedChain.enter` loads them from the blocks' :class:`~._synapses.DelayLine` and
:meth:`FusedChain.leave` writes them back, so the fused and the regular schedules can alternate
(the network leaves the chain before ``run()`` and whenever the regular path is needed).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._neurons import LIFModel
from ._numba import kernels
from ._synapses import DenseModel

__all__ = ["FusedChain"]


class _Stage:
    def __init__(self, layer: Any) -> None:
        syn: DenseModel = layer.synapse
        self.layer = layer
        self.neuron: LIFModel = layer.neuron
        w = np.asarray(syn.plan.weight, dtype=np.int64) << syn.exp
        self.w_t = np.ascontiguousarray(w.T)
        self.has_delay = syn.delay is not None
        d = syn.delay if self.has_delay else np.zeros((1, 1), np.int64)
        self.d_t = np.ascontiguousarray(np.asarray(d, dtype=np.int64).T)
        self.binary = bool(layer.binary_port)
        self.ring = np.zeros((1, 1, 1), dtype=np.int64)
        self.pos = 0
        n = self.neuron
        vth, interval, offset = n._consts
        self.consts = (float(vth), int(interval), int(offset))


class FusedChain:
    """The fused step of a qualifying network (see :meth:`build`)."""

    def __init__(self, stages: list[_Stage], kernel: Any) -> None:
        self.stages = stages
        self.kernel = kernel
        self.active = False

    @classmethod
    def build(cls, net: Any) -> FusedChain | None:
        """A chain for ``net`` when numba is available and every block is a dense synapse
        (weight exponent >= 0, 1-D input) into scalar-decay LIF neurons; else None."""
        nb = kernels()
        if nb is None or len(net.input_shape) != 1:
            return None
        for layer in net.layers:
            syn, neuron = layer.synapse, layer.neuron
            if (type(syn) is not DenseModel or type(neuron) is not LIFModel
                    or neuron._fu is None or syn.exp < 0 or syn.lead != ()
                    or layer.sources is not None or layer.plan.flatten_input
                    or len(layer.shape) != 1):
                return None
        try:
            from ._fused_kernels import dense_lif_step
        except ImportError:  # pragma: no cover - numba present but broken
            return None
        return cls([_Stage(layer) for layer in net.layers], dense_lif_step)

    def usable(self) -> bool:
        """True when every block's LIF state is in the numba kernel's layout."""
        return all(st.neuron._fast_state(st.layer.state) is not None for st in self.stages)

    def enter(self) -> None:
        """Take over the pending currents of the blocks' delay lines (and fix the arguments of
        the compiled calls: state views, bias, constants)."""
        for st in self.stages:
            line = st.layer.synapse.line
            st.ring = np.ascontiguousarray(line.pending, dtype=np.int64)
            st.pos = 0
            u2, v2 = st.neuron._fast_state(st.layer.state)
            n = st.neuron
            vth, interval, offset = st.consts
            st.head = (st.binary, st.w_t, st.d_t, st.has_delay, st.ring)
            st.state = (u2, v2)
            st.tail = (n._fu, n._fv, vth, interval, offset)
            st.out_shape = (st.ring.shape[1], st.ring.shape[2])
        self.active = True

    def leave(self) -> None:
        """Hand the pending currents back to the blocks' delay lines."""
        if not self.active:
            return
        for st in self.stages:
            st.layer.synapse.line.load(np.roll(st.ring, -st.pos, axis=0))
        self.active = False

    def step(self, x: np.ndarray, t: int) -> np.ndarray:
        """One network step on ``x`` ``(B, N_in)`` (int64); returns the last block's spikes."""
        s = x
        kernel = self.kernel
        empty = np.empty
        for st in self.stages:
            a = empty(st.out_shape, dtype=np.int64)
            sp = empty(st.out_shape, dtype=np.bool_)
            # the bias is read at every step: neuron.set_bias() replaces the array
            st.pos = kernel(s, *st.head, st.pos, *st.state, st.neuron._bias_flat, *st.tail, t,
                            a, sp)
            layer = st.layer
            layer.a = a
            layer.s = s = sp
        return s
