r"""Adaptive resonator (adRF-Izhikevich): resonator without reset plus adaptive threshold.

Per step: the resonator update of :mod:`.resonator` (no reset), the threshold/refractory decay
of :mod:`.adaptive_threshold`, the firing test on the imaginary state

.. math:: f_t = [I_t \ge \Theta_t + \Phi_t],

then the spike update :math:`\Phi \mathrel{+}= 2 f \Theta`, :math:`\Theta \mathrel{+}= f\Delta`.
Gradients flow to the inputs, the sin/cos decays and the initial real/imaginary states exactly as
for the resonator without reset; the threshold and refractory traces are constants.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from ..backend import resolve
from ..fixed_point import P_SCALE, S_SCALE
from . import _common as C
from .adaptive_threshold import adaptive_params, final_adaptive_state
from .resonator import initial_state_grads, resonator_param_grads

__all__ = ["AdaptiveResonatorResult", "adaptive_resonator"]


class AdaptiveResonatorResult(NamedTuple):
    """Output of :func:`adaptive_resonator`.

    Attributes
    ----------
    real, imag, threshold, refractory : Tensor (N, C, [H, W,] T)
        State traces (threshold and refractory before each step's spike update; detached).
    real_state, imag_state, ref_state, th_state : Tensor (N, C, [H, W])
        Final states.
    """

    real: torch.Tensor
    imag: torch.Tensor
    threshold: torch.Tensor
    refractory: torch.Tensor
    real_state: torch.Tensor
    imag_state: torch.Tensor
    ref_state: torch.Tensor
    th_state: torch.Tensor


class _AdaptiveResonator(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x_re, x_im, sin_d, cos_d, re0, im0, adapt, opts):
        ctx.set_materialize_grads(False)
        s = opts.s_scale
        rd, td, t0, step, r0, th0_i = adapt
        _, fwd = resolve("adaptive_resonator_fwd", x_re.device, opts.backend)
        re, im, th, ref = fwd(
            x_re, x_im, sin_d.detach().to(torch.int64), cos_d.detach().to(torch.int64),
            rd, td, t0, step, C.to_fixed(re0, s), C.to_fixed(im0, s), r0, th0_i, s_scale=s,
        )
        fire = C.to_fixed(im[:, -1], s) >= C.to_fixed(th[:, -1], s) + C.to_fixed(ref[:, -1], s)
        rf_f, th_f = final_adaptive_state(fire, th, ref, step, s)
        ctx.save_for_backward(re, im, sin_d, cos_d, re0, im0)
        ctx.opts = opts
        ctx.mark_non_differentiable(th, ref, rf_f, th_f)
        return re, im, th, ref, re[:, -1].clone(), im[:, -1].clone(), rf_f, th_f

    @staticmethod
    def backward(ctx, g_re, g_im, _g_th, _g_ref, g_re_f, g_im_f, _g_rf, _g_thf):
        re, im, sin_d, cos_d, re0, im0 = ctx.saved_tensors
        opts = ctx.opts
        g_re = torch.zeros_like(re) if g_re is None else g_re
        g_im = torch.zeros_like(im) if g_im is None else g_im
        if g_re_f is not None:
            g_re = g_re.clone()
            g_re[:, -1] += g_re_f
        if g_im_f is not None:
            g_im = g_im.clone()
            g_im[:, -1] += g_im_f
        s = sin_d.detach().to(re.dtype) / P_SCALE
        c = cos_d.detach().to(re.dtype) / P_SCALE
        _, bwd = resolve("resonator_bwd", re.device, opts.backend)
        a_re, a_im = bwd(g_re.contiguous(), g_im.contiguous(), s, c, None)
        need = ctx.needs_input_grad
        g_sin = g_cos = None
        if need[2] or need[3]:
            g_sin, g_cos = resonator_param_grads(
                a_re, a_im, re, im, re0, im0, need[2:4], opts.lava_dl_compat, re, im
            )
        g_r0, g_i0 = initial_state_grads(a_re[:, 0], a_im[:, 0], s, c, need[4], need[5])
        return a_re, a_im, g_sin, g_cos, g_r0, g_i0, None, None


def adaptive_resonator(
    x_re: torch.Tensor,
    x_im: torch.Tensor,
    sin_decay,
    cos_decay,
    ref_decay,
    th_decay,
    th0,
    th_step,
    *,
    re_state=None,
    im_state=None,
    ref_state=None,
    th_state=None,
    s_scale: int = S_SCALE,
    lava_dl_compat: bool = False,
    backend: str | None = None,
) -> AdaptiveResonatorResult:
    """Adaptive resonator over time (see the module docstring).

    Parameters
    ----------
    x_re, x_im : Tensor (N, C, [H, W,] T)
        Real and imaginary inputs.
    sin_decay, cos_decay : float or Tensor
        As in :func:`~lava.lib.dl.core.dynamics.resonator`.
    ref_decay, th_decay, th0, th_step : float or Tensor
        As in :func:`~lava.lib.dl.core.dynamics.adaptive_threshold`.
    re_state, im_state, ref_state, th_state : float or Tensor, optional, keyword-only
        Initial states (defaults 0, 0, 0, ``th0``).
    s_scale, lava_dl_compat, backend
        As in :func:`~lava.lib.dl.core.dynamics.resonator`.

    Returns
    -------
    AdaptiveResonatorResult
    """
    C.check_input(x_re, "x_re")
    if x_im.shape != x_re.shape:
        raise ValueError(
            f"x_re and x_im shapes differ: {tuple(x_re.shape)} vs {tuple(x_im.shape)}"
        )
    opts = C.make_options(s_scale, backend, "surrogate", lava_dl_compat)
    dtype, dev, lead = C.work_dtype(x_re), x_re.device, x_re.shape[:-1]
    kw = {"dtype": dtype, "device": dev, "low": -float(P_SCALE)}
    sin_d = C.decay_param(sin_decay, lead, "sin_decay", **kw)
    cos_d = C.decay_param(cos_decay, lead, "cos_decay", **kw)
    re0 = C.state_param(re_state, 0.0, lead, "re_state", dtype=dtype, device=dev)
    im0 = C.state_param(im_state, 0.0, lead, "im_state", dtype=dtype, device=dev)
    with torch.no_grad():
        adapt = adaptive_params(
            lead, ref_decay=ref_decay, th_decay=th_decay, th0=th0, th_step=th_step,
            ref_state=ref_state, th_state=th_state, s_scale=opts.s_scale, dtype=dtype,
            device=dev,
        )
    out = _AdaptiveResonator.apply(
        C.flat_traces(x_re, dtype), C.flat_traces(x_im, dtype), sin_d, cos_d, re0, im0, adapt,
        opts,
    )
    shape = x_re.shape
    return AdaptiveResonatorResult(
        *(o.reshape(shape) for o in out[:4]), *(o.reshape(lead) for o in out[4:])
    )
