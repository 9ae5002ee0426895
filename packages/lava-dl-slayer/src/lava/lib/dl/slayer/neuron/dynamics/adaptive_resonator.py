r"""Adaptive resonator: the resonator without reset plus the adaptive threshold on the imaginary
state (fire when :math:`I[t] \ge \Theta + R`). Gradients as the resonator for the inputs and the
sin/cos decays; the threshold and refractory traces are constants to autograd.
"""

from __future__ import annotations

import torch

from lava.lib.dl import core

from ._common import check_input
from .adaptive_threshold import persistent_ref_state, persistent_th_state

__all__ = ["dynamics", "persistent_ref_state", "persistent_th_state"]


def dynamics(
    real_input: torch.Tensor,
    imag_input: torch.Tensor,
    sin_decay: torch.Tensor,
    cos_decay: torch.Tensor,
    ref_decay: torch.Tensor,
    th_decay: torch.Tensor,
    real_state: torch.Tensor,
    imag_state: torch.Tensor,
    ref_state: torch.Tensor,
    th_state: torch.Tensor,
    th_scale: float,
    th0: float,
    w_scale: int,
    debug: bool = False,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Adaptive resonator.

    Parameters
    ----------
    real_input, imag_input : torch.Tensor
        ``(N, C, [H, W,] T)`` inputs.
    sin_decay, cos_decay, ref_decay, th_decay : torch.Tensor
        Integer-valued decays.
    real_state, imag_state, ref_state, th_state : torch.Tensor
        Initial states (float units).
    th_scale, th0 : float
        Threshold step and resting threshold.
    w_scale : int
        State scale S.
    debug : bool
        Unused (lava-dl compatibility).

    Returns
    -------
    tuple of torch.Tensor
        ``(real, imag, threshold, refractory)``, each shaped like the inputs.
    """
    check_input(real_input, "adaptive_resonator.dynamics")
    out = core.adaptive_resonator(
        real_input, imag_input, sin_decay, cos_decay, ref_decay, th_decay, th0, th_scale,
        re_state=real_state, im_state=imag_state, ref_state=ref_state, th_state=th_state,
        s_scale=w_scale,
    )
    return out.real, out.imag, out.threshold, out.refractory
