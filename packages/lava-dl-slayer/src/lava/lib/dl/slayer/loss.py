r"""Spike-based loss functions.

Every loss takes the network output spikes ``s`` laid out time last, ``(N, C[, H, W], T)``, and
first collapses the non-batch, non-time dimensions into one class axis: ``s`` becomes
``(N, K, T)``. ``reduction`` is passed to the underlying torch loss (``'sum'``, ``'mean'`` or
``'none'``).

Math
----
:class:`SpikeTime` (van Rossum-like distance), kernel
:math:`h_1[n] = e^{-n/\tau}` for :math:`0 \le n < L`, and for filter order :math:`k > 1`,
:math:`h_k = (h_{k-1} * h_1)[0:L]` (causal convolution, truncated to ``L`` taps):

.. math:: \mathcal{L} = \operatorname{MSE}\big(h_k * s,\; h_k * \hat s\big)

:class:`SpikeRate`: :math:`r_k = \frac1T\sum_t s_k[t]` (or the causal window rate
:math:`r_k[t]` of width ``W``), the target rate is :math:`\hat r_k = r_{true}` for the label
class and :math:`r_{false}` otherwise:

.. math:: \mathcal{L} = \operatorname{MSE}(r, \hat r)

:class:`SpikeMax`: negative log likelihood of the label under the rate confidence,
``'probability'`` mode :math:`p_k = r_k/(\sum_j r_j + 10^{-6})`, else
:math:`p = \operatorname{softmax}(r)`:

.. math:: \mathcal{L} = -\sum_n \log p_{y_n}

:class:`SpikeMoid`: binary cross entropy of
:math:`p_k = \sigma\big((r_k - \theta)/\alpha\big)` against float labels (multi-label).

:class:`SparsityEnforcer`: for each appended activation :math:`x_i`,
:math:`\lambda \sum_i \operatorname{relu}(\overline{|x_i|} - r_{max})^2`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from .classifier import MovingWindow, _causal_fir

__all__ = ["SparsityEnforcer", "SpikeMax", "SpikeMoid", "SpikeRate", "SpikeTime"]

_REDUCTIONS = ("sum", "mean", "none")
_LOG_EPS = 1e-6


def _check_reduction(reduction: str, who: str) -> str:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{who}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    return reduction


def _as_nkt(spike: torch.Tensor, who: str) -> torch.Tensor:
    if not isinstance(spike, torch.Tensor):
        raise TypeError(f"{who}: expected a torch.Tensor of spikes, got {type(spike).__name__}")
    if spike.dim() < 3:
        raise ValueError(
            f"{who}: expected spikes laid out (N, C[, H, W], T) with at least 3 dimensions, got "
            f"shape {tuple(spike.shape)}; add the missing batch or time axis"
        )
    return spike.reshape(spike.shape[0], -1, spike.shape[-1])


def _per_step_labels(label: torch.Tensor, n: int, t: int, who: str) -> torch.Tensor:
    """Class labels ``(N,)`` or ``(N, T)`` as an ``(N, T)`` int64 tensor."""
    label = torch.as_tensor(label)
    if label.dim() == 1:
        label = label[:, None].expand(-1, t)
    if label.shape != (n, t):
        raise ValueError(
            f"{who}: with a moving window, labels must be (N,) or (N, T) = ({n}, {t}), got shape "
            f"{tuple(label.shape)}"
        )
    return label.long()


def _check_labels(label: torch.Tensor, n: int, num_classes: int, who: str) -> torch.Tensor:
    label = torch.as_tensor(label)
    if label.dim() != 1 or label.shape[0] != n:
        raise ValueError(
            f"{who}: expected one class label per sample, shape ({n},), got {tuple(label.shape)}"
        )
    label = label.long()
    if label.numel() and (int(label.min()) < 0 or int(label.max()) >= num_classes):
        raise ValueError(
            f"{who}: labels must be in [0, {num_classes}) (the number of outputs), got values in "
            f"[{int(label.min())}, {int(label.max())}]"
        )
    return label


class SpikeTime(torch.nn.Module):
    """Spike-train distance: mean squared error between exponentially filtered spike trains.

    Parameters
    ----------
    time_constant : float
        Decay time constant ``tau`` of the exponential kernel, in time steps.
    length : int
        Number of kernel taps ``L``.
    filter_order : int
        Number of times the exponential is applied (1: exponential, 2: alpha-like, ...).
    reduction : str
        ``'sum'``, ``'mean'`` or ``'none'``.

    Attributes
    ----------
    filter : torch.Tensor
        ``(1, L)`` buffer: the kernel :math:`h_k`.

    Examples
    --------
    >>> loss = SpikeTime(time_constant=2, filter_order=2)
    >>> float(loss(torch.zeros(1, 3, 20), torch.zeros(1, 3, 20)))
    0.0
    """

    def __init__(
        self,
        time_constant: float = 5,
        length: int = 100,
        filter_order: int = 1,
        reduction: str = "sum",
    ) -> None:
        super().__init__()
        if time_constant <= 0:
            raise ValueError(f"SpikeTime: time_constant must be > 0, got {time_constant}")
        if int(length) < 1:
            raise ValueError(f"SpikeTime: length must be >= 1 tap, got {length}")
        if int(filter_order) < 1:
            raise ValueError(f"SpikeTime: filter_order must be >= 1, got {filter_order}")
        self.time_constant = time_constant
        self.length = int(length)
        self.filter_order = int(filter_order)
        self.reduction = _check_reduction(reduction, "SpikeTime")
        base = torch.exp(-torch.arange(self.length, dtype=torch.float32) / time_constant)
        kernel = base
        for _ in range(self.filter_order - 1):
            kernel = _causal_fir(kernel.reshape(1, -1), base).reshape(-1)
        self.register_buffer("filter", kernel.reshape(1, -1), persistent=False)

    def extra_repr(self) -> str:
        return (
            f"time_constant={self.time_constant}, length={self.length}, "
            f"filter_order={self.filter_order}, reduction={self.reduction!r}"
        )

    def forward(self, input: torch.Tensor, desired: torch.Tensor) -> torch.Tensor:
        """Loss between output spikes and desired spikes.

        Parameters
        ----------
        input : torch.Tensor
            ``(N, C[, H, W], T)`` output spikes.
        desired : torch.Tensor
            Target spikes of the same shape.

        Returns
        -------
        torch.Tensor
            Scalar loss (or the per-element errors for ``reduction='none'``).
        """
        out = _as_nkt(input, "SpikeTime")
        if not isinstance(desired, torch.Tensor) or desired.shape != input.shape:
            got = tuple(desired.shape) if hasattr(desired, "shape") else type(desired).__name__
            raise ValueError(
                f"SpikeTime: the desired spikes must have the output's shape {tuple(input.shape)}, "
                f"got {got}"
            )
        target = desired.reshape(out.shape).to(out.dtype)
        kernel = self.filter.reshape(-1)
        return F.mse_loss(
            _causal_fir(out, kernel).flatten(),
            _causal_fir(target, kernel).flatten(),
            reduction=self.reduction,
        )


class SpikeRate(torch.nn.Module):
    """Mean squared error between the output spike rates and target rates of a classifier.

    Parameters
    ----------
    true_rate : float
        Target rate (spikes per step, in [0, 1]) of the label's output.
    false_rate : float
        Target rate (in [0, 1]) of every other output.
    moving_window : int or None
        ``None``: one rate per sample over all steps. An int ``W``: a causal rate at every step
        (labels may then be ``(N,)`` or ``(N, T)``).
    reduction : str
        ``'sum'``, ``'mean'`` or ``'none'``.
    """

    def __init__(
        self,
        true_rate: float,
        false_rate: float,
        moving_window: int | None = None,
        reduction: str = "sum",
    ) -> None:
        super().__init__()
        for name, value in (("true_rate", true_rate), ("false_rate", false_rate)):
            if not 0 <= value <= 1:
                raise ValueError(
                    f"SpikeRate: {name} must be a rate in [0, 1] spikes per step, got {value}"
                )
        self.true_rate = true_rate
        self.false_rate = false_rate
        self.reduction = _check_reduction(reduction, "SpikeRate")
        self.window = None if moving_window is None else MovingWindow(moving_window)

    def extra_repr(self) -> str:
        window = None if self.window is None else self.window.time_window
        return (
            f"true_rate={self.true_rate}, false_rate={self.false_rate}, moving_window={window}, "
            f"reduction={self.reduction!r}"
        )

    def forward(self, input: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        """Loss of the output spikes against class labels.

        Parameters
        ----------
        input : torch.Tensor
            ``(N, C[, H, W], T)`` output spikes (``K = C*H*W`` classes).
        label : torch.Tensor
            ``(N,)`` int class labels, or ``(N, T)`` per-step labels with a moving window.

        Returns
        -------
        torch.Tensor
            Scalar loss.
        """
        spike = _as_nkt(input, "SpikeRate")
        n, k, t = spike.shape
        if self.window is None:
            label = _check_labels(label, n, k, "SpikeRate").to(spike.device)
            rate = torch.mean(spike, dim=-1)
            one_hot = F.one_hot(label, k).to(spike.dtype)
        else:
            label = _per_step_labels(label, n, t, "SpikeRate").to(spike.device)
            _check_labels(label.flatten(), n * t, k, "SpikeRate")
            rate = self.window.rate(spike)
            one_hot = F.one_hot(label, k).to(spike.dtype).permute(0, 2, 1)
        target = self.true_rate * one_hot + self.false_rate * (1 - one_hot)
        return F.mse_loss(rate.flatten(), target.flatten(), reduction=self.reduction)


class SpikeMax(torch.nn.Module):
    """Negative log likelihood of the label under the output spike-rate confidence.

    Parameters
    ----------
    moving_window : int or None
        ``None``: one confidence per sample. An int ``W``: per-step confidence from the causal
        window rate, the loss summed (or averaged) over all ``N*T`` positions.
    mode : str
        ``'probability'`` (rates normalised by their sum) or ``'softmax'`` (cross entropy on
        rates).
    reduction : str
        ``'sum'``, ``'mean'`` or ``'none'``.

    Notes
    -----
    The log is taken of ``max(p, 1e-6)``: an output with zero rate gives a large finite loss
    instead of lava-dl 0.6's ``inf`` (e.g. the first steps of a moving window).
    """

    def __init__(
        self, moving_window: int | None = None, mode: str = "probability", reduction: str = "sum"
    ) -> None:
        super().__init__()
        if mode not in ("probability", "softmax", "logsoftmax"):
            raise ValueError(f"SpikeMax: mode must be 'probability' or 'softmax', got {mode!r}")
        self.mode = mode
        self.reduction = _check_reduction(reduction, "SpikeMax")
        self.window = None if moving_window is None else MovingWindow(moving_window, mode=mode)

    def extra_repr(self) -> str:
        window = None if self.window is None else self.window.time_window
        return f"moving_window={window}, mode={self.mode!r}, reduction={self.reduction!r}"

    def _log_confidence(self, rate: torch.Tensor) -> torch.Tensor:
        if self.mode == "probability":
            prob = rate / (torch.sum(rate, dim=1, keepdim=True) + _LOG_EPS)
            return torch.log(prob.clamp_min(_LOG_EPS))
        return F.log_softmax(rate, dim=1)

    def forward(self, input: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        """Loss of the output spikes against class labels.

        Parameters
        ----------
        input : torch.Tensor
            ``(N, C[, H, W], T)`` output spikes.
        label : torch.Tensor
            ``(N,)`` int labels, or ``(N, T)`` per-step labels with a moving window.

        Returns
        -------
        torch.Tensor
            Scalar loss.
        """
        spike = _as_nkt(input, "SpikeMax")
        n, k, t = spike.shape
        if self.window is None:
            label = _check_labels(label, n, k, "SpikeMax").to(spike.device)
            log_p = self._log_confidence(torch.mean(spike, dim=-1))
            return F.nll_loss(log_p, label, reduction=self.reduction)
        label = _per_step_labels(label, n, t, "SpikeMax").to(spike.device)
        _check_labels(label.flatten(), n * t, k, "SpikeMax")
        log_p = self._log_confidence(self.window.rate(spike))  # (N, K, T)
        log_p = log_p.permute(0, 2, 1).reshape(n * t, k)
        return F.nll_loss(log_p, label.reshape(-1), reduction=self.reduction)


class SpikeMoid(torch.nn.Module):
    """Binary cross entropy on sigmoid-squashed spike rates (multi-label outputs).

    Parameters
    ----------
    moving_window : int or None
        ``None``: the rate over all steps. An int ``W``: the causal window rate at every step.
    reduction : str
        ``'sum'``, ``'mean'`` or ``'none'``.
    alpha : float
        Sigmoid temperature (rate units).
    theta : float
        Rate offset at which the probability is 0.5 (the code default of lava-dl 0.6, 0).
    """

    def __init__(
        self,
        moving_window: int | None = None,
        reduction: str = "sum",
        alpha: float = 1,
        theta: float = 0,
    ) -> None:
        super().__init__()
        if alpha == 0:
            raise ValueError("SpikeMoid: alpha must be non-zero (it divides the rate)")
        self.reduction = _check_reduction(reduction, "SpikeMoid")
        self.alpha = alpha
        self.theta = theta
        self.window = None if moving_window is None else MovingWindow(moving_window)

    def extra_repr(self) -> str:
        window = None if self.window is None else self.window.time_window
        return (
            f"moving_window={window}, reduction={self.reduction!r}, alpha={self.alpha}, "
            f"theta={self.theta}"
        )

    def forward(self, input: torch.Tensor, label: torch.Tensor) -> torch.Tensor:
        """Loss of the output spikes against float labels.

        Parameters
        ----------
        input : torch.Tensor
            ``(N, C[, H, W], T)`` output spikes.
        label : torch.Tensor
            ``(N, K)`` float labels in [0, 1]; with a moving window also ``(N, K, T)``.

        Returns
        -------
        torch.Tensor
            Scalar loss.
        """
        spike = _as_nkt(input, "SpikeMoid")
        n, k, t = spike.shape
        label = torch.as_tensor(label).to(device=spike.device, dtype=spike.dtype)
        if self.window is None:
            if label.numel() != n * k:
                raise ValueError(
                    f"SpikeMoid: expected (N, K) = ({n}, {k}) labels, got {tuple(label.shape)}"
                )
            prob = torch.sigmoid(torch.mean((spike - self.theta) / self.alpha, dim=-1))
            return F.binary_cross_entropy(prob.flatten(), label.flatten(), reduction=self.reduction)
        if label.dim() == 2:
            label = label[..., None].expand(-1, -1, t)
        if label.shape != (n, k, t):
            raise ValueError(
                f"SpikeMoid: with a moving window, labels must be (N, K) or (N, K, T) = "
                f"({n}, {k}, {t}), got {tuple(label.shape)}"
            )
        prob = torch.sigmoid((self.window.rate(spike) - self.theta) / self.alpha)
        return F.binary_cross_entropy(prob.flatten(), label.flatten(), reduction=self.reduction)


class SparsityEnforcer:
    """Accumulates an event-rate penalty over layers: ``lam * sum_i relu(mean|x_i| - max_rate)^2``.

    Parameters
    ----------
    max_rate : float
        Allowed mean absolute activation (events per neuron per step).
    lam : float
        Weight of the penalty.

    Examples
    --------
    >>> enforcer = SparsityEnforcer(max_rate=0.1, lam=2.0)
    >>> enforcer.append(torch.full((1, 4, 5), 0.3))
    >>> round(float(enforcer.loss), 6)
    0.08
    """

    def __init__(self, max_rate: float = 0.01, lam: float = 1.0) -> None:
        if max_rate < 0:
            raise ValueError(f"SparsityEnforcer: max_rate must be >= 0, got {max_rate}")
        self.max_rate = max_rate
        self.lam = lam
        self.loss_list: list[torch.Tensor] = []

    def __repr__(self) -> str:
        return f"SparsityEnforcer(max_rate={self.max_rate}, lam={self.lam})"

    def append(self, x: torch.Tensor) -> None:
        """Add the penalty of one activation tensor ``x`` (any shape)."""
        self.loss_list.append(F.relu(torch.mean(torch.abs(x)) - self.max_rate) ** 2)

    @property
    def loss(self) -> torch.Tensor:
        """Weighted sum of the accumulated penalties (a 0-d tensor, 0 when nothing was added)."""
        if not self.loss_list:
            return torch.zeros(())
        return self.lam * torch.stack(self.loss_list).sum()

    def clear(self) -> None:
        """Forget the accumulated penalties (call once per step)."""
        self.loss_list = []
