r"""Causal temporal filters along the last (time) axis.

.. math::
    \text{conv}:\; y_t = T_s \sum_{k=0}^{K-1} f_k\, x_{t-k}, \qquad
    \text{corr}:\; y_t = T_s \sum_{k=0}^{K-1} f_k\, x_{t+k},

with zeros outside the signal; the output has the input's shape. ``corr`` is the adjoint of
``conv`` (it back-propagates it) and vice versa. Both are differentiable with respect to the
signal **and the filter** (lava-dl 0.6 printed "not implemented" for the filter gradient;
spec §15 #47).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["conv", "corr"]


def _prepare(x: torch.Tensor, filt: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    if not isinstance(filt, torch.Tensor):
        filt = torch.as_tensor(filt, dtype=x.dtype, device=x.device)
    filt = filt.reshape(-1).to(dtype=x.dtype, device=x.device)
    if filt.numel() == 0:
        raise ValueError("filter is empty")
    if x.dim() == 0:
        raise ValueError("input needs a time axis (at least 1 dimension)")
    return x.reshape(-1, 1, x.shape[-1]), filt


def conv(x: torch.Tensor, filt, sampling_time: float = 1) -> torch.Tensor:
    """Causal convolution over time.

    Parameters
    ----------
    x : Tensor (..., T)
        Signal, time last.
    filt : Tensor (K,) or array-like
        Filter taps ``f_0 .. f_{K-1}`` (flattened).
    sampling_time : float, optional
        Step duration ``T_s`` multiplying the sum.

    Returns
    -------
    Tensor (..., T)
    """
    x3, f = _prepare(x, filt)
    K = f.numel()
    y = F.conv1d(F.pad(x3, (K - 1, 0)), f.flip(0).reshape(1, 1, K))
    return (sampling_time * y).reshape(x.shape)


def corr(x: torch.Tensor, filt, sampling_time: float = 1) -> torch.Tensor:
    """Anti-causal correlation over time (adjoint of :func:`conv`).

    Parameters
    ----------
    x : Tensor (..., T)
    filt : Tensor (K,) or array-like
    sampling_time : float, optional

    Returns
    -------
    Tensor (..., T)
    """
    x3, f = _prepare(x, filt)
    K = f.numel()
    y = F.conv1d(F.pad(x3, (0, K - 1)), f.reshape(1, 1, K))
    return (sampling_time * y).reshape(x.shape)
