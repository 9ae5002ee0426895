"""Native neuron models: one class per :mod:`~lava.lib.dl.netx._plan` neuron kind.

Each model keeps its state in a dict of int64 arrays of shape ``(B, *shape)`` and advances it by
one step with :meth:`NeuronModel.step`, returning the output message (int64, same shape). The
equations are documented on the plan classes; the shared integer operations live in
:mod:`._ops`. Models are looked up through :data:`NEURON_MODELS` (keyed by ``plan.kind``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from .._plan import (
    ACTIVATIONS,
    ADRFNeuron,
    ALIFNeuron,
    DeltaNeuron,
    LIFNeuron,
    NeuronPlan,
    RFNeuron,
    SigmaDeltaNeuron,
    SigmaNeuron,
)
from ._numba import kernels
from ._ops import STATE_LIMIT, _outside, clip_state, decay, rtz_shift, wrap_current

__all__ = ["NEURON_MODELS", "NeuronModel", "register_neuron_model"]

State = dict[str, np.ndarray]


class NeuronModel:
    """Base class. Subclasses set ``state_names`` and implement :meth:`step`.

    Parameters
    ----------
    plan : NeuronPlan
        The translated parameters.
    shape : tuple of int
        Neuron shape (file order).
    """

    state_names: ClassVar[tuple[str, ...]] = ()
    complex_input: ClassVar[bool] = False

    def __init__(self, plan: NeuronPlan, shape: tuple[int, ...]) -> None:
        self.plan = plan
        self.shape = tuple(shape)

    def init_state(self, batch: int) -> State:
        """Zero state for ``batch`` samples."""
        return {n: np.zeros((batch, *self.shape), dtype=np.int64) for n in self.state_names}

    def step(self, state: State, a: Any, t: int) -> np.ndarray:  # pragma: no cover - abstract
        """Advance one step with input ``a`` at time step ``t`` (from 1); return the message
        (bool for binary spikes, int64 for graded messages)."""
        raise NotImplementedError

    def run_sequence(self, state: State, a: np.ndarray, t0: int) -> np.ndarray:
        """Advance ``T`` steps at once; same result and final state as ``T`` :meth:`step` calls.

        Parameters
        ----------
        state : dict of str to np.ndarray
            The state, updated.
        a : np.ndarray
            Inputs ``(T, B, *shape)`` (``(T, 2, B, *shape)`` for complex inputs).
        t0 : int
            Number of the first step (from 1).

        Returns
        -------
        np.ndarray
            Messages ``(T, B, *shape)``, dtype as :meth:`step` returns.
        """
        outs = [self.step(state, a[j], t0 + j) for j in range(a.shape[0])]
        return np.stack(outs)


NEURON_MODELS: dict[str, type[NeuronModel]] = {}


def register_neuron_model(kind: str) -> Callable[[type[NeuronModel]], type[NeuronModel]]:
    """Class decorator registering a native model for neuron plans of ``kind``."""

    def deco(cls: type[NeuronModel]) -> type[NeuronModel]:
        if kind in NEURON_MODELS and NEURON_MODELS[kind] is not cls:
            raise ValueError(f"a native neuron model for {kind!r} is already registered")
        NEURON_MODELS[kind] = cls
        return cls

    return deco


def _bias(bias: np.ndarray | None, exp: int) -> np.ndarray | int:
    if bias is None:
        return 0
    b = np.asarray(bias, dtype=np.int64)
    return b << exp if exp >= 0 else b >> (-exp)


def _decay_value(d: int | np.ndarray, offset: int, shape: tuple[int, ...]) -> int | np.ndarray:
    """A plan decay plus ``offset``: an int, or an int64 array of the neuron shape (per-neuron
    decays, which broadcast over the batch axis of the state)."""
    if np.ndim(d) == 0:
        return int(d) + offset
    return np.broadcast_to(np.asarray(d, dtype=np.int64), shape) + offset


def _rows(a: Any, n_t: int, n_b: int, kinds: str) -> np.ndarray:
    """``a`` as a C-contiguous ``(T, B, M)`` array for a numba kernel (int64 unless its dtype
    kind is in ``kinds``). A strided input (e.g. one step of a time-last array) is gathered
    once by numpy, much faster than a kernel reading one cache line per element."""
    a = np.asarray(a)
    if a.dtype.kind not in kinds:
        a = a.astype(np.int64)
    return np.ascontiguousarray(a).reshape(n_t, n_b, -1)


def _periodic_reset(state: State, plan: Any, t: int, names: tuple[str, ...]) -> None:
    interval = plan.reset_interval
    if interval and t % interval == plan.reset_offset % interval:
        for n in names:
            state[n][...] = 0


@register_neuron_model("lif")
class LIFModel(NeuronModel):
    """Loihi CUBA LIF (:class:`~lava.lib.dl.netx._plan.LIFNeuron`); states ``u``, ``v``.

    ``u`` and ``v`` are kept as float64 arrays holding exact integers: every intermediate value
    is an integer below :math:`2^{37}`, a decay factor :math:`(4096 - d)/4096` is a dyadic
    number, so ``trunc(x * (4096 - d) / 4096)`` equals the integer sign-magnitude shift exactly,
    and float64 passes are cheaper than int64 shifts. The numba kernel computes in float64 and
    stores ``v`` (clipped to 24 bits) as float32, and ``u`` too when the input bound proves
    ``|u| < 2**23`` (Lava's single wrap does not bound ``u`` for huge inputs). Probes return
    int64.
    """

    state_names = ("u", "v")

    def __init__(self, plan: LIFNeuron, shape: tuple[int, ...]) -> None:
        super().__init__(plan, shape)
        self.set_bias(plan.bias_mant)
        self.decay_u = _decay_value(plan.du, 1, self.shape)
        self.decay_v = _decay_value(plan.dv, 0, self.shape)
        self.vth = int(plan.vth) << 6
        self.check_u = self.check_v = True
        self._input_bound: int | None = None
        self._nb = kernels()
        one = float(1 << 12)
        per_neuron = np.ndim(self.decay_u) or np.ndim(self.decay_v)
        # decay factors of the numba kernel (one per layer; per-neuron decays use numpy)
        self._fu = None if per_neuron else (one - self.decay_u) / one
        self._fv = None if per_neuron else (one - self.decay_v) / one
        self._consts = (float(self.vth), int(plan.reset_interval or 0), int(plan.reset_offset))
        self._views: tuple | None = None  # (u, v, their (B, M) views) of the last state seen

    def set_input_bound(self, bound: int | None) -> None:
        """Declare ``|a| <= bound`` for every input; the 24-bit wrap of ``u`` and the clip of
        ``v`` are then only scanned for when the geometric bounds
        ``|u| <= 64 bound 4096 / iDecay`` and ``|v| <= (|u| + |bias|) 4096 / vDecay`` do not
        already exclude them."""
        self._input_bound = bound
        self.check_u = self.check_v = True
        if bound is None:
            return
        lim = 1 << 23
        decay_u, decay_v = int(np.min(self.decay_u)), int(np.min(self.decay_v))
        if decay_u <= 0:
            return
        u_max = (bound * 64 * 4096) // decay_u + 64
        self.check_u = u_max >= lim
        if decay_v <= 0 or self.check_u:
            return
        b_max = 0 if self.bias_mant is None else int(np.abs(np.asarray(self.bias)).max())
        v_max = ((u_max + b_max) * 4096) // decay_v + 64
        self.check_v = v_max > STATE_LIMIT

    def set_bias(self, bias_mant: np.ndarray | None) -> None:
        """Replace the bias mantissa (layer shape, file order), e.g. to drive an input layer."""
        if bias_mant is not None:
            bias_mant = np.broadcast_to(np.asarray(bias_mant, dtype=np.int64), self.shape)
        self.bias_mant = bias_mant
        self.bias = _bias(bias_mant, self.plan.bias_exp)
        self._bias_f = None if bias_mant is None else np.asarray(self.bias, dtype=np.float64)
        self._bias_flat = (np.zeros(int(np.prod(self.shape)), dtype=np.float64)
                           if self._bias_f is None else np.ascontiguousarray(self._bias_f).ravel())
        if getattr(self, "_input_bound", None) is not None:
            self.set_input_bound(self._input_bound)  # the voltage bound depends on the bias

    def init_state(self, batch: int) -> State:  # noqa: D102
        # the numba kernel computes in float64 but stores v (clipped to 24 bits) and, when the
        # input bound proves |u| < 2**23, u as float32: exact, half the memory traffic
        fast = self._nb is not None and type(self) is LIFModel and self._fu is not None
        return {
            "u": np.zeros((batch, *self.shape),
                          dtype=np.float32 if fast and not self.check_u else np.float64),
            "v": np.zeros((batch, *self.shape), dtype=np.float32 if fast else np.float64),
        }

    @staticmethod
    def _leak(x: np.ndarray, d: int | np.ndarray) -> None:
        if isinstance(d, np.ndarray):  # per-neuron decays (np.ndim is slow per step)
            x *= ((1 << 12) - d) / (1 << 12)
            np.trunc(x, out=x)
            return
        if d == 0:
            return
        if d == 1 << 12:
            x[...] = 0
            return
        x *= ((1 << 12) - d) / (1 << 12)
        np.trunc(x, out=x)

    def _fast_state(self, state: State) -> tuple[np.ndarray, np.ndarray] | None:
        """``(u, v)`` as ``(B, M)`` views for the numba kernel, or None (numpy path)."""
        if self._nb is None or type(self) is not LIFModel or self._fu is None:
            return None
        u, v = state["u"], state["v"]
        cached = self._views
        if cached is not None and cached[0] is u and cached[1] is v:
            return cached[2]
        if self.check_u and u.dtype == np.float32:  # no bound (any more): a wrapped u may
            u = state["u"] = u.astype(np.float64)   # need more than 24 bits
        for x in (u, v):
            if (x.dtype not in (np.float32, np.float64) or not x.flags.c_contiguous
                    or x.shape[1:] != self.shape):
                return None
        views = (u.reshape(u.shape[0], -1), v.reshape(v.shape[0], -1))
        self._views = (u, v, views)
        return views

    def _kernel(self, uv: tuple[np.ndarray, np.ndarray], a: np.ndarray, t0: int) -> np.ndarray:
        u2, v2 = uv
        n_t, n_b = a.shape[0], u2.shape[0]
        if a.flags.c_contiguous and a.dtype.kind in "biuf":
            a3 = a.reshape(n_t, n_b, u2.shape[1])
        else:
            a3 = _rows(a, n_t, n_b, "biuf")
        s = np.empty(a3.shape, dtype=np.bool_)
        vth, interval, offset = self._consts
        self._nb.lif_run(u2, v2, a3, self._bias_flat, self._fu, self._fv, vth, interval, offset,
                         t0, s)
        return s.reshape(n_t, n_b, *self.shape)

    def run_sequence(self, state: State, a: np.ndarray, t0: int) -> np.ndarray:  # noqa: D102
        uv = self._fast_state(state)
        if uv is None or a.shape[1:] != state["u"].shape:
            return super().run_sequence(state, a, t0)
        return self._kernel(uv, a, t0)

    def step(self, state: State, a: np.ndarray, t: int) -> np.ndarray:  # noqa: D102
        if self._nb is not None:
            uv = self._fast_state(state)
            if uv is not None and type(a) is np.ndarray and a.shape == state["u"].shape:
                return self._kernel(uv, a[None], t)[0]
            for n in ("u", "v"):  # numpy passes need float64 (products of up to 37 bits)
                if state[n].dtype != np.float64:
                    state[n] = state[n].astype(np.float64)
        _periodic_reset(state, self.plan, t, ("u", "v"))
        u, v = state["u"], state["v"]
        if not isinstance(self.decay_u, np.ndarray) and self.decay_u == 1 << 12:
            np.multiply(a, 64.0, out=u)
        else:
            self._leak(u, self.decay_u)
            u += a * 64.0
        if self.check_u and _outside(u, -(1 << 23) + 1, 1 << 23):
            u[...] = wrap_current(u)
        self._leak(v, self.decay_v)
        v += u
        if self._bias_f is not None:
            v += self._bias_f
        if self.check_v and _outside(v, -STATE_LIMIT, STATE_LIMIT):
            np.clip(v, -STATE_LIMIT, STATE_LIMIT, out=v)
        s = v > self.vth
        np.multiply(v, ~s, out=v)  # reset (a product: masked stores are far slower)
        return s  # spikes travel as bool (the network returns int64)


@register_neuron_model("alif")
class ALIFModel(LIFModel):
    """Adaptive LIF (:class:`~lava.lib.dl.netx._plan.ALIFNeuron`); ``u, v, th, ref``."""

    state_names = ("u", "v", "th", "ref")

    def __init__(self, plan: ALIFNeuron, shape: tuple[int, ...]) -> None:
        super().__init__(plan, shape)  # type: ignore[arg-type]
        self.step_th = int(plan.vth_step) << 6

    def init_state(self, batch: int) -> State:  # noqa: D102
        st = NeuronModel.init_state(self, batch)  # int64 states
        st["th"][...] = self.vth
        return st

    def step(self, state: State, a: np.ndarray, t: int) -> np.ndarray:  # noqa: D102
        p = self.plan
        interval = p.reset_interval
        if interval and t % interval == p.reset_offset % interval:
            state["u"][...] = 0
            state["v"][...] = 0
            state["ref"][...] = 0
            state["th"][...] = self.vth
        u = wrap_current(decay(state["u"], self.decay_u) + (a << 6))
        v = clip_state(decay(state["v"], self.decay_v) + u + self.bias)
        ref = decay(state["ref"], p.ref_decay)
        th = decay(state["th"] - self.vth, p.th_decay) + self.vth
        s = v >= th + ref
        ref = ref + 2 * th * s
        th = th + self.step_th * s
        state.update(u=u, v=v, th=th, ref=ref)
        return s  # spikes travel as bool (the network returns int64)


@register_neuron_model("delta")
class DeltaModel(NeuronModel):
    """Sigma-delta input encoder (:class:`~lava.lib.dl.netx._plan.DeltaNeuron`)."""

    state_names = ("act", "residue", "error")

    def __init__(self, plan: DeltaNeuron, shape: tuple[int, ...]) -> None:
        super().__init__(plan, shape)
        self.exp = int(plan.spike_exp) + int(plan.state_exp)
        self.vth = int(plan.vth) << self.exp
        self._nb = kernels()
        self._relu = False
        self._bias_flat = np.zeros(int(np.prod(self.shape)), dtype=np.int64)

    def _delta(self, state: State, x: np.ndarray) -> np.ndarray:
        delta = x - state["act"] + state["residue"]
        if self.plan.cum_error:
            state["error"] = state["error"] + delta
            s = delta * (np.abs(state["error"]) >= self.vth)
            state["error"] = state["error"] * (s == 0)
        else:
            s = delta * (np.abs(delta) >= self.vth)
        state["residue"] = delta - s
        state["act"] = x
        return s >> int(self.plan.state_exp)

    def _fast_states(self, state: State) -> list[np.ndarray] | None:
        """The states as ``(B, M)`` int64 views for the numba kernel, or None (numpy path)."""
        if self._nb is None or type(self) not in (DeltaModel, SigmaDeltaModel):
            return None
        views = []
        for n in self.state_names:
            x = state[n]
            if x.dtype != np.int64 or not x.flags.c_contiguous or x.shape[1:] != self.shape:
                return None
            views.append(x.reshape(x.shape[0], -1))
        return views

    def _kernel(self, views: list[np.ndarray], a: np.ndarray) -> np.ndarray:
        has_sigma = len(views) == 4
        sigma = views[0] if has_sigma else views[-1]
        act, residue, error = views[-3:]
        n_t, n_b = a.shape[0], act.shape[0]
        a3 = _rows(a, n_t, n_b, "biu")
        out = np.empty(a3.shape, dtype=np.int64)
        p = self.plan
        self._nb.sigma_delta_run(has_sigma, sigma, act, residue, error, a3, self.exp,
                                 self._bias_flat, self._relu, self.vth, int(p.state_exp),
                                 bool(p.cum_error), out)
        return out.reshape(n_t, n_b, *self.shape)

    def run_sequence(self, state: State, a: np.ndarray, t0: int) -> np.ndarray:  # noqa: D102
        views = self._fast_states(state)
        if views is None or a.shape[1:] != state["act"].shape:
            return super().run_sequence(state, a, t0)
        return self._kernel(views, a)

    def step(self, state: State, a: np.ndarray, t: int) -> np.ndarray:  # noqa: D102
        views = self._fast_states(state)
        if views is not None and np.shape(a) == state["act"].shape:
            return self._kernel(views, np.asarray(a)[None])[0]
        return self._step_numpy(state, a)

    def _step_numpy(self, state: State, a: np.ndarray) -> np.ndarray:
        return self._delta(state, np.asarray(a, dtype=np.int64) << self.exp)


_ACTIVATION_FUNCS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "RELU": lambda x: np.maximum(x, 0),
    "UNIT": lambda x: x,
}


@register_neuron_model("sigma_delta")
class SigmaDeltaModel(DeltaModel):
    """Sigma-delta neuron (:class:`~lava.lib.dl.netx._plan.SigmaDeltaNeuron`)."""

    state_names = ("sigma", "act", "residue", "error")

    def __init__(self, plan: SigmaDeltaNeuron, shape: tuple[int, ...]) -> None:
        super().__init__(plan, shape)  # type: ignore[arg-type]
        mode = ACTIVATIONS.get(plan.activation)
        if mode is None:
            raise ValueError(
                f"sigma-delta activation {plan.activation!r} is not supported; use one of "
                f"{sorted(ACTIVATIONS)}"
            )
        self.act_fn = _ACTIVATION_FUNCS[mode]
        self._relu = mode == "RELU"
        self.set_bias(plan.bias)

    def set_bias(self, bias: np.ndarray | None) -> None:
        """Replace the bias (layer shape, file order, ``vThMant`` units)."""
        self.bias = _bias(
            None if bias is None else np.broadcast_to(np.asarray(bias, np.int64), self.shape),
            self.exp,
        )
        self._bias_flat = np.zeros(int(np.prod(self.shape)), dtype=np.int64) + np.ravel(
            np.broadcast_to(self.bias, self.shape))

    def _step_numpy(self, state: State, a: np.ndarray) -> np.ndarray:
        state["sigma"] = state["sigma"] + a
        return self._delta(state, self.act_fn(state["sigma"] + self.bias))


@register_neuron_model("sigma")
class SigmaModel(NeuronModel):
    """Sigma readout: ``sigma += a``; sends ``sigma``."""

    state_names = ("sigma",)

    def step(self, state: State, a: np.ndarray, t: int) -> np.ndarray:  # noqa: D102
        state["sigma"] = state["sigma"] + a
        return state["sigma"].copy()

    def run_sequence(self, state: State, a: np.ndarray, t0: int) -> np.ndarray:  # noqa: D102
        if a.shape[1:] != state["sigma"].shape:
            return super().run_sequence(state, a, t0)
        out = np.cumsum(a, axis=0, dtype=np.int64)
        out += state["sigma"]
        state["sigma"] = out[-1].copy()
        return out


class _ResonatorBase(NeuronModel):
    complex_input = True

    def _resonate(self, state: State, a: Any) -> tuple[np.ndarray, np.ndarray]:
        p = self.plan
        a_re, a_im = a
        re, im = state["re"], state["im"]
        k = int(p.decay_bits)
        re_in = np.asarray(a_re, dtype=np.int64) << int(p.state_exp)
        im_in = np.asarray(a_im, dtype=np.int64) << int(p.state_exp)
        c, s = _decay_value(p.cos_decay, 0, self.shape), _decay_value(p.sin_decay, 0, self.shape)
        new_re = rtz_shift(c * re, k) - rtz_shift(s * im, k) + re_in
        new_im = rtz_shift(s * re, k) + rtz_shift(c * im, k) + im_in
        return clip_state(new_re), clip_state(new_im)


@register_neuron_model("rf")
class RFModel(_ResonatorBase):
    """Resonate-and-fire (phase or Izhikevich variant); states ``re``, ``im``."""

    state_names = ("re", "im")

    def __init__(self, plan: RFNeuron, shape: tuple[int, ...]) -> None:
        super().__init__(plan, shape)
        self.vth = plan.effective_vth

    def step(self, state: State, a: Any, t: int) -> np.ndarray:  # noqa: D102
        re, im = self._resonate(state, a)
        if self.plan.izhikevich:
            s = im >= self.vth
            keep = ~s
            re = re * keep
            im = im * keep + s * (self.vth - 1)
        else:
            s = (re >= self.vth) & (im >= 0) & (state["im"] < 0)
        state["re"], state["im"] = re, im
        return s  # spikes travel as bool (the network returns int64)


@register_neuron_model("adrf")
class ADRFModel(_ResonatorBase):
    """Adaptive resonate-and-fire; states ``re``, ``im``, ``th``, ``ref``."""

    state_names = ("re", "im", "th", "ref")

    def __init__(self, plan: ADRFNeuron, shape: tuple[int, ...]) -> None:
        super().__init__(plan, shape)
        self.vth = int(plan.vth) << int(plan.state_exp)
        self.step_th = int(plan.vth_step) << int(plan.state_exp)

    def init_state(self, batch: int) -> State:  # noqa: D102
        st = super().init_state(batch)
        st["th"][...] = self.vth
        return st

    def step(self, state: State, a: Any, t: int) -> np.ndarray:  # noqa: D102
        p = self.plan
        re, im = self._resonate(state, a)
        ref = decay(state["ref"], p.ref_decay)
        th = decay(state["th"] - self.vth, p.th_decay) + self.vth
        if p.izhikevich:
            s = im >= th + ref
        else:
            s = (re >= th + ref) & (im >= 0) & (state["im"] < 0)
        state.update(re=re, im=im, ref=ref + 2 * th * s, th=th + self.step_th * s)
        return s  # spikes travel as bool (the network returns int64)


def _check_registry() -> None:
    for cls in (LIFNeuron, ALIFNeuron, DeltaNeuron, SigmaDeltaNeuron, SigmaNeuron, RFNeuron,
                ADRFNeuron):
        assert cls().kind in NEURON_MODELS, cls  # noqa: S101


_check_registry()
