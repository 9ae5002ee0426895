"""Reference dynamics: spec Appendix A vectors, a scalar integer oracle, layouts, states, errors."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lava.lib.dl.core import dynamics, spike
from lava.lib.dl.core.testing import random_input, random_param

REF = "reference"
S = 4096
X12 = torch.tensor([0.5, 0.75, 0, 1.0, 0, 0, 0.5, 0.5, 0.5, 0, 0, 0]).reshape(1, 1, 12)


def ints(t: torch.Tensor) -> list[int]:
    v = (t.reshape(-1) * S).double()
    assert bool((v == v.round()).all()), "not a multiple of 1/4096"
    return [int(a) for a in v]


# ----------------------------------------------------------------- spec Appendix A
def test_appendix_a_cuba():
    u = dynamics.leaky_integrator(X12, 0.25 * S, backend=REF).y
    v = dynamics.leaky_integrator(u, 0.03 * S, threshold=1.25 + 0.01 / S, backend=REF).y
    assert ints(u) == [2048, 4608, 3456, 6688, 5016, 3762, 4869, 5699, 6322, 4741, 3555, 2666]
    assert ints(v) == [2048, 6594, 3456, 10040, 5016, 8627, 4869, 10421, 6322, 4741, 8153, 2666]
    s = spike.spike_real(v, 1.25 + 0.01 / S, 1, 1)
    assert s.reshape(-1).tolist() == [0, 1, 0, 1, 0, 1, 0, 1, 1, 0, 1, 0]


def test_appendix_a_alif():
    u = dynamics.leaky_integrator(X12, 0.25 * S, backend=REF).y
    v = dynamics.leaky_integrator(u, 0.03 * S, backend=REF).y
    a = dynamics.adaptive_threshold(v, 0.2 * S, 0.1 * S, 1.0, 0.5, backend=REF)
    assert ints(v) == [
        2048, 6594, 9851, 16243, 20771, 23909, 28060, 32916, 38249, 41841, 44139, 45479
    ]
    assert ints(a.threshold) == [
        4096, 4096, 5939, 5754, 7431, 7097, 8639, 8184, 9617, 10907, 10225, 11454
    ]
    assert ints(a.refractory) == [
        0, 0, 6554, 5243, 13401, 10721, 19933, 15947, 25853, 36071, 28858, 39448
    ]
    s = spike.spike_real(v, a.threshold + a.refractory, 1, 1)
    assert s.reshape(-1).tolist() == [0, 1, 0, 1, 0, 1, 0, 1, 1, 0, 1, 0]
    # final state: the last step did not fire, so the states are the decayed values
    assert ints(a.th_state) == [11454] and ints(a.ref_state) == [39448]


def rf_inputs():
    xr = torch.zeros(1, 1, 12)
    xr[..., 0], xr[..., 8] = 1.0, 0.5
    return xr, torch.zeros_like(xr)


def test_appendix_a_rf():
    xr, xi = rf_inputs()
    r = dynamics.resonator(xr, xi, 2751, 2751, backend=REF)
    assert ints(r.real) == [4096, 2751, 0, -2481, -3332, -2237, 0, 2017, 4756, 3194, 0, -2881]
    assert ints(r.imag) == [0, 2751, 3694, 2481, 0, -2237, -3004, -2017, 0, 3194, 4290, 2881]
    s = spike.spike_complex(r.real, r.imag, 0.5, 1, 1)
    assert torch.nonzero(s.reshape(-1)).reshape(-1).tolist() == [8]


def test_appendix_a_rf_iz():
    xr, xi = rf_inputs()
    r = dynamics.resonator(xr, xi, 2751, 2751, threshold=0.5, backend=REF)
    assert ints(r.real) == [
        4096, 2751, -1374, -1844, -1238, 0, 1116, 1498, 3054, 1376, -1374, -1844
    ]
    assert ints(r.imag) == [0, 2751, 1374, 0, -1238, -1662, -1116, 0, 1006, 2726, 1374, 0]
    s = spike.spike_real(r.imag, 0.5, 1, 1)
    assert torch.nonzero(s.reshape(-1)).reshape(-1).tolist() == [1, 9]


# ----------------------------------------------------------------- scalar integer oracle
def rtz(a: int) -> int:
    return -((-a) >> 12) if a < 0 else a >> 12


def oracle_li(xs, d, y0, level):
    Y, out = y0, []
    for x in xs:
        Y = rtz(Y * (4096 - d)) + x
        out.append(Y)
        if level is not None and Y >= level:
            Y = 0
    return out


def oracle_res(xr, xi, sn, cs, r0, i0, level):
    R, I, outr, outi = r0, i0, [], []
    for a, b in zip(xr, xi, strict=True):
        R, I = rtz(cs * R) - rtz(sn * I) + a, rtz(sn * R) + rtz(cs * I) + b
        outr.append(R)
        outi.append(I)
        if level is not None and I >= level:
            R, I = 0, level - 1
    return outr, outi


def oracle_adapt(vs, rd, td, t0, step, r0, th0):
    Rf, Th, o_th, o_rf = r0, th0, [], []
    for v in vs:
        Rf = rtz(Rf * (4096 - rd))
        Th = rtz((Th - t0) * (4096 - td)) + t0
        o_th.append(Th)
        o_rf.append(Rf)
        if v >= Th + Rf:
            Rf, Th = Rf + 2 * Th, Th + step
    return o_th, o_rf


int_trace = st.lists(st.integers(-20000, 20000), min_size=1, max_size=30)


@settings(max_examples=60, deadline=None)
@given(xs=int_trace, d=st.integers(0, 4096), y0=st.integers(-9000, 9000),
       level=st.one_of(st.none(), st.integers(1, 30000)))
def test_leaky_integrator_matches_integer_oracle(xs, d, y0, level):
    x = torch.tensor(xs, dtype=torch.float64).reshape(1, 1, -1) / S
    th = None if level is None else (level - 0.5) / S  # ceil((level - .5)) == level
    r = dynamics.leaky_integrator(x, d, state=y0 / S, threshold=th, backend=REF)
    expected = oracle_li(xs, d, y0, level)
    assert ints(r.y) == expected
    last = expected[-1]
    assert ints(r.state) == [0 if level is not None and last >= level else last]


@settings(max_examples=60, deadline=None)
@given(xr=int_trace, data=st.data(), sn=st.integers(-4000, 4000), cs=st.integers(-4000, 4000),
       level=st.one_of(st.none(), st.integers(1, 20000)))
def test_resonator_matches_integer_oracle(xr, data, sn, cs, level):
    xi = data.draw(st.lists(st.integers(-20000, 20000), min_size=len(xr), max_size=len(xr)))
    r0, i0 = data.draw(st.integers(-5000, 5000)), data.draw(st.integers(-5000, 5000))
    f = lambda v: torch.tensor(v, dtype=torch.float64).reshape(1, 1, -1) / S  # noqa: E731
    th = None if level is None else level / S
    r = dynamics.resonator(
        f(xr), f(xi), sn, cs, re_state=r0 / S, im_state=i0 / S, threshold=th, backend=REF
    )
    er, ei = oracle_res(xr, xi, sn, cs, r0, i0, level)
    assert ints(r.real) == er and ints(r.imag) == ei


@settings(max_examples=60, deadline=None)
@given(vs=int_trace, rd=st.integers(0, 4096), td=st.integers(0, 4096),
       t0=st.integers(1, 8000), step=st.integers(0, 4000), r0=st.integers(0, 5000))
def test_adaptive_threshold_matches_integer_oracle(vs, rd, td, t0, step, r0):
    v = torch.tensor(vs, dtype=torch.float64).reshape(1, 1, -1) / S
    a = dynamics.adaptive_threshold(v, rd, td, t0 / S, step / S, ref_state=r0 / S, backend=REF)
    eth, erf = oracle_adapt(vs, rd, td, t0, step, r0, t0)
    assert ints(a.threshold) == eth and ints(a.refractory) == erf


# ----------------------------------------------------------------- layouts and dtypes
SHAPES = [(2, 3, 7), (2, 3, 2, 2, 6), (1, 2, 3, 5)]
LAYOUTS = ["scalar", "shared", "channel", "neuron", "flat", "full"]


def full_param(p, shape):
    """The explicit (N, C, ...) value of a parameter in any layout."""
    lead = shape[:-1]
    if not isinstance(p, torch.Tensor) or p.numel() == 1:
        return torch.full(lead, float(p), dtype=torch.float64)
    if p.dim() == len(lead):
        return p.double().broadcast_to(lead)
    if p.dim() == 1 and p.numel() == shape[1]:
        return p.double().reshape((1, -1) + (1,) * (len(lead) - 2)).expand(lead)
    return p.double().reshape((1,) + tuple(shape[1:-1])).expand(lead)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_leaky_integrator_parameter_layouts(shape, layout):
    x = random_input(shape, seed=1, amplitude=2.0)
    d = random_param(layout, shape, 100, 3000, seed=2)
    th = random_param(layout, shape, 0.3, 1.5, seed=3)
    st_ = random_param(layout, shape, -0.5, 0.5, seed=4)
    got = dynamics.leaky_integrator(x, d, state=st_, threshold=th, backend=REF)
    # per-element oracle: every neuron run on its own with scalar parameters
    D, TH, S0 = (full_param(p, shape).reshape(-1) for p in (d, th, st_))
    xf = x.reshape(-1, shape[-1])
    for m in range(xf.shape[0]):
        one = dynamics.leaky_integrator(
            xf[m].reshape(1, 1, -1), float(D[m]), state=float(S0[m]), threshold=float(TH[m]),
            backend=REF,
        )
        assert torch.equal(one.y.reshape(-1), got.y.reshape(-1, shape[-1])[m])
        assert torch.equal(one.state.reshape(-1), got.state.reshape(-1)[m : m + 1])


def test_per_channel_decay_on_conv_shapes():
    """lava-dl 0.6 failed on CPU for NCHWT with per-channel decays (spec §15 #5)."""
    x = random_input((2, 3, 4, 4, 6), seed=5)
    d = torch.tensor([10.0, 2000.0, 4096.0])
    y = dynamics.leaky_integrator(x, d, backend=REF).y
    for c in range(3):
        yc = dynamics.leaky_integrator(x[:, c], float(d[c]), backend=REF).y
        assert torch.equal(y[:, c], yc)


def test_float64_and_other_dtypes():
    x = random_input((2, 3, 9), seed=6, dtype=torch.float64)
    y64 = dynamics.leaky_integrator(x, 700, threshold=0.6, backend=REF).y
    assert y64.dtype == torch.float64
    y32 = dynamics.leaky_integrator(x.float(), 700, threshold=0.6, backend=REF).y
    assert y32.dtype == torch.float32
    # values multiple of 1/4096 exactly representable in both
    assert torch.equal(y64.float(), y32)
    yh = dynamics.leaky_integrator(x.half(), 700, backend=REF).y
    assert yh.dtype == torch.float32


# ----------------------------------------------------------------- persistent state (forward)
@pytest.mark.parametrize("split", [1, 5, 11])
def test_split_runs_equal_full_run(split):
    shape = (2, 3, 16)
    x, xi = random_input(shape, seed=7, amplitude=3), random_input(shape, seed=8, amplitude=3)
    full = dynamics.leaky_integrator(x, 300, threshold=1.0, backend=REF)
    a = dynamics.leaky_integrator(x[..., :split], 300, threshold=1.0, backend=REF)
    b = dynamics.leaky_integrator(x[..., split:], 300, state=a.state, threshold=1.0, backend=REF)
    assert torch.equal(torch.cat([a.y, b.y], -1), full.y) and torch.equal(b.state, full.state)

    full = dynamics.resonator(x, xi, 1500, 3300, threshold=0.5, backend=REF)
    a = dynamics.resonator(x[..., :split], xi[..., :split], 1500, 3300, threshold=0.5, backend=REF)
    b = dynamics.resonator(
        x[..., split:], xi[..., split:], 1500, 3300, re_state=a.real_state,
        im_state=a.imag_state, threshold=0.5, backend=REF,
    )
    assert torch.equal(torch.cat([a.real, b.real], -1), full.real)
    assert torch.equal(torch.cat([a.imag, b.imag], -1), full.imag)

    v = dynamics.leaky_integrator(x, 100, backend=REF).y
    args = (500, 300, 0.75, 0.25)
    full = dynamics.adaptive_threshold(v, *args, backend=REF)
    a = dynamics.adaptive_threshold(v[..., :split], *args, backend=REF)
    b = dynamics.adaptive_threshold(
        v[..., split:], *args, ref_state=a.ref_state, th_state=a.th_state, backend=REF
    )
    assert torch.equal(torch.cat([a.threshold, b.threshold], -1), full.threshold)
    assert torch.equal(torch.cat([a.refractory, b.refractory], -1), full.refractory)

    full = dynamics.adaptive_phase_th(x, xi, *args, backend=REF)
    a = dynamics.adaptive_phase_th(x[..., :split], xi[..., :split], *args, backend=REF)
    b = dynamics.adaptive_phase_th(
        x[..., split:], xi[..., split:], *args, im_state=xi[..., split - 1],
        ref_state=a.ref_state, th_state=a.th_state, backend=REF,
    )
    assert torch.equal(torch.cat([a.threshold, b.threshold], -1), full.threshold)

    rargs = (1500, 3300, *args)
    full = dynamics.adaptive_resonator(x, xi, *rargs, backend=REF)
    a = dynamics.adaptive_resonator(x[..., :split], xi[..., :split], *rargs, backend=REF)
    b = dynamics.adaptive_resonator(
        x[..., split:], xi[..., split:], *rargs, re_state=a.real_state, im_state=a.imag_state,
        ref_state=a.ref_state, th_state=a.th_state, backend=REF,
    )
    for k in range(4):
        assert torch.equal(torch.cat([a[k], b[k]], -1), full[k])


def test_adaptive_fires_and_adapts():
    v = torch.full((1, 1, 6), 2.0)
    a = dynamics.adaptive_threshold(v, 0, 0, 1.0, 0.5, backend=REF)
    # no decay: fires at t0 (2 >= 1), then refractory 2 blocks it (threshold 1.5 + ref 2 > 2)
    assert a.threshold.reshape(-1).tolist() == [1.0, 1.5, 1.5, 1.5, 1.5, 1.5]
    assert a.refractory.reshape(-1).tolist() == [0.0, 2.0, 2.0, 2.0, 2.0, 2.0]


# ----------------------------------------------------------------- errors
def test_bad_inputs_raise_clear_errors():
    x = torch.zeros(2, 3, 5)
    with pytest.raises(ValueError, match="at least 3 dimensions"):
        dynamics.leaky_integrator(torch.zeros(3, 5), 10)
    with pytest.raises(ValueError, match=r"decay must lie in \[0, 4096\]"):
        dynamics.leaky_integrator(x, 5000)
    with pytest.raises(ValueError, match="does not fit neurons"):
        dynamics.leaky_integrator(x, torch.ones(4))
    with pytest.raises(ValueError, match="unknown grad_mode"):
        dynamics.leaky_integrator(x, 10, grad_mode="nope")
    with pytest.raises(ValueError, match="shapes differ"):
        dynamics.resonator(x, torch.zeros(2, 3, 4), 1, 1)
    with pytest.raises(ValueError, match="s_scale"):
        dynamics.leaky_integrator(x, 10, s_scale=0)
    with pytest.raises(TypeError, match="torch.Tensor"):
        dynamics.leaky_integrator([[1.0]], 10)


def test_threshold_semantics_strict_and_disabled():
    x = torch.tensor([1.0, 0.0, 1.0 + 1 / S]).reshape(1, 1, 3)
    # threshold 1 + eps: v == 1 exactly does not reset, v > 1 does (Loihi's v > vth)
    r = dynamics.leaky_integrator(x, 4096, threshold=1.0 + 0.01 / S, backend=REF)
    assert r.y.reshape(-1).tolist() == [1.0, 0.0, 1.0 + 1 / S] and r.state.item() == 0.0
    r = dynamics.leaky_integrator(x, 0, threshold=0.0, backend=REF)  # <= 0 disables
    assert r.y.reshape(-1).tolist() == [1.0, 1.0, 2.0 + 1 / S]


def test_rf_period_parameters_roundtrip():
    """sin/cos decays of period 8, decay 0.05 round to 2751 as in the spec."""
    v = 4096 * 0.95 * math.sin(2 * math.pi / 8)
    assert round(v) == 2751
