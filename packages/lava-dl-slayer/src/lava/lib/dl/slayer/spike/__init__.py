"""Spike functions: real threshold (:class:`Spike`) and complex phase threshold
(:mod:`.complex`).

``Spike.apply(voltage, threshold, tau_rho, scale_rho, graded_spike, voltage_last, scale)``
"""

from . import complex
from ._spike import Spike

__all__ = ["Spike", "complex"]
