r"""Adaptive LIF neuron (spec §5.4).

The current and voltage follow the CUBA leaky integrators without a voltage reset (norm acts on
the input); the threshold :math:`\theta` and refractory :math:`r` states follow
:mod:`.dynamics.adaptive_threshold` with :math:`\theta_0 = \theta_q` and step
``threshold_step``. A spike is :math:`s = 1[v \ge \theta + r]`; it raises :math:`r` by
:math:`2\theta` (the effective reset) and :math:`\theta` by the step. No gradient flows through
:math:`\theta` and :math:`r`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from lava.lib.dl import core

from ..spike import Spike
from . import base
from .cuba import cx_value
from .dynamics import adaptive_threshold

__all__ = ["Neuron", "neuron_params"]

TAU_RHO_MULT = 100
SCALE_RHO_MULT = 0.1


def neuron_params(device_params: dict[str, Any], scale: int = 1 << 6,
                  p_scale: int = 1 << 12) -> dict[str, Any]:
    """Constructor keyword arguments from exported ``device_params``.

    ``threshold_step`` comes from ``vThStep`` (lava-dl read ``vThMant``, spec §15 #10).
    """
    return {
        "threshold": device_params["vThMant"] / scale,
        "threshold_step": device_params["vThStep"] / scale,
        "current_decay": device_params["iDecay"] / p_scale,
        "voltage_decay": device_params["vDecay"] / p_scale,
        "threshold_decay": device_params["thDecay"] / p_scale,
        "refractory_decay": device_params["refDecay"] / p_scale,
    }


class Neuron(base.Neuron):
    """Adaptive-threshold LIF neuron.

    Parameters
    ----------
    threshold : float
        Resting threshold :math:`\\theta_0`.
    threshold_step : float
        Threshold increase per spike (truncated to the ``1/scale`` grid).
    current_decay, voltage_decay : float or (float, float)
        Current/voltage decay fractions (per-channel: ±1 % jitter or a range).
    threshold_decay, refractory_decay : float or (float, float)
        Threshold/refractory decay fractions (per-channel: no jitter, or a range).
    tau_grad, scale_grad, scale, norm, dropout, shared_param, persistent_state, requires_grad,
    graded_spike
        As :class:`..cuba.Neuron`.
    """

    def __init__(
        self,
        threshold: float,
        threshold_step: float,
        current_decay: float,
        voltage_decay: float,
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
        *,
        grad_mode: str = "surrogate",
        lava_dl_compat: bool = False,
    ) -> None:
        super().__init__(
            threshold=threshold, tau_grad=tau_grad, scale_grad=scale_grad, p_scale=1 << 12,
            w_scale=scale, s_scale=scale * (1 << 6), norm=norm, dropout=dropout,
            persistent_state=persistent_state, shared_param=shared_param,
            requires_grad=requires_grad, grad_mode=grad_mode,
            lava_dl_compat=lava_dl_compat,
        )
        self.threshold_step = int(float(threshold_step) * self.w_scale) / self.w_scale
        self.graded_spike = bool(graded_spike)
        self._add_param("current_decay", current_decay, scale=self.p_scale)
        self._add_param("voltage_decay", voltage_decay, scale=self.p_scale)
        self._add_param("threshold_decay", threshold_decay, scale=self.p_scale, jitter=False)
        self._add_param("refractory_decay", refractory_decay, scale=self.p_scale, jitter=False)
        self.register_buffer("current_state", torch.zeros(1), persistent=False)
        self.register_buffer("voltage_state", torch.zeros(1), persistent=False)
        self.register_buffer(
            "threshold_state", torch.tensor([float(self._threshold)]), persistent=False
        )
        self.register_buffer("refractory_state", torch.zeros(1), persistent=False)
        self.clamp()

    def clamp(self) -> None:
        """Clamp the current and voltage decays to ``[0, p_scale]``."""
        with torch.no_grad():
            self.current_decay.data.clamp_(0, self.p_scale)
            self.voltage_decay.data.clamp_(0, self.p_scale)

    @property
    def cx_current_decay(self) -> Any:
        """Quantized current decay."""
        self.clamp()
        return cx_value(self.current_decay, self.shared_param)

    @property
    def cx_voltage_decay(self) -> Any:
        """Quantized voltage decay."""
        self.clamp()
        return cx_value(self.voltage_decay, self.shared_param)

    @property
    def cx_threshold_decay(self) -> Any:
        """Quantized threshold decay."""
        return cx_value(self.threshold_decay, self.shared_param)

    @property
    def cx_refractory_decay(self) -> Any:
        """Quantized refractory decay."""
        return cx_value(self.refractory_decay, self.shared_param)

    @property
    def ref_delay(self) -> int:
        """Refractory delay (always 1)."""
        return 1

    @property
    def v_th_step(self) -> int:
        """Hardware threshold step mantissa ``int(threshold_step * w_scale)``."""
        return int(self.threshold_step * self.w_scale)

    @property
    def device_params(self) -> dict[str, Any]:
        """Hardware parameters exported to hdf5."""
        return {
            "type": "ALIF",
            "iDecay": self.cx_current_decay,
            "vDecay": self.cx_voltage_decay,
            "thDecay": self.cx_threshold_decay,
            "refDecay": self.cx_refractory_decay,
            "vThMant": self.v_th_mant,
            "vThStep": self.v_th_step,
            "refDelay": self.ref_delay,
            "gradedSpike": self.graded_spike,
        }

    def dynamics(self, input: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """Current, voltage, threshold and refractory traces, each shaped like ``input``."""
        self._check_input(input)
        if self.requires_grad:
            self.clamp()
        if self.norm is not None:
            input = self.norm(input)
        i_state, v_state, th_state, ref_state = self._states(
            ("current_state", "voltage_state", "threshold_state", "refractory_state"),
            tuple(input.shape[:-1]), (0.0, 0.0, float(self._threshold), 0.0),
        )
        current = core.leaky_integrator(
            input, self.current_decay, state=i_state, s_scale=self.s_scale, **self._grad_opts
        ).y
        voltage = core.leaky_integrator(
            current, self.voltage_decay, state=v_state, s_scale=self.s_scale, **self._grad_opts
        ).y
        threshold, refractory = core.adaptive_threshold(
            voltage.detach(), self.refractory_decay.detach(), self.threshold_decay.detach(),
            self._threshold, self.threshold_step, ref_state=ref_state, th_state=th_state,
            s_scale=self.s_scale,
        )[:2]
        if self.persistent_state:
            self._store("current_state", current[..., -1])
            self._store("voltage_state", voltage[..., -1])
            self._store("threshold_state", threshold[..., -1])
            self._store("refractory_state", refractory[..., -1])
        return current, voltage, threshold, refractory

    def spike(self, voltage: torch.Tensor, threshold: torch.Tensor,
              refractory: torch.Tensor) -> torch.Tensor:
        """Spikes ``1[v >= threshold + refractory]`` (+ persistent adaptation, dropout)."""
        spike = Spike.apply(
            voltage, threshold + refractory, self.tau_rho * TAU_RHO_MULT,
            self.scale_rho * SCALE_RHO_MULT, self.graded_spike, self.voltage_state, 1,
        )
        if self.persistent_state:
            last = spike[..., -1]
            self._store(
                "refractory_state",
                adaptive_threshold.persistent_ref_state(
                    self.refractory_state, last, self.threshold_state
                ),
            )
            self._store(
                "threshold_state",
                adaptive_threshold.persistent_th_state(
                    self.threshold_state, last, self.threshold_step
                ),
            )
        if self.drop is not None:
            spike = self.drop(spike)
        return spike

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        """Spikes for the weighted input ``(N, C, [H, W,] T)``."""
        _, voltage, threshold, refractory = self.dynamics(input)
        return self.spike(voltage, threshold, refractory)
