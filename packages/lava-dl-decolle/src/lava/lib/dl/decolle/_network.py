"""A DECOLLE network: a chain of DECOLLE layers, each with its local readout.

Spikes flow from layer to layer detached (a conv layer followed by a dense layer is flattened on
the way). :meth:`DecolleNetwork.export_hdf5` writes the deployable part (the spiking layers, and on
request the last layer's readout as an affine dense layer) through the ``lava.lib.dl.exporters``
entry points.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import torch

import lava.lib.dl.slayer as slayer
from lava.lib.dl import hdf5_spec
from lava.lib.dl.hdf5_spec.plugins import EXPORTERS_GROUP, PluginRegistry

from ._layers import Conv, DecolleLayer, Dense

__all__ = ["DecolleNetwork", "NetworkOutput", "ReadoutExport", "exporters"]

_REGISTRY: PluginRegistry | None = None


def exporters() -> PluginRegistry:
    """The exporter registry (entry-point group ``lava.lib.dl.exporters``)."""
    global _REGISTRY
    if _REGISTRY is None:
        _REGISTRY = PluginRegistry(EXPORTERS_GROUP, what="exporter")
    return _REGISTRY


class NetworkOutput(NamedTuple):
    """Output of :meth:`DecolleNetwork.forward`.

    Attributes
    ----------
    spikes : torch.Tensor
        Last layer's (detached) spikes ``(N, *out_shape, T)``.
    readouts : list of torch.Tensor
        Per layer ``(N, K, T)``.
    potentials : list of torch.Tensor
        Per layer potential relative to threshold ``(N, *shape, T)``.
    """

    spikes: torch.Tensor
    readouts: list[torch.Tensor]
    potentials: list[torch.Tensor]


class ReadoutExport:
    """Export handle of a fixed readout (key ``"decolle/readout"``): an affine dense layer."""

    export_key = "decolle/readout"

    def __init__(self, layer: DecolleLayer) -> None:
        self.readout = layer.readout


class DecolleNetwork(torch.nn.Module):
    """A chain of DECOLLE layers.

    Parameters
    ----------
    layers : sequence of DecolleLayer
        In order; each layer's input shape must equal the previous output shape (or its size,
        for a dense layer after a conv layer: the spikes are flattened).

    Examples
    --------
    >>> net = DecolleNetwork.dense([64, 32, 16], num_classes=10)
    >>> out = net(torch.zeros(2, 64, 5))
    >>> [tuple(r.shape) for r in out.readouts]
    [(2, 10, 5), (2, 10, 5)]
    """

    def __init__(self, layers: Sequence[DecolleLayer]) -> None:
        super().__init__()
        layers = list(layers)
        if not layers:
            raise ValueError("a DECOLLE network needs at least one layer")
        for i, layer in enumerate(layers):
            if not isinstance(layer, DecolleLayer):
                raise TypeError(f"layer {i} is a {type(layer).__name__}, not a DecolleLayer")
        self._flatten = [False]
        for i, (prev, nxt) in enumerate(zip(layers[:-1], layers[1:], strict=True)):
            if prev.out_shape == nxt.in_shape:
                self._flatten.append(False)
            elif len(nxt.in_shape) == 1 and math.prod(prev.out_shape) == nxt.in_shape[0]:
                self._flatten.append(True)
            else:
                raise ValueError(
                    f"layer {i} outputs {prev.out_shape} but layer {i + 1} expects "
                    f"{nxt.in_shape}: make the sizes match"
                )
        self.layers = torch.nn.ModuleList(layers)
        if len({layer.num_classes for layer in layers}) != 1:
            raise ValueError("every layer's readout must have the same number of classes")

    # ------------------------------------------------------------------ construction
    @classmethod
    def dense(cls, sizes: Sequence[int], num_classes: int, *, seed: int | None = None,
              **layer_kwargs: Any) -> DecolleNetwork:
        """A stack of :class:`Dense` layers ``sizes[0] -> sizes[1] -> ...``.

        ``seed`` seeds the readouts; ``layer_kwargs`` go to every layer.
        """
        if len(sizes) < 2:
            raise ValueError(f"sizes needs the input size and at least one layer, got {sizes}")
        gen = None if seed is None else torch.Generator().manual_seed(int(seed))
        return cls([Dense(a, b, num_classes, generator=gen, **layer_kwargs)
                    for a, b in zip(sizes[:-1], sizes[1:], strict=True)])

    @classmethod
    def conv_dense(cls, in_shape: tuple[int, int, int], conv: Sequence[Mapping[str, Any]],
                   dense: Sequence[int], num_classes: int, *, seed: int | None = None,
                   **layer_kwargs: Any) -> DecolleNetwork:
        """Conv layers (``dict(out_channels=, kernel_size=, stride=, padding=)``) then dense.

        ``seed`` seeds the readouts; ``layer_kwargs`` go to every layer.
        """
        gen = None if seed is None else torch.Generator().manual_seed(int(seed))
        layers: list[DecolleLayer] = []
        shape: tuple[int, ...] = tuple(in_shape)
        for spec in conv:
            layer = Conv(shape, num_classes=num_classes, generator=gen,  # type: ignore[arg-type]
                         **{**layer_kwargs, **dict(spec)})
            layers.append(layer)
            shape = layer.out_shape
        size = math.prod(shape)
        for width in dense:
            layers.append(Dense(size, width, num_classes, generator=gen, **layer_kwargs))
            size = width
        return cls(layers)

    # ------------------------------------------------------------------ running
    @property
    def input_shape(self) -> tuple[int, ...]:
        """Input neuron shape of the first layer."""
        return self.layers[0].in_shape

    @property
    def num_classes(self) -> int:  # noqa: D102
        return self.layers[0].num_classes

    def reset_state(self) -> None:
        """Reset every layer's state (before each new sample batch)."""
        for layer in self.layers:
            layer.reset_state()

    def forward(self, x: torch.Tensor) -> NetworkOutput:
        """Run input spikes ``(N, *input_shape, T)`` (continuing from the current state)."""
        readouts, potentials = [], []
        for layer, flatten in zip(self.layers, self._flatten, strict=True):
            if flatten:
                x = x.reshape(x.shape[0], -1, x.shape[-1])
            out = layer(x)
            x = out.spikes
            readouts.append(out.readout)
            potentials.append(out.u)
        return NetworkOutput(x, readouts, potentials)

    # ------------------------------------------------------------------ export
    def export_blocks(self, *, readouts: bool = False) -> list[Any]:
        """The objects written by :meth:`export_hdf5`, each with an ``export_key``."""
        blocks: list[Any] = []
        for layer, flatten in zip(self.layers, self._flatten, strict=True):
            if flatten:
                blocks.append(slayer.block.cuba.Flatten())
            blocks.append(layer)
        if readouts:
            last = self.layers[-1]
            if len(last.out_shape) > 1:
                blocks.append(slayer.block.cuba.Flatten())
            blocks.append(ReadoutExport(last))
        return blocks

    def network_description(self, *, readouts: bool = False) -> hdf5_spec.NetworkDescription:
        """The deployable network as a :class:`lava.lib.dl.hdf5_spec.NetworkDescription`.

        Parameters
        ----------
        readouts : bool
            Append the last layer's fixed readout as an affine dense layer (a CUBA neuron that
            never fires; its voltage is the readout). Default False: spiking layers only.

        Raises
        ------
        NotImplementedError
            A layer's neuron has no exporter (the ``'trace'`` neuron).
        """
        shape: tuple[int, ...] = self.input_shape
        layers = []
        for block in self.export_blocks(readouts=readouts):
            layer = exporters().get(block.export_key)(block, input_shape=shape)
            layers.append(layer)
            shape = tuple(layer.shape)
        return hdf5_spec.NetworkDescription(layers=layers)

    def export_hdf5(self, filename: Any, *, readouts: bool = False
                    ) -> hdf5_spec.NetworkDescription:
        """Write the deployable network as a format-1.x hdf5 file; returns what was written.

        See :meth:`network_description` for ``readouts``.
        """
        desc = self.network_description(readouts=readouts)
        hdf5_spec.write(desc, filename)
        return desc
