r"""TODO(core): real and complex (phase-threshold) spike functions with lava-dl's surrogates.

Real (spec §3.1): :math:`s = 1[v \ge \theta]` (binary) or :math:`1[v \ge \theta]\,v/\text{scale}`
(graded); surrogate :math:`\partial s/\partial v = \frac{\rho}{2\tau} e^{-|v-\theta|/\tau}` (binary)
or :math:`\rho\, e^{\min(v-\theta, 0)/\tau}` (graded).

Complex (spec §3.2): fires when the state crosses the positive real axis counter-clockwise with
real part :math:`\ge \theta`.
"""

from __future__ import annotations

import torch


def _t(v, like):
    return torch.as_tensor(v, dtype=like.dtype, device=like.device)


class RealSpike(torch.autograd.Function):
    @staticmethod
    def forward(ctx, voltage, threshold, tau_rho, scale_rho, graded_spike, scale):  # noqa: D102
        th = _t(threshold, voltage)
        fire = (voltage >= th).to(voltage.dtype)
        out = fire * voltage / scale if graded_spike else fire
        ctx.save_for_backward(voltage, th)
        ctx.cfg = (float(tau_rho), float(scale_rho), bool(graded_spike))
        return out

    @staticmethod
    def backward(ctx, grad):  # noqa: D102
        voltage, th = ctx.saved_tensors
        tau, rho, graded = ctx.cfg
        if graded:
            d = rho * torch.exp(torch.clamp(voltage - th, max=0) / tau)
        else:
            d = rho / (2 * tau) * torch.exp(-torch.abs(voltage - th) / tau)
        return grad * d, None, None, None, None, None


class ComplexSpike(torch.autograd.Function):
    @staticmethod
    def forward(ctx, real, imag, threshold, tau_rho, scale_rho, graded_spike, imag_last,  # noqa: D102
                scale):
        th = _t(threshold, real)
        last = _t(imag_last, imag).expand(imag.shape[:-1]).unsqueeze(-1)
        imag_prev = torch.cat([last, imag[..., :-1]], dim=-1)
        fire = ((real >= th) & (imag_prev < 0) & (imag >= 0)).to(real.dtype)
        out = fire * real / scale if graded_spike else fire
        ctx.save_for_backward(real, imag, th)
        ctx.cfg = (float(tau_rho), float(scale_rho), bool(graded_spike))
        return out

    @staticmethod
    def backward(ctx, grad):  # noqa: D102
        real, imag, th = ctx.saved_tensors
        tau, rho, graded = ctx.cfg
        if graded:
            d_re = torch.exp(-torch.clamp(th - real, min=0) / tau)
        else:
            d_re = 1 / (2 * tau) * torch.exp(-torch.abs(real - th) / tau)
        d_im = 1 / (2 * tau) * torch.exp(-torch.abs(imag) / tau)
        step_re = 0.5 * (1 + torch.sign(real - th) * (1 - 2 * tau * d_re))
        g_re = grad * rho * d_re * d_im
        g_im = -grad * (rho / tau) * torch.sign(imag) * d_im * step_re
        return g_re, g_im, None, None, None, None, None, None
