r"""Time-axis operations: replicate a tensor over time and shift it along time.

``shift`` with :math:`s = \operatorname{trunc}(\text{shift\_val} / T_s)` steps:
:math:`y[..., t] = x[..., t - s]` (zero outside ``[0, T)``); a positive shift is a delay. The shift
is global (a scalar or one-element tensor) or per neuron (one value per element of
``x.shape[1:-1]``). lava-dl's CPU per-neuron path divided by ``sampling_time`` twice; this one
divides once (spec §15 #14). The gradient is the opposite shift.
"""

from __future__ import annotations

import math

import torch

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
    num_steps = int(num_steps)
    if num_steps < 1:
        raise ValueError(f"replicate: num_steps must be >= 1, got {num_steps}")
    return input.unsqueeze(-1).repeat(*([1] * input.dim()), num_steps)


def _steps(shift_val, sampling_time: float):
    if isinstance(shift_val, torch.Tensor):
        return torch.trunc(shift_val.detach().double() / sampling_time).to(torch.int64)
    return int(shift_val / sampling_time)


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
    steps = _steps(shift_val, sampling_time)
    T = input.shape[-1]
    if isinstance(steps, torch.Tensor) and steps.numel() == 1:
        steps = int(steps.item())
    if isinstance(steps, int):
        if steps == 0:
            return input.clone()
        out = torch.zeros_like(input)
        if abs(steps) >= T:
            return out
        if steps > 0:
            out[..., steps:] = input[..., : T - steps]
        else:
            out[..., : T + steps] = input[..., -steps:]
        return out
    neurons = math.prod(input.shape[1:-1])
    if steps.numel() != neurons:
        raise ValueError(
            f"shift: shift_val has {steps.numel()} elements; expected 1 (global) or "
            f"{neurons} (one per neuron of input shape {tuple(input.shape)})"
        )
    steps = steps.to(input.device).reshape(1, neurons, 1)
    x = input.reshape(input.shape[0], neurons, T)
    t = torch.arange(T, device=input.device).reshape(1, 1, T)
    src = t - steps
    valid = (src >= 0) & (src < T)
    idx = src.clamp(0, T - 1).expand(x.shape[0], neurons, T)
    out = torch.gather(x, -1, idx) * valid.to(x.dtype)
    return out.reshape(input.shape)
