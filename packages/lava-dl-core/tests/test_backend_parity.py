"""Every compiled backend equals the reference backend bit for bit, primitive by primitive.

Random cases (hypothesis) cover many ``(M, T)`` shapes (including empty ones), both float dtypes,
state scales that are and are not powers of two, inputs on the fixed-point grid (so that
threshold ties really happen) and off it, negative states (truncation toward zero), per-neuron
parameters, with and without reset thresholds and backward keep masks. The ``numba`` cases run
everywhere; the ``cupy`` cases are marked ``cuda`` and skip with the reason when CuPy or a CUDA
device is missing.
"""

from __future__ import annotations

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lava.lib.dl.core._backends import _registry
from lava.lib.dl.core._backends import reference as ref

P = 4096


def _backend_param(name):
    marks = [pytest.mark.cuda] if name == "cupy" else []
    return pytest.param(name, marks=marks, id=name)


BACKENDS = [_backend_param("numba"), _backend_param("cupy")]


def _load(name):
    mod, reason = _registry.load(name)
    if mod is None:
        if name == "cupy":
            pytest.skip(f"cupy backend unavailable: {reason}")
        pytest.fail(f"backend {name} must be available here: {reason}")
    return mod


def _device(name):
    return torch.device("cuda") if name == "cupy" else torch.device("cpu")


# --------------------------------------------------------------------------- case generation
SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)

case = st.fixed_dictionaries(
    {
        "m": st.integers(0, 37),
        "t": st.integers(1, 29),
        "dtype": st.sampled_from([torch.float32, torch.float64]),
        "s_scale": st.sampled_from([4096, 4096, 64, 1000, 1]),
        "grid": st.booleans(),
        "seed": st.integers(0, 2**31 - 1),
        "flag": st.booleans(),
        "amp": st.sampled_from([0.5, 2.0, 50.0]),
    }
)


class Gen:
    """Random tensors of one case (CPU; moved to the backend's device by :func:`_to`)."""

    def __init__(self, c):
        self.c = c
        self.g = torch.Generator().manual_seed(c["seed"])
        self.m, self.t, self.dtype = c["m"], c["t"], c["dtype"]

    def trace(self, amp=None):
        amp = self.c["amp"] if amp is None else amp
        x = (torch.rand(self.m, self.t, generator=self.g, dtype=torch.float64) * 2 - 1) * amp
        if self.c["grid"]:  # exact multiples of 1/s_scale: threshold ties happen
            s = self.c["s_scale"]
            x = torch.round(x * s) / s
        return x.to(self.dtype)

    def ints(self, lo, hi):
        return torch.randint(lo, hi, (self.m,), generator=self.g, dtype=torch.int64)

    def floats(self, lo, hi):
        u = torch.rand(self.m, generator=self.g, dtype=torch.float64)
        v = lo + (hi - lo) * u
        if self.c["grid"]:
            s = self.c["s_scale"]
            v = torch.round(v * s) / s
        return v.to(self.dtype)

    def keep(self):
        return (torch.rand(self.m, self.t, generator=self.g) > 0.3).to(self.dtype)

    def state_scale(self):
        return self.c["s_scale"] * max(self.c["amp"], 1.0)


def _to(args, device):
    if isinstance(args, torch.Tensor):
        return args.to(device)
    if isinstance(args, dict):
        return {k: _to(v, device) for k, v in args.items()}
    return args


def _run_both(name, primitive, args, kwargs=None):
    """Run ``primitive`` on the reference (CPU) and on backend ``name``; return both."""
    kwargs = kwargs or {}
    mod = _load(name)
    dev = _device(name)
    before = {k: v.clone() for k, v in args.items() if isinstance(v, torch.Tensor)}
    expected = getattr(ref, primitive)(**args, **kwargs)
    got = getattr(mod, primitive)(**_to(args, dev), **kwargs)
    for k, v in before.items():  # inputs are never modified in place
        assert torch.equal(v, args[k]), f"{primitive} modified {k}"
    if isinstance(expected, torch.Tensor):
        expected, got = (expected,), (got,)
    return expected, tuple(g.cpu() for g in got)


def _assert_identical(expected, got):
    assert len(expected) == len(got)
    for e, g in zip(expected, got, strict=True):
        assert g.dtype == e.dtype and g.shape == e.shape
        # bit identity (NaN never appears in these cases)
        assert torch.equal(e, g), (e - g).abs().max()


# --------------------------------------------------------------------------- leaky integrator
def _li_fwd_args(gen):
    ss = gen.state_scale()
    thr = gen.ints(1, int(2 * ss) + 2) if gen.c["flag"] else None
    return {
        "x": gen.trace(),
        "decay": gen.ints(0, P + 1),
        "state": gen.ints(-int(ss), int(ss) + 1),
        "threshold": thr,
    }


@pytest.mark.parametrize("name", BACKENDS)
@SETTINGS
@given(c=case)
def test_leaky_integrator_fwd(name, c):
    gen = Gen(c)
    args = _li_fwd_args(gen)
    _assert_identical(*_run_both(name, "leaky_integrator_fwd", args, {"s_scale": c["s_scale"]}))


@pytest.mark.parametrize("name", BACKENDS)
@SETTINGS
@given(c=case)
def test_leaky_integrator_bwd(name, c):
    gen = Gen(c)
    args = {
        "grad_y": gen.trace(),
        "gain": (1 - gen.ints(0, P + 1).to(c["dtype"]) / P),
        "keep": gen.keep() if c["flag"] else None,
    }
    _assert_identical(*_run_both(name, "leaky_integrator_bwd", args))


def test_leaky_integrator_reset_tie_is_inclusive():
    """``Y >= threshold`` resets (the caller passes S*theta + 1 for a strict test)."""
    x = torch.tensor([[0.5, 0.5, 0.5, 0.5]])
    decay = torch.tensor([0])
    state = torch.tensor([0])
    th = torch.tensor([P])  # reached exactly at t = 1
    for name in ("reference", "numba"):
        mod = _load(name)
        y = mod.leaky_integrator_fwd(x, decay, state, th, s_scale=P)
        assert y.tolist() == [[0.5, 1.0, 0.5, 1.0]], name


# --------------------------------------------------------------------------- resonator
def _res_fwd_args(gen):
    ss = gen.state_scale()
    mag = gen.ints(0, P + 1)
    phi = torch.rand(gen.m, generator=gen.g, dtype=torch.float64) * 6.3
    return {
        "x_re": gen.trace(),
        "x_im": gen.trace(),
        "sin_decay": (mag * torch.sin(phi)).to(torch.int64),
        "cos_decay": (mag * torch.cos(phi)).to(torch.int64),
        "re_state": gen.ints(-int(ss), int(ss) + 1),
        "im_state": gen.ints(-int(ss), int(ss) + 1),
        "threshold": gen.ints(-int(ss) // 4, int(ss) + 2) if gen.c["flag"] else None,
    }


@pytest.mark.parametrize("name", BACKENDS)
@SETTINGS
@given(c=case)
def test_resonator_fwd(name, c):
    gen = Gen(c)
    _assert_identical(
        *_run_both(name, "resonator_fwd", _res_fwd_args(gen), {"s_scale": c["s_scale"]})
    )


@pytest.mark.parametrize("name", BACKENDS)
@SETTINGS
@given(c=case)
def test_resonator_bwd(name, c):
    gen = Gen(c)
    args = {
        "grad_re": gen.trace(),
        "grad_im": gen.trace(),
        "sin_gain": gen.floats(-1, 1),
        "cos_gain": gen.floats(-1, 1),
        "keep": gen.keep() if c["flag"] else None,
    }
    _assert_identical(*_run_both(name, "resonator_bwd", args))


# --------------------------------------------------------------------------- adaptive threshold
def _adapt_args(gen):
    ss = int(gen.state_scale())
    th0 = gen.ints(1, ss + 2)
    return {
        "ref_decay": gen.ints(0, P + 1),
        "th_decay": gen.ints(0, P + 1),
        "th0": th0,
        "th_step": gen.ints(0, ss + 1),
        # negative refractory / below-rest thresholds exercise truncation toward zero
        "ref_state": gen.ints(-ss, ss + 1) if gen.c["flag"] else gen.ints(0, ss + 1),
        "th_state": th0 + (gen.ints(-ss, ss + 1) if gen.c["flag"] else gen.ints(0, ss + 1)),
    }


@pytest.mark.parametrize("name", BACKENDS)
@SETTINGS
@given(c=case)
def test_adaptive_threshold_fwd(name, c):
    gen = Gen(c)
    args = {"v": gen.trace(), **_adapt_args(gen)}
    _assert_identical(*_run_both(name, "adaptive_threshold_fwd", args, {"s_scale": c["s_scale"]}))


@pytest.mark.parametrize("name", BACKENDS)
@SETTINGS
@given(c=case)
def test_adaptive_phase_th_fwd(name, c):
    gen = Gen(c)
    ss = int(gen.state_scale())
    args = {"re": gen.trace(), "im": gen.trace(), "im_state": gen.ints(-ss, ss + 1)}
    args.update(_adapt_args(gen))
    _assert_identical(*_run_both(name, "adaptive_phase_th_fwd", args, {"s_scale": c["s_scale"]}))


@pytest.mark.parametrize("name", BACKENDS)
@SETTINGS
@given(c=case)
def test_adaptive_resonator_fwd(name, c):
    gen = Gen(c)
    r = _res_fwd_args(gen)
    r.pop("threshold")
    a = _adapt_args(gen)
    args = {
        "x_re": r["x_re"],
        "x_im": r["x_im"],
        "sin_decay": r["sin_decay"],
        "cos_decay": r["cos_decay"],
        "ref_decay": a["ref_decay"],
        "th_decay": a["th_decay"],
        "th0": a["th0"],
        "th_step": a["th_step"],
        "re_state": r["re_state"],
        "im_state": r["im_state"],
        "ref_state": a["ref_state"],
        "th_state": a["th_state"],
    }
    _assert_identical(*_run_both(name, "adaptive_resonator_fwd", args, {"s_scale": c["s_scale"]}))


# --------------------------------------------------------------------------- delta encoder
@pytest.mark.parametrize("name", BACKENDS)
@SETTINGS
@given(c=case)
def test_delta_encoder_fwd(name, c):
    gen = Gen(c)
    amp = c["amp"]
    args = {
        "x": gen.trace(),
        "threshold": gen.floats(0, amp),
        "prev": gen.floats(-amp, amp),
        "residual": gen.floats(-amp / 4, amp / 4) if c["flag"] else gen.floats(0, 0),
    }
    _assert_identical(*_run_both(name, "delta_encoder_fwd", args))


# --------------------------------------------------------------------------- larger shapes
@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("m,t", [(1, 500), (4099, 3), (1000, 64)])
def test_large_shapes_all_primitives(name, m, t):
    """Shapes larger than one thread block / many blocks; every forward and backward."""
    c = {
        "m": m,
        "t": t,
        "dtype": torch.float32,
        "s_scale": P,
        "grid": False,
        "seed": m + t,
        "flag": True,
        "amp": 2.0,
    }
    gen = Gen(c)
    _assert_identical(*_run_both(name, "leaky_integrator_fwd", _li_fwd_args(gen), {"s_scale": P}))
    _assert_identical(*_run_both(name, "resonator_fwd", _res_fwd_args(gen), {"s_scale": P}))
    args = {"v": gen.trace(), **_adapt_args(gen)}
    _assert_identical(*_run_both(name, "adaptive_threshold_fwd", args, {"s_scale": P}))
    gy = {"grad_y": gen.trace(), "gain": gen.floats(0, 1), "keep": gen.keep()}
    _assert_identical(*_run_both(name, "leaky_integrator_bwd", gy))
    gr = {
        "grad_re": gen.trace(),
        "grad_im": gen.trace(),
        "sin_gain": gen.floats(-1, 1),
        "cos_gain": gen.floats(-1, 1),
        "keep": None,
    }
    _assert_identical(*_run_both(name, "resonator_bwd", gr))


@pytest.mark.parametrize("name", BACKENDS)
def test_non_contiguous_traces(name):
    """Traces that are views (transposes) give the same result as contiguous copies."""
    g = torch.Generator().manual_seed(3)
    base = torch.randn(20, 7, generator=g)  # (T, M) then transposed to (M, T)
    x = base.t()
    assert not x.is_contiguous()
    decay = torch.randint(0, P + 1, (7,), generator=g)
    state = torch.zeros(7, dtype=torch.int64)
    expected = ref.leaky_integrator_fwd(x, decay, state, None, s_scale=P)
    mod = _load(name)
    dev = _device(name)
    got = mod.leaky_integrator_fwd(x.to(dev), decay.to(dev), state.to(dev), None, s_scale=P).cpu()
    assert torch.equal(expected, got)


@pytest.mark.parametrize("name", BACKENDS)
@pytest.mark.parametrize("m,t", [(0, 5), (3, 0), (0, 0)])
def test_empty_shapes(name, m, t):
    """Empty neuron or time axes give empty outputs of the right shape and dtype."""
    mod = _load(name)
    dev = _device(name)
    x = torch.zeros(m, t, device=dev)
    z = torch.zeros(m, dtype=torch.int64, device=dev)
    f = torch.zeros(m, device=dev)
    outs = [
        mod.leaky_integrator_fwd(x, z, z, z, s_scale=P),
        mod.leaky_integrator_bwd(x, f, None),
        *mod.resonator_fwd(x, x, z, z, z, z, None, s_scale=P),
        *mod.resonator_bwd(x, x, f, f, x),
        *mod.adaptive_threshold_fwd(x, z, z, z, z, z, z, s_scale=P),
        *mod.adaptive_phase_th_fwd(x, x, z, z, z, z, z, z, z, s_scale=P),
        *mod.adaptive_resonator_fwd(x, x, z, z, z, z, z, z, z, z, z, z, s_scale=P),
        mod.delta_encoder_fwd(x, f, f, f),
    ]
    for o in outs:
        assert o.shape == (m, t) and o.dtype == torch.float32 and o.device == x.device
