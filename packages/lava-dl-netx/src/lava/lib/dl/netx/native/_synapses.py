"""Native synapse models: one class per :mod:`~lava.lib.dl.netx._plan` synapse kind.

A synapse turns the presynaptic message ``s`` of step ``t`` (int64 ``(B, *in_shape)``) into a
current for the postsynaptic neuron, delivered at step ``t + 1 + delay``. The latency and the
delays are handled by :class:`DelayLine`; the products by the exact operations of :mod:`._ops`.
Complex synapses produce a pair ``(real, imag)`` stacked on a leading axis of length 2.
Models are looked up through :data:`SYNAPSE_MODELS` (keyed by ``plan.kind``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .._plan import (
    ComplexDenseSynapse,
    ConvSynapse,
    ConvTransposeSynapse,
    DenseSynapse,
    SynapsePlan,
)
from ._numba import kernels
from ._ops import (
    Conv2dPlan,
    ConvKernel,
    ExactWeights,
    conv2d,
    conv_transpose2d,
    matmul_exact,
    shift,
    smallest_int,
    transpose_kernel,
    wrap_signed,
)

__all__ = ["SYNAPSE_MODELS", "DelayLine", "SynapseModel", "register_synapse_model"]


class DelayLine:
    """Ring of slots delivering a contribution ``1 + d`` steps after it was added.

    Parameters
    ----------
    shape : tuple of int
        Shape of one delivery, without the batch axis.
    max_delay : int
        Largest delay ``d`` that will be used (0 = plain one-step latency).
    lead : tuple of int
        Axes placed before the batch axis (``(2,)`` for complex currents).

    Notes
    -----
    Empty slots are ``None`` (read as zeros); the first contribution to an empty slot is stored
    without a copy (callers hand over fresh arrays), so the common no-delay synapse costs no
    buffer traffic.
    """

    def __init__(self, shape: tuple[int, ...], max_delay: int, lead: tuple[int, ...] = ()):
        self.shape = tuple(shape)
        self.length = int(max_delay) + 1
        self.lead = lead
        self.batch = 0
        self.slots: list[np.ndarray | None] = [None] * self.length
        self.pos = 0

    @property
    def slot_shape(self) -> tuple[int, ...]:
        """Shape of one delivery, ``(*lead, B, *shape)``."""
        return (*self.lead, self.batch, *self.shape)

    def reset(self, batch: int) -> None:
        """Empty the line for ``batch`` samples."""
        self.batch = batch
        self.slots = [None] * self.length
        self.pos = 0

    def pop(self) -> np.ndarray:
        """Take what is due now and advance one step."""
        out = self.slots[self.pos]
        self.slots[self.pos] = None
        self.pos = (self.pos + 1) % self.length
        return np.zeros(self.slot_shape, dtype=np.int64) if out is None else out

    def add(self, x: np.ndarray, d: int = 0, mask: np.ndarray | None = None,
            part: int | None = None) -> None:
        """Add ``x`` (selected by ``mask``, into ``part``) to arrive ``d`` steps after the next
        :meth:`pop`. ``x`` may be kept without a copy: do not modify it afterwards."""
        i = (self.pos + d) % self.length
        slot = self.slots[i]
        if slot is None and mask is None and part is None and x.dtype == np.int64:
            self.slots[i] = x
            return
        if slot is None:
            slot = self.slots[i] = np.zeros(self.slot_shape, dtype=np.int64)
        tgt = slot if part is None else slot[part]
        if mask is None:
            tgt += x
        else:
            tgt += x * mask

    @property
    def pending(self) -> np.ndarray:
        """Everything in flight, in delivery order (``(length, *lead, B, *shape)``)."""
        out = np.zeros((self.length, *self.slot_shape), dtype=np.int64)
        for k in range(self.length):
            slot = self.slots[(self.pos + k) % self.length]
            if slot is not None:
                out[k] = slot
        return out

    def load(self, pending: np.ndarray) -> None:
        """Replace the content by ``pending`` (delivery order), as :attr:`pending` returns."""
        self.slots = [np.array(pending[k]) for k in range(self.length)]
        self.pos = 0


Contribution = tuple[int, "np.ndarray | None", np.ndarray, "int | None"]


class SynapseModel:
    """Base class of native synapses.

    A subclass implements :meth:`contributions`: for a presynaptic message ``s`` of shape
    ``(N, *in_shape)`` it yields ``(delay, mask, x, part)`` tuples: the current ``x``
    (``(N, *out_shape)``) is delivered ``1 + delay`` steps later to the postsynaptic entries
    selected by ``mask`` (None = all), into the real (0) or imaginary (1) ``part`` of a complex
    current (None for real currents). :meth:`push` feeds one step, :meth:`run_sequence` a whole
    sequence at once (same result).
    """

    lead: tuple[int, ...] = ()
    #: Known bound of the presynaptic ``|s|`` (1 when the block reads spikes), or None.
    absmax: int | None = None

    def __init__(self, plan: SynapsePlan, out_shape: tuple[int, ...]) -> None:
        self.plan = plan
        self.out_shape = tuple(out_shape)
        delay = getattr(plan, "delay", None)
        if delay is not None:
            delay = np.asarray(delay, dtype=np.int64)
            if delay.size and delay.min() < 0:
                raise ValueError(f"synaptic delays must be >= 0, got minimum {delay.min()}")
        self.delay = delay
        self.line = DelayLine(self.out_shape, self._max_delay(), self.lead)

    def _max_delay(self) -> int:
        return int(self.delay.max()) if self.delay is not None and self.delay.size else 0

    def output_bound(self) -> int | None:
        """Bound of ``|current|`` per step when :attr:`absmax` is known, else None.

        Each presynaptic entry contributes at most once to a given step's current (whatever
        the delays), so the bound is ``absmax * max_o sum_i |W_oi|``.
        """
        return None

    def reset(self, batch: int) -> None:
        """Empty the synapse's buffers."""
        self.line.reset(batch)

    def pop(self) -> np.ndarray:
        """The current due at this step."""
        return self.line.pop()

    def contributions(self, s: np.ndarray) -> Iterator[Contribution]:  # pragma: no cover
        """Currents caused by the message ``s`` (see the class docstring)."""
        raise NotImplementedError

    def push(self, s: np.ndarray) -> None:
        """Feed the presynaptic message of this step, ``(B, *in_shape)``."""
        for d, mask, x, part in self.contributions(s):
            self.line.add(x, d, mask, part)

    def run_sequence(self, s: np.ndarray) -> np.ndarray:
        """Feed ``T`` steps at once and return the ``T`` currents popped meanwhile.

        Parameters
        ----------
        s : np.ndarray
            ``(T, B, *in_shape)`` presynaptic messages.

        Returns
        -------
        np.ndarray
            ``(T, *lead, B, *out_shape)``: what :meth:`pop` would have returned at each step
            when :meth:`pop` and :meth:`push` alternate. The buffers end in the same state.
        """
        line = self.line
        n_t, batch = s.shape[0], s.shape[1]
        length = line.length
        flat = s.reshape(n_t * batch, *s.shape[2:])
        contribs = list(self.contributions(flat))
        if length == 1 and len(contribs) == 1 and contribs[0][0] == 0 \
                and contribs[0][1] is None and contribs[0][3] is None:
            # no delay: the currents are the products shifted by one step
            x = contribs[0][2].reshape(n_t, *line.slot_shape).astype(np.int64, copy=False)
            y = np.empty((n_t, *line.slot_shape), dtype=np.int64)
            y[0] = line.pop()
            y[1:] = x[:-1]
            line.add(x[-1])
            return y
        y = np.zeros((n_t + length, *line.slot_shape), dtype=np.int64)
        y[:length] = line.pending
        for d, mask, x, part in contribs:
            x = x.reshape(n_t, batch, *self.out_shape)
            tgt = y[1 + d:1 + d + n_t]
            if part is not None:
                tgt = tgt[:, part]
            tgt += x if mask is None else x * mask
        line.load(y[n_t:n_t + length])
        return y[:n_t]


SYNAPSE_MODELS: dict[str, type[SynapseModel]] = {}


def register_synapse_model(kind: str) -> Callable[[type[SynapseModel]], type[SynapseModel]]:
    """Class decorator registering a native model for synapse plans of ``kind``."""

    def deco(cls: type[SynapseModel]) -> type[SynapseModel]:
        if kind in SYNAPSE_MODELS and SYNAPSE_MODELS[kind] is not cls:
            raise ValueError(f"a native synapse model for {kind!r} is already registered")
        SYNAPSE_MODELS[kind] = cls
        return cls

    return deco


class _DenseDelays:
    """Per-delay masked weight matrices for a dense synapse with an (out, in) delay matrix."""

    def __init__(self, weight: np.ndarray, delay: np.ndarray | None) -> None:
        self.row_delays: np.ndarray | None = None
        self.per_delay: list[tuple[int, ExactWeights]] = []
        self.full = ExactWeights(weight)
        if delay is None:
            return
        if np.all(delay == delay[:, :1]):  # one delay per output neuron: scatter the sum
            self.row_delays = delay[:, 0].copy()
            return
        for d in np.unique(delay):
            self.per_delay.append((int(d), ExactWeights(np.where(delay == d, weight, 0))))


@register_synapse_model("dense")
class DenseModel(SynapseModel):
    """Dense synapse, optional (out, in) delays and weight exponent."""

    def __init__(self, plan: DenseSynapse, out_shape: tuple[int, ...]) -> None:
        super().__init__(plan, out_shape)
        self._nb = kernels()
        self.exp = int(plan.weight_exp)
        self.delays = _DenseDelays(np.asarray(plan.weight, np.int64), self.delay)
        if self.delays.row_delays is not None:
            self.row_masks = [
                (int(d), self.delays.row_delays == d) for d in np.unique(self.delays.row_delays)
            ]

    #: Nonzero fraction of the inputs below which the event-driven (numba) product replaces
    #: the BLAS product: (one sample, several samples). Measured on a 2-core AVX-512 VM: the
    #: scatter wins below about 30 % (matrix-vector) and 10 % (matrix-matrix).
    scatter_fraction = (0.3, 0.1)

    def _product(self, s: np.ndarray, w: ExactWeights) -> np.ndarray:
        """Exact ``s @ W.T`` for ``s`` ``(B, in)``, int64 ``(B, out)``."""
        nb = self._nb
        if nb is not None and s.ndim == 2:
            frac = self.scatter_fraction[0 if s.shape[0] == 1 else 1]
            if np.count_nonzero(s) <= frac * s.size:
                out = np.zeros((s.shape[0], w.shape[0]), dtype=np.int64)
                nb.dense_scatter(s, w.t_small, out)
                return out
        return matmul_exact(s, w, self.absmax)

    def _dense(self, s: np.ndarray, delays: _DenseDelays,
               part: int | None = None) -> Iterator[Contribution]:
        if delays.per_delay:
            for d, w in delays.per_delay:
                yield d, None, shift(self._product(s, w), self.exp), part
            return
        x = shift(self._product(s, delays.full), self.exp)
        if delays.row_delays is None:
            yield 0, None, x, part
        else:
            for d, mask in self.row_masks:
                yield d, mask, x, part

    def contributions(self, s: np.ndarray) -> Iterator[Contribution]:  # noqa: D102
        yield from self._dense(s, self.delays)

    def output_bound(self) -> int | None:  # noqa: D102
        if self.absmax is None or type(self) is not DenseModel:
            return None
        return (self.absmax * self.delays.full.row_abs_sum) << max(self.exp, 0)


@register_synapse_model("dense_rec")
class RecurrentDenseModel(DenseModel):
    """Dense synapse plus a recurrent synapse fed by the block's own output."""

    def __init__(self, plan: Any, out_shape: tuple[int, ...]) -> None:
        super().__init__(plan, out_shape)
        self.rec = ExactWeights(np.asarray(plan.weight_rec, np.int64))
        self.rec_line = DelayLine(self.out_shape, 0)

    def reset(self, batch: int) -> None:  # noqa: D102
        super().reset(batch)
        self.rec_line.reset(batch)

    def pop(self) -> np.ndarray:  # noqa: D102
        return self.line.pop() + self.rec_line.pop()

    def push_recurrent(self, s_self: np.ndarray) -> None:
        """Feed the block's own output message of this step."""
        self.rec_line.add(shift(matmul_exact(s_self, self.rec), self.exp))


@register_synapse_model("complex_dense")
class ComplexDenseModel(DenseModel):
    """Two dense synapses (real, imaginary weights) into a resonator."""

    lead = (2,)

    def __init__(self, plan: ComplexDenseSynapse, out_shape: tuple[int, ...]) -> None:
        SynapseModel.__init__(self, plan, out_shape)
        self._nb = kernels()
        self.exp = 0
        self.parts = [
            _DenseDelays(np.asarray(plan.weight, np.int64), self.delay),
            _DenseDelays(np.asarray(plan.weight_imag, np.int64), self.delay),
        ]
        rd = self.parts[0].row_delays
        if rd is not None:
            self.row_masks = [(int(d), rd == d) for d in np.unique(rd)]

    def contributions(self, s: np.ndarray) -> Iterator[Contribution]:  # noqa: D102
        for i, part in enumerate(self.parts):
            yield from self._dense(s, part, i)


class _ConvBase(SynapseModel):
    def __init__(self, plan: Any, out_shape: tuple[int, ...]) -> None:
        if getattr(plan, "weight_imag", None) is not None:
            self.lead = (2,)
        super().__init__(plan, out_shape)
        if self.delay is not None:
            d = self.delay.reshape(-1)
            if d.size != out_shape[0]:
                raise ValueError(
                    f"conv delay must have one value per output channel ({out_shape[0]}), "
                    f"got {d.size}"
                )
            self.chan_masks = [
                (int(v), (d == v)[:, None, None]) for v in np.unique(d)
            ]

    def _wrap(self, x: np.ndarray, wrapped: bool) -> np.ndarray:
        """The 24-bit wrap, skipped when done already or when ``|x| < 2**23`` is proven."""
        kernels_ = getattr(self, "kernels", ())
        if not wrapped and (self.absmax is None or not kernels_
                            or self.absmax * max(k.row_abs_sum for k in kernels_) >= 1 << 23):
            x = wrap_signed(x, 24)
        return x

    def _deliver(self, x: np.ndarray, part: int | None,
                 wrapped: bool = False) -> Iterator[Contribution]:
        x = self._wrap(x, wrapped)
        if self.delay is None:
            yield 0, None, x, part
        else:
            for d, mask in self.chan_masks:
                yield d, mask, x, part


def _scatter_weights(kernel: ConvKernel) -> np.ndarray:
    """``(C_in kH kW, C_out)`` narrowest int (one group): row ``(c kH + ky) kW + kx`` holds the
    weights ``w[:, c, ky, kx]`` an input of channel ``c`` sends through tap ``(ky, kx)``."""
    c_out, c_in, kh, kw = kernel.shape
    w = kernel.w_int.reshape(c_out, c_in, kh, kw).transpose(1, 2, 3, 0)
    return smallest_int(w.reshape(c_in * kh * kw, c_out))  # fewer bytes per scattered row


@register_synapse_model("conv")
class ConvModel(_ConvBase):
    """2-D convolution (also sum pooling), output wrapped to 24 bit as Lava's Conv."""

    #: Cost of one scattered (output position, weight row) pair of the event-driven (numba)
    #: product in float32 BLAS multiply-adds of the dense product: about 10 ns against
    #: 0.025-0.04 ns (single thread, 2-core AVX-512 VM, C_out 24-64). See
    #: :meth:`_scatter_limit`.
    pair_cost = 250.0
    #: Fixed cost of the dense product (padding, im2col, dtype conversions: about 5 µs), in
    #: multiply-adds.
    gemm_overhead = 1.5e5

    def __init__(self, plan: ConvSynapse, out_shape: tuple[int, ...]) -> None:
        super().__init__(plan, out_shape)
        self.kernels = [ConvKernel(plan.weight, plan.groups)]
        if plan.weight_imag is not None:
            self.kernels.append(ConvKernel(plan.weight_imag, plan.groups))
        self._nb = kernels()
        self._wt = ([_scatter_weights(k) for k in self.kernels]
                    if self._nb is not None and plan.groups == 1 else [])
        self._geometry: dict[tuple[int, ...], tuple] = {}
        self._conv_plans: dict[tuple, Conv2dPlan] = {}

    def _scatter_limit(self, s: np.ndarray, ho: int, wo: int) -> int:
        """Largest number of nonzero inputs for which scattering them beats im2col + GEMM.

        Each nonzero input reaches about ``kH kW / (sH sW)`` (position, weight row) pairs,
        each costing :attr:`pair_cost` multiply-adds of the dense product
        (``B C_out Ho Wo C_in/g kH kW`` multiply-adds plus :attr:`gemm_overhead`).
        """
        c_out, c_in_g, kh, kw = self.kernels[0].shape
        sh, sw = self.plan.stride
        pairs_per_input = max(1.0, kh * kw / (sh * sw))
        dense = s.shape[0] * (c_out * ho * wo * c_in_g * kh * kw + self.gemm_overhead)
        return int(min(dense / (self.pair_cost * pairs_per_input), s.size))

    def _conv(self, s: np.ndarray, i: int) -> tuple[np.ndarray, bool]:
        """The products ``(B, C_out, Ho, Wo)`` and whether they are already wrapped."""
        p = self.plan
        if not self._wt or s.ndim != 4:
            return self._dense_conv(s, i), False
        k = self.kernels[i]
        geom = self._geometry.get(s.shape[1:])
        if geom is None:  # per input shape: output size, scatter limit (per sample), args
            _, _, kh, kw = k.shape
            (sh, sw), (ph, pw), (dh, dw) = p.stride, p.padding, p.dilation
            ho = (s.shape[2] + 2 * ph - dh * (kh - 1) - 1) // sh + 1
            wo = (s.shape[3] + 2 * pw - dw * (kw - 1) - 1) // sw + 1
            geom = self._geometry[s.shape[1:]] = (
                (k.shape[0], ho, wo), self._scatter_limit(s[:1], ho, wo),
                (kh, kw, sh, sw, ph, pw, dh, dw))
        out_shape, limit, args = geom
        if s.shape[0] == 1:
            # numpy's count is SIMD (a few µs)
            if np.count_nonzero(s) <= limit:
                return self._scatter(s, i, out_shape, args), True
            return self._dense_conv(s, i), False
        dense = self._nb.nonzero_per_row(s.reshape(s.shape[0], -1)) > limit
        if not dense.any():
            return self._scatter(s, i, out_shape, args), True
        if dense.all():
            return self._dense_conv(s, i), False
        out = np.empty((s.shape[0], *out_shape), dtype=np.int64)
        out[dense] = wrap_signed(self._dense_conv(s[dense], i), 24)  # e.g. the first steps
        out[~dense] = self._scatter(s[~dense], i, out_shape, args)
        return out, True

    def _scatter(self, x: np.ndarray, i: int, out_shape: tuple[int, ...],
                 args: tuple[int, ...]) -> np.ndarray:
        """Event-driven product (numba), wrapped to 24 bit."""
        out = np.zeros((x.shape[0], *out_shape), dtype=np.int64)
        self._nb.conv_scatter(x, self._wt[i], *args, x.size, self.kernels[i].row_abs_sum, out)
        return out

    def _dense_conv(self, s: np.ndarray, i: int) -> np.ndarray:
        p = self.plan
        if self.absmax is None or s.ndim != 4:  # bound of the input unknown: per call
            return conv2d(s, self.kernels[i], p.stride, p.padding, p.dilation, self.absmax)
        key = (i, s.shape, self.absmax)
        plan = self._conv_plans.get(key)
        if plan is None:
            if len(self._conv_plans) > 64:  # e.g. many sub-batch sizes: start over
                self._conv_plans.clear()
            plan = self._conv_plans[key] = Conv2dPlan(
                s.shape, self.kernels[i], p.stride, p.padding, p.dilation, self.absmax)
        return plan(s)

    def output_bound(self) -> int | None:  # noqa: D102
        if self.absmax is None:
            return None
        return min(self.absmax * max(k.row_abs_sum for k in self.kernels), 1 << 23)

    def contributions(self, s: np.ndarray) -> Iterator[Contribution]:  # noqa: D102
        for i in range(len(self.kernels)):
            x, wrapped = self._conv(s, i)
            yield from self._deliver(x, i if len(self.kernels) > 1 else None, wrapped)

    def push(self, s: np.ndarray) -> None:  # noqa: D102
        if self.delay is None and len(self.kernels) == 1:  # common case, no generator
            x, wrapped = self._conv(s, 0)
            self.line.add(self._wrap(x, wrapped))
            return
        super().push(s)


@register_synapse_model("convT")
class ConvTransposeModel(_ConvBase):
    """Transposed 2-D convolution (also unpooling), wrapped to 24 bit."""

    def __init__(self, plan: ConvTransposeSynapse, out_shape: tuple[int, ...]) -> None:
        super().__init__(plan, out_shape)
        self.kernels = [ConvKernel(transpose_kernel(plan.weight, plan.groups), plan.groups)]
        if plan.weight_imag is not None:
            self.kernels.append(
                ConvKernel(transpose_kernel(plan.weight_imag, plan.groups), plan.groups)
            )

    def output_bound(self) -> int | None:  # noqa: D102
        if self.absmax is None:
            return None
        return min(self.absmax * max(k.row_abs_sum for k in self.kernels), 1 << 23)

    def contributions(self, s: np.ndarray) -> Iterator[Contribution]:  # noqa: D102
        p = self.plan
        for i, k in enumerate(self.kernels):
            x = conv_transpose2d(s, k, p.stride, p.padding, p.dilation, self.absmax)
            yield from self._deliver(x, i if len(self.kernels) > 1 else None)
