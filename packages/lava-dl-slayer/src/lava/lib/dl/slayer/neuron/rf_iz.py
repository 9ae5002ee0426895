r"""Resonate-and-fire neuron, Izhikevich variant (spec §5.6).

The resonator of :mod:`.dynamics.resonator` with a threshold on the imaginary state: when
:math:`\Im \ge \theta_q` the neuron spikes and the state resets to :math:`\Re = 0`,
:math:`\Im = \theta_q - 1/S`. Spikes are the real :class:`..spike.Spike` of the pre-reset
imaginary trace.
"""

from __future__ import annotations

from typing import Any

import torch

from ..spike import Spike
from . import rf
from .dynamics import resonator

__all__ = ["Neuron", "neuron_params"]

TAU_RHO_MULT = 100
SCALE_RHO_MULT = 0.1


def neuron_params(device_params: dict[str, Any], scale: int = 1 << 6,
                  p_scale: int = 1 << 12) -> dict[str, Any]:
    """``{'threshold', 'period', 'decay'}`` from exported ``device_params``."""
    return rf.neuron_params(device_params, scale, p_scale)


class Neuron(rf.Neuron):
    """Resonate-and-fire Izhikevich neuron (same arguments as :class:`..rf.Neuron`)."""

    _type = "RF_IZHIKEVICH"

    def dynamics(self, input: Any) -> tuple[torch.Tensor, torch.Tensor]:
        """Real and imaginary (pre-reset) state traces for the complex input ``(real, imag)``."""
        real, imag = self._resonate(input, self._threshold)
        if self.persistent_state:
            self._store("real_state", real[..., -1])
            self._store("imag_state", imag[..., -1])
        return real, imag

    def spike(self, real: torch.Tensor, imag: torch.Tensor) -> torch.Tensor:
        """Spikes ``1[imag >= threshold]`` (+ persistent reset, dropout)."""
        spike = Spike.apply(
            imag, self._threshold, self.tau_rho * TAU_RHO_MULT,
            self.scale_rho * SCALE_RHO_MULT, self.graded_spike, self.imag_state, 1,
        )
        if self.persistent_state:
            last = spike[..., -1]
            self._store("real_state", resonator.persistent_real_state(self.real_state, last))
            self._store(
                "imag_state",
                resonator.persistent_imag_state(
                    self.imag_state, last, self._threshold, self.s_scale
                ),
            )
        if self.drop is not None:
            spike = self.drop(spike)
        return spike
