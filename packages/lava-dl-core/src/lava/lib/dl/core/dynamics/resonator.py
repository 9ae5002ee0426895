r"""Resonator (damped rotation) of resonate-and-fire neurons, with optional Izhikevich reset.

Forward (fixed point; :math:`R, I` integer states, :math:`\sigma, \gamma` the integer
``sin_decay`` and ``cos_decay`` = :math:`4096(1-\alpha)\sin\varphi` and
:math:`4096(1-\alpha)\cos\varphi`):

.. math::
    R_t = \operatorname{rtz}(\gamma R^+_{t-1}) - \operatorname{rtz}(\sigma I^+_{t-1})
          + \operatorname{trunc}(S x^{re}_t), \quad
    I_t = \operatorname{rtz}(\sigma R^+_{t-1}) + \operatorname{rtz}(\gamma I^+_{t-1})
          + \operatorname{trunc}(S x^{im}_t),

where :math:`\operatorname{rtz}(a)` divides by 4096 truncating toward zero. With a threshold
(rf_iz), :math:`I_t \ge \lceil S\vartheta\rceil` resets :math:`(R^+_t, I^+_t) = (0,
\lceil S\vartheta\rceil - 1)`; otherwise :math:`(R^+, I^+) = (R, I)`. A negative threshold
disables the reset. The traces returned are pre-reset values divided by S.

Backward (straight-through; :math:`s = \sigma/4096`, :math:`c = \gamma/4096`; :math:`k_t = 0`
iff reset after step t in ``grad_mode="exact"``):

.. math::
    a^{re}_t = g^{re}_t + k_t (c\, a^{re}_{t+1} + s\, a^{im}_{t+1}), \quad
    a^{im}_t = g^{im}_t + k_t (c\, a^{im}_{t+1} - s\, a^{re}_{t+1}),

    \frac{\partial L}{\partial \sigma} = \frac{1}{4096}\sum_t
        \left(a^{im}_t r^+_{t-1} - a^{re}_t i^+_{t-1}\right), \quad
    \frac{\partial L}{\partial \gamma} = \frac{1}{4096}\sum_t
        \left(a^{re}_t r^+_{t-1} + a^{im}_t i^+_{t-1}\right).

lava-dl 0.6 omits the 1/4096 (spec §15 #2), uses pre-reset values and skips t = 0;
``lava_dl_compat=True`` reproduces that.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from ..backend import resolve
from ..fixed_point import P_SCALE, S_SCALE
from . import _common as C

__all__ = ["ResonatorResult", "resonator"]


class ResonatorResult(NamedTuple):
    """Output of :func:`resonator`.

    Attributes
    ----------
    real, imag : Tensor (N, C, [H, W,] T)
        Pre-reset real and imaginary traces.
    real_state, imag_state : Tensor (N, C, [H, W])
        Post-reset states after the last step (for ``re_state=`` / ``im_state=``).
    """

    real: torch.Tensor
    imag: torch.Tensor
    real_state: torch.Tensor
    imag_state: torch.Tensor


def resonator_param_grads(a_re, a_im, re_post, im_post, re0, im0, need, compat, re_pre, im_pre):
    """Gradients of the sin/cos decays from the backward recurrence outputs.

    Parameters
    ----------
    a_re, a_im : Tensor (M, T)
        Total gradients with respect to the real/imaginary traces (``resonator_bwd`` output).
    re_post, im_post : Tensor (M, T)
        Post-reset traces.
    re0, im0 : Tensor (M,)
        Initial states (float values).
    need : sequence of 2 bool
        Whether the sin and cos gradients are needed.
    compat : bool
        lava-dl 0.6 scaling (no 1/4096, pre-reset traces, t >= 1 only).
    re_pre, im_pre : Tensor (M, T)
        Pre-reset traces (used by ``compat``).

    Returns
    -------
    grad_sin, grad_cos : Tensor (M,) or None
    """
    dot = C.rowdot
    ar, ai = a_re[:, 1:], a_im[:, 1:]
    if compat:
        rp, ip = re_pre[:, :-1], im_pre[:, :-1]
        r0 = i0 = None
        den = 1
    else:
        rp, ip = re_post[:, :-1], im_post[:, :-1]
        r0, i0 = re0.detach().to(a_re.dtype), im0.detach().to(a_re.dtype)
        den = P_SCALE
    g_sin = g_cos = None
    if need[0]:
        g_sin = dot(ai, rp) - dot(ar, ip)
        if r0 is not None:
            g_sin = g_sin + a_im[:, 0] * r0 - a_re[:, 0] * i0
        g_sin = g_sin / den
    if need[1]:
        g_cos = dot(ar, rp) + dot(ai, ip)
        if r0 is not None:
            g_cos = g_cos + a_re[:, 0] * r0 + a_im[:, 0] * i0
        g_cos = g_cos / den
    return g_sin, g_cos


def initial_state_grads(a_re0, a_im0, s, c, need_re, need_im):
    """Gradients of the initial states: the transposed rotation applied to ``a[:, 0]``."""
    g_r0 = c * a_re0 + s * a_im0 if need_re else None
    g_i0 = c * a_im0 - s * a_re0 if need_im else None
    return g_r0, g_i0


class _Resonator(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x_re, x_im, sin_d, cos_d, re0, im0, level, opts):
        ctx.set_materialize_grads(False)
        s = opts.s_scale
        _, fwd = resolve("resonator_fwd", x_re.device, opts.backend)
        re, im = fwd(
            x_re,
            x_im,
            sin_d.detach().to(torch.int64),
            cos_d.detach().to(torch.int64),
            C.to_fixed(re0, s),
            C.to_fixed(im0, s),
            level,
            s_scale=s,
        )
        re_l, im_l = re[:, -1], im[:, -1]
        if level is None:
            re_f, im_f = re_l.clone(), im_l.clone()
        else:
            fired = C.to_fixed(im_l, s) >= level
            re_f = torch.where(fired, torch.zeros_like(re_l), re_l)
            im_f = torch.where(fired, (level - 1).to(im.dtype) / s, im_l)
        ctx.save_for_backward(re, im, sin_d, cos_d, re0, im0, level)
        ctx.opts = opts
        return re, im, re_f, im_f

    @staticmethod
    def backward(ctx, g_re, g_im, g_re_f, g_im_f):
        re, im, sin_d, cos_d, re0, im0, level = ctx.saved_tensors
        opts = ctx.opts
        need = ctx.needs_input_grad
        exact = opts.exact_reset and level is not None
        need_param = need[2] or need[3]
        keep = None
        if level is not None and (exact or (need_param and not opts.lava_dl_compat)):
            keep = C.keep_mask(im, level, opts.s_scale)
        g_re = torch.zeros_like(re) if g_re is None else g_re
        g_im = torch.zeros_like(im) if g_im is None else g_im
        k_last = keep[:, -1] if exact else 1
        if g_re_f is not None:
            g_re = g_re.clone()
            g_re[:, -1] += g_re_f * k_last
        if g_im_f is not None:
            g_im = g_im.clone()
            g_im[:, -1] += g_im_f * k_last
        s = sin_d.detach().to(re.dtype) / P_SCALE
        c = cos_d.detach().to(re.dtype) / P_SCALE
        _, bwd = resolve("resonator_bwd", re.device, opts.backend)
        a_re, a_im = bwd(g_re.contiguous(), g_im.contiguous(), s, c, keep if exact else None)
        g_sin = g_cos = None
        if need_param:
            if keep is None:
                re_post, im_post = re, im
            else:
                reset_im = ((level - 1).to(re.dtype) / opts.s_scale).unsqueeze(1)
                re_post = re * keep
                im_post = im * keep + reset_im * (1 - keep)
            g_sin, g_cos = resonator_param_grads(
                a_re, a_im, re_post, im_post, re0, im0, need[2:4], opts.lava_dl_compat, re, im
            )
        g_r0, g_i0 = initial_state_grads(a_re[:, 0], a_im[:, 0], s, c, need[4], need[5])
        return a_re, a_im, g_sin, g_cos, g_r0, g_i0, None, None


def resonator(
    x_re: torch.Tensor,
    x_im: torch.Tensor,
    sin_decay,
    cos_decay,
    *,
    re_state=None,
    im_state=None,
    threshold=None,
    s_scale: int = S_SCALE,
    grad_mode: str = "surrogate",
    lava_dl_compat: bool = False,
    backend: str | None = None,
) -> ResonatorResult:
    """Fixed-point resonator over time (see the module docstring for the math).

    Parameters
    ----------
    x_re, x_im : Tensor (N, C, [H, W,] T)
        Real and imaginary inputs (equal shapes).
    sin_decay, cos_decay : float or Tensor
        ``4096 (1 - decay) sin(2 pi / period)`` and the cosine counterpart; rounded to integers
        (straight-through), each in [-4096, 4096]. Any parameter layout.
    re_state, im_state : float or Tensor, optional, keyword-only
        Initial states in value units (default 0).
    threshold : float or Tensor or None, keyword-only
        Izhikevich reset level on the imaginary part (rf_iz); ``None`` or negative: no reset.
    s_scale, grad_mode, lava_dl_compat, backend
        As in :func:`~lava.lib.dl.core.dynamics.leaky_integrator`.

    Returns
    -------
    ResonatorResult
        ``(real, imag, real_state, imag_state)``.
    """
    C.check_input(x_re, "x_re")
    if x_im.shape != x_re.shape:
        raise ValueError(
            f"x_re and x_im shapes differ: {tuple(x_re.shape)} vs {tuple(x_im.shape)}"
        )
    opts = C.make_options(s_scale, backend, grad_mode, lava_dl_compat)
    dtype, dev, lead = C.work_dtype(x_re), x_re.device, x_re.shape[:-1]
    kw = {"dtype": dtype, "device": dev, "low": -float(P_SCALE)}
    sin_d = C.decay_param(sin_decay, lead, "sin_decay", **kw)
    cos_d = C.decay_param(cos_decay, lead, "cos_decay", **kw)
    re0 = C.state_param(re_state, 0.0, lead, "re_state", dtype=dtype, device=dev)
    im0 = C.state_param(im_state, 0.0, lead, "im_state", dtype=dtype, device=dev)
    level = C.reset_level(threshold, lead, opts.s_scale, device=dev, strict_positive=False)
    re, im, re_f, im_f = _Resonator.apply(
        C.flat_traces(x_re, dtype), C.flat_traces(x_im, dtype), sin_d, cos_d, re0, im0,
        level, opts,
    )
    return ResonatorResult(
        re.reshape(x_re.shape), im.reshape(x_re.shape), re_f.reshape(lead), im_f.reshape(lead)
    )
