r"""Adaptive phase threshold (fixed point, no gradient).

As :mod:`.adaptive_threshold` on the real part, except that firing also needs the imaginary part
to cross zero upwards: :math:`\lfloor S\Re[t]\rfloor_0 \ge \Theta + R`, :math:`\Im[t-1] < 0` and
:math:`\lfloor S\Im[t]\rfloor_0 \ge 0` (:math:`\Im[-1]` is ``im_state``).
"""

from __future__ import annotations

import torch

from lava.lib.dl import core

from ._common import check_input
from .adaptive_threshold import persistent_ref_state, persistent_th_state

__all__ = ["dynamics", "persistent_ref_state", "persistent_th_state"]


def dynamics(
    re_input: torch.Tensor,
    im_input: torch.Tensor,
    im_state: torch.Tensor,
    ref_state: torch.Tensor,
    ref_decay: torch.Tensor,
    th_state: torch.Tensor,
    th_decay: torch.Tensor,
    th_scale: float,
    th0: float,
    w_scale: int,
    debug: bool = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Adaptive phase threshold and refractory traces.

    Parameters
    ----------
    re_input, im_input : torch.Tensor
        ``(N, C, [H, W,] T)`` real and imaginary state traces.
    im_state : torch.Tensor
        Imaginary state before the first step.
    ref_state, ref_decay, th_state, th_decay, th_scale, th0, w_scale
        As in :func:`.adaptive_threshold.dynamics`.
    debug : bool
        Unused (lava-dl compatibility).

    Returns
    -------
    tuple of torch.Tensor
        ``(threshold, refractory)``, each shaped like ``re_input``.
    """
    check_input(re_input, "adaptive_phase_th.dynamics")
    out = core.adaptive_phase_th(
        re_input, im_input, ref_decay, th_decay, th0, th_scale, im_state=im_state,
        ref_state=ref_state, th_state=th_state, s_scale=w_scale,
    )
    return out.threshold, out.refractory
