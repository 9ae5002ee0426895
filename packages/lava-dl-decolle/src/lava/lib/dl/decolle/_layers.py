r"""DECOLLE layers: a spiking core, a fixed random local readout and detached outputs.

For a layer :math:`l` with spikes :math:`S_l[t]` (flattened to :math:`F_l` features) the local
readout is

.. math:: Y_l[t] = G_l\, \mathrm{dropout}(S_l[t]) + g_l, \qquad
          G_l, g_l \sim \mathcal{U}\!\left(-\frac{a}{\sqrt{F_l}}, \frac{a}{\sqrt{F_l}}\right)

with the readout amplitude :math:`a` (``lc_ampl``). :math:`G_l, g_l` are drawn once and never
trained (they are buffers, not parameters). The spikes passed to layer :math:`l+1` are
``S_l.detach()``: no gradient crosses layers, every layer learns from its own readout only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, NamedTuple

import torch

from ._neurons import conv_output_shape, make_core

__all__ = ["Conv", "DecolleLayer", "Dense", "FixedReadout", "LayerOutput"]


class FixedReadout(torch.nn.Module):
    """Fixed random linear readout ``(N, F, T) -> (N, K, T)`` (buffers, never trained).

    Parameters
    ----------
    in_features : int
        Fan-in :math:`F`.
    out_features : int
        Classes :math:`K`.
    lc_ampl : float
        Amplitude :math:`a`: weights and bias are uniform in :math:`\\pm a/\\sqrt{F}`.
    generator : torch.Generator, optional
        Random source (for reproducible readouts).
    """

    def __init__(self, in_features: int, out_features: int, *, lc_ampl: float = 0.5,
                 generator: torch.Generator | None = None) -> None:
        super().__init__()
        if in_features <= 0 or out_features <= 0:
            raise ValueError(f"readout sizes must be positive, got {in_features}->{out_features}")
        bound = float(lc_ampl) / math.sqrt(in_features)
        w = (torch.rand(out_features, in_features, generator=generator) * 2 - 1) * bound
        b = (torch.rand(out_features, generator=generator) * 2 - 1) * bound
        self.register_buffer("weight", w)
        self.register_buffer("bias", b)
        self.lc_ampl = float(lc_ampl)

    @property
    def in_features(self) -> int:  # noqa: D102
        return int(self.weight.shape[1])

    @property
    def out_features(self) -> int:  # noqa: D102
        return int(self.weight.shape[0])

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        """Readout ``(N, K, T)`` of spikes ``(N, ..., T)`` (flattened to ``(N, F, T)``)."""
        flat = s.reshape(s.shape[0], -1, s.shape[-1])
        if flat.shape[1] != self.in_features:
            raise ValueError(
                f"readout expects {self.in_features} features per step, got {flat.shape[1]} "
                f"(input shape {tuple(s.shape)})"
            )
        return torch.einsum("kf,nft->nkt", self.weight.to(flat.dtype), flat) + self.bias.to(
            flat.dtype)[None, :, None]


class LayerOutput(NamedTuple):
    """What a DECOLLE layer returns for one call.

    Attributes
    ----------
    spikes : torch.Tensor
        ``(N, *out_shape, T)`` spikes for the next layer, **detached** (and shifted by one step when
        the core has ``delay_shift``).
    readout : torch.Tensor
        ``(N, K, T)`` local readout (carries the gradient into this layer only).
    u : torch.Tensor
        ``(N, *out_shape, T)`` membrane potential relative to the threshold.
    """

    spikes: torch.Tensor
    readout: torch.Tensor
    u: torch.Tensor


class DecolleLayer(torch.nn.Module):
    """Base of the DECOLLE layers: core -> dropout -> fixed readout; detached output spikes.

    Subclasses set :attr:`hdf5_type` (export key ``"decolle/<hdf5_type>"`` in the
    ``lava.lib.dl.exporters`` entry-point group).
    """

    hdf5_namespace = "decolle"
    hdf5_type = ""

    def __init__(self, kind: str, in_shape: tuple[int, ...], out_shape: tuple[int, ...],
                 num_classes: int, *, neuron: str, neuron_params: Mapping[str, Any] | None,
                 weight_scale: float, delay_shift: bool, lc_ampl: float, dropout: float,
                 generator: torch.Generator | None, conv: Mapping[str, Any] | None = None) -> None:
        super().__init__()
        if not 0 <= dropout < 1:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        self.neuron = neuron
        self.in_shape = tuple(int(v) for v in in_shape)
        self.out_shape = tuple(int(v) for v in out_shape)
        self.core = make_core(neuron, kind, self.in_shape, self.out_shape,
                              neuron_params=neuron_params, weight_scale=weight_scale,
                              delay_shift=delay_shift, conv=conv)
        self.dropout = torch.nn.Dropout(dropout)
        self.readout = FixedReadout(math.prod(self.out_shape), int(num_classes), lc_ampl=lc_ampl,
                                    generator=generator)

    @property
    def export_key(self) -> str:
        """``"<hdf5_namespace>/<hdf5_type>"``."""
        return f"{self.hdf5_namespace}/{self.hdf5_type}"

    @property
    def num_classes(self) -> int:  # noqa: D102
        return self.readout.out_features

    def reset_state(self) -> None:
        """Reset the neuron state (call before every new sample batch)."""
        self.core.reset_state()

    def forward(self, x: torch.Tensor) -> LayerOutput:
        """Process input spikes ``(N, *in_shape, T)``.

        The input is detached first, so even a caller that passes non-detached spikes cannot
        make gradients cross into the previous layer.
        """
        if tuple(x.shape[1:-1]) != self.in_shape:
            raise ValueError(
                f"{type(self).__name__} expects input (N, {', '.join(map(str, self.in_shape))}, "
                f"T), got {tuple(x.shape)}"
            )
        s, shifted, u = self.core(x.detach())
        return LayerOutput(shifted.detach(), self.readout(self.dropout(s)), u)


class Dense(DecolleLayer):
    """Dense DECOLLE layer.

    Parameters
    ----------
    in_features, out_features : int
        Synapse sizes.
    num_classes : int
        Readout size.
    neuron : str
        ``'cuba'`` (slayer CUBA block, exportable) or ``'trace'`` (presynaptic-trace LIF of the
        paper), or a name registered with :func:`register_neuron_core`. Default ``'cuba'``.
    neuron_params : dict, optional
        Neuron parameters over the core's defaults.
    weight_scale : float
        Initial weight multiplier. Default 1.
    delay_shift : bool
        One-step inter-layer shift (CUBA only). Default True.
    lc_ampl : float
        Readout amplitude. Default 0.5.
    dropout : float
        Dropout probability before the readout. Default 0.5.
    generator : torch.Generator, optional
        Random source of the readout.
    """

    hdf5_type = "dense"

    def __init__(self, in_features: int, out_features: int, num_classes: int, *,
                 neuron: str = "cuba", neuron_params: Mapping[str, Any] | None = None,
                 weight_scale: float = 1.0, delay_shift: bool = True, lc_ampl: float = 0.5,
                 dropout: float = 0.5, generator: torch.Generator | None = None) -> None:
        super().__init__("dense", (int(in_features),), (int(out_features),), num_classes,
                         neuron=neuron, neuron_params=neuron_params, weight_scale=weight_scale,
                         delay_shift=delay_shift, lc_ampl=lc_ampl, dropout=dropout,
                         generator=generator)


class Conv(DecolleLayer):
    """2-D convolutional DECOLLE layer.

    Parameters
    ----------
    in_shape : tuple of int
        Input ``(C, H, W)``.
    out_channels : int
        Output channels.
    kernel_size, stride, padding : int or (int, int)
        Convolution geometry.
    num_classes : int
        Readout size.
    neuron, neuron_params, weight_scale, delay_shift, lc_ampl, dropout, generator
        As :class:`Dense`.
    """

    hdf5_type = "conv"

    def __init__(self, in_shape: tuple[int, int, int], out_channels: int,
                 kernel_size: int | tuple[int, int], num_classes: int, *,
                 stride: int | tuple[int, int] = 1, padding: int | tuple[int, int] = 0,
                 neuron: str = "cuba", neuron_params: Mapping[str, Any] | None = None,
                 weight_scale: float = 1.0, delay_shift: bool = True, lc_ampl: float = 0.5,
                 dropout: float = 0.5, generator: torch.Generator | None = None) -> None:
        if len(in_shape) != 3:
            raise ValueError(f"Conv in_shape must be (C, H, W), got {tuple(in_shape)}")
        out_shape = conv_output_shape(tuple(in_shape), out_channels, kernel_size, stride,
                                      padding)
        super().__init__("conv", tuple(in_shape), out_shape, num_classes, neuron=neuron,
                         neuron_params=neuron_params, weight_scale=weight_scale,
                         delay_shift=delay_shift, lc_ampl=lc_ampl, dropout=dropout,
                         generator=generator,
                         conv={"kernel_size": kernel_size, "stride": stride, "padding": padding})
