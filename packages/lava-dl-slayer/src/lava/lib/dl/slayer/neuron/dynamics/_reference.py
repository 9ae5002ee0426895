r"""TODO(core): plain-PyTorch fixed-point neuron dynamics on flattened ``(M, T)`` tensors.

Conventions (spec §1.3, §4): integer states ``Y = trunc(S * y)``; a decay ``d`` (an integer in
units of 1/4096) updates a leaky state as ``Y <- rtz(Y * (4096 - d), 12) + trunc(S * x)``, where
``rtz`` divides by 4096 truncating toward zero. Outputs are the pre-reset states divided by S.

Backward passes ignore resets and truncation (the linear recurrence); decay gradients are the true
derivatives with respect to the stored decay (lava-dl returned -4096x that, spec §15 #1-#2).
"""

from __future__ import annotations

import torch

_P = 4096


def _rtz(a: torch.Tensor) -> torch.Tensor:
    return torch.sign(a) * (torch.abs(a) >> 12)


def _int(x: torch.Tensor, s: float) -> torch.Tensor:
    return torch.trunc(x.double() * s).to(torch.int64)


class LeakyIntegrator(torch.autograd.Function):
    """x (M, T), decay (M,), state (M,) -> y (M, T) pre-reset."""

    @staticmethod
    def forward(ctx, x, decay, state, s_scale, threshold):  # noqa: D102
        s = float(s_scale)
        xi = _int(x, s)
        keep = (_P - decay.double()).round().to(torch.int64)
        y = _int(state, s)
        out = torch.empty_like(xi)
        reset = threshold is not None and threshold > 0
        theta = float(threshold) * s if reset else 0.0
        for t in range(xi.shape[-1]):
            y = _rtz(y * keep) + xi[:, t]
            out[:, t] = y
            if reset:
                y = torch.where(y.double() >= theta, torch.zeros_like(y), y)
        y_out = (out.double() / s).to(x.dtype)
        ctx.save_for_backward(decay, state, y_out)
        return y_out

    @staticmethod
    def backward(ctx, grad):  # noqa: D102
        decay, state, y = ctx.saved_tensors
        lam = 1 - decay.to(grad.dtype) / _P
        g = torch.empty_like(grad)
        acc = torch.zeros_like(grad[:, 0])
        for t in range(grad.shape[-1] - 1, -1, -1):
            acc = lam * acc + grad[:, t]
            g[:, t] = acc
        prev = torch.cat([state.to(y.dtype).reshape(-1, 1).expand(-1, 1), y[:, :-1]], dim=1)
        g_decay = -(g * prev).sum(dim=1) / _P
        g_state = lam * g[:, 0]
        return g, g_decay, g_state, None, None


def leaky_integrator(x, decay, state, s_scale, threshold=None):
    """Flattened leaky integrator (see :class:`LeakyIntegrator`)."""
    return LeakyIntegrator.apply(x, decay, state, s_scale, threshold)


class Resonator(torch.autograd.Function):
    """(re, im) (M, T), sin/cos (M,), states (M,) -> (re, im) (M, T) pre-reset."""

    @staticmethod
    def forward(ctx, xr, xi, sin, cos, re_state, im_state, s_scale, threshold):  # noqa: D102
        s = float(s_scale)
        xr_i, xi_i = _int(xr, s), _int(xi, s)
        si = sin.double().round().to(torch.int64)
        co = cos.double().round().to(torch.int64)
        rr, ii = _int(re_state, s), _int(im_state, s)
        out_r = torch.empty_like(xr_i)
        out_i = torch.empty_like(xi_i)
        reset = threshold is not None and threshold >= 0
        theta = float(threshold) * s if reset else 0.0
        for t in range(xr_i.shape[-1]):
            rr_new = _rtz(co * rr) - _rtz(si * ii) + xr_i[:, t]
            ii_new = _rtz(si * rr) + _rtz(co * ii) + xi_i[:, t]
            rr, ii = rr_new, ii_new
            out_r[:, t] = rr
            out_i[:, t] = ii
            if reset:
                fire = ii.double() >= theta
                rr = torch.where(fire, torch.zeros_like(rr), rr)
                ii = torch.where(fire, torch.full_like(ii, int(theta) - 1), ii)
        yr = (out_r.double() / s).to(xr.dtype)
        yi = (out_i.double() / s).to(xi.dtype)
        ctx.save_for_backward(sin, cos, re_state, im_state, yr, yi)
        return yr, yi

    @staticmethod
    def backward(ctx, g_r, g_i):  # noqa: D102
        sin, cos, re_state, im_state, yr, yi = ctx.saved_tensors
        sn = sin.to(g_r.dtype) / _P
        cs = cos.to(g_r.dtype) / _P
        gr = torch.empty_like(g_r)
        gi = torch.empty_like(g_i)
        ar = torch.zeros_like(g_r[:, 0])
        ai = torch.zeros_like(g_i[:, 0])
        for t in range(g_r.shape[-1] - 1, -1, -1):
            ar, ai = cs * ar + sn * ai + g_r[:, t], -sn * ar + cs * ai + g_i[:, t]
            gr[:, t] = ar
            gi[:, t] = ai
        pr = torch.cat([re_state.to(yr.dtype).reshape(-1, 1), yr[:, :-1]], dim=1)
        pi = torch.cat([im_state.to(yi.dtype).reshape(-1, 1), yi[:, :-1]], dim=1)
        g_sin = (-gr * pi + gi * pr).sum(dim=1) / _P
        g_cos = (gr * pr + gi * pi).sum(dim=1) / _P
        g_rs = cs * gr[:, 0] + sn * gi[:, 0]
        g_is = -sn * gr[:, 0] + cs * gi[:, 0]
        return gr, gi, g_sin, g_cos, g_rs, g_is, None, None


def resonator(xr, xi, sin, cos, re_state, im_state, s_scale, threshold=None):
    """Flattened resonator (see :class:`Resonator`)."""
    return Resonator.apply(xr, xi, sin, cos, re_state, im_state, s_scale, threshold)


@torch.no_grad()
def adaptive_threshold(drive, ref_state, ref_decay, th_state, th_decay, th_scale, th0, s_scale,
                       *, im=None, im_state=None):
    """Adaptive threshold and refractory traces (no gradient).

    ``drive`` (M, T) is the voltage (or the real part when ``im`` is given: phase threshold).
    Returns ``(threshold, refractory)``, each (M, T), values before the post-spike update.
    """
    s = float(s_scale)
    v = _int(drive, s)
    th0_i = int(float(th0) * s)
    step = int(float(th_scale) * s)
    keep_r = (_P - ref_decay.double()).round().to(torch.int64)
    keep_t = (_P - th_decay.double()).round().to(torch.int64)
    rf = _int(ref_state, s)
    th = _int(th_state, s)
    th_out = torch.empty_like(v)
    rf_out = torch.empty_like(v)
    if im is not None:
        imi = _int(im, s)
        im_prev = _int(im_state, s)
    for t in range(v.shape[-1]):
        rf = _rtz(rf * keep_r)
        th = _rtz((th - th0_i) * keep_t) + th0_i
        fire = v[:, t] >= th + rf
        if im is not None:
            fire = fire & (im_prev < 0) & (imi[:, t] >= 0)
            im_prev = imi[:, t]
        th_out[:, t] = th
        rf_out[:, t] = rf
        rf = torch.where(fire, rf + 2 * th, rf)
        th = torch.where(fire, th + step, th)
    return (th_out.double() / s).to(drive.dtype), (rf_out.double() / s).to(drive.dtype)
