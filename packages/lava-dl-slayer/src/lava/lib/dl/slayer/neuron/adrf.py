r"""Adaptive resonate-and-fire neuron with a phase threshold (spec §5.7).

The resonator without reset, plus the adaptive threshold :math:`\theta` and refractory :math:`r`
states of :mod:`.dynamics.adaptive_phase_th`; a spike needs the phase crossing and
:math:`\Re \ge \theta + r`. After a spike :math:`r \mathrel{+}= 2\theta` and
:math:`\theta \mathrel{+}= ` ``threshold_step``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from lava.lib.dl import core

from ..spike import complex as complex_spike
from . import base
from ._resonate import ResonatorMixin, rf_neuron_params
from .cuba import cx_value
from .dynamics import adaptive_threshold

__all__ = ["Neuron", "neuron_params"]

TAU_RHO_MULT = 100
SCALE_RHO_MULT = 0.1


def neuron_params(device_params: dict[str, Any], scale: int = 1 << 6,
                  p_scale: int = 1 << 12) -> dict[str, Any]:
    """Constructor keyword arguments from exported ``device_params`` (spec §15 #9 fixed)."""
    out = rf_neuron_params(device_params, scale, p_scale)
    out["threshold_step"] = device_params["vThStep"] / scale
    out["threshold_decay"] = device_params["thDecay"] / p_scale
    out["refractory_decay"] = device_params["refDecay"] / p_scale
    return out


class Neuron(ResonatorMixin, base.Neuron):
    """Adaptive RF neuron, phase threshold.

    Parameters
    ----------
    threshold : float
        Resting threshold.
    threshold_step : float
        Threshold increase per spike.
    period, decay : float or (float, float)
        As :class:`..rf.Neuron`.
    threshold_decay, refractory_decay : float or (float, float)
        Threshold/refractory decay fractions.
    tau_grad, scale_grad, scale, norm, dropout, shared_param, persistent_state, requires_grad,
    graded_spike, log_init
        As :class:`..rf.Neuron`.
    """

    _type = "ADRF_PHASE"

    def __init__(
        self,
        threshold: float,
        threshold_step: float,
        period: float,
        decay: float,
        threshold_decay: float,
        refractory_decay: float,
        tau_grad: float = 1,
        scale_grad: float = 1,
        scale: int = 1 << 6,
        norm: Callable[[], torch.nn.Module] | None = None,
        dropout: torch.nn.Module | None = None,
        shared_param: bool = True,
        persistent_state: bool = False,
        requires_grad: bool = False,
        graded_spike: bool = False,
        log_init: bool = True,
        *,
        grad_mode: str = "surrogate",
        lava_dl_compat: bool = False,
    ) -> None:
        super().__init__(
            threshold=threshold, tau_grad=tau_grad, scale_grad=scale_grad, p_scale=1 << 12,
            w_scale=scale, s_scale=scale * (1 << 6), norm=norm, dropout=dropout,
            persistent_state=persistent_state, shared_param=shared_param,
            requires_grad=requires_grad, grad_mode=grad_mode,
            lava_dl_compat=lava_dl_compat, complex=True,
        )
        self.threshold_step = int(float(threshold_step) * self.w_scale) / self.w_scale
        self.graded_spike = bool(graded_spike)
        self._add_resonator(period, decay, log_init)
        self._add_param("threshold_decay", threshold_decay, scale=self.p_scale, jitter=False)
        self._add_param("refractory_decay", refractory_decay, scale=self.p_scale, jitter=False)
        self.register_buffer("real_state", torch.zeros(1), persistent=False)
        self.register_buffer("imag_state", torch.zeros(1), persistent=False)
        self.register_buffer(
            "threshold_state", torch.tensor([float(self._threshold)]), persistent=False
        )
        self.register_buffer("refractory_state", torch.zeros(1), persistent=False)
        self.clamp()

    def clamp(self) -> None:
        """Clamp the rotation (see :mod:`._resonate`)."""
        self.clamp_resonator()

    @property
    def cx_threshold_decay(self) -> Any:
        """Quantized threshold decay."""
        return cx_value(self.threshold_decay, self.shared_param)

    @property
    def cx_refractory_decay(self) -> Any:
        """Quantized refractory decay."""
        return cx_value(self.refractory_decay, self.shared_param)

    @property
    def v_th_step(self) -> int:
        """Hardware threshold step mantissa."""
        return int(self.threshold_step * self.w_scale)

    @property
    def device_params(self) -> dict[str, Any]:
        """Hardware parameters exported to hdf5."""
        return {
            "type": self._type,
            "sinDecay": self.cx_sin_decay,
            "cosDecay": self.cx_cos_decay,
            "thDecay": self.cx_threshold_decay,
            "refDecay": self.cx_refractory_decay,
            "vThMant": self.v_th_mant,
            "vThStep": self.v_th_step,
            "gradedSpike": self.graded_spike,
        }

    def _adaptive_states(self, batch_shape):
        return self._states(
            ("real_state", "imag_state", "threshold_state", "refractory_state"),
            batch_shape, (0.0, 0.0, float(self._threshold), 0.0),
        )

    def dynamics(self, input: Any) -> tuple[torch.Tensor, ...]:
        """``(real, imag, threshold, refractory)`` traces for the complex input."""
        real_in, imag_in = self._input_pair(input)
        if self.requires_grad:
            self.clamp()
        r_state, i_state, th_state, ref_state = self._adaptive_states(
            tuple(real_in.shape[:-1])
        )
        real, imag = core.resonator(
            real_in, imag_in, self.sin_decay, self.cos_decay, re_state=r_state,
            im_state=i_state, s_scale=self.s_scale, **self._grad_opts,
        )[:2]
        threshold, refractory = core.adaptive_phase_th(
            real.detach(), imag.detach(), self.refractory_decay.detach(),
            self.threshold_decay.detach(), self._threshold, self.threshold_step,
            im_state=i_state, ref_state=ref_state, th_state=th_state, s_scale=self.s_scale,
        )[:2]
        if self.persistent_state:
            self._store("real_state", real[..., -1])
            self._store("threshold_state", threshold[..., -1])
            self._store("refractory_state", refractory[..., -1])
        return real, imag, threshold, refractory

    def _adapt(self, spike: torch.Tensor) -> None:
        last = spike[..., -1]
        self._store(
            "refractory_state",
            adaptive_threshold.persistent_ref_state(
                self.refractory_state, last, self.threshold_state
            ),
        )
        self._store(
            "threshold_state",
            adaptive_threshold.persistent_th_state(self.threshold_state, last,
                                                   self.threshold_step),
        )

    def spike(self, real: torch.Tensor, imag: torch.Tensor, threshold: torch.Tensor,
              refractory: torch.Tensor) -> torch.Tensor:
        """Phase-threshold spikes against ``threshold + refractory``."""
        spike = complex_spike.Spike.apply(
            real, imag, threshold + refractory, self.tau_rho * TAU_RHO_MULT,
            self.scale_rho * SCALE_RHO_MULT, self.graded_spike, self.imag_state, 1,
        )
        if self.persistent_state:
            self._adapt(spike)
            self._store("imag_state", imag[..., -1])
        if self.drop is not None:
            spike = self.drop(spike)
        return spike

    def forward(self, input: Any) -> torch.Tensor:
        """Spikes for the complex input ``(real, imag)``."""
        return self.spike(*self.dynamics(input))
