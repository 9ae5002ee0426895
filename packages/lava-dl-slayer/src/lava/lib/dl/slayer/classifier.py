r"""Spike-based classifiers: predictions from output spike rates.

All classifiers read a spike tensor laid out time last, ``(N, C[, H, W], T)``, and collapse every
non-batch, non-time dimension into one class axis ``K`` (``(N, K, T)``).

Math
----
Global rate (:class:`Rate`), over ``T`` steps:

.. math:: r_k = \frac{1}{T}\sum_{t=0}^{T-1} s_k[t]

Causal moving-window rate (:class:`MovingWindow`), window ``W`` steps, with ``s[t] = 0`` for
``t < 0`` (the early steps are averaged with zeros, the divisor is always ``W``):

.. math:: r_k[t] = \frac{1}{W}\sum_{j=0}^{W-1} s_k[t-j]

Confidence modes (normalised over the class axis ``k``):

- ``'probability'``: :math:`p_k = r_k / (\sum_j r_j + \epsilon)`
- ``'softmax'``: :math:`p_k = e^{r_k} / \sum_j e^{r_j}`
- ``'logsoftmax'``: :math:`\log` of the softmax

The prediction is :math:`\arg\max_k r_k` (the lowest index wins ties).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from lava.lib.dl.core import filter as core_filter

__all__ = ["MovingWindow", "Rate"]


def _probability(rate: torch.Tensor, dim: int, eps: float) -> torch.Tensor:
    return rate / (torch.sum(rate, dim=dim, keepdim=True) + eps)


def _softmax(rate: torch.Tensor, dim: int, eps: float) -> torch.Tensor:
    return F.softmax(rate, dim=dim)


def _logsoftmax(rate: torch.Tensor, dim: int, eps: float) -> torch.Tensor:
    return F.log_softmax(rate, dim=dim)


#: confidence mode name -> ``fn(rate, dim, eps)``; extend it to add a mode.
CONFIDENCE_MODES: dict[str, Callable[[torch.Tensor, int, float], torch.Tensor]] = {
    "probability": _probability,
    "softmax": _softmax,
    "logsoftmax": _logsoftmax,
}


def _confidence_fn(mode: str) -> Callable[[torch.Tensor, int, float], torch.Tensor]:
    try:
        return CONFIDENCE_MODES[mode]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown confidence mode {mode!r}; use one of {sorted(CONFIDENCE_MODES)}"
        ) from None


def _check_spikes(spike: torch.Tensor, who: str) -> torch.Tensor:
    if not isinstance(spike, torch.Tensor):
        spike = torch.as_tensor(spike)
    if spike.dim() < 3:
        raise ValueError(
            f"{who}: expected a spike tensor laid out (N, C[, H, W], T) with at least 3 "
            f"dimensions, got shape {tuple(spike.shape)}; add the missing batch or time axis"
        )
    return spike


def _causal_fir(x: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """Causal FIR filter over the last (time) axis: ``y[t] = sum_j kernel[j] * x[t - j]``.

    Parameters
    ----------
    x : torch.Tensor
        ``(..., T)`` tensor.
    kernel : torch.Tensor
        ``(L,)`` impulse response; ``kernel[0]`` weighs the current step. Steps before ``t = 0``
        count as zeros.

    Returns
    -------
    torch.Tensor
        ``(..., T)`` filtered tensor (differentiable in ``x`` and ``kernel``).
    """
    return core_filter.conv(x, kernel.reshape(-1).to(device=x.device, dtype=x.dtype))


def _causal_moving_average(x: torch.Tensor, window: int) -> torch.Tensor:
    """Causal moving average over the last (time) axis.

    Parameters
    ----------
    x : torch.Tensor
        ``(..., T)`` tensor.
    window : int
        Window length ``W`` in time steps (>= 1). The sum over the last ``W`` steps is divided
        by ``W`` (steps before ``t = 0`` count as zeros).

    Returns
    -------
    torch.Tensor
        ``(..., T)`` tensor of windowed means, same dtype as ``x``.
    """
    window = int(window)
    if window < 1:
        raise ValueError(f"moving window must be >= 1 time step, got {window}")
    kernel = torch.full((window,), 1.0 / window, dtype=x.dtype, device=x.device)
    return _causal_fir(x, kernel)


class Rate(torch.nn.Module):
    """Classifier that predicts the class with the highest mean spike rate.

    ``forward(spike)`` is :meth:`predict`. Every other method is static.

    Examples
    --------
    >>> s = torch.zeros(2, 3, 10); s[0, 2, ::2] = 1; s[1, 0, :3] = 1
    >>> Rate.predict(s)
    tensor([2, 0])
    """

    def __init__(self) -> None:
        super().__init__()

    @staticmethod
    def rate(spike: torch.Tensor) -> torch.Tensor:
        """Mean spike rate over time.

        Parameters
        ----------
        spike : torch.Tensor
            ``(N, C[, H, W], T)`` spikes.

        Returns
        -------
        torch.Tensor
            ``(N, C[, H, W])`` rates (spikes per time step).
        """
        spike = _check_spikes(spike, "Rate.rate")
        return torch.mean(spike, dim=-1)

    @staticmethod
    def confidence(
        spike: torch.Tensor, mode: str = "probability", eps: float = 1e-6
    ) -> torch.Tensor:
        """Per-class confidence from the spike rates.

        Parameters
        ----------
        spike : torch.Tensor
            ``(N, C[, H, W], T)`` spikes.
        mode : str
            One of ``'probability'``, ``'softmax'``, ``'logsoftmax'`` (see the module docstring).
        eps : float
            Added to the rate sum in ``'probability'`` mode.

        Returns
        -------
        torch.Tensor
            ``(N, K)`` confidences with ``K = C*H*W``.

        Raises
        ------
        ValueError
            For an unknown ``mode`` (lava-dl 0.6 returned ``None``).
        """
        fn = _confidence_fn(mode)
        rate = Rate.rate(spike).reshape(spike.shape[0], -1)
        return fn(rate, 1, eps)

    @staticmethod
    def predict(spike: torch.Tensor) -> torch.Tensor:
        """Index of the highest-rate output.

        Parameters
        ----------
        spike : torch.Tensor
            ``(N, C[, H, W], T)`` spikes.

        Returns
        -------
        torch.Tensor
            ``(N,)`` int64 class indices into the flattened ``C*H*W`` outputs.
        """
        rate = Rate.rate(spike).reshape(spike.shape[0], -1)
        return torch.argmax(rate, dim=1)

    def forward(self, spike: torch.Tensor) -> torch.Tensor:
        """Same as :meth:`predict`."""
        return self.predict(spike)


class MovingWindow(torch.nn.Module):
    """Classifier on the causal moving-window spike rate: one prediction per time step.

    Parameters
    ----------
    time_window : int
        Window length ``W`` in time steps.
    mode : str
        Default confidence mode (``'probability'``, ``'softmax'`` or ``'logsoftmax'``).
    eps : float
        Added to the rate sum in ``'probability'`` mode.

    Notes
    -----
    Unlike lava-dl 0.6, :meth:`forward` returns the prediction (lava-dl returned ``None``) and an
    unknown mode is rejected at construction.
    """

    def __init__(self, time_window: int, mode: str = "probability", eps: float = 1e-6) -> None:
        super().__init__()
        if int(time_window) < 1:
            raise ValueError(f"MovingWindow: time_window must be >= 1 step, got {time_window}")
        _confidence_fn(mode)
        self.time_window = int(time_window)
        self.mode = mode
        self.eps = eps

    def extra_repr(self) -> str:
        return f"time_window={self.time_window}, mode={self.mode!r}, eps={self.eps}"

    def rate(self, spike: torch.Tensor) -> torch.Tensor:
        """Causal moving-window rate.

        Parameters
        ----------
        spike : torch.Tensor
            ``(N, C[, H, W], T)`` spikes.

        Returns
        -------
        torch.Tensor
            Same shape as ``spike``: rate at every time step.
        """
        spike = _check_spikes(spike, "MovingWindow.rate")
        return _causal_moving_average(spike, self.time_window)

    def confidence(self, spike: torch.Tensor, mode: str | None = None) -> torch.Tensor:
        """Per-class, per-step confidence.

        Parameters
        ----------
        spike : torch.Tensor
            ``(N, C[, H, W], T)`` spikes.
        mode : str or None
            Confidence mode; ``None`` uses the object's ``mode``.

        Returns
        -------
        torch.Tensor
            ``(N, K, T)`` confidences with ``K = C*H*W``, normalised over ``K``.
        """
        fn = _confidence_fn(self.mode if mode is None else mode)
        rate = self.rate(spike)
        rate = rate.reshape(rate.shape[0], -1, rate.shape[-1])
        return fn(rate, 1, self.eps)

    def predict(self, spike: torch.Tensor) -> torch.Tensor:
        """Highest-rate output at every time step.

        Returns
        -------
        torch.Tensor
            ``(N, T)`` int64 class indices.
        """
        rate = self.rate(spike)
        rate = rate.reshape(rate.shape[0], -1, rate.shape[-1])
        return torch.argmax(rate, dim=1)

    def forward(self, spike: torch.Tensor) -> torch.Tensor:
        """Same as :meth:`predict` (``(N, T)`` class indices)."""
        return self.predict(spike)
