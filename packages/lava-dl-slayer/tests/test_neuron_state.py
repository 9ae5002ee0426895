"""Persistent state, batch consistency, integer states and gradients of every neuron."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

import lava.lib.dl.slayer as slayer

N = slayer.neuron

FAMILIES = {
    "cuba": (N.cuba, dict(threshold=1.0, current_decay=0.2, voltage_decay=0.05), False),
    "alif": (N.alif, dict(threshold=1.0, threshold_step=0.25, current_decay=0.2,
                          voltage_decay=0.05, threshold_decay=0.1, refractory_decay=0.2), False),
    "rf": (N.rf, dict(threshold=0.3, period=10, decay=0.05), True),
    "rf_iz": (N.rf_iz, dict(threshold=0.3, period=10, decay=0.05), True),
    "adrf": (N.adrf, dict(threshold=0.3, threshold_step=0.1, period=10, decay=0.05,
                          threshold_decay=0.1, refractory_decay=0.2), True),
    "adrf_iz": (N.adrf_iz, dict(threshold=0.3, threshold_step=0.1, period=10, decay=0.05,
                                threshold_decay=0.1, refractory_decay=0.2), True),
}


def _input(complex_: bool, shape=(3, 4, 120), seed=0):
    g = torch.Generator().manual_seed(seed)
    # spikes at shared time steps (same for every batch element and neuron), random weights
    times = torch.zeros(shape[-1])
    times[torch.randperm(shape[-1], generator=g)[:15]] = 1
    w = (torch.rand(shape, generator=g) * 5 - 0.5)
    w = torch.round(w * 32) / 32
    x = w * times
    if complex_:
        return (x, torch.roll(x, 3, -1) * 0.5)
    return x


def _slice(x, a, b):
    if isinstance(x, tuple):
        return tuple(v[..., a:b] for v in x)
    return x[..., a:b]


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_output_spikes_exist_and_integer_states(name):
    module, kw, cplx = FAMILIES[name]
    n = module.Neuron(**kw)
    x = _input(cplx)
    s = n(x)
    assert s.sum() > 0
    for trace in n.dynamics(x):
        scaled = trace * n.s_scale
        assert torch.equal(scaled, torch.round(scaled))


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_batch_consistency(name):
    module, kw, cplx = FAMILIES[name]
    n = module.Neuron(**kw)
    x = _input(cplx)
    one = _slice(x, 0, None)
    if isinstance(one, tuple):
        one = tuple(v[:1].expand_as(v) for v in one)
    else:
        one = one[:1].expand_as(one)
    s = n(one)
    assert torch.equal(s, s[:1].expand_as(s))


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_persistent_split_equals_full_run(name):
    module, kw, cplx = FAMILIES[name]
    x = _input(cplx, seed=3)
    full = module.Neuron(**kw)(x)
    n = module.Neuron(**kw, persistent_state=True)
    parts = [n(_slice(x, a, b)) for a, b in ((0, 37), (37, 80), (80, 120))]
    assert torch.equal(torch.cat(parts, -1), full)


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_persistent_state_resets_on_batch_change(name):
    module, kw, cplx = FAMILIES[name]
    x = _input(cplx)
    n = module.Neuron(**kw, persistent_state=True)
    n(x)
    small = _slice(x, 0, None)
    small = tuple(v[:2] for v in small) if cplx else small[:2]
    assert torch.equal(n(small), module.Neuron(**kw)(small))


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_backward_reaches_input(name):
    module, kw, cplx = FAMILIES[name]
    n = module.Neuron(**kw, requires_grad=True)
    x = _input(cplx)
    xs = tuple(v.clone().requires_grad_() for v in x) if cplx else x.clone().requires_grad_()
    n(xs).sum().backward()
    grads = [v.grad for v in xs] if cplx else [xs.grad]
    assert all(g is not None and torch.isfinite(g).all() and g.abs().sum() > 0 for g in grads)


def test_persistent_state_under_autograd():  # spec §15 #18
    n = N.cuba.Neuron(threshold=1.0, current_decay=0.2, voltage_decay=0.05,
                      persistent_state=True, requires_grad=True)
    x = _input(False).requires_grad_()
    for a, b in ((0, 60), (60, 120)):
        n(x[..., a:b]).sum().backward()
    assert n.current_decay.grad is not None and x.grad is not None


def _unrolled_li(x, decay, s=4096):
    """Float unrolled leaky integrator (autograd oracle); exact when states stay on the grid."""
    y, out = torch.zeros_like(x[..., 0]), []
    for t in range(x.shape[-1]):
        y = y * (1 - decay / 4096) + x[..., t]
        out.append(y)
    return torch.stack(out, -1)


def test_cuba_gradients_match_unrolled_reference_without_spikes():
    # threshold far away: no reset, and inputs/decays chosen so that no truncation happens
    x = torch.zeros(2, 3, 12)
    x[..., 0] = 1.0
    x[..., 5] = 0.5
    x.requires_grad_()
    n = N.cuba.Neuron(threshold=100, current_decay=0.5, voltage_decay=0.5, requires_grad=True)
    _, v = n.dynamics(x)
    w = torch.linspace(-1, 1, 12)
    (v * w).sum().backward()
    x2 = x.detach().clone().requires_grad_()
    cd = torch.tensor(2048.0, requires_grad=True)
    vd = torch.tensor(2048.0, requires_grad=True)
    v2 = _unrolled_li(_unrolled_li(x2, cd), vd)
    (v2 * w).sum().backward()
    assert torch.equal(v.detach(), v2.detach())
    assert torch.allclose(x.grad, x2.grad, atol=1e-6)
    assert torch.allclose(n.current_decay.grad, cd.grad.reshape(1), rtol=1e-5)
    assert torch.allclose(n.voltage_decay.grad, vd.grad.reshape(1), rtol=1e-5)
    assert n.current_decay.grad.item() != 0 and n.voltage_decay.grad.item() != 0


def test_dropout_applied_to_spikes():
    torch.manual_seed(0)
    n = N.cuba.Neuron(threshold=0.5, current_decay=1, voltage_decay=1,
                      dropout=N.Dropout(p=0.5))
    s = n(torch.ones(4, 50, 10))
    per_neuron = s.sum(-1)
    assert set(torch.unique(per_neuron).tolist()) <= {0.0, 20.0}
    assert (per_neuron == 0).any() and (per_neuron > 0).any()


def test_sigma_delta_threshold_learnable():
    n = N.sigma_delta.Neuron(threshold=0.1, activation=F.relu, requires_grad=True)
    x = torch.rand(2, 3, 20) - 0.3
    n(x).sum().backward()
    assert n.delta.threshold.grad is not None


def _decay_grads(**kw):
    torch.manual_seed(5)
    x = torch.rand(2, 3, 30) * 0.3
    n = N.cuba.Neuron(threshold=100, current_decay=0.3, voltage_decay=0.2, requires_grad=True,
                      **kw)
    _, v = n.dynamics(x)
    (v * torch.linspace(-1, 1, 30)).sum().backward()
    return n.current_decay.grad, n.voltage_decay.grad


def test_lava_dl_compat_reproduces_the_old_decay_gradient_scale():
    true = _decay_grads()
    old = _decay_grads(lava_dl_compat=True)
    for t, o in zip(true, old, strict=True):
        assert torch.allclose(o, -4096 * t, rtol=1e-4)


def test_exact_grad_mode_stops_gradient_at_resets():
    torch.manual_seed(6)
    x = (torch.rand(2, 3, 40) * 1.5).requires_grad_()
    grads = {}
    for mode in ("surrogate", "exact"):
        n = N.cuba.Neuron(threshold=1.0, current_decay=1.0, voltage_decay=0.1, grad_mode=mode)
        xx = x.detach().clone().requires_grad_()
        _, v = n.dynamics(xx)
        v[..., -1].sum().backward()
        grads[mode] = xx.grad
    spikes = N.cuba.Neuron(threshold=1.0, current_decay=1.0, voltage_decay=0.1)(x.detach())
    assert spikes.sum() > 0
    assert (grads["surrogate"] > 0).all()
    # after the last reset before the final step, earlier inputs get no gradient
    assert (grads["exact"] == 0).any() and not torch.equal(grads["exact"], grads["surrogate"])


def test_bad_grad_mode():
    with pytest.raises(ValueError, match="grad_mode"):
        N.cuba.Neuron(threshold=1, current_decay=1, voltage_decay=1, grad_mode="bogus")


def test_sigma_delta_persistent_split_equals_full():
    # multiples of 1/64: the running sums are exact in float32 whatever the split
    x = torch.round((torch.rand(2, 3, 4, 4, 50) - 0.4) * 64) / 64
    full = N.sigma_delta.Neuron(threshold=0.1, activation=F.relu)(x)
    n = N.sigma_delta.Neuron(threshold=0.1, activation=F.relu, persistent_state=True)
    split = torch.cat([n(x[..., :17]), n(x[..., 17:])], -1)
    assert torch.equal(split, full)
    # a new batch size starts from a fresh state
    assert torch.equal(n(x[:1]), N.sigma_delta.Neuron(threshold=0.1, activation=F.relu)(x[:1]))
