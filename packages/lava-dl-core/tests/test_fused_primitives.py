"""Fused primitives (spike, leaky-integrator backward): numba equals the reference bitwise."""

from __future__ import annotations

import pytest
import torch

from lava.lib.dl.core import backend as core_backend
from lava.lib.dl.core._backends import _interface, numba_cpu, reference
from lava.lib.dl.core.spike import spike_real

K = 5000
_BITS = {torch.float32: torch.int32, torch.float64: torch.int64}


def _same_bits(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Equal bit patterns (NaN payloads and signed zeros included)."""
    return a.shape == b.shape and torch.equal(a.view(_BITS[a.dtype]), b.view(_BITS[b.dtype]))


def _voltage(dtype: torch.dtype) -> torch.Tensor:
    gen = torch.Generator().manual_seed(3)
    v = (torch.randn(K, generator=gen) * 3).to(dtype)
    v[:6] = torch.tensor([float("nan"), 0.0, -0.0, 1.25, float("inf"), -float("inf")])
    return v


def test_fused_primitives_listed_and_implemented():
    assert set(_interface.FUSED_PRIMITIVES) == {
        "spike_real_fwd",
        "spike_real_bwd",
        "leaky_integrator_bwd_fused",
        "delta_encoder_fwd_fused",
        "delta_encoder_bwd_fused",
    }
    for mod in (reference, numba_cpu):
        for name in _interface.FUSED_PRIMITIVES:
            assert callable(getattr(mod, name)), (mod.NAME, name)
        assert isinstance(mod, _interface.FusedPrimitives)
    # CuPy keeps the unfused path: the dynamics fall back to its per-step primitives
    from lava.lib.dl.core._backends import cupy_cuda

    assert not any(hasattr(cupy_cuda, name) for name in _interface.FUSED_PRIMITIVES)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("graded", [False, True])
@pytest.mark.parametrize("per_element_th", [False, True])
@pytest.mark.parametrize("scalar_grad", [False, True])
def test_numba_spike_primitives_equal_reference(dtype, graded, per_element_th, scalar_grad):
    v = _voltage(dtype)
    gen = torch.Generator().manual_seed(4)
    th = (torch.rand(K, generator=gen) * 2).to(dtype) if per_element_th else torch.tensor(
        [1.25], dtype=dtype
    )
    grad = torch.tensor([0.75], dtype=dtype) if scalar_grad else torch.randn(
        K, generator=gen
    ).to(dtype)
    kw = {"tau": 1.7, "rho": 0.3, "graded": graded}
    a = reference.spike_real_fwd(v, th, graded=graded, scale=3.0)
    b = numba_cpu.spike_real_fwd(v, th, graded=graded, scale=3.0)
    assert _same_bits(a, b)
    a = reference.spike_real_bwd(grad, v, th, **kw)
    b = numba_cpu.spike_real_bwd(grad, v, th, **kw)
    assert _same_bits(a, b)
    # the surrogate is not trivially zero or constant on this input
    assert b[6:].abs().max() > 0 and b[6:].unique().numel() > 100


def test_numba_spike_primitive_rejects_bad_layout():
    v = torch.zeros(10)
    with pytest.raises(ValueError, match=r"\(10,\) or \(1,\)"):
        numba_cpu.spike_real_fwd(v, torch.zeros(3), graded=False, scale=1.0)
    with pytest.raises(ValueError, match="dtype"):
        numba_cpu.spike_real_fwd(v, torch.zeros(10, dtype=torch.float64), graded=False, scale=1.0)
    with pytest.raises(ValueError, match="CPU"):
        numba_cpu.spike_real_fwd(torch.zeros(2, 5), torch.zeros(1), graded=False, scale=1.0)


def _run(layout: str, graded: bool, backend: str):
    gen = torch.Generator().manual_seed(5)
    v = (torch.randn(2, 3, 4, 7, generator=gen) * 2).requires_grad_(True)
    th = {
        "scalar": torch.tensor(0.5),
        "full": (torch.rand(2, 3, 4, 7, generator=gen) + 0.1),
        "channel": (torch.rand(1, 3, 1, 1, generator=gen) + 0.1),
    }[layout].requires_grad_(True)
    w = torch.randn(2, 3, 4, 7, generator=gen)
    with core_backend.use_backend(backend):
        s = spike_real(v, th, 0.8, 0.2, graded=graded, scale=2.0)
        (s * w).sum().backward()
    return s.detach(), v.grad, th.grad


@pytest.mark.parametrize("layout", ["scalar", "full", "channel"])
@pytest.mark.parametrize("graded", [False, True])
def test_spike_real_same_bits_on_every_backend(layout, graded):
    ref = _run(layout, graded, "reference")
    fast = _run(layout, graded, "numba")
    for a, b in zip(ref, fast, strict=True):
        assert _same_bits(a, b)
    assert ref[1].abs().sum() > 0


def test_spike_real_keeps_last_backend():
    v = torch.rand(1, 2, 5)
    with core_backend.use_backend("reference"):
        from lava.lib.dl.core import dynamics

        dynamics.leaky_integrator(v, 100)
    assert core_backend.last_backend() == "reference"
    spike_real(v, 0.5, 1.0, 1.0)
    assert core_backend.last_backend() == "reference"


def test_resolve_fused_falls_back_to_reference(monkeypatch):
    class _Bare:
        NAME = "bare"

    from lava.lib.dl.core._backends import _registry

    monkeypatch.setattr(_registry, "load", lambda name: (
        (reference, "") if name == "reference" else (_Bare(), "")
    ))
    monkeypatch.setattr(_registry, "registered", lambda: {"bare": None, "reference": None})
    _Bare.supports_device = staticmethod(lambda device: True)
    name, fn = core_backend.resolve_fused("spike_real_fwd", torch.device("cpu"), "bare")
    assert name == "reference" and fn is reference.spike_real_fwd


# ------------------------------------------------------------------ fused leaky-integrator bwd
def _li_case(dtype, s_scale, with_level, seed=11):
    gen = torch.Generator().manual_seed(seed)
    m, t = 37, 23
    x = (torch.rand(m, t, generator=gen) * 0.8).to(dtype)
    decay = torch.randint(0, 4097, (m,), generator=gen)
    level = None
    if with_level:
        level = torch.full((m,), int(1.0 * s_scale) + 1, dtype=torch.int64)
        level[::5] = _interface.NO_RESET
    y = reference.leaky_integrator_fwd(x, decay, torch.zeros(m, dtype=torch.int64), level,
                                       s_scale=s_scale)
    grad_y = torch.randn(m, t, generator=gen).to(dtype)
    gain = (1 - decay.to(dtype) / 4096).contiguous()
    grad_last = torch.randn(m, generator=gen).to(dtype)
    return grad_y, gain, y, level, grad_last


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("s_scale", [4096, 1000])
@pytest.mark.parametrize(
    "with_level,exact,compat",
    [(False, False, False), (True, False, False), (True, True, False), (True, False, True),
     (True, True, True), (False, False, True)],
)
@pytest.mark.parametrize("with_last", [False, True])
def test_numba_li_bwd_fused_equals_reference(dtype, s_scale, with_level, exact, compat, with_last):
    grad_y, gain, y, level, grad_last = _li_case(dtype, s_scale, with_level)
    if with_level:  # the case resets somewhere and not everywhere
        keep = reference.keep_mask(y, level, s_scale)
        assert 0 < keep.sum() < keep.numel()
    kw = {"s_scale": s_scale, "exact": exact, "decay_dot": True, "compat": compat}
    args = (grad_y, gain, y, level, grad_last if with_last else None)
    gx_r, dot_r = reference.leaky_integrator_bwd_fused(*args, **kw)
    gx_n, dot_n = numba_cpu.leaky_integrator_bwd_fused(*args, **kw)
    assert torch.equal(gx_r, gx_n)
    assert dot_r.dtype == dot_n.dtype == torch.float64
    assert torch.equal(dot_r, dot_n)
    # and it is the unfused composition: same input gradient, same decay sum to rounding
    keep = None if level is None else reference.keep_mask(y, level, s_scale)
    gy = grad_y.clone()
    if with_last:
        gy[:, -1] += grad_last * (keep[:, -1] if exact else 1)
    gx = reference.leaky_integrator_bwd(gy, gain, keep if exact else None)
    assert torch.equal(gx, gx_n)
    prev = y if (keep is None or compat) else y * keep
    expected = (gx[:, 1:].double() * prev[:, :-1].double()).sum(1)
    torch.testing.assert_close(dot_n, expected, rtol=1e-12, atol=1e-12)
    _, none = numba_cpu.leaky_integrator_bwd_fused(*args, **{**kw, "decay_dot": False})
    assert none is None


def test_li_bwd_fused_needs_level_for_exact():
    grad_y, gain, y, _, _ = _li_case(torch.float32, 4096, False)
    for mod in (reference, numba_cpu):
        with pytest.raises(ValueError, match="reset level"):
            mod.leaky_integrator_bwd_fused(
                grad_y, gain, y, None, None, s_scale=4096, exact=True, decay_dot=False,
                compat=False,
            )


@pytest.mark.parametrize("grad_mode", ["surrogate", "exact"])
@pytest.mark.parametrize("compat", [False, True])
def test_public_li_gradients_same_bits_on_both_cpu_backends(grad_mode, compat):
    from lava.lib.dl.core import dynamics

    gen = torch.Generator().manual_seed(2)
    x0 = torch.rand(3, 4, 40, generator=gen) * 0.7
    w = torch.randn(3, 4, 40, generator=gen)
    wf = torch.randn(3, 4, generator=gen)
    out = []
    for b in ("reference", "numba"):
        x = x0.clone().requires_grad_(True)
        d = torch.tensor([300.0, 1000.0, 2000.0, 4000.0], requires_grad=True)
        st = torch.full((4,), 0.2, requires_grad=True)
        r = dynamics.leaky_integrator(x, d, state=st, threshold=0.5, grad_mode=grad_mode,
                                      lava_dl_compat=compat, backend=b)
        ((r.y * w).sum() + (r.state * wf).sum()).backward()
        out.append((r.y.detach(), r.state.detach(), x.grad, d.grad, st.grad))
    for a, b in zip(*out, strict=True):
        assert torch.equal(a, b)
    assert out[0][3].abs().min() > 0


# ------------------------------------------------------------------ fused delta encoder
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("scale", [64, 4096, 3])
def test_numba_delta_fused_equals_reference(dtype, scale):
    gen = torch.Generator().manual_seed(8)
    m, t = 29, 31
    x = (torch.rand(m, t, generator=gen) - 0.3).to(dtype)
    x[0, 3] = float("nan")
    th = (torch.rand(m, generator=gen) * 0.3).to(dtype)
    prev = torch.rand(m, generator=gen).to(dtype)
    res = (torch.rand(m, generator=gen) * 0.1).to(dtype)
    a = reference.delta_encoder_fwd_fused(x, th, prev, res, step=1 / scale)
    b = numba_cpu.delta_encoder_fwd_fused(x, th, prev, res, step=1 / scale)
    for u, v in zip(a, b, strict=True):
        assert _same_bits(u, v)
    gated = (a[0].abs() >= th.unsqueeze(1)) & (a[1] != 0)
    assert 0 < gated.sum() < gated.numel()
    g = torch.randn(m, t, generator=gen).to(dtype)
    gp = torch.randn(m, generator=gen).to(dtype)
    for last in (None, gp):
        assert _same_bits(
            reference.delta_encoder_bwd_fused(g, last), numba_cpu.delta_encoder_bwd_fused(g, last)
        )


def test_public_delta_same_bits_on_both_cpu_backends():
    from lava.lib.dl.core import sigma_delta

    gen = torch.Generator().manual_seed(9)
    x0 = torch.rand(2, 5, 40, generator=gen)
    w = torch.randn(2, 5, 40, generator=gen)
    wp = torch.randn(2, 5, generator=gen)
    out = []
    for b in ("reference", "numba"):
        x = x0.clone().requires_grad_(True)
        th = torch.full((5,), 0.2, requires_grad=True)
        r = sigma_delta.delta_encoder(x, th, scale=64, backend=b)
        tensors = [t for t in r if isinstance(t, torch.Tensor)]
        loss = (tensors[0] * w).sum()
        prev = [t for t in tensors[1:] if t.requires_grad]
        if prev:
            loss = loss + (prev[0] * wp).sum()
        loss.backward()
        out.append([t.detach() for t in tensors] + [x.grad, th.grad])
    for a, b in zip(*out, strict=True):
        assert torch.equal(a, b)
    assert out[0][0].abs().sum() > 0


# ------------------------------------------------------------------ numba thread policy
def test_numba_thread_count_setting(monkeypatch):
    import numba

    top = numba.config.NUMBA_NUM_THREADS
    monkeypatch.setenv(numba_cpu.THREADS_ENV, "1")
    x = torch.rand(9, 6)
    y1 = numba_cpu.leaky_integrator_fwd(
        x, torch.full((9,), 100), torch.zeros(9, dtype=torch.int64), None, s_scale=4096
    )
    assert numba.get_num_threads() == 1
    monkeypatch.setenv(numba_cpu.THREADS_ENV, "all")
    y_all = numba_cpu.leaky_integrator_fwd(
        x, torch.full((9,), 100), torch.zeros(9, dtype=torch.int64), None, s_scale=4096
    )
    assert numba.get_num_threads() == top
    assert torch.equal(y1, y_all)  # results do not depend on the thread count
    monkeypatch.setenv(numba_cpu.THREADS_ENV, str(top + 5))
    assert numba_cpu.thread_count() == top
    monkeypatch.setenv(numba_cpu.THREADS_ENV, "auto")
    assert 1 <= numba_cpu.thread_count() <= top
    monkeypatch.delenv(numba_cpu.THREADS_ENV)
    assert 1 <= numba_cpu.thread_count() <= top
    for bad in ("0", "two", "-3"):
        monkeypatch.setenv(numba_cpu.THREADS_ENV, bad)
        with pytest.raises(ValueError, match="LAVA_DL_NUMBA_THREADS"):
            numba_cpu.thread_count()


def test_numba_auto_threads_follow_the_load(monkeypatch):
    import os

    import numba

    top = numba.config.NUMBA_NUM_THREADS
    monkeypatch.setenv(numba_cpu.THREADS_ENV, "auto")
    monkeypatch.setattr(os, "cpu_count", lambda: top)
    monkeypatch.setattr(os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    assert numba_cpu.thread_count() == top  # idle machine: every core
    monkeypatch.setattr(os, "getloadavg", lambda: (50.0 + top, 0.0, 0.0))
    assert numba_cpu.thread_count() == 1  # oversubscribed: one thread
