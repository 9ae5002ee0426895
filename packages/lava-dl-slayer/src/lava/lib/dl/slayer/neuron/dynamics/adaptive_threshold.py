r"""Adaptive threshold with a refractory state (fixed point, no gradient).

With :math:`\Theta_0 = \lfloor S\theta_0\rfloor_0`, step :math:`\Delta = \lfloor S\,\text{th\_scale}
\rfloor_0` and integer states :math:`\Theta, R`:

.. math::

    R \leftarrow \operatorname{rtz}(R (4096 - d_r)),\quad
    \Theta \leftarrow \operatorname{rtz}((\Theta - \Theta_0)(4096 - d_\theta)) + \Theta_0,\quad
    \text{fire} = \lfloor S v[t]\rfloor_0 \ge \Theta + R

The outputs are :math:`\Theta/S, R/S` before the post-spike update
:math:`R \mathrel{+}= 2\Theta,\ \Theta \mathrel{+}= \Delta`. Both traces are constants to autograd.
"""

from __future__ import annotations

import torch

from lava.lib.dl import core

from ._common import check_input

__all__ = ["dynamics", "persistent_ref_state", "persistent_th_state"]


def dynamics(
    input: torch.Tensor,
    ref_state: torch.Tensor,
    ref_decay: torch.Tensor,
    th_state: torch.Tensor,
    th_decay: torch.Tensor,
    th_scale: float,
    th0: float,
    w_scale: int,
    debug: bool = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Adaptive threshold and refractory traces of a voltage trace.

    Parameters
    ----------
    input : torch.Tensor
        ``(N, C, [H, W,] T)`` voltage trace.
    ref_state, th_state : torch.Tensor
        Initial refractory and threshold states (float units).
    ref_decay, th_decay : torch.Tensor
        Integer-valued decays (units of 1/4096).
    th_scale : float
        Threshold step per spike.
    th0 : float
        Resting threshold.
    w_scale : int
        State scale S.
    debug : bool
        Unused (lava-dl compatibility).

    Returns
    -------
    tuple of torch.Tensor
        ``(threshold, refractory)``, each shaped like ``input``.
    """
    check_input(input, "adaptive_threshold.dynamics")
    out = core.adaptive_threshold(
        input, ref_decay, th_decay, th0, th_scale, ref_state=ref_state, th_state=th_state,
        s_scale=w_scale,
    )
    return out.threshold, out.refractory


def persistent_ref_state(
    ref_state: torch.Tensor, spike: torch.Tensor, th_state: torch.Tensor
) -> torch.Tensor:
    """Refractory state after a spike: ``ref + 2 * 1[spike > 0] * th``."""
    return ref_state + 2 * (spike > 0).to(ref_state.dtype) * th_state


def persistent_th_state(
    th_state: torch.Tensor, spike: torch.Tensor, th_step: float
) -> torch.Tensor:
    """Threshold state after a spike: ``th + 1[spike > 0] * step``."""
    return th_state + (spike > 0).to(th_state.dtype) * th_step
