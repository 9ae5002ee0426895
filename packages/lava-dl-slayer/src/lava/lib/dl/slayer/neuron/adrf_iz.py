r"""Adaptive resonate-and-fire neuron, Izhikevich variant (spec §5.8).

:mod:`.dynamics.adaptive_resonator` (no hard reset): spikes are
:math:`1[\Im \ge \theta + r]`; after a spike :math:`r \mathrel{+}= 2\theta` and
:math:`\theta \mathrel{+}=` ``threshold_step``. lava-dl's ``forward`` was broken (spec §15 #6).
"""

from __future__ import annotations

from typing import Any

import torch

from lava.lib.dl import core

from ..spike import Spike
from . import adrf

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
        if self.grad_mode != "surrogate":
            raise ValueError(
                "adrf_iz neurons support only grad_mode='surrogate' (the adaptive resonator "
                "has no reset to stop the gradient at)"
            )
        real, imag, threshold, refractory = core.adaptive_resonator(
            real_in, imag_in, self.sin_decay, self.cos_decay, self.refractory_decay.detach(),
            self.threshold_decay.detach(), self._threshold, self.threshold_step,
            re_state=r_state, im_state=i_state, ref_state=ref_state, th_state=th_state,
            s_scale=self.s_scale, lava_dl_compat=self.lava_dl_compat,
        )[:4]
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
