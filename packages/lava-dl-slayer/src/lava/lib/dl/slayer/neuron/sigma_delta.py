r"""Sigma-delta neuron (spec §5.9).

For the delta-coded input :math:`x` (``(N, C, [H, W,] T)``):

.. math::

    \sigma[t] = \sum_{k\le t} x[k], \qquad a = f(\mathrm{norm}(\sigma) + b), \qquad
    y = \mathrm{Delta}_\theta(a)

with the sigma decoder :class:`..dendrite.Sigma`, activation :math:`f`, bias :math:`b` (0 unless
set) and the delta encoder :class:`..axon.Delta` at the state scale (output on the ``1/s_scale``
grid). The threshold is the delta encoder's parameter (learnable with ``requires_grad``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from ..axon import Delta
from ..dendrite import Sigma
from . import base

__all__ = ["Neuron", "neuron_params"]


def neuron_params(device_params: dict[str, Any], scale: int = 1 << 6,
                  p_scale: int = 1 << 12) -> dict[str, Any]:
    """``{'threshold'}`` from exported ``device_params`` (the activation is not recoverable)."""
    return {"threshold": device_params["vThMant"] / scale}


class Neuron(base.Neuron):
    """Sigma-delta neuron.

    Parameters
    ----------
    threshold : float
        Delta threshold (truncated to the ``1/scale`` grid).
    activation : callable
        Activation function (e.g. ``torch.nn.functional.relu``); exported by ``__name__``.
    tau_grad, scale_grad : float
        Threshold surrogate width and scale of the delta encoder.
    scale : int
        Weight scale; the state scale is ``64 * scale``. Default 64.
    cum_error : bool
        Delta encoder gates on the accumulated error.
    norm, dropout, shared_param, persistent_state, requires_grad
        As :class:`..cuba.Neuron` (``requires_grad`` makes threshold and bias learnable).
    """

    def __init__(
        self,
        threshold: float,
        activation: Callable[[torch.Tensor], torch.Tensor],
        tau_grad: float = 1,
        scale_grad: float = 1,
        scale: int = 1 << 6,
        cum_error: bool = False,
        norm: Callable[[], torch.nn.Module] | None = None,
        dropout: torch.nn.Module | None = None,
        shared_param: bool = True,
        persistent_state: bool = False,
        requires_grad: bool = False,
    ) -> None:
        super().__init__(
            threshold=threshold, tau_grad=tau_grad, scale_grad=scale_grad, p_scale=1,
            w_scale=scale, s_scale=scale * (1 << 6), norm=norm, dropout=dropout,
            persistent_state=persistent_state, shared_param=shared_param,
            requires_grad=requires_grad,
        )
        if not callable(activation):
            raise TypeError(f"activation must be callable (e.g. F.relu), got {activation!r}")
        self.activation = activation
        self.graded_spike = True
        self.cum_error = bool(cum_error)
        self.sigma = Sigma(persistent_state=persistent_state)
        self.delta = Delta(
            threshold=self._threshold, scale=self.s_scale, tau_grad=tau_grad,
            scale_grad=scale_grad, cum_error=cum_error, shared_param=shared_param,
            persistent_state=persistent_state, requires_grad=requires_grad,
        )
        self.bias = torch.nn.Parameter(torch.zeros(1), requires_grad=self.requires_grad)
        self.bias_is_set = False

    def set_bias(self, bias: torch.Tensor | float) -> None:
        """Set the bias added to the decoded input before the activation."""
        b = torch.as_tensor(bias, dtype=self.bias.dtype, device=self.bias.device).reshape(-1)
        self.bias.data = b.clone()
        self.bias_is_set = True

    @property
    def threshold(self) -> torch.Tensor:  # type: ignore[override]
        """The delta encoder's threshold Parameter."""
        return self.delta.threshold

    @property
    def v_th_mant(self) -> Any:
        """Threshold mantissa ``int(threshold * w_scale)`` (int array when per channel)."""
        th = (self.delta.threshold.detach().cpu() * self.w_scale).to(torch.int64).reshape(-1)
        if th.numel() == 1:
            return int(th.item())
        return th.numpy().astype(np.int64)

    @property
    def device_params(self) -> dict[str, Any]:
        """Hardware parameters exported to hdf5 (per-channel ``vThMant`` as an array)."""
        return {
            "type": "SDNN",
            "activation": getattr(self.activation, "__name__", type(self.activation).__name__),
            "vThMant": self.v_th_mant,
        }

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        """Delta-coded output for the delta-coded input ``(N, C, [H, W,] T)``."""
        self._check_input(input)
        dend = self.sigma(input)
        if self.norm is not None:
            dend = self.norm(dend)
        b = self.bias if self.bias.numel() == 1 else self.bias.reshape(
            (1, -1) + (1,) * (input.dim() - 2)
        )
        activation = self.activation(dend + b)
        spike = self.delta(activation)
        if self.drop is not None:
            spike = self.drop(spike)
        return spike
