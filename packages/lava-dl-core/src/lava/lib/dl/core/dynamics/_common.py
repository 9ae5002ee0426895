"""Shared plumbing of the dynamics functions: layouts, parameter broadcasting, options (private).

Parameter layouts
-----------------
Every per-neuron parameter or state ``p`` of a dynamic acting on ``x`` of shape
``(N, C, [H, W,] T)`` may be

* a Python number or a tensor with one element: shared by every neuron;
* a tensor with fewer dimensions than ``x.shape[:-1]``: aligned at the **channel** dimension
  (``(C,)`` is per channel, ``(C, H, W)`` or ``(C, 1, 1)`` per neuron/channel), then broadcast;
* a 1-D tensor with ``prod(x.shape[1:-1])`` elements: per neuron, flattened in C order;
* a tensor with ``x.dim() - 1`` dimensions: broadcast against ``x.shape[:-1]`` (per batch entry).

Any other shape raises a ``ValueError`` naming the parameter and the accepted layouts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from ..fixed_point import P_SCALE, quantize

__all__ = [
    "Options",
    "GRAD_MODES",
    "make_options",
    "check_input",
    "work_dtype",
    "flat_traces",
    "flat_param",
    "decay_param",
    "reset_level",
    "keep_mask",
    "rowdot",
    "to_fixed",
    "state_param",
]

#: Gradient modes: name -> whether resets block the gradient through the state.
GRAD_MODES: dict[str, bool] = {"surrogate": False, "exact": True}


@dataclass(frozen=True)
class Options:
    """Per-call options forwarded to the autograd functions."""

    s_scale: int
    backend: str | None
    exact_reset: bool
    lava_dl_compat: bool


def make_options(
    s_scale: int, backend: str | None, grad_mode: str, lava_dl_compat: bool
) -> Options:
    """Validate keyword options of a dynamics function."""
    if grad_mode not in GRAD_MODES:
        raise ValueError(f"unknown grad_mode {grad_mode!r}; choose one of {sorted(GRAD_MODES)}")
    if int(s_scale) != s_scale or s_scale <= 0:
        raise ValueError(f"s_scale must be a positive integer, got {s_scale!r}")
    return Options(int(s_scale), backend, GRAD_MODES[grad_mode], bool(lava_dl_compat))


def check_input(x: torch.Tensor, name: str = "x") -> None:
    """Require a float-convertible tensor ``(N, C, [H, W,] T)``."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if x.dim() < 3:
        raise ValueError(
            f"expected {name} to have at least 3 dimensions (N, C, [H, W,] T), got shape "
            f"{tuple(x.shape)}; add batch/channel axes with x.reshape(1, 1, -1)"
        )
    if x.shape[-1] == 0:
        raise ValueError(f"{name} has no time steps (last dimension is 0)")


def work_dtype(x: torch.Tensor) -> torch.dtype:
    """float64 stays float64; everything else runs in float32."""
    return torch.float64 if x.dtype == torch.float64 else torch.float32


def flat_traces(x: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """``x`` as a C-contiguous ``(M, T)`` tensor of ``dtype`` (autograd preserved)."""
    return x.to(dtype).reshape(-1, x.shape[-1]).contiguous()


def flat_param(
    p, lead: torch.Size, name: str, *, dtype: torch.dtype, device: torch.device
) -> torch.Tensor:
    """Broadcast a parameter to ``lead = x.shape[:-1]`` and flatten it to ``(M,)``.

    Autograd is preserved, so the gradient of the flat parameter is summed back to the
    caller's layout by torch.
    """
    if not isinstance(p, torch.Tensor):
        p = torch.tensor(float(p), dtype=dtype, device=device)
    else:
        p = p.to(device=device, dtype=dtype)
    neuron = lead[1:]
    if p.numel() == 1:
        full = p.reshape(()).expand(lead)
    elif p.dim() == len(lead):
        try:
            full = p.broadcast_to(lead)
        except RuntimeError:
            full = None
    elif p.dim() == 1 and len(neuron) > 0 and p.numel() == neuron[0]:
        full = p.reshape((1, -1) + (1,) * (len(neuron) - 1)).expand(lead)
    elif p.dim() == 1 and p.numel() == math.prod(neuron):
        full = p.reshape((1,) + tuple(neuron)).expand(lead)
    elif p.dim() < len(lead):
        shape = (1,) + tuple(p.shape) + (1,) * (len(neuron) - p.dim())
        try:
            full = p.reshape(shape).broadcast_to(lead)
        except RuntimeError:
            full = None
    else:
        full = None
    if full is None:
        raise ValueError(
            f"parameter {name!r} of shape {tuple(p.shape)} does not fit neurons of shape "
            f"{tuple(lead)} (batch first): pass a scalar, a per-channel ({lead[1]},) tensor, a "
            f"per-neuron {tuple(neuron)} tensor (or its {math.prod(neuron)} flattened values), "
            f"or a tensor broadcastable to {tuple(lead)}"
        )
    return full.reshape(-1).contiguous()


def decay_param(
    decay, lead: torch.Size, name: str, *, dtype: torch.dtype, device: torch.device,
    low: float = 0.0, high: float = float(P_SCALE),
) -> torch.Tensor:
    """Flatten a decay in units of 1/4096 and round it (straight-through) to an integer.

    Raises
    ------
    ValueError
        A rounded value lies outside ``[low, high]``.
    """
    flat = quantize(flat_param(decay, lead, name, dtype=dtype, device=device))
    det = flat.detach()
    if det.numel() and (bool((det < low).any()) or bool((det > high).any())):
        raise ValueError(
            f"{name} must lie in [{low:g}, {high:g}] (units of 1/{P_SCALE}: the fraction lost "
            f"per step times {P_SCALE}), got values in [{det.min().item():g}, "
            f"{det.max().item():g}]; clamp it or convert a fraction f with f * {P_SCALE}"
        )
    return flat


def reset_level(
    threshold, lead: torch.Size, s_scale: int, *, device: torch.device, strict_positive: bool
) -> torch.Tensor | None:
    """Integer reset level ``ceil(threshold * s_scale)`` (float64), or None for no reset.

    Non-positive thresholds (negative ones if not ``strict_positive``) disable the reset of
    their neuron (:data:`NO_RESET`), as lava-dl does.
    """
    from .._backends._interface import NO_RESET

    if threshold is None:
        return None
    th = flat_param(threshold, lead, "threshold", dtype=torch.float64, device=device).detach()
    level = torch.ceil(th * s_scale).to(torch.int64)
    off = th <= 0 if strict_positive else th < 0
    return torch.where(off, torch.full_like(level, NO_RESET), level)


def keep_mask(y: torch.Tensor, level: torch.Tensor, s_scale: int) -> torch.Tensor:
    """``1.0`` where a trace did not reach its reset level, else ``0.0`` (same dtype as ``y``).

    ``y`` (M, T) holds exact values ``Y / s_scale``; for power-of-two scales the comparison is
    done in float (exact, one pass), otherwise on the integers.
    """
    if s_scale & (s_scale - 1) == 0:
        thr = (level.to(torch.float64) / s_scale).to(y.dtype).unsqueeze(1)
        return (y < thr).to(y.dtype)
    return (to_fixed(y, s_scale) < level.unsqueeze(1)).to(y.dtype)


def rowdot(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Row-wise dot product of two (M, T) tensors -> (M,)."""
    return torch.einsum("mt,mt->m", a, b)


def to_fixed(v: torch.Tensor, s_scale: int) -> torch.Tensor:
    """Integer state of a float state (product in ``v``'s dtype, truncated toward zero)."""
    return (v.detach() * s_scale).to(torch.int64)


def state_param(
    state, default: float, lead: torch.Size, name: str, *, dtype: torch.dtype,
    device: torch.device,
) -> torch.Tensor:
    """Flatten an optional initial state (float value) to ``(M,)``."""
    if state is None:
        state = default
    return flat_param(state, lead, name, dtype=dtype, device=device)
