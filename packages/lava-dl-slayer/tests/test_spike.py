"""slayer.spike: real and complex spike functions, forward and surrogate gradients."""

from __future__ import annotations

import pytest
import torch

import lava.lib.dl.slayer as slayer


def test_real_binary_and_graded_forward():
    v = torch.tensor([0.0, 0.99, 1.0, 2.5]).reshape(1, 1, -1)
    assert slayer.spike.Spike.apply(v, 1.0, 1, 1, False, None, 1).reshape(-1).tolist() == [
        0, 0, 1, 1]
    assert slayer.spike.Spike.apply(v, 1.0, 1, 1, True, None, 2).reshape(-1).tolist() == [
        0, 0, 0.5, 1.25]


@pytest.mark.parametrize("graded", [False, True])
def test_real_surrogate(graded):
    v = torch.linspace(-2, 4, 25).reshape(1, 1, -1).requires_grad_()
    tau, rho, th = 0.7, 1.3, 1.0
    slayer.spike.Spike.apply(v, th, tau, rho, graded, None, 1).sum().backward()
    vd = v.detach()
    if graded:
        expected = rho * torch.exp(torch.clamp(vd - th, max=0) / tau)
    else:
        expected = rho / (2 * tau) * torch.exp(-(vd - th).abs() / tau)
    assert torch.allclose(v.grad, expected)


def test_complex_forward_fires_on_upward_zero_crossing():
    real = torch.tensor([1.0, 1.0, 1.0, 0.2, 1.0]).reshape(1, 1, -1)
    imag = torch.tensor([-1.0, 0.5, -0.2, 0.1, 0.0]).reshape(1, 1, -1)
    s = slayer.spike.complex.Spike.apply(real, imag, 0.5, 1, 1, False, torch.tensor([[0.3]]), 1)
    # t0: prev 0.3 >= 0; t1: -1 -> 0.5 fires; t2: no; t3: real below th; t4: -? prev 0.1
    assert s.reshape(-1).tolist() == [0, 1, 0, 0, 0]
    s0 = slayer.spike.complex.Spike.apply(real, imag, 0.5, 1, 1, False, -1.0, 1)
    assert s0.reshape(-1).tolist() == [0, 1, 0, 0, 0]


def test_complex_surrogate_formula():
    g = torch.Generator().manual_seed(0)
    re = torch.randn(1, 2, 30, generator=g).requires_grad_()
    im = torch.randn(1, 2, 30, generator=g).requires_grad_()
    tau, rho, th = 0.5, 2.0, 0.3
    slayer.spike.complex.Spike.apply(re, im, th, tau, rho, False, 0.0, 1).sum().backward()
    r, i = re.detach(), im.detach()
    d_re = torch.exp(-(r - th).abs() / tau) / (2 * tau)
    d_im = torch.exp(-i.abs() / tau) / (2 * tau)
    step = 0.5 * (1 + torch.sign(r - th) * (1 - 2 * tau * d_re))
    assert torch.allclose(re.grad, rho * d_re * d_im)
    assert torch.allclose(im.grad, -(rho / tau) * torch.sign(i) * d_im * step)


def test_invalid_tau_raises():
    with pytest.raises(ValueError, match="tau_rho"):
        slayer.spike.Spike.apply(torch.zeros(1, 1, 2), 1.0, 0, 1, False, None, 1)
