"""Stateless neuron dynamics of lava-dl on time-last tensors ``(N, C, [H, W,] T)``.

Every function takes float tensors, runs the fixed-point recurrence of
:mod:`lava.lib.dl.core.fixed_point` on the selected backend (:mod:`lava.lib.dl.core.backend`),
returns the traces and the final state (pass it back as the initial state to continue a run;
it stays connected to autograd), and has a custom backward pass.

Parameter layouts
-----------------
Parameters and initial states are broadcast per neuron: a scalar (shared), a ``(C,)`` tensor
(per channel), a tensor aligned at the channel dimension such as ``(C, H, W)`` (per neuron), the
flattened per-neuron values, or a tensor broadcastable to ``x.shape[:-1]``.

Functions
---------
leaky_integrator
    CUBA current/voltage integrator with optional reset.
resonator
    Damped rotation of resonate-and-fire neurons with optional Izhikevich reset.
adaptive_threshold
    ALIF threshold and refractory dynamics (no gradient).
adaptive_phase_th
    adRF phase-threshold adaptation (no gradient).
adaptive_resonator
    adRF-Izhikevich resonator with adaptive threshold.
"""

from ._common import GRAD_MODES
from .adaptive_phase_th import adaptive_phase_th
from .adaptive_resonator import AdaptiveResonatorResult, adaptive_resonator
from .adaptive_threshold import AdaptiveThresholdResult, adaptive_threshold
from .leaky_integrator import LeakyIntegratorResult, leaky_integrator
from .resonator import ResonatorResult, resonator

__all__ = [
    "GRAD_MODES",
    "leaky_integrator",
    "LeakyIntegratorResult",
    "resonator",
    "ResonatorResult",
    "adaptive_threshold",
    "adaptive_phase_th",
    "AdaptiveThresholdResult",
    "adaptive_resonator",
    "AdaptiveResonatorResult",
]
