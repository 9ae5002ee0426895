r"""Complex synapses: a pair of real synapses giving the real and imaginary synaptic input.

For a real spike input :math:`s`, a complex synapse returns the tuple

.. math:: (z_{re}, z_{im}) = (W_{re} * s,\; W_{im} * s)

which drives the resonate-and-fire neurons. The two halves are the ``real`` and ``imag``
sub-modules (state-dict keys ``real.weight`` and ``imag.weight``); each is the real synapse of the
same name in :mod:`.layer` with the same arguments.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from . import layer

__all__ = ["ComplexLayer", "Conv", "ConvTranspose", "Dense", "Pool", "Unpool"]


class ComplexLayer(torch.nn.Module):
    """A real/imaginary pair of synapses of the same kind.

    Attributes
    ----------
    real, imag : layer.GenericLayer
        The two real synapses.
    complex : bool
        Always True.
    """

    complex = True
    _real_class: type[layer.GenericLayer] = layer.Dense

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()
        self.real = self._real_class(*args, **kwargs)
        self.imag = self._real_class(*args, **kwargs)

    def forward(self, input: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(real(input), imag(input))``, each shaped as the real synapse's output."""
        return self.real(input), self.imag(input)

    def enable_weight_norm(self) -> None:
        """Enable weight normalisation on both halves."""
        self.real.enable_weight_norm()
        self.imag.enable_weight_norm()

    def disable_weight_norm(self) -> None:
        """Disable weight normalisation on both halves."""
        self.real.disable_weight_norm()
        self.imag.disable_weight_norm()

    @property
    def weight_norm_enabled(self) -> bool:
        """Whether weight normalisation is enabled (on both halves)."""
        return self.real.weight_norm_enabled

    @property
    def grad_norm(self) -> float:
        """``sqrt(real.grad_norm**2 + imag.grad_norm**2)``."""
        return float((self.real.grad_norm**2 + self.imag.grad_norm**2) ** 0.5)

    @property
    def pre_hook_fx(self) -> Callable[..., torch.Tensor] | None:
        """Weight pre-hook of both halves."""
        return self.real.pre_hook_fx

    @pre_hook_fx.setter
    def pre_hook_fx(self, fx: Callable[..., torch.Tensor] | None) -> None:
        self.real.pre_hook_fx = fx
        self.imag.pre_hook_fx = fx

    @property
    def shape(self) -> torch.Size:
        """Shape of each half's weight."""
        return self.real.shape

    def __getattr__(self, name: str) -> Any:
        # geometry (in_channels, kernel_size, stride, ...) is that of the real half
        try:
            return super().__getattr__(name)
        except AttributeError:
            if name in ("real", "imag") or name.startswith("_"):
                raise
            modules = self.__dict__.get("_modules", {})
            if "real" in modules and hasattr(modules["real"], name):
                return getattr(modules["real"], name)
            raise


class Dense(ComplexLayer):
    """Complex :class:`~.layer.Dense` (same arguments)."""

    _real_class = layer.Dense


class Conv(ComplexLayer):
    """Complex :class:`~.layer.Conv` (same arguments)."""

    _real_class = layer.Conv


class Pool(ComplexLayer):
    """Complex :class:`~.layer.Pool` (same arguments)."""

    _real_class = layer.Pool


class ConvTranspose(ComplexLayer):
    """Complex :class:`~.layer.ConvTranspose` (same arguments)."""

    _real_class = layer.ConvTranspose


class Unpool(ComplexLayer):
    """Complex :class:`~.layer.Unpool` (same arguments)."""

    _real_class = layer.Unpool
