r"""Time-axis operations: replicate a tensor over time and shift it along time.

``shift`` with :math:`s = \operatorname{trunc}(\text{shift\_val} / T_s)` steps:
:math:`y[..., t] = x[..., t - s]` (zero outside ``[0, T)``); a positive shift is a delay. The shift
is global (a scalar or one-element tensor) or per neuron (one value per element of
``x.shape[1:-1]``). lava-dl's CPU per-neuron path divided by ``sampling_time`` twice; this one
divides once (spec §15 #14). The gradient is the opposite shift.
"""

from __future__ import annotations

import torch

from lava.lib.dl import core

__all__ = ["replicate", "shift"]


def replicate(input: torch.Tensor, num_steps: int) -> torch.Tensor:
    """Repeat ``input`` along a new last (time) axis.

    Parameters
    ----------
    input : torch.Tensor
        Any shape ``S`` (1-D allowed).
    num_steps : int
        Number of time steps T (>= 1).

    Returns
    -------
    torch.Tensor
        Shape ``(*S, T)``; every slice ``[..., t]`` equals ``input``.
    """
    return core.time.replicate(input, num_steps)


def shift(
    input: torch.Tensor,
    shift_val: float | torch.Tensor,
    sampling_time: float = 1,
) -> torch.Tensor:
    """Shift along the last (time) axis, filling with zeros.

    Parameters
    ----------
    input : torch.Tensor
        ``(N, C, [H, W,] T)`` (any tensor with time last and a leading batch axis).
    shift_val : float or torch.Tensor
        Shift in time units; scalar / one element (global) or ``prod(input.shape[1:-1])``
        elements (per neuron, C order). Truncated toward zero to whole steps.
    sampling_time : float
        Duration of one step. Default 1.

    Returns
    -------
    torch.Tensor
        Same shape as ``input``.
    """
    if input.dim() < 3:
        raise ValueError(
            f"shift: expected input (N, C, [H, W,] T) with time last, got shape "
            f"{tuple(input.shape)}"
        )
    if isinstance(shift_val, torch.Tensor):
        shift_val = shift_val.detach()
    return core.time.shift(input, shift_val, sampling_time)
