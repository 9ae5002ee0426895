r"""Adaptive threshold of phase-threshold resonate-and-fire neurons (adRF).

Identical to :mod:`.adaptive_threshold` except the firing test, a counter-clockwise crossing of
the positive real axis above threshold (:math:`R_t, I_t` the integer real/imaginary states,
:math:`I_{-1}` the imaginary state before the first step):

.. math::
    f_t = [R_t \ge \Theta_t + \Phi_t] \wedge [I_{t-1} < 0] \wedge [I_t \ge 0].

No gradient flows through the threshold and refractory traces.
"""

from __future__ import annotations

import torch

from ..backend import resolve
from ..fixed_point import S_SCALE
from . import _common as C
from .adaptive_threshold import AdaptiveThresholdResult, adaptive_params, final_adaptive_state

__all__ = ["adaptive_phase_th"]


def adaptive_phase_th(
    real: torch.Tensor,
    imag: torch.Tensor,
    ref_decay,
    th_decay,
    th0,
    th_step,
    *,
    im_state=None,
    ref_state=None,
    th_state=None,
    s_scale: int = S_SCALE,
    backend: str | None = None,
) -> AdaptiveThresholdResult:
    """Adaptive threshold and refractory traces of a resonator's state (no gradient).

    Parameters
    ----------
    real, imag : Tensor (N, C, [H, W,] T)
        Real and imaginary state traces of the resonator.
    ref_decay, th_decay, th0, th_step, ref_state, th_state, s_scale, backend
        As in :func:`~lava.lib.dl.core.dynamics.adaptive_threshold`.
    im_state : float or Tensor, optional, keyword-only
        Imaginary state before the first step (default 0).

    Returns
    -------
    AdaptiveThresholdResult
        ``(threshold, refractory, ref_state, th_state)``; detached.
    """
    C.check_input(real, "real")
    if imag.shape != real.shape:
        raise ValueError(f"real and imag shapes differ: {tuple(real.shape)} vs {tuple(imag.shape)}")
    opts = C.make_options(s_scale, backend, "surrogate", False)
    dtype, dev, lead = C.work_dtype(real), real.device, real.shape[:-1]
    s = opts.s_scale
    with torch.no_grad():
        rd, td, t0, step, r0, th0_i = adaptive_params(
            lead, ref_decay=ref_decay, th_decay=th_decay, th0=th0, th_step=th_step,
            ref_state=ref_state, th_state=th_state, s_scale=s, dtype=dtype, device=dev,
        )
        i0 = C.to_fixed(C.state_param(im_state, 0.0, lead, "im_state", dtype=dtype, device=dev), s)
        re_f = C.flat_traces(real.detach(), dtype)
        im_f = C.flat_traces(imag.detach(), dtype)
        _, fwd = resolve("adaptive_phase_th_fwd", dev, opts.backend)
        th, ref = fwd(re_f, im_f, i0, rd, td, t0, step, r0, th0_i, s_scale=s)
        I = C.to_fixed(im_f, s)
        i_prev = I[:, -2] if I.shape[1] > 1 else i0
        fire = (
            (C.to_fixed(re_f[:, -1], s)
             >= C.to_fixed(th[:, -1], s) + C.to_fixed(ref[:, -1], s))
            & (i_prev < 0)
            & (I[:, -1] >= 0)
        )
        rf_f, th_f = final_adaptive_state(fire, th, ref, step, s)
    return AdaptiveThresholdResult(
        th.reshape(real.shape), ref.reshape(real.shape), rf_f.reshape(lead), th_f.reshape(lead)
    )
