r"""Blocks of the sigma-delta family (``slayer.neuron.sigma_delta``).

A sigma-delta layer receives delta-coded (sparse, graded) input, integrates it (sigma), applies the
activation and re-encodes the change (delta):

.. math:: y = \Delta\big(f(\Sigma(W * x))\big)

``Input`` only delta-encodes the (quantized) input, ``Output`` only integrates (a linear decoded
readout). Unlike the spiking families, ``delay_shift`` defaults to False.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from ..neuron import sigma_delta as _neuron
from . import base

__all__ = ["Average", "Conv", "ConvT", "Dense", "Flatten", "Input", "Output", "Pool", "Unpool"]

FAMILY = base.Family(name="sigma_delta", neuron_module=_neuron)


class Input(base.AbstractInput):
    """Sigma-delta input: quantize, optional gain/offset, then only the delta encoder.

    Parameters
    ----------
    neuron_params : dict or None
        Sigma-delta neuron keyword arguments.
    weight, bias : float or None
        Learnable scalar gain and offset.
    delay_shift : bool
        One-step inter-layer delay. Default False.
    count_log : bool
        Return ``(output, event_rate)``. Default False.

    Notes
    -----
    Input ``(N, C, [H, W,] T)``; delta-coded output of the same shape.
    """

    family = FAMILY

    def __init__(
        self,
        neuron_params: Mapping[str, Any] | None = None,
        weight: float | None = None,
        bias: float | None = None,
        delay_shift: bool = False,
        count_log: bool = False,
    ) -> None:
        super().__init__(neuron_params, weight, bias, delay_shift, count_log)

    def forward(self, x: torch.Tensor) -> Any:
        """Delta-coded input ``(N, C, [H, W,] T)``."""
        self._record_input(x)
        if self.neuron is not None:
            shape = tuple(x.shape[1:-1])
            if self.neuron.shape is None:
                self.neuron.shape = shape
                self.neuron.sigma.shape = shape
            x = self.neuron.delta(self._encode(x))
        if self.delay_shift:
            x = base.step_delay(self, x)
        return self._output(x)


class Flatten(base.AbstractFlatten):
    """Flatten block (see :class:`.base.AbstractFlatten`)."""

    family = FAMILY


class Average(base.AbstractAverage):
    """Average block (see :class:`.base.AbstractAverage`)."""

    family = FAMILY


class Dense(base.AbstractDense):
    """Sigma-delta dense block (see :class:`.base.AbstractDense`; ``delay_shift=False``)."""

    family = FAMILY

    def __init__(
        self,
        neuron_params: Mapping[str, Any],
        in_neurons: int | tuple[int, ...],
        out_neurons: int,
        weight_scale: float = 1,
        weight_norm: bool = False,
        pre_hook_fx: Any = base.DEFAULT_HOOK,
        delay: bool = False,
        delay_shift: bool = False,
        mask: Any = None,
        count_log: bool = False,
    ) -> None:
        super().__init__(neuron_params, in_neurons, out_neurons, weight_scale, weight_norm,
                         pre_hook_fx, delay, delay_shift, mask, count_log)


class Conv(base.AbstractConv):
    """Sigma-delta conv block (see :class:`.base.AbstractConv`; ``delay_shift=False``)."""

    family = FAMILY

    def __init__(
        self,
        neuron_params: Mapping[str, Any],
        in_features: int,
        out_features: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] = 0,
        dilation: int | tuple[int, int] = 1,
        groups: int = 1,
        weight_scale: float = 1,
        weight_norm: bool = False,
        pre_hook_fx: Any = base.DEFAULT_HOOK,
        delay: bool = False,
        delay_shift: bool = False,
        count_log: bool = False,
    ) -> None:
        super().__init__(neuron_params, in_features, out_features, kernel_size, stride, padding,
                         dilation, groups, weight_scale, weight_norm, pre_hook_fx, delay,
                         delay_shift, count_log)


class ConvT(base.AbstractConvT):
    """Sigma-delta transposed conv block (``delay_shift=False``)."""

    family = FAMILY

    def __init__(
        self,
        neuron_params: Mapping[str, Any],
        in_features: int,
        out_features: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] = 0,
        dilation: int | tuple[int, int] = 1,
        groups: int = 1,
        weight_scale: float = 1,
        weight_norm: bool = False,
        pre_hook_fx: Any = base.DEFAULT_HOOK,
        delay: bool = False,
        delay_shift: bool = False,
        count_log: bool = False,
    ) -> None:
        super().__init__(neuron_params, in_features, out_features, kernel_size, stride, padding,
                         dilation, groups, weight_scale, weight_norm, pre_hook_fx, delay,
                         delay_shift, count_log)


class Pool(base.AbstractPool):
    """Sigma-delta sum-pooling block (``delay_shift=False``)."""

    family = FAMILY

    def __init__(
        self,
        neuron_params: Mapping[str, Any],
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] | None = None,
        padding: int | tuple[int, int] = 0,
        dilation: int | tuple[int, int] = 1,
        weight_scale: float = 1,
        weight_norm: bool = False,
        pre_hook_fx: Any = base.DEFAULT_HOOK,
        delay: bool = False,
        delay_shift: bool = False,
        count_log: bool = False,
    ) -> None:
        super().__init__(neuron_params, kernel_size, stride, padding, dilation, weight_scale,
                         weight_norm, pre_hook_fx, delay, delay_shift, count_log)


class Unpool(base.AbstractUnpool):
    """Sigma-delta unpooling block (``delay_shift=False``)."""

    family = FAMILY

    def __init__(
        self,
        neuron_params: Mapping[str, Any],
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] | None = None,
        padding: int | tuple[int, int] = 0,
        dilation: int | tuple[int, int] = 1,
        weight_scale: float = 1,
        weight_norm: bool = False,
        pre_hook_fx: Any = base.DEFAULT_HOOK,
        delay: bool = False,
        delay_shift: bool = False,
        count_log: bool = False,
    ) -> None:
        super().__init__(neuron_params, kernel_size, stride, padding, dilation, weight_scale,
                         weight_norm, pre_hook_fx, delay, delay_shift, count_log)


class Output(base._SynapticBlock):
    """Linear decoded readout: dense synapse (8-bit quantized) followed by sigma only.

    Parameters
    ----------
    neuron_params : dict
        Sigma-delta neuron keyword arguments (its quantizer, threshold and activation are
        exported).
    in_neurons, out_neurons : int
        Sizes.
    weight_scale : float
        Initial weight multiplier. Default 1.
    weight_norm : bool
        Weight normalisation. Default False.
    count_log : bool
        Return ``(output, event_rate)``. Default False.

    Notes
    -----
    Input ``(N, in, T)`` delta-coded; output ``(N, out, T)`` decoded. Exported as ``dense`` with
    ``neuron/sigma_output = True``.
    """

    family = FAMILY
    hdf5_type = "dense"
    sigma_output = True

    def __init__(
        self,
        neuron_params: Mapping[str, Any],
        in_neurons: int,
        out_neurons: int,
        weight_scale: float = 1,
        weight_norm: bool = False,
        count_log: bool = False,
    ) -> None:
        super().__init__(count_log=count_log)
        self._build(neuron_params, delay=False, delay_shift=False, pre_hook_fx=base.DEFAULT_HOOK)
        self._install_synapse(FAMILY.synapse.Dense(
            in_neurons, out_neurons, weight_scale=weight_scale, weight_norm=weight_norm
        ))
        self.mask = None

    def output_shape(self, input_shape=None):  # noqa: D102
        return (self.synapse.out_channels,)

    @property
    def shape(self) -> tuple[int, ...]:
        """``(out_neurons,)``."""
        return (self.synapse.out_channels,)

    def forward(self, x: torch.Tensor) -> Any:
        """Decoded output ``(N, out, T)``."""
        self._record_input(x)
        return self._output(self.neuron.sigma(self.synapse(x)))
