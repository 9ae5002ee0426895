r"""Resonate-and-fire neuron with a phase threshold (spec §5.5).

The complex state :math:`z = (\Re, \Im)` follows the fixed-point resonator of
:mod:`.dynamics.resonator` (no reset) driven by the complex input ``(real, imag)``; a spike is
emitted when the state crosses the positive real axis counter-clockwise with
:math:`\Re \ge \theta_q` (:mod:`..spike.complex`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from lava.lib.dl import core

from ..spike import complex as complex_spike
from . import base
from ._resonate import ResonatorMixin, rf_neuron_params

__all__ = ["Neuron", "neuron_params"]

TAU_RHO_MULT = 0.5
SCALE_RHO_MULT = 10


def neuron_params(device_params: dict[str, Any], scale: int = 1 << 6,
                  p_scale: int = 1 << 12) -> dict[str, Any]:
    """``{'threshold', 'period', 'decay'}`` from exported ``device_params``."""
    return rf_neuron_params(device_params, scale, p_scale)


class Neuron(ResonatorMixin, base.Neuron):
    """Resonate-and-fire neuron, phase threshold.

    Parameters
    ----------
    threshold : float
        Threshold on the real part.
    period : float or (float, float) or torch.Tensor
        Oscillation period in steps (>= 4). With ``shared_param=False``: a ``(min, max)`` range
        (log-spaced or uniform frequencies over the channels) or a tensor of explicit per-channel
        ``(C,)`` / per-neuron ``(C, H, W)`` values.
    decay : float or (float, float) or torch.Tensor
        Fraction of the state magnitude lost per step (range or explicit values as ``period``).
    tau_grad, scale_grad, scale, norm, dropout, shared_param, persistent_state, requires_grad,
    graded_spike
        As :class:`..cuba.Neuron` (norm is applied to the real and imaginary inputs).
    log_init : bool
        Log-spaced (True) or uniform per-channel frequencies. Default True.

    Notes
    -----
    Input: a ``(real, imag)`` tuple of ``(N, C, [H, W,] T)`` tensors; output: spikes of that shape.
    """

    _type = "RF_PHASE"

    def __init__(
        self,
        threshold: float,
        period: float,
        decay: float,
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
        self.graded_spike = bool(graded_spike)
        self._add_resonator(period, decay, log_init)
        self.register_buffer("real_state", torch.zeros(1), persistent=False)
        self.register_buffer("imag_state", torch.zeros(1), persistent=False)
        self.clamp()

    def clamp(self) -> None:
        """Clamp the rotation (see :mod:`._resonate`)."""
        self.clamp_resonator()

    @property
    def device_params(self) -> dict[str, Any]:
        """Hardware parameters exported to hdf5."""
        return {
            "type": self._type,
            "sinDecay": self.cx_sin_decay,
            "cosDecay": self.cx_cos_decay,
            "vThMant": self.v_th_mant,
            "gradedSpike": self.graded_spike,
        }

    def _resonate(self, input: Any, threshold: float | None):
        real, imag = self._input_pair(input)
        if self.requires_grad:
            self.clamp()
        r_state, i_state = self._states(
            ("real_state", "imag_state"), tuple(real.shape[:-1]), (0.0, 0.0)
        )
        out = core.resonator(
            real, imag, self.sin_decay, self.cos_decay, re_state=r_state, im_state=i_state,
            threshold=threshold, s_scale=self.s_scale, **self._grad_opts,
        )
        return out.real, out.imag

    def dynamics(self, input: Any) -> tuple[torch.Tensor, torch.Tensor]:
        """Real and imaginary state traces for the complex input ``(real, imag)``."""
        real, imag = self._resonate(input, None)
        if self.persistent_state:
            self._store("real_state", real[..., -1])
        return real, imag

    def spike(self, real: torch.Tensor, imag: torch.Tensor) -> torch.Tensor:
        """Phase-threshold spikes of the state traces (+ persistent state, dropout)."""
        spike = complex_spike.Spike.apply(
            real, imag, self._threshold, self.tau_rho * TAU_RHO_MULT,
            self.scale_rho * SCALE_RHO_MULT, self.graded_spike, self.imag_state, 1,
        )
        if self.persistent_state:
            self._store("imag_state", imag[..., -1])
        if self.drop is not None:
            spike = self.drop(spike)
        return spike

    def forward(self, input: Any) -> torch.Tensor:
        """Spikes for the complex input ``(real, imag)``."""
        return self.spike(*self.dynamics(input))
