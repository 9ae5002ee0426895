"""Neuron mathematics of lava-dl: reference dynamics, compiled CPU kernels and CuPy GPU kernels.

Modules
-------
dynamics
    Stateless neuron dynamics (leaky integrator, resonator, adaptive threshold, adaptive phase
    threshold, adaptive resonator) with custom autograd and persistent-state support.
spike
    Real and complex (phase-threshold) spike functions with lava-dl's surrogate gradients.
sigma_delta
    Delta encoder and sigma decoder.
time, filter
    Time shift/replicate and causal temporal filters.
fixed_point
    The fixed-point (Loihi) contract: scales, quantizers, truncating shifts.
backend
    Backend selection (``reference``, ``numba``, ``cupy``) and :func:`backend.last_backend`.
testing
    Helpers for tests: random inputs and unrolled (BPTT) autograd references.
"""

from . import backend, dynamics, filter, fixed_point, sigma_delta, spike, time
from ._version import __version__
from .backend import available_backends, last_backend, use_backend
from .dynamics import (
    adaptive_phase_th,
    adaptive_resonator,
    adaptive_threshold,
    leaky_integrator,
    resonator,
)
from .sigma_delta import delta_encoder, sigma_decoder
from .spike import spike_complex, spike_real

__all__ = [
    "__version__",
    "backend",
    "dynamics",
    "filter",
    "fixed_point",
    "sigma_delta",
    "spike",
    "time",
    "available_backends",
    "last_backend",
    "use_backend",
    "leaky_integrator",
    "resonator",
    "adaptive_threshold",
    "adaptive_phase_th",
    "adaptive_resonator",
    "delta_encoder",
    "sigma_decoder",
    "spike_real",
    "spike_complex",
]
