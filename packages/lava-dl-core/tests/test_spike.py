"""Spike functions: forward semantics and lava-dl's surrogate gradients (spec §3, App. A)."""

from __future__ import annotations

import math

import pytest
import torch

from lava.lib.dl.core.spike import spike_complex, spike_real


def test_real_surrogate_spec_values():
    """CUBA threshold 1.25: tau_rho = 1.25 * 100, scale_rho = 0.1."""
    v = torch.tensor([0.0, 1.0, 1.25, 2.0, 10.0], requires_grad=True)
    s = spike_real(v, 1.25, 125.0, 0.1)
    assert s.tolist() == [0, 0, 1, 1, 1]
    s.sum().backward()
    expected = [3.9602e-4, 3.9920e-4, 4.0e-4, 3.9761e-4, 3.7296e-4]
    assert v.grad.tolist() == pytest.approx(expected, rel=1e-4)


def test_real_graded_forward_and_surrogate():
    v = torch.tensor([0.5, 1.0, 3.0], requires_grad=True)
    s = spike_real(v, 1.0, 2.0, 0.5, graded=True, scale=2.0)
    assert s.tolist() == [0.0, 0.5, 1.5]
    s.sum().backward()
    assert v.grad.tolist() == pytest.approx([0.5 * math.exp(-0.25), 0.5, 0.5])


def test_threshold_gradient_is_minus_voltage_gradient_reduced():
    v = torch.randn(2, 3, 5, generator=torch.Generator().manual_seed(0), requires_grad=True)
    th = torch.tensor([0.1, 0.2, 0.3]).reshape(3, 1).requires_grad_(True)
    spike_real(v, th, 0.5, 1.0).sum().backward()
    torch.testing.assert_close(th.grad, -v.grad.sum(dim=(0, 2)).reshape(3, 1))


def test_complex_forward_counter_clockwise_crossing():
    re = torch.tensor([[[1.0, 1.0, 1.0, 0.2, 1.0, 1.0]]])
    im = torch.tensor([[[-1.0, 0.5, -0.5, 0.3, -0.1, 0.0]]])
    s = spike_complex(re, im, 0.5, 1.0, 1.0)
    # t=1: -1 -> 0.5 with re >= 0.5; t=3: re too small; t=5: -0.1 -> 0 counts (>= 0)
    assert s.reshape(-1).tolist() == [0, 1, 0, 0, 0, 1]
    s0 = spike_complex(re, im, 0.5, 1.0, 1.0, imag_last=-1.0)
    assert s0.reshape(-1).tolist() == [0, 1, 0, 0, 0, 1]  # im[0] < 0: no crossing at t=0
    s1 = spike_complex(re, -im, 0.5, 1.0, 1.0, imag_last=-1.0)
    assert s1.reshape(-1)[0].item() == 1.0
    g = spike_complex(re, im, 0.5, 1.0, 1.0, graded=True, scale=2.0)
    assert g.reshape(-1).tolist() == [0, 0.5, 0, 0, 0, 0.5]


def test_complex_surrogate_values():
    tau, rho, th = 0.5, 3.0, 1.0
    re = torch.tensor([1.0, 2.0, 0.0], requires_grad=True)
    im = torch.tensor([0.0, 0.25, -0.5], requires_grad=True)
    spike_complex(re, im, th, tau, rho).sum().backward()
    d_re = [math.exp(-abs(r - th) / tau) / (2 * tau) for r in (1.0, 2.0, 0.0)]
    d_im = [math.exp(-abs(i) / tau) / (2 * tau) for i in (0.0, 0.25, -0.5)]
    step = [0.5, 0.5 * (1 + (1 - 2 * tau * d_re[1])), 0.5 * (1 - (1 - 2 * tau * d_re[2]))]
    sign = [0.0, 1.0, -1.0]
    assert re.grad.tolist() == pytest.approx([rho * a * b for a, b in zip(d_re, d_im, strict=True)])
    expected_im = [-(rho / tau) * sg * b * h for sg, b, h in zip(sign, d_im, step, strict=True)]
    assert im.grad.tolist() == pytest.approx(expected_im)


def test_spike_errors():
    with pytest.raises(ValueError, match="tau_rho"):
        spike_real(torch.zeros(3), 1.0, 0.0, 1.0)
    with pytest.raises(ValueError, match="shapes differ"):
        spike_complex(torch.zeros(1, 2, 3), torch.zeros(1, 2, 4), 1.0, 1.0, 1.0)
