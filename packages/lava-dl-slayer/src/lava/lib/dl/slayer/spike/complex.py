r"""Complex (phase-threshold) spike function.

With :math:`\Im_{t-1}` the imaginary part delayed by one step (``imag_last`` at :math:`t = 0`):

- binary: :math:`s = 1[\Re \ge \theta]\,1[\Im_{t-1} < 0]\,1[\Im_t \ge 0]` (the state crosses the
  positive real axis counter-clockwise with real part at least :math:`\theta`);
- graded: the same times :math:`\Re/\text{scale}`.

Surrogate (spec §3.2), :math:`\tau` = ``tau_rho``, :math:`\rho` = ``scale_rho``:
:math:`\delta_{re} = \frac{1}{2\tau}e^{-|\Re-\theta|/\tau}` (graded:
:math:`e^{-\max(\theta-\Re,0)/\tau}`), :math:`\delta_{im} = \frac{1}{2\tau}e^{-|\Im|/\tau}`,
:math:`\partial s/\partial\Re = \rho\,\delta_{re}\delta_{im}` and
:math:`\partial s/\partial\Im = -\frac{\rho}{\tau}\operatorname{sign}(\Im)\,\delta_{im}\,
\tfrac12(1 + \operatorname{sign}(\Re-\theta)(1 - 2\tau\delta_{re}))`.
"""

from __future__ import annotations

import torch

from lava.lib.dl import core

__all__ = ["Spike"]


class Spike:
    """Complex phase-threshold spike function (use :meth:`apply`)."""

    @staticmethod
    def apply(
        real: torch.Tensor,
        imag: torch.Tensor,
        threshold: float | torch.Tensor,
        tau_rho: float,
        scale_rho: float,
        graded_spike: bool,
        imag_last: torch.Tensor | float = 0,
        scale: float = 1,
    ) -> torch.Tensor:
        """Spikes of the complex state ``(real, imag)``.

        Parameters
        ----------
        real, imag : torch.Tensor
            ``(N, C, [H, W,] T)`` real and imaginary state.
        threshold : float or torch.Tensor
            Threshold on the real part, broadcastable to ``real``.
        tau_rho, scale_rho : float
            Surrogate width (> 0) and scale.
        graded_spike : bool
            Emit ``real / scale`` instead of 1.
        imag_last : torch.Tensor or float
            Imaginary state before the first step, broadcastable to ``imag.shape[:-1]``.
        scale : float
            Graded spike divisor. Default 1.

        Returns
        -------
        torch.Tensor
            Spikes, same shape as ``real``.
        """
        if isinstance(threshold, torch.Tensor):
            threshold = threshold.detach()  # lava-dl: no threshold gradient
        if isinstance(imag_last, torch.Tensor):
            imag_last = imag_last.to(imag.dtype)
        return core.spike_complex(
            real, imag, threshold, tau_rho, scale_rho, graded=bool(graded_spike),
            imag_last=imag_last, scale=scale,
        )
