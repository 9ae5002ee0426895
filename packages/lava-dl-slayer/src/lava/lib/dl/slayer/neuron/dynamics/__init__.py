"""Fixed-point neuron dynamics with lava-dl 0.6 signatures (time last, ``(N, C, [H, W,] T)``).

Submodules: :mod:`.leaky_integrator`, :mod:`.resonator`, :mod:`.adaptive_threshold`,
:mod:`.adaptive_phase_th`, :mod:`.adaptive_resonator`; each exposes ``dynamics(...)`` and its
persistent-state helpers.
"""

from . import (
    adaptive_phase_th,
    adaptive_resonator,
    adaptive_threshold,
    leaky_integrator,
    resonator,
)

__all__ = [
    "adaptive_phase_th",
    "adaptive_resonator",
    "adaptive_threshold",
    "leaky_integrator",
    "resonator",
]
