"""Exporters of DECOLLE layers, registered in the ``lava.lib.dl.exporters`` entry-point group.

Keys (``pyproject.toml``): ``decolle/dense`` and ``decolle/conv`` (the spiking core of a layer,
written as the standard ``dense`` / ``conv`` layer of its slayer block, so netx runs it without a
plugin) and ``decolle/readout`` (a fixed readout as an affine ``dense`` layer: CUBA neuron with full
current and voltage decay, i.e. voltage = ``W s + b`` every step, that never fires). Only public
slayer and hdf5-spec API is used.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

import lava.lib.dl.slayer as slayer

from ._network import exporters

__all__ = ["READOUT_NEURON", "export_layer", "export_readout"]

#: CUBA parameters of the exported readout neuron: no memory, so voltage[t] = W s[t] + b.
READOUT_NEURON: dict[str, float] = {"threshold": 1.0, "current_decay": 1.0, "voltage_decay": 1.0}


def export_layer(layer: Any, *, input_shape: tuple[int, ...] | None = None) -> Any:
    """The spiking core of a DECOLLE layer as an :class:`lava.lib.dl.hdf5_spec.Layer`.

    Raises
    ------
    NotImplementedError
        The layer's core is not a slayer block (e.g. ``neuron='trace'``).
    """
    block = getattr(layer.core, "block", None)
    if block is None or not hasattr(block, "export_key"):
        raise NotImplementedError(
            f"{type(layer).__name__} with neuron={layer.neuron!r} cannot be exported: no netx "
            "neuron implements it; train with neuron='cuba' to deploy"
        )
    return exporters().get(block.export_key)(block, input_shape=input_shape or layer.in_shape)


def export_readout(handle: Any, *, input_shape: tuple[int, ...] | None = None) -> Any:
    """A fixed readout (``ReadoutExport``) as an affine dense layer with bias.

    Weights and bias are quantized by slayer's default 8-bit weight hook (mantissas at the
    neuron's weight scale), so the exported readout is an approximation of the float readout.
    """
    readout = handle.readout
    affine = slayer.block.cuba.Affine(dict(READOUT_NEURON), readout.in_features,
                                      readout.out_features)
    with torch.no_grad():
        affine.synapse.weight.copy_(
            readout.weight.reshape(affine.synapse.weight.shape).to(affine.synapse.weight.dtype)
        )
    layer = exporters().get(affine.export_key)(affine, input_shape=input_shape)
    scale = float(affine.neuron.scale)
    layer.bias = np.round(readout.bias.detach().cpu().numpy() * scale).astype(np.float32)
    return layer
