"""Fused spike primitives: numba equals the reference bit for bit, public path unchanged."""

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
    assert set(_interface.FUSED_PRIMITIVES) == {"spike_real_fwd", "spike_real_bwd"}
    for mod in (reference, numba_cpu):
        for name in _interface.FUSED_PRIMITIVES:
            assert callable(getattr(mod, name)), (mod.NAME, name)
        assert isinstance(mod, _interface.FusedPrimitives)


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
