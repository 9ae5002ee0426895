r"""The DECOLLE loss: a local loss per layer plus the reference regulariser.

For layer :math:`l` with readout :math:`Y_l[t] \in \mathbb{R}^{N\times K}`, one-hot target
:math:`\hat{Y}` and membrane potential relative to threshold :math:`U_l[t]`, the loss of one time
step is

.. math::

    \mathcal{L}_l[t] = \ell\big(Y_l[t], \hat{Y}\big)
        + \lambda_l\, \overline{\mathrm{relu}\big(U_l[t] + 0.01\big)}
        + 3\cdot 10^{-3}\, \lambda_l\,
          \mathrm{relu}\Big(\overline{0.1 - \sigma\big(U_l[t]\big)}\Big)

where the bar is the mean over batch and neurons, :math:`\sigma` the logistic function and
:math:`\ell` the per-layer loss (SmoothL1 by default, mean over batch and classes). This is the
canonical form of the reference implementation: the first term pushes potentials below threshold
(sparsity), the second keeps the *average* firing probability above 0.1 (the relu is outside the
mean; the lava-decolle plugin put it inside). With ``reg=0`` (the reference default) only
:math:`\ell` remains. Over a window of time steps :math:`t \ge t_b` (after burn-in) the losses are
**summed**, so one batch-mode step on the window has the gradient of all online steps at fixed
weights; the network loss is the sum over layers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import torch
import torch.nn.functional as F

__all__ = ["LAYER_LOSSES", "DecolleLoss", "LossValue", "regularizer"]


def _smooth_l1(y: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return F.smooth_l1_loss(y, target, reduction="mean")


def _mse(y: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return F.mse_loss(y, target, reduction="mean")


def _cross_entropy(y: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(y, target.argmax(dim=1), reduction="mean")


#: Per-layer loss name -> ``fn(readout (N, K), one_hot (N, K)) -> scalar``.
LAYER_LOSSES: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "smooth_l1": _smooth_l1,
    "mse": _mse,
    "cross_entropy": _cross_entropy,
}


def regularizer(u: torch.Tensor, reg: float) -> torch.Tensor:
    r"""The reference regulariser of one time step, summed over the steps of ``u``.

    Parameters
    ----------
    u : torch.Tensor
        ``(N, ..., T)`` membrane potential relative to the threshold.
    reg : float
        :math:`\lambda`.

    Returns
    -------
    torch.Tensor
        Scalar :math:`\sum_t \lambda\,\overline{\mathrm{relu}(U[t]+0.01)} + 3\cdot10^{-3}\lambda\,
        \mathrm{relu}(\overline{0.1-\sigma(U[t])})`.
    """
    flat = u.reshape(-1, u.shape[-1])  # (N * neurons, T)
    high = torch.relu(flat + 0.01).mean(dim=0)
    low = torch.relu((0.1 - torch.sigmoid(flat)).mean(dim=0))
    return reg * (high.sum() + 3e-3 * low.sum())


class LossValue(NamedTuple):
    """Total loss and its per-layer parts (each the layer loss plus its regulariser)."""

    total: torch.Tensor
    per_layer: list[torch.Tensor]


class DecolleLoss:
    """Sum over layers of the local loss and regulariser (module docstring).

    Parameters
    ----------
    num_classes : int
        Size of the one-hot target.
    loss : str or callable
        Per-layer loss: a name of :data:`LAYER_LOSSES` or ``fn(readout, one_hot)``.
        Default ``'smooth_l1'``.
    reg : float or sequence of float
        Regulariser weight :math:`\\lambda`, one for all layers or one per layer. Default 0.
    """

    def __init__(self, num_classes: int, *, loss: str | Callable[..., torch.Tensor] = "smooth_l1",
                 reg: float | Sequence[float] = 0.0) -> None:
        if isinstance(loss, str):
            try:
                loss = LAYER_LOSSES[loss]
            except KeyError:
                raise ValueError(
                    f"unknown DECOLLE layer loss {loss!r}: use one of {sorted(LAYER_LOSSES)} or "
                    "pass a callable fn(readout, one_hot)"
                ) from None
        self.num_classes = int(num_classes)
        self.layer_loss = loss
        self.reg = reg

    def _reg(self, i: int, n: int) -> float:
        if isinstance(self.reg, (int, float)):
            return float(self.reg)
        reg = list(self.reg)
        if len(reg) != n:
            raise ValueError(f"reg has {len(reg)} values for {n} layers: give one per layer")
        return float(reg[i])

    def one_hot(self, target: torch.Tensor) -> torch.Tensor:
        """``(N, K)`` float one-hot target of integer labels ``(N,)`` (or a ready ``(N, K)``)."""
        if target.dim() == 2:
            if target.shape[1] != self.num_classes:
                raise ValueError(
                    f"target has {target.shape[1]} columns, expected {self.num_classes} classes"
                )
            return target.float()
        if target.dim() != 1:
            raise ValueError(f"target must be labels (N,) or one-hot (N, K), got {target.shape}")
        return F.one_hot(target.long(), self.num_classes).float()

    def __call__(self, readouts: Sequence[torch.Tensor], potentials: Sequence[torch.Tensor],
                 target: torch.Tensor) -> LossValue:
        """Loss of a window of steps.

        Parameters
        ----------
        readouts : sequence of torch.Tensor
            Per layer ``(N, K, T)``.
        potentials : sequence of torch.Tensor
            Per layer ``(N, ..., T)`` potentials relative to threshold.
        target : torch.Tensor
            ``(N,)`` labels or ``(N, K)`` one-hot.
        """
        if len(readouts) != len(potentials):
            raise ValueError(f"{len(readouts)} readouts but {len(potentials)} potentials")
        y_hat = self.one_hot(target).to(readouts[0].device)
        parts = []
        for i, (y, u) in enumerate(zip(readouts, potentials, strict=True)):
            steps = [self.layer_loss(y[..., t], y_hat.to(y.dtype)) for t in range(y.shape[-1])]
            part = torch.stack(steps).sum()
            reg = self._reg(i, len(readouts))
            if reg:
                part = part + regularizer(u, reg)
            parts.append(part)
        return LossValue(torch.stack(parts).sum(), parts)
