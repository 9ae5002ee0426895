"""Flattening of ``(N, *shape, T)`` inputs and broadcasting of parameters to ``(M,)`` neurons."""

from __future__ import annotations

import math

import torch


def check_input(x: torch.Tensor, who: str) -> None:
    if not isinstance(x, torch.Tensor) or x.dim() < 3:
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(
            f"{who}: expected input to have at least 3 dimensions (N, C, [H, W,] T) with time "
            f"last, got {shape}"
        )


def per_neuron(p, x: torch.Tensor, name: str, *, default_dtype=None) -> torch.Tensor:
    """Broadcast a parameter or state to one value per (batch, neuron): shape ``(M,)``.

    Accepted sizes: 1 (shared), C (per channel), prod(shape) (per neuron) or
    N * prod(shape) (per batch element and neuron, e.g. a state).
    """
    p = torch.as_tensor(p, dtype=default_dtype or x.dtype, device=x.device)
    batch, shape = x.shape[0], tuple(x.shape[1:-1])
    n = math.prod(shape)
    k = p.numel()
    if k == 1:
        full = p.reshape(1).expand(batch * n)
    elif k == batch * n:
        full = p.reshape(batch * n)
    elif k == n:
        full = p.reshape(1, n).expand(batch, n).reshape(-1)
    elif k == shape[0]:
        view = p.reshape((1, shape[0]) + (1,) * (len(shape) - 1))
        full = view.expand((batch, *shape)).reshape(-1)
    else:
        raise ValueError(
            f"{name} has {k} elements; expected 1 (shared), {shape[0]} (per channel), {n} (per "
            f"neuron) or {batch * n} (per batch element and neuron) for input shape "
            f"{tuple(x.shape)}"
        )
    return full


def flat(x: torch.Tensor) -> torch.Tensor:
    return x.reshape(-1, x.shape[-1])
