"""The public dynamics give identical values and gradients whichever backend runs them.

Each case runs a public function of :mod:`lava.lib.dl.core` once with ``backend="reference"``
on the CPU and once with a compiled backend (``numba`` on the CPU, ``cupy`` on CUDA), on random
``(N, C, [H, W,] T)`` inputs with random parameter layouts (shared, per channel, per neuron,
per batch entry), and compares forward outputs, final states and the gradients of the input and
of every learnable parameter. Fixed-point outputs must be bit identical; gradients too (every
backend uses the reference's operation order without fused multiply-adds).
"""

from __future__ import annotations

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lava.lib.dl.core import backend as core_backend
from lava.lib.dl.core import dynamics, sigma_delta
from lava.lib.dl.core._backends import _registry
from lava.lib.dl.core.testing import random_input, random_param

BACKENDS = [
    pytest.param("numba", id="numba"),
    pytest.param("cupy", id="cupy", marks=pytest.mark.cuda),
]
LAYOUTS = ["scalar", "shared", "channel", "neuron", "flat", "full"]

SETTINGS = settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

shapes = st.sampled_from([(2, 3, 17), (1, 1, 40), (3, 2, 4, 5, 9), (2, 4, 3, 11), (1, 5, 1)])
layouts = st.sampled_from(LAYOUTS)


def _device(name):
    mod, reason = _registry.load(name)
    if mod is None:
        if name == "cupy":
            pytest.skip(f"cupy backend unavailable: {reason}")
        pytest.fail(f"backend {name} must be available here: {reason}")
    return torch.device("cuda" if name == "cupy" else "cpu")


def _leaf(p, dev, grad):
    if isinstance(p, torch.Tensor):
        return p.detach().to(dev).requires_grad_(grad)
    return p


def _compare(name, fn, inputs, params, *, grad=True):
    """Run ``fn(*inputs, **params)`` on both backends; compare outputs and gradients.

    ``fn`` returns a tuple of tensors; the loss is a fixed random projection of all of them.
    """
    dev = _device(name)
    results = []
    for b, d in (("reference", torch.device("cpu")), (name, dev)):
        xs = [x.detach().to(d).requires_grad_(grad) for x in inputs]
        ps = {
            k: _leaf(v, d, grad and isinstance(v, torch.Tensor) and v.is_floating_point())
            for k, v in params.items()
        }
        outs = fn(*xs, backend=b, **ps)
        assert core_backend.last_backend() == b
        outs = [o for o in outs if isinstance(o, torch.Tensor)]
        grads = []
        if grad:
            g = torch.Generator().manual_seed(7)
            loss = sum(
                (o * torch.randn(o.shape, generator=g, dtype=o.dtype).to(d)).sum()
                for o in outs
                if o.requires_grad
            )
            leaves = xs + [
                v for v in ps.values() if isinstance(v, torch.Tensor) and v.requires_grad
            ]
            grads = torch.autograd.grad(loss, leaves, allow_unused=True)
        results.append(
            ([o.detach().cpu() for o in outs], [None if g is None else g.cpu() for g in grads])
        )
    (o_ref, g_ref), (o_got, g_got) = results
    for a, b in zip(o_ref, o_got, strict=True):
        assert torch.equal(a, b), f"forward differs: max {(a - b).abs().max()}"
    for k, (a, b) in enumerate(zip(g_ref, g_got, strict=True)):
        assert (a is None) == (b is None)
        if a is None:
            continue
        if k < len(inputs) or dev.type == "cpu":
            # input gradients come straight from the backward kernels: bit identical
            assert torch.equal(a, b), f"gradient {k} differs: max {(a - b).abs().max()}"
        else:
            # parameter gradients are torch reductions (sums over neurons and time); CUDA
            # sums in another order than the CPU, so they agree to float32 rounding only
            torch.testing.assert_close(b, a, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", BACKENDS)
@SETTINGS
@given(
    shape=shapes,
    lay=layouts,
    lay2=layouts,
    seed=st.integers(0, 10_000),
    mode=st.sampled_from(["surrogate", "exact"]),
    compat=st.booleans(),
)
def test_leaky_integrator(name, shape, lay, lay2, seed, mode, compat):
    x = random_input(shape, seed=seed, amplitude=1.5)
    params = {
        "decay": random_param(lay, shape, 0, 4096, seed=seed + 1),
        "threshold": random_param(lay2, shape, 0.2, 1.5, seed=seed + 2),
        "state": random_param(lay, shape, -0.5, 0.5, seed=seed + 3),
        "grad_mode": mode,
        "lava_dl_compat": compat,
    }
    _compare(name, dynamics.leaky_integrator, [x], params)


@pytest.mark.parametrize("name", BACKENDS)
@SETTINGS
@given(
    shape=shapes,
    lay=layouts,
    seed=st.integers(0, 10_000),
    iz=st.booleans(),
    mode=st.sampled_from(["surrogate", "exact"]),
)
def test_resonator(name, shape, lay, seed, iz, mode):
    xr = random_input(shape, seed=seed)
    xi = random_input(shape, seed=seed + 1)
    params = {
        "sin_decay": random_param(lay, shape, -2900, 2900, seed=seed + 2),
        "cos_decay": random_param(lay, shape, -2900, 2900, seed=seed + 3),
        "re_state": random_param(lay, shape, -0.3, 0.3, seed=seed + 4),
        "im_state": random_param(lay, shape, -0.3, 0.3, seed=seed + 5),
        "threshold": 0.4 if iz else None,
        "grad_mode": mode,
    }
    _compare(name, dynamics.resonator, [xr, xi], params)


@pytest.mark.parametrize("name", BACKENDS)
@SETTINGS
@given(shape=shapes, lay=layouts, seed=st.integers(0, 10_000))
def test_adaptive_threshold(name, shape, lay, seed):
    v = random_input(shape, seed=seed, amplitude=3.0).cumsum(-1)
    params = {
        "ref_decay": random_param(lay, shape, 0, 4096, seed=seed + 1),
        "th_decay": random_param(lay, shape, 0, 4096, seed=seed + 2),
        "th0": random_param(lay, shape, 0.5, 2.0, seed=seed + 3),
        "th_step": random_param(lay, shape, 0.0, 1.0, seed=seed + 4),
    }
    _compare(name, dynamics.adaptive_threshold, [v], params, grad=False)


@pytest.mark.parametrize("name", BACKENDS)
@SETTINGS
@given(shape=shapes, lay=layouts, seed=st.integers(0, 10_000))
def test_adaptive_phase_th(name, shape, lay, seed):
    g = torch.Generator().manual_seed(seed)
    phase = torch.rand(shape, generator=g).cumsum(-1)
    re, im = 2 * torch.cos(phase), 2 * torch.sin(phase)
    params = {
        "ref_decay": random_param(lay, shape, 0, 4096, seed=seed + 1),
        "th_decay": random_param(lay, shape, 0, 4096, seed=seed + 2),
        "th0": random_param(lay, shape, 0.2, 1.5, seed=seed + 3),
        "th_step": random_param(lay, shape, 0.0, 1.0, seed=seed + 4),
        "im_state": -0.1,
    }
    _compare(name, dynamics.adaptive_phase_th, [re, im], params, grad=False)


@pytest.mark.parametrize("name", BACKENDS)
@SETTINGS
@given(shape=shapes, lay=layouts, seed=st.integers(0, 10_000), compat=st.booleans())
def test_adaptive_resonator(name, shape, lay, seed, compat):
    xr = random_input(shape, seed=seed, amplitude=2.0)
    xi = random_input(shape, seed=seed + 1, amplitude=2.0)
    params = {
        "sin_decay": random_param(lay, shape, -2900, 2900, seed=seed + 2),
        "cos_decay": random_param(lay, shape, -2900, 2900, seed=seed + 3),
        "ref_decay": random_param(lay, shape, 0, 4096, seed=seed + 4),
        "th_decay": random_param(lay, shape, 0, 4096, seed=seed + 5),
        "th0": random_param(lay, shape, 0.2, 1.0, seed=seed + 6),
        "th_step": random_param(lay, shape, 0.0, 0.5, seed=seed + 7),
        "lava_dl_compat": compat,
    }
    _compare(name, dynamics.adaptive_resonator, [xr, xi], params)


@pytest.mark.parametrize("name", BACKENDS)
@SETTINGS
@given(shape=shapes, lay=layouts, seed=st.integers(0, 10_000), scale=st.sampled_from([64, 4096]))
def test_delta_encoder(name, shape, lay, seed, scale):
    x = random_input(shape, seed=seed, density=0.8).cumsum(-1)
    params = {
        "threshold": random_param(lay, shape, 0.01, 0.3, seed=seed + 1),
        "scale": scale,
    }
    _compare(name, sigma_delta.delta_encoder, [x], params)


@pytest.mark.parametrize("name", BACKENDS)
def test_float64_and_split_run(name):
    """float64 traces, and a run split in two with the returned state equals the full run."""
    dev = _device(name)
    x = random_input((2, 3, 30), seed=5, dtype=torch.float64, amplitude=1.5).to(dev)
    full = dynamics.leaky_integrator(x, 700, threshold=1.0, backend=name)
    first = dynamics.leaky_integrator(x[..., :12], 700, threshold=1.0, backend=name)
    second = dynamics.leaky_integrator(
        x[..., 12:], 700, threshold=1.0, state=first.state, backend=name
    )
    assert full.y.dtype == torch.float64
    assert torch.equal(full.y, torch.cat([first.y, second.y], -1))
    assert torch.equal(full.state, second.state)
    ref = dynamics.leaky_integrator(x.cpu(), 700, threshold=1.0, backend="reference")
    assert torch.equal(ref.y, full.y.cpu())
