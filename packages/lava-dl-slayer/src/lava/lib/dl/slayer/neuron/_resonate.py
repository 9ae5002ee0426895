r"""Shared parameter machinery of the resonate-and-fire neurons (rf, rf_iz, adrf, adrf_iz).

The rotation per step is :math:`(1-\alpha)\,e^{i\phi}`, :math:`\phi = 2\pi/\text{period}`, stored as
``sin_decay`` :math:`= 4096(1-\alpha)\sin\phi` and ``cos_decay`` :math:`= 4096(1-\alpha)\cos\phi`.
:meth:`ResonatorMixin.clamp_resonator` limits the gain :math:`\sqrt{\sin^2+\cos^2}` to 4095
(rescaling both) and then ``sin >= 1``, ``cos >= 0`` (first-quadrant phase step, period >= 4).
With ``shared_param=False`` the channel frequencies are log-spaced (``log_init``) or uniform in
``[1/period_max, 1/period_min]`` and the decays uniform in ``[decay_min, decay_max]``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch

from ..utils.quantize import quantize
from .base import _range_of, _scalar_of
from .cuba import cx_value

P_SCALE = 1 << 12


def _period_ok(period: float, name: str = "period") -> None:
    if period < 4:
        raise ValueError(f"{name} must be >= 4 steps (first-quadrant phase step), got {period}")


def _sin_cos(period: torch.Tensor, decay: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    phi = 2 * math.pi / period
    return P_SCALE * (1 - decay) * torch.sin(phi), P_SCALE * (1 - decay) * torch.cos(phi)


class ResonatorMixin:
    """Adds ``sin_decay``/``cos_decay`` parameters to a :class:`..base.Neuron`."""

    def _add_resonator(self, period: Any, decay: Any, log_init: bool) -> None:
        self.log_init = bool(log_init)
        if self.shared_param:
            p = _scalar_of(period, "period")
            d = _scalar_of(decay, "decay")
            _period_ok(p)
            sin, cos = _sin_cos(torch.tensor([p]), torch.tensor([d]))
            self._rf_init = None
        elif any(isinstance(v, torch.Tensor) and v.numel() > 1 for v in (period, decay)):
            # explicit per-channel (C,) or per-neuron (C, H, W) values
            p = torch.as_tensor(period, dtype=torch.float64)
            d = torch.as_tensor(decay, dtype=torch.float64)
            if bool((p < 4).any()):
                raise ValueError(f"every period must be >= 4 steps, got min {float(p.min())}")
            sin, cos = _sin_cos(p, d)
            self._rf_init = None
        else:
            p_range = _range_of(period, "period", jitter=True)
            d_range = _range_of(decay, "decay", jitter=False)
            _period_ok(p_range[0], "period (min)")
            self._rf_init = (p_range, d_range)
            mid_p = torch.tensor([0.5 * (p_range[0] + p_range[1])])
            sin, cos = _sin_cos(mid_p, torch.tensor([0.5 * (d_range[0] + d_range[1])]))
        rg = self.requires_grad
        self.sin_decay = torch.nn.Parameter(sin.float(), requires_grad=rg)
        self.cos_decay = torch.nn.Parameter(cos.float(), requires_grad=rg)

    def _params_pending(self) -> bool:
        return getattr(self, "_rf_init", None) is not None or super()._params_pending()

    def _init_channel_params(self, num_channels: int) -> None:
        if getattr(self, "_rf_init", None) is not None:
            (p_lo, p_hi), (d_lo, d_hi) = self._rf_init
            f_lo, f_hi = 1 / p_hi, 1 / p_lo
            if self.log_init:
                freq = torch.logspace(math.log10(f_lo), math.log10(f_hi), num_channels)
            else:
                freq = f_lo + (f_hi - f_lo) * torch.rand(num_channels)
            decay = d_lo + (d_hi - d_lo) * torch.rand(num_channels)
            sin, cos = _sin_cos(1 / freq, decay)
            self.sin_decay.data = sin.float().to(self.sin_decay.device)
            self.cos_decay.data = cos.float().to(self.cos_decay.device)
            self._rf_init = None
        super()._init_channel_params(num_channels)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):  # noqa: D105
        if getattr(self, "_rf_init", None) is not None:
            for name in ("sin_decay", "cos_decay"):
                if prefix + name in state_dict:
                    p = getattr(self, name)
                    p.data = torch.zeros_like(state_dict[prefix + name], dtype=p.dtype,
                                              device=p.device)
            self._rf_init = None
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def clamp_resonator(self) -> None:
        """Gain <= 4095 (rescaling sin and cos), then sin >= 1 and cos >= 0."""
        with torch.no_grad():
            gain = torch.sqrt(self.sin_decay.data ** 2 + self.cos_decay.data ** 2)
            factor = torch.where(gain > P_SCALE - 1, (P_SCALE - 1) / gain.clamp(min=1e-12),
                                 torch.ones_like(gain))
            self.sin_decay.data.mul_(factor).clamp_(min=1)
            self.cos_decay.data.mul_(factor).clamp_(min=0)

    # ------------------------------------------------------------------ properties
    @property
    def cx_sin_decay(self) -> Any:
        """Quantized sin decay (int, or int array per channel)."""
        self.clamp()
        return cx_value(self.sin_decay, self.shared_param)

    @property
    def cx_cos_decay(self) -> Any:
        """Quantized cos decay (int, or int array per channel)."""
        self.clamp()
        return cx_value(self.cos_decay, self.shared_param)

    def _z(self) -> tuple[torch.Tensor, torch.Tensor]:
        return quantize(self.sin_decay.detach()), quantize(self.cos_decay.detach())

    @property
    def decay(self) -> torch.Tensor:
        """Decay fraction ``1 - |z_q| / 4096``."""
        s, c = self._z()
        return 1 - torch.sqrt(s**2 + c**2) / P_SCALE

    @property
    def frequency(self) -> torch.Tensor:
        """Rotation frequency ``atan2(sin_q, cos_q) / 2 pi`` (cycles per step)."""
        s, c = self._z()
        return torch.atan2(s, c) / (2 * math.pi)

    @property
    def period(self) -> torch.Tensor:
        """Rotation period in steps (``1 / frequency``)."""
        return 1 / self.frequency

    @property
    def lam(self) -> torch.Tensor:
        """Decay rate ``-ln(1 - decay)``."""
        return -torch.log(1 - self.decay)

    def _input_pair(self, input: Any) -> tuple[torch.Tensor, torch.Tensor]:
        if not isinstance(input, (tuple, list)) or len(input) != 2:
            raise TypeError(
                f"{type(self).__module__}.Neuron expects a (real, imag) tuple of tensors, got "
                f"{type(input).__name__}"
            )
        real, imag = input
        if real.shape != imag.shape:
            raise ValueError(
                f"real {tuple(real.shape)} and imag {tuple(imag.shape)} inputs differ in shape"
            )
        self._check_input(real)
        if self.real_norm is not None:
            real = self.real_norm(real)
        if self.imag_norm is not None:
            imag = self.imag_norm(imag)
        return real, imag


def rf_neuron_params(device_params: dict[str, Any], scale: int = 1 << 6,
                     p_scale: int = 1 << 12) -> dict[str, Any]:
    """``threshold``, ``period``, ``decay`` from exported RF ``device_params``."""
    sin = np.asarray(device_params["sinDecay"], dtype=np.float64) / p_scale
    cos = np.asarray(device_params["cosDecay"], dtype=np.float64) / p_scale
    decay = 1 - np.sqrt(sin**2 + cos**2)
    period = 2 * np.pi / np.arctan2(sin, cos)
    out = {"threshold": device_params["vThMant"] / scale}
    out["period"] = float(period) if period.ndim == 0 else period
    out["decay"] = float(decay) if decay.ndim == 0 else decay
    return out
