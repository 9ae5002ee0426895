r"""Real spike function with lava-dl's exponential surrogate gradient.

Forward, for voltage :math:`v` and threshold :math:`\theta` (``(N, C, [H, W,] T)``, time last):

- binary: :math:`s = 1[v \ge \theta]`;
- graded: :math:`s = 1[v \ge \theta]\, v / \text{scale}`.

Backward (only the voltage gets a gradient), with :math:`\tau` = ``tau_rho`` and :math:`\rho` =
``scale_rho``:

- binary: :math:`\partial s/\partial v = \frac{\rho}{2\tau} e^{-|v-\theta|/\tau}`;
- graded: :math:`\partial s/\partial v = \rho\, e^{\min(v-\theta, 0)/\tau}`.
"""

from __future__ import annotations

import torch

from lava.lib.dl import core

__all__ = ["Spike"]


class Spike:
    """Real spike function (use :meth:`apply`)."""

    @staticmethod
    def apply(
        voltage: torch.Tensor,
        threshold: float | torch.Tensor,
        tau_rho: float,
        scale_rho: float,
        graded_spike: bool,
        voltage_last: torch.Tensor | float | None = None,
        scale: float = 1,
    ) -> torch.Tensor:
        """Spikes of ``voltage`` against ``threshold``.

        Parameters
        ----------
        voltage : torch.Tensor
            ``(N, C, [H, W,] T)`` membrane voltage.
        threshold : float or torch.Tensor
            Threshold, broadcastable to ``voltage``.
        tau_rho : float
            Surrogate width (> 0).
        scale_rho : float
            Surrogate scale.
        graded_spike : bool
            Emit ``v / scale`` instead of 1.
        voltage_last : torch.Tensor or None
            Voltage before the first step (unused; kept for lava-dl compatibility).
        scale : float
            Graded spike divisor. Default 1.

        Returns
        -------
        torch.Tensor
            Spikes, same shape as ``voltage``.
        """
        if isinstance(threshold, torch.Tensor):
            threshold = threshold.detach()  # lava-dl: no threshold gradient
        return core.spike_real(
            voltage, threshold, tau_rho, scale_rho, graded=bool(graded_spike), scale=scale
        )
