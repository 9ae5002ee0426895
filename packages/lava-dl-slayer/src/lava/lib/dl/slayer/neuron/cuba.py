r"""CUBA leaky integrate-and-fire neuron (Loihi current-based synapse, spec §5.3).

With integer states at :math:`S` = ``s_scale``, decays :math:`\alpha_u, \alpha_v` in units of
1/4096, input :math:`x` and :math:`\operatorname{rtz}` = truncating division by 4096:

.. math::

    u[t] &= \operatorname{rtz}(u[t-1](4096 - \alpha_u)) + \lfloor S x[t]\rfloor_0 \\
    v[t] &= \operatorname{rtz}(v[t-1](4096 - \alpha_v)) + \lfloor S\,\mathrm{norm}(u)[t]\rfloor_0 \\
    s[t] &= 1[v[t] > S\theta_q], \qquad v[t] \leftarrow 0 \text{ if } s[t]

(the spike test is :math:`v \ge \theta_q + 0.01/S`, i.e. strictly above the threshold as on
Loihi). The current is not reset. ``dynamics`` returns the pre-reset voltage.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from lava.lib.dl import core

from ..spike import Spike
from ..utils.quantize import quantize
from . import base
from .dynamics import leaky_integrator

__all__ = ["Neuron", "neuron_params"]

TAU_RHO_MULT = 100
SCALE_RHO_MULT = 0.1


def neuron_params(device_params: dict[str, Any], scale: int = 1 << 6,
                  p_scale: int = 1 << 12) -> dict[str, Any]:
    """Constructor keyword arguments from exported ``device_params``.

    Parameters
    ----------
    device_params : dict
        ``{'vThMant', 'iDecay', 'vDecay', ...}`` as written by :attr:`Neuron.device_params`.
    scale : int
        Weight scale. Default 64.
    p_scale : int
        Decay scale. Default 4096.

    Returns
    -------
    dict
        ``{'threshold', 'current_decay', 'voltage_decay'}``.
    """
    return {
        "threshold": device_params["vThMant"] / scale,
        "current_decay": device_params["iDecay"] / p_scale,
        "voltage_decay": device_params["vDecay"] / p_scale,
    }


def cx_value(p: torch.Tensor, shared: bool) -> Any:
    """Quantized integer value of a decay parameter: an int if shared, else an int array."""
    q = quantize(p.detach()).cpu()
    if shared and q.numel() == 1:
        return int(q.item())
    return q.numpy().astype(np.int64)


class Neuron(base.Neuron):
    """CUBA LIF neuron.

    Parameters
    ----------
    threshold : float
        Threshold (float units; truncated to the ``1/scale`` grid).
    current_decay, voltage_decay : float or (float, float)
        Fraction of the current/voltage lost per step, in [0, 1]. With ``shared_param=False`` a
        scalar gives per-channel values within ±1 %, a ``(min, max)`` tuple a uniform range and a
        tensor explicit per-channel ``(C,)`` or per-neuron ``(C, H, W)`` values.
    tau_grad, scale_grad : float
        Surrogate gradient width (relative to the threshold) and scale. Default 1.
    scale : int
        Weight scale ``w_scale``; the state scale is ``64 * scale``. Default 64.
    norm : callable or None
        Normalisation class applied to the current.
    dropout : torch.nn.Module or None
        Dropout applied to the spikes.
    shared_param : bool
        Shared (True) or per-channel (False) decays.
    persistent_state : bool
        Carry the state across calls.
    requires_grad : bool
        Learnable decays. Default False.
    graded_spike : bool
        Spikes carry the voltage. Default False.

    Notes
    -----
    Input ``(N, C, [H, W,] T)``; output spikes of the same shape.
    """

    def __init__(
        self,
        threshold: float,
        current_decay: float,
        voltage_decay: float,
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
        self.threshold_eps = 0.01 / self.s_scale
        self.graded_spike = bool(graded_spike)
        self._add_param("current_decay", current_decay, scale=self.p_scale)
        self._add_param("voltage_decay", voltage_decay, scale=self.p_scale)
        self.register_buffer("current_state", torch.zeros(1), persistent=False)
        self.register_buffer("voltage_state", torch.zeros(1), persistent=False)
        self.clamp()

    def clamp(self) -> None:
        """Clamp both decays to ``[0, p_scale]``."""
        with torch.no_grad():
            self.current_decay.data.clamp_(0, self.p_scale)
            self.voltage_decay.data.clamp_(0, self.p_scale)

    @property
    def cx_current_decay(self) -> Any:
        """Quantized current decay (int, or int array per channel)."""
        self.clamp()
        return cx_value(self.current_decay, self.shared_param)

    @property
    def cx_voltage_decay(self) -> Any:
        """Quantized voltage decay (int, or int array per channel)."""
        self.clamp()
        return cx_value(self.voltage_decay, self.shared_param)

    @property
    def ref_delay(self) -> int:
        """Refractory delay (always 1: the voltage restarts from 0 after a spike)."""
        return 1

    @property
    def device_params(self) -> dict[str, Any]:
        """Hardware parameters exported to hdf5."""
        return {
            "type": "CUBA",
            "iDecay": self.cx_current_decay,
            "vDecay": self.cx_voltage_decay,
            "vThMant": self.v_th_mant,
            "refDelay": self.ref_delay,
            "gradedSpike": self.graded_spike,
        }

    def _reset_threshold(self) -> float | None:
        if self._threshold is None or self._threshold < 0:
            return None
        return self._threshold + self.threshold_eps

    def dynamics(self, input: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Current and (pre-reset) voltage traces.

        Parameters
        ----------
        input : torch.Tensor
            ``(N, C, [H, W,] T)`` weighted input.

        Returns
        -------
        tuple of torch.Tensor
            ``(current, voltage)``, each shaped like ``input``.
        """
        self._check_input(input)
        if self.requires_grad:
            self.clamp()
        i_state, v_state = self._states(
            ("current_state", "voltage_state"), tuple(input.shape[:-1]), (0.0, 0.0)
        )
        current = core.leaky_integrator(
            input, self.current_decay, state=i_state, s_scale=self.s_scale, **self._grad_opts
        ).y
        if self.norm is not None:
            current = self.norm(current)
        voltage = core.leaky_integrator(
            current, self.voltage_decay, state=v_state, threshold=self._reset_threshold(),
            s_scale=self.s_scale, **self._grad_opts,
        ).y
        if self.persistent_state:
            self._store("current_state", current[..., -1])
            self._store("voltage_state", voltage[..., -1])
        return current, voltage

    def spike(self, voltage: torch.Tensor) -> torch.Tensor:
        """Spikes of a voltage trace (and the persistent voltage reset, dropout).

        Parameters
        ----------
        voltage : torch.Tensor
            ``(N, C, [H, W,] T)`` pre-reset voltage.

        Returns
        -------
        torch.Tensor
            Spikes, same shape.
        """
        if self._threshold is None:
            raise ValueError("this CUBA neuron has no threshold; it cannot spike")
        spike = Spike.apply(
            voltage, self._threshold + self.threshold_eps, self.tau_rho * TAU_RHO_MULT,
            self.scale_rho * SCALE_RHO_MULT, self.graded_spike, self.voltage_state, 1,
        )
        if self.persistent_state:
            self._store(
                "voltage_state",
                leaky_integrator.persistent_state(self.voltage_state, spike[..., -1]),
            )
        if self.drop is not None:
            spike = self.drop(spike)
        return spike

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        """Spikes of the neuron for the weighted input ``(N, C, [H, W,] T)``."""
        _, voltage = self.dynamics(input)
        return self.spike(voltage)
