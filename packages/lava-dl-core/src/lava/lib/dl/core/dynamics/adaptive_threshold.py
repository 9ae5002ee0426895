r"""Adaptive threshold with refractory state (ALIF), driven by a voltage trace.

Forward (fixed point; :math:`\Theta` threshold, :math:`\Phi` refractory state,
:math:`\Theta_0 = \operatorname{trunc}(S\vartheta_0)`, :math:`\Delta = \operatorname{trunc}(S
\vartheta_{step})`, decays in 1/4096, :math:`\operatorname{rtz}` truncation toward zero):

.. math::
    \Phi_t &= \operatorname{rtz}(\Phi^+_{t-1}(4096 - d_r)/4096), \\
    \Theta_t &= \operatorname{rtz}((\Theta^+_{t-1} - \Theta_0)(4096 - d_\theta)/4096)
               + \Theta_0, \\
    f_t &= [\operatorname{trunc}(S v_t) \ge \Theta_t + \Phi_t], \\
    \Phi^+_t &= \Phi_t + 2 f_t \Theta_t, \qquad \Theta^+_t = \Theta_t + f_t \Delta .

The traces returned are :math:`\Theta_t/S` and :math:`\Phi_t/S` (before the spike update); the
final states are :math:`\Phi^+_{T-1}/S` and :math:`\Theta^+_{T-1}/S`. The traces are constants
to autograd (as in lava-dl): the neuron's spike function carries the gradient.
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from ..backend import resolve
from ..fixed_point import S_SCALE
from . import _common as C

__all__ = ["AdaptiveThresholdResult", "adaptive_threshold", "adaptive_params"]


class AdaptiveThresholdResult(NamedTuple):
    """Output of :func:`adaptive_threshold` and :func:`adaptive_phase_th`.

    Attributes
    ----------
    threshold, refractory : Tensor (N, C, [H, W,] T)
        Threshold and refractory traces (before each step's spike update).
    ref_state, th_state : Tensor (N, C, [H, W])
        Final refractory and threshold states (after the last spike update).
    """

    threshold: torch.Tensor
    refractory: torch.Tensor
    ref_state: torch.Tensor
    th_state: torch.Tensor


def adaptive_params(lead, *, ref_decay, th_decay, th0, th_step, ref_state, th_state, s_scale,
                    dtype, device):
    """Flatten and convert the adaptive-threshold parameters to the primitive's int64 layout.

    Returns
    -------
    tuple of Tensor (M,) int64
        ``(ref_decay, th_decay, TH0, STEP, ref_state, th_state)``.
    """
    kw = {"dtype": dtype, "device": device}
    rd = C.decay_param(ref_decay, lead, "ref_decay", **kw).detach().to(torch.int64)
    td = C.decay_param(th_decay, lead, "th_decay", **kw).detach().to(torch.int64)
    t0 = C.to_fixed(C.flat_param(th0, lead, "th0", **kw), s_scale)
    step = C.to_fixed(C.flat_param(th_step, lead, "th_step", **kw), s_scale)
    r0 = C.to_fixed(C.state_param(ref_state, 0.0, lead, "ref_state", **kw), s_scale)
    if th_state is None:
        th_state_i = t0.clone()
    else:
        th_state_i = C.to_fixed(C.flat_param(th_state, lead, "th_state", **kw), s_scale)
    return rd, td, t0, step, r0, th_state_i


def final_adaptive_state(fire_last, th, ref, step, s_scale):
    """Final (post-spike) states from the last step's traces and firing flags.

    Parameters
    ----------
    fire_last : Tensor (M,) bool
    th, ref : Tensor (M, T) float
        Traces.
    step : Tensor (M,) int64
    s_scale : int

    Returns
    -------
    ref_state, th_state : Tensor (M,) float
    """
    Th = C.to_fixed(th[:, -1], s_scale)
    Rf = C.to_fixed(ref[:, -1], s_scale)
    Rf = torch.where(fire_last, Rf + 2 * Th, Rf)
    Th = torch.where(fire_last, Th + step, Th)
    return Rf.to(th.dtype) / s_scale, Th.to(th.dtype) / s_scale


def adaptive_threshold(
    v: torch.Tensor,
    ref_decay,
    th_decay,
    th0,
    th_step,
    *,
    ref_state=None,
    th_state=None,
    s_scale: int = S_SCALE,
    backend: str | None = None,
) -> AdaptiveThresholdResult:
    """Adaptive threshold and refractory traces of a voltage trace (no gradient).

    Parameters
    ----------
    v : Tensor (N, C, [H, W,] T)
        Voltage trace (e.g. the leaky-integrator output).
    ref_decay, th_decay : float or Tensor
        Refractory and threshold decays in units of 1/4096 ([0, 4096], rounded).
    th0 : float or Tensor
        Resting threshold (value units).
    th_step : float or Tensor
        Threshold increase per spike (value units).
    ref_state : float or Tensor, optional, keyword-only
        Initial refractory state (default 0).
    th_state : float or Tensor, optional, keyword-only
        Initial threshold state (default ``th0``).
    s_scale, backend
        As in :func:`~lava.lib.dl.core.dynamics.leaky_integrator`.

    Returns
    -------
    AdaptiveThresholdResult
        ``(threshold, refractory, ref_state, th_state)``; detached.
    """
    C.check_input(v, "v")
    opts = C.make_options(s_scale, backend, "surrogate", False)
    dtype, dev, lead = C.work_dtype(v), v.device, v.shape[:-1]
    s = opts.s_scale
    with torch.no_grad():
        rd, td, t0, step, r0, th0_i = adaptive_params(
            lead, ref_decay=ref_decay, th_decay=th_decay, th0=th0, th_step=th_step,
            ref_state=ref_state, th_state=th_state, s_scale=s, dtype=dtype, device=dev,
        )
        vf = C.flat_traces(v.detach(), dtype)
        _, fwd = resolve("adaptive_threshold_fwd", dev, opts.backend)
        th, ref = fwd(vf, rd, td, t0, step, r0, th0_i, s_scale=s)
        fire = C.to_fixed(vf[:, -1], s) >= C.to_fixed(th[:, -1], s) + C.to_fixed(ref[:, -1], s)
        rf_f, th_f = final_adaptive_state(fire, th, ref, step, s)
    return AdaptiveThresholdResult(
        th.reshape(v.shape), ref.reshape(v.shape), rf_f.reshape(lead), th_f.reshape(lead)
    )
