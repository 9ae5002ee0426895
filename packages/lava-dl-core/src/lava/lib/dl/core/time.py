r"""Time-axis operations: shift (delay) and replicate, on time-last tensors.

Shift
-----
A shift of :math:`s` steps delays a signal, filling with zeros:
:math:`y_t = x_{t-s}` (:math:`x_{t} = 0` outside :math:`[0, T)`); a negative shift advances it.
The shift in steps is ``shift_val / sampling_time``. Two modes (registry :data:`SHIFT_MODES`):

``"truncate"`` (lava-dl)
    :math:`s = \operatorname{trunc}(\text{shift\_val}/T_s)`. The gradient to the input is the
    exact transpose (a shift by :math:`-s`); the shift itself gets lava-dl's finite-difference
    estimate :math:`\partial y_t / \partial \text{shift\_val} = (y_{t-1} - y_t)/T_s`.
``"linear"`` (fractional)
    :math:`s = k + f`, :math:`k = \lfloor s\rfloor`, and
    :math:`y_t = (1-f)\,x_{t-k} + f\,x_{t-k-1}`; every gradient is exact.

The shift may be a scalar (global), one value per channel ``(C,)``, per neuron (``(C, H, W)`` or
the flattened ``prod(C, H, W)`` values), or broadcastable to ``x.shape[:-1]``. lava-dl 0.6
divided the per-neuron shift by ``sampling_time`` twice on CPU (spec §15 #14); here it is
divided once in every case.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from .dynamics import _common as C

__all__ = ["SHIFT_MODES", "shift", "delay", "replicate"]


def _shift_steps(x2: torch.Tensor, steps: torch.Tensor) -> torch.Tensor:
    """Integer shift of ``x2`` (M, T) by ``steps`` (M,) int64, zero filled (autograd-safe)."""
    T = x2.shape[1]
    idx = torch.arange(T, device=x2.device).unsqueeze(0) - steps.unsqueeze(1)
    valid = (idx >= 0) & (idx < T)
    out = torch.gather(x2, 1, idx.clamp(0, T - 1))
    return out * valid.to(out.dtype)


def _truncate(x2: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
    y = _shift_steps(x2, s.detach().to(torch.int64))
    if s.requires_grad:
        dy = torch.cat([torch.zeros_like(y[:, :1]), y[:, :-1]], 1) - y
        y = y + (s - s.detach()).unsqueeze(1) * dy.detach()
    return y


def _linear(x2: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
    k = torch.floor(s.detach())
    f = (s - k).unsqueeze(1)
    k = k.to(torch.int64)
    return (1 - f) * _shift_steps(x2, k) + f * _shift_steps(x2, k + 1)


#: Shift modes: name -> function of the flat input (M, T) and shift in steps (M,).
SHIFT_MODES: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "truncate": _truncate,
    "linear": _linear,
}


def shift(
    x: torch.Tensor, shift_val, sampling_time: float = 1, *, mode: str = "truncate"
) -> torch.Tensor:
    """Shift ``x`` along time (positive = delay), filling with zeros.

    Parameters
    ----------
    x : Tensor (N, C, [H, W,] T)
        Signal.
    shift_val : float or Tensor
        Shift in time units; any parameter layout (see the module docstring).
    sampling_time : float, optional
        Duration of one step ``T_s``.
    mode : {"truncate", "linear"}, keyword-only
        Integer (lava-dl) or fractional (linear interpolation) shift.

    Returns
    -------
    Tensor
        Shifted signal, shape and dtype of ``x``.
    """
    C.check_input(x)
    try:
        fn = SHIFT_MODES[mode]
    except KeyError:
        known = sorted(SHIFT_MODES)
        raise ValueError(f"unknown shift mode {mode!r}; choose one of {known}") from None
    if not sampling_time > 0:
        raise ValueError(f"sampling_time must be > 0, got {sampling_time}")
    dtype = x.dtype if x.is_floating_point() else torch.float32
    lead = x.shape[:-1]
    s = C.flat_param(shift_val, lead, "shift_val", dtype=dtype, device=x.device) / sampling_time
    y = fn(x.reshape(-1, x.shape[-1]).to(dtype), s)
    return y.reshape(x.shape)


def delay(x: torch.Tensor, delay_val=1, sampling_time: float = 1) -> torch.Tensor:
    """Fixed delay (lava-dl ``axon.delay``): :func:`shift` with ``mode="truncate"``."""
    return shift(x, delay_val, sampling_time)


def replicate(x: torch.Tensor, num_steps: int) -> torch.Tensor:
    """Repeat a static tensor over a new last (time) axis.

    Parameters
    ----------
    x : Tensor (any shape, 0-D and 1-D included)
    num_steps : int
        Number of time steps (>= 1).

    Returns
    -------
    Tensor (*x.shape, num_steps)
        A contiguous copy; gradients are summed over time.
    """
    if int(num_steps) != num_steps or num_steps < 1:
        raise ValueError(f"num_steps must be a positive integer, got {num_steps!r}")
    return x.unsqueeze(-1).expand(*x.shape, int(num_steps)).contiguous()
