"""Gradients of the dynamics against autograd through unrolled references (BPTT)."""

from __future__ import annotations

import pytest
import torch

from lava.lib.dl.core import backend, dynamics, sigma_delta
from lava.lib.dl.core.testing import (
    random_input,
    random_param,
    unrolled_delta_encoder,
    unrolled_leaky_integrator,
    unrolled_resonator,
)

BACKENDS = [b for b in ("reference", "numba") if b in backend.available_backends()]
F64 = torch.float64


def leaf(t):
    if isinstance(t, torch.Tensor):
        return t.detach().clone().to(F64).requires_grad_(True)
    return torch.tensor(float(t), dtype=F64, requires_grad=True)


def weights(shape, seed):
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed), dtype=F64)


def grads(loss, tensors):
    return torch.autograd.grad(loss, tensors, allow_unused=True)


def assert_close(a, b, name):
    assert a is not None and b is not None, name
    torch.testing.assert_close(a, b, rtol=1e-9, atol=1e-11, msg=name)


# ----------------------------------------------------------------- leaky integrator
@pytest.mark.parametrize("be", BACKENDS)
@pytest.mark.parametrize("shape", [(2, 3, 12), (1, 2, 2, 2, 9)])
@pytest.mark.parametrize("threshold", [None, 0.8])
@pytest.mark.parametrize("mode", ["surrogate", "exact"])
@pytest.mark.parametrize("layout", ["shared", "channel", "neuron"])
def test_leaky_integrator_grad_matches_bptt(be, shape, threshold, mode, layout):
    x = random_input(shape, seed=11, dtype=F64, amplitude=1.5)
    d = random_param(layout, shape, 200, 2500, seed=12, dtype=F64)
    st = random_param(layout, shape, -0.3, 0.6, seed=13, dtype=F64)
    w, wf = weights(shape, 14), weights(shape[:-1], 15)
    out = {}
    for name, fn in (("fast", dynamics.leaky_integrator), ("bptt", unrolled_leaky_integrator)):
        xl, dl, sl = leaf(x), leaf(d), leaf(st)
        kw = {"backend": be} if name == "fast" else {}
        y, final = fn(xl, dl, state=sl, threshold=threshold, grad_mode=mode, **kw)
        loss = (w * y).sum() + (wf * final).sum()
        out[name] = (y.detach(), final.detach(), *grads(loss, [xl, dl, sl]))
    assert torch.equal(out["fast"][0], out["bptt"][0])
    assert torch.equal(out["fast"][1], out["bptt"][1])
    for k, name in zip(range(2, 5), ("x", "decay", "state"), strict=True):
        assert_close(out["fast"][k], out["bptt"][k], name)
    if threshold is not None and mode == "exact":
        # resets happened, so the exact mode must differ from the surrogate one
        assert bool(((out["fast"][0] > threshold)).any())


def test_exact_and_surrogate_modes_differ_after_reset():
    x = torch.tensor([[[2.0, 0.0, 0.0]]], dtype=F64, requires_grad=True)
    g = {}
    for mode in ("surrogate", "exact"):
        y, _ = dynamics.leaky_integrator(x, 1024, threshold=1.0, grad_mode=mode)
        (gx,) = torch.autograd.grad(y[..., 2].sum(), [x])
        g[mode] = gx.reshape(-1).tolist()
    assert g["surrogate"] == [0.5625, 0.75, 1.0]
    assert g["exact"] == [0.0, 0.75, 1.0]


def test_decay_gradient_spec_vector_and_compat():
    """Spec Appendix A: lava-dl gives +5.4375, the true gradient is -5.4375 / 4096."""
    x = torch.tensor([1.0, 0.5, 0.0, 0.25]).reshape(1, 1, 4)
    for compat, expected in ((False, -5.4375 / 4096), (True, 5.4375)):
        d = torch.tensor([1024.0], requires_grad=True)
        y, _ = dynamics.leaky_integrator(x, d, lava_dl_compat=compat)
        assert y.reshape(-1).tolist() == [1.0, 1.25, 0.9375, 0.953125]
        y.sum().backward()
        assert d.grad.item() == pytest.approx(expected, rel=1e-6)


# ----------------------------------------------------------------- resonator
@pytest.mark.parametrize("be", BACKENDS)
@pytest.mark.parametrize("shape", [(2, 3, 14), (1, 2, 2, 3, 8)])
@pytest.mark.parametrize("threshold", [None, 0.4])
@pytest.mark.parametrize("mode", ["surrogate", "exact"])
def test_resonator_grad_matches_bptt(be, shape, threshold, mode):
    xr = random_input(shape, seed=21, dtype=F64, amplitude=1.2)
    xi = random_input(shape, seed=22, dtype=F64, amplitude=1.2)
    sn = random_param("channel", shape, 500, 2500, seed=23, dtype=F64)
    cs = random_param("channel", shape, 1500, 3500, seed=24, dtype=F64)
    r0 = random_param("neuron", shape, -0.3, 0.3, seed=25, dtype=F64)
    i0 = random_param("neuron", shape, -0.3, 0.3, seed=26, dtype=F64)
    w1, w2, w3, w4 = (weights(s, k) for k, s in enumerate([shape, shape, shape[:-1], shape[:-1]]))
    out = {}
    for name, fn in (("fast", dynamics.resonator), ("bptt", unrolled_resonator)):
        ls = [leaf(t) for t in (xr, xi, sn, cs, r0, i0)]
        kw = {"backend": be} if name == "fast" else {}
        re, im, rf, imf = fn(
            ls[0], ls[1], ls[2], ls[3], re_state=ls[4], im_state=ls[5], threshold=threshold,
            grad_mode=mode, **kw,
        )
        loss = (w1 * re).sum() + (w2 * im).sum() + (w3 * rf).sum() + (w4 * imf).sum()
        out[name] = ((re.detach(), im.detach(), rf.detach(), imf.detach()), grads(loss, ls))
    for a, b in zip(out["fast"][0], out["bptt"][0], strict=True):
        assert torch.equal(a, b)
    names = ("x_re", "x_im", "sin", "cos", "re_state", "im_state")
    for a, b, n in zip(out["fast"][1], out["bptt"][1], names, strict=True):
        assert_close(a, b, n)


def test_resonator_compat_scaling():
    x = random_input((1, 2, 10), seed=31, dtype=F64)
    g = {}
    for compat in (False, True):
        sn, cs = leaf(1000.0), leaf(3000.0)
        re, im, _, _ = dynamics.resonator(x, x.flip(-1), sn, cs, lava_dl_compat=compat)
        g[compat] = grads((re + 2 * im).sum(), [sn, cs])
    for k in range(2):
        torch.testing.assert_close(g[True][k], 4096 * g[False][k])


@pytest.mark.parametrize("be", BACKENDS)
def test_adaptive_resonator_grad_matches_resonator_bptt(be):
    shape = (2, 2, 12)
    xr = random_input(shape, seed=41, dtype=F64, amplitude=2)
    xi = random_input(shape, seed=42, dtype=F64, amplitude=2)
    w = weights(shape, 43)
    out = {}
    for name in ("fast", "bptt"):
        ls = [leaf(t) for t in (xr, xi, 1200.0, 3100.0)]
        if name == "fast":
            o = dynamics.adaptive_resonator(*ls, 400, 300, 0.5, 0.2, backend=be)
            assert not o.threshold.requires_grad and not o.refractory.requires_grad
            re, im = o.real, o.imag
        else:
            re, im, _, _ = unrolled_resonator(*ls)
        out[name] = grads((w * re + im * w.flip(-1)).sum(), ls)
    for a, b in zip(out["fast"], out["bptt"], strict=True):
        assert_close(a, b, "adaptive resonator")


# ----------------------------------------------------------------- delta / sigma
@pytest.mark.parametrize("be", BACKENDS)
@pytest.mark.parametrize("layout", ["shared", "channel"])
def test_delta_grad_matches_bptt(be, layout):
    shape = (2, 3, 15)
    x = random_input(shape, seed=51, dtype=F64, density=0.8)
    th = random_param(layout, shape, 0.05, 0.3, seed=52, dtype=F64)
    p0 = random_param("neuron", shape, -0.2, 0.2, seed=53, dtype=F64)
    w, wp = weights(shape, 54), weights(shape[:-1], 55)
    out = {}
    for name in ("fast", "bptt"):
        ls = [leaf(x), leaf(th), leaf(p0)]
        if name == "fast":
            y, p, _ = sigma_delta.delta_encoder(
                ls[0], ls[1], prev=ls[2], tau_grad=0.5, scale_grad=2, backend=be
            )
        else:
            y, p, _ = unrolled_delta_encoder(ls[0], ls[1], prev=ls[2], tau_grad=0.5, scale_grad=2)
        out[name] = (y.detach(), grads((w * y).sum() + (wp * p).sum(), ls))
    assert torch.equal(out["fast"][0], out["bptt"][0])
    for a, b, n in zip(out["fast"][1], out["bptt"][1], ("x", "threshold", "prev"), strict=True):
        assert_close(a, b, n)


def test_sigma_of_delta_has_identity_gradient():
    x = random_input((2, 3, 11), seed=61, density=0.9).requires_grad_(True)
    y = sigma_delta.sigma_decoder(sigma_delta.delta_encoder(x, 0.1).y).y
    g = weights(y.shape, 62).float()
    (gx,) = torch.autograd.grad(y, [x], g)
    torch.testing.assert_close(gx, g)


# ----------------------------------------------------------------- persistent state under autograd
@pytest.mark.parametrize("mode", ["surrogate", "exact"])
def test_split_run_gradients_equal_full_run(mode):
    shape, split = (2, 3, 13), 6
    x = random_input(shape, seed=71, dtype=F64, amplitude=2)
    xi = random_input(shape, seed=72, dtype=F64, amplitude=2)
    w = weights(shape, 73)

    def li(xl, dl):
        return dynamics.leaky_integrator(xl, dl, threshold=0.7, grad_mode=mode)

    def full_and_split(run, n_leaves):
        res = []
        for split_run in (False, True):
            ls = [leaf(t) for t in n_leaves]
            res.append(grads((w * run(ls, split_run)).sum(), ls))
        return res

    def run_li(ls, split_run):
        xl, dl = ls
        if not split_run:
            return li(xl, dl).y
        a = li(xl[..., :split], dl)
        b = dynamics.leaky_integrator(
            xl[..., split:], dl, state=a.state, threshold=0.7, grad_mode=mode
        )
        return torch.cat([a.y, b.y], -1)

    def run_res(ls, split_run):
        xr, xim, sn, cs = ls
        kw = {"threshold": 0.5, "grad_mode": mode}
        if not split_run:
            r = dynamics.resonator(xr, xim, sn, cs, **kw)
            return r.real + 0.5 * r.imag
        a = dynamics.resonator(xr[..., :split], xim[..., :split], sn, cs, **kw)
        b = dynamics.resonator(
            xr[..., split:], xim[..., split:], sn, cs, re_state=a.real_state,
            im_state=a.imag_state, **kw,
        )
        return torch.cat([a.real, b.real], -1) + 0.5 * torch.cat([a.imag, b.imag], -1)

    def run_delta(ls, split_run):
        xl, th = ls
        if not split_run:
            return sigma_delta.delta_encoder(xl, th).y
        a = sigma_delta.delta_encoder(xl[..., :split], th)
        b = sigma_delta.delta_encoder(xl[..., split:], th, prev=a.prev, residual=a.residual)
        return torch.cat([a.y, b.y], -1)

    for run, leaves in (
        (run_li, (x, 900.0)),
        (run_res, (x, xi, 1400.0, 3200.0)),
        (run_delta, (x, 0.15)),
    ):
        full, split_g = full_and_split(run, leaves)
        for a, b in zip(full, split_g, strict=True):
            assert_close(a, b, run.__name__)


# ----------------------------------------------------------------- weights through a CUBA chain
@pytest.mark.parametrize("be", BACKENDS)
@pytest.mark.parametrize("mode", ["surrogate", "exact"])
def test_cuba_chain_weight_gradient_matches_bptt(be, mode):
    """Dense weights -> current -> voltage (reset) -> surrogate spikes, checked end to end."""
    from lava.lib.dl.core.spike import spike_real

    inp = random_input((3, 5, 16), seed=81, dtype=F64, density=0.5)
    w0 = torch.randn(4, 5, dtype=F64, generator=torch.Generator().manual_seed(82))
    th = 1.25 + 0.01 / 4096
    out = {}
    for name in ("fast", "bptt"):
        w, dv = leaf(w0), leaf(torch.tensor([300.0, 500.0, 700.0, 900.0]))
        z = torch.einsum("oc,nct->not", w, inp)
        if name == "fast":
            u = dynamics.leaky_integrator(z, 1024.0, backend=be).y
            v = dynamics.leaky_integrator(u, dv, threshold=th, grad_mode=mode, backend=be).y
        else:
            u, _ = unrolled_leaky_integrator(z, 1024.0)
            v, _ = unrolled_leaky_integrator(u, dv, threshold=th, grad_mode=mode)
        s = spike_real(v, th, 125.0, 0.1)
        out[name] = (s.detach(), grads(s.sum() + (v * v).sum(), [w, dv]))
    assert torch.equal(out["fast"][0], out["bptt"][0])
    assert out["fast"][0].sum() > 0
    for a, b, n in zip(out["fast"][1], out["bptt"][1], ("weight", "decay"), strict=True):
        assert_close(a, b, n)


@pytest.mark.parametrize("be", BACKENDS)
def test_float32_gradients_to_float32_rounding(be):
    shape = (4, 8, 40)
    x = random_input(shape, seed=91, amplitude=1.5)
    w = weights(shape, 92).float()
    res = {}
    for name in ("fast", "bptt"):
        xl = x.clone().requires_grad_(True)
        dl = torch.full((8,), 700.0, requires_grad=True)
        if name == "fast":
            y, _ = dynamics.leaky_integrator(xl, dl, threshold=0.9, backend=be)
        else:
            y, _ = unrolled_leaky_integrator(xl, dl, threshold=0.9)
        assert y.dtype == torch.float32
        res[name] = (y.detach(), grads((w * y).sum(), [xl, dl]))
    assert torch.equal(res["fast"][0], res["bptt"][0])
    for a, b in zip(res["fast"][1], res["bptt"][1], strict=True):
        torch.testing.assert_close(a, b, rtol=2e-5, atol=1e-6)


def test_single_step_calls_chain_like_the_recurrent_machinery():
    """T = 1 calls (as slayer's recurrent blocks make) chained equal one full call."""
    shape = (2, 3, 9)
    x = random_input(shape, seed=95, dtype=F64, amplitude=2)
    xl = leaf(x)
    full = dynamics.leaky_integrator(xl, 600.0, threshold=0.8, grad_mode="exact")
    (g_full,) = grads(full.y.sum(), [xl])
    xs = leaf(x)
    state, ys = 0.0, []
    for t in range(shape[-1]):
        r = dynamics.leaky_integrator(
            xs[..., t : t + 1], 600.0, state=state, threshold=0.8, grad_mode="exact"
        )
        ys.append(r.y)
        state = r.state
    y = torch.cat(ys, -1)
    assert torch.equal(y.detach(), full.y.detach())
    (g_split,) = grads(y.sum(), [xs])
    assert_close(g_split, g_full, "x")
