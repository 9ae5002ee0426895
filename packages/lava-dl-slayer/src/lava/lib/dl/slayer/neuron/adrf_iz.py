r"""Adaptive resonate-and-fire neuron, Izhikevich variant (spec §5.8).

:mod:`.dynamics.adaptive_resonator` (no hard reset): spikes are
:math:`1[\Im \ge \theta + r]`; after a spike :math:`r \mathrel{+}= 2\theta` and
:math:`\theta \mathrel{+}=` ``threshold_step``. lava-dl's ``forward`` was broken (spec §15 #6).
"""

from __future__ import annotations

from typing import Any

import torch

from ..spike import Spike
from ..utils.quantize import quantize
from . import adrf
from .dynamics import adaptive_resonator

__all__ = ["Neuron", "neuron_params"]

TAU_RHO_MULT = 100
SCALE_RHO_MULT = 0.1


def neuron_params(device_params: dict[str, Any], scale: int = 1 << 6,
                  p_scale: int = 1 << 12) -> dict[str, Any]:
    """Constructor keyword arguments from exported ``device_params``."""
    return adrf.neuron_params(device_params, scale, p_scale)


class Neuron(adrf.Neuron):
    """Adaptive RF Izhikevich neuron (same arguments as :class:`..adrf.Neuron`)."""

    _type = "ADRF_IZHIKEVICH"

    def dynamics(self, input: Any) -> tuple[torch.Tensor, ...]:
        """``(real, imag, threshold, refractory)`` traces for the complex input."""
        real_in, imag_in = self._input_pair(input)
        if self.requires_grad:
            self.clamp()
        r_state, i_state, th_state, ref_state = self._adaptive_states(
            tuple(real_in.shape[:-1])
        )
        real, imag, threshold, refractory = adaptive_resonator.dynamics(
            real_in, imag_in, quantize(self.sin_decay), quantize(self.cos_decay),
            quantize(self.refractory_decay.detach()), quantize(self.threshold_decay.detach()),
            r_state.contiguous(), i_state.contiguous(), ref_state.contiguous(),
            th_state.contiguous(), self.threshold_step, self._threshold, self.s_scale,
        )
        if self.persistent_state:
            self._store("real_state", real[..., -1])
            self._store("imag_state", imag[..., -1])
            self._store("threshold_state", threshold[..., -1])
            self._store("refractory_state", refractory[..., -1])
        return real, imag, threshold, refractory

    def spike(self, real: torch.Tensor, imag: torch.Tensor, threshold: torch.Tensor,
              refractory: torch.Tensor) -> torch.Tensor:
        """Spikes ``1[imag >= threshold + refractory]`` (+ persistent adaptation, dropout)."""
        spike = Spike.apply(
            imag, threshold + refractory, self.tau_rho * TAU_RHO_MULT,
            self.scale_rho * SCALE_RHO_MULT, self.graded_spike, self.imag_state, 1,
        )
        if self.persistent_state:
            self._adapt(spike)
        if self.drop is not None:
            spike = self.drop(spike)
        return spike
