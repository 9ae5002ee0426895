"""Blocks of the resonate-and-fire (phase threshold) family (``slayer.neuron.rf``).

Each block is the abstract block of :mod:`.base` bound to :class:`~..neuron.rf.Neuron`;
``neuron_params`` are that neuron's keyword arguments. Synapses are complex (real, imaginary) pairs.
"""

from __future__ import annotations

import torch

from ..neuron import rf as _neuron
from . import base

__all__ = [
    "Affine",
    "Average",
    "Conv",
    "ConvT",
    "Dense",
    "Flatten",
    "Input",
    "Pool",
    "TimeDecimation",
    "Unpool",
]


def _readout(neuron: torch.nn.Module, z: tuple) -> torch.Tensor:
    """Imaginary state trace (the phase-threshold resonator never resets)."""
    return neuron.dynamics(z)[1]


FAMILY = base.Family(name="rf", neuron_module=_neuron, complex=True, readout=_readout)


class Input(base.AbstractInput):
    """Input block of the rf family (see :class:`.base.AbstractInput`)."""

    family = FAMILY


class Flatten(base.AbstractFlatten):
    """Flatten block of the rf family (see :class:`.base.AbstractFlatten`)."""

    family = FAMILY


class Average(base.AbstractAverage):
    """Average block of the rf family (see :class:`.base.AbstractAverage`)."""

    family = FAMILY


class Affine(base.AbstractAffine):
    """Affine block of the rf family (see :class:`.base.AbstractAffine`)."""

    family = FAMILY


class TimeDecimation(base.AbstractTimeDecimation):
    """TimeDecimation block of the rf family (see :class:`.base.AbstractTimeDecimation`)."""

    family = FAMILY


class Dense(base.AbstractDense):
    """Dense block of the rf family (see :class:`.base.AbstractDense`)."""

    family = FAMILY


class Conv(base.AbstractConv):
    """Conv block of the rf family (see :class:`.base.AbstractConv`)."""

    family = FAMILY


class ConvT(base.AbstractConvT):
    """ConvT block of the rf family (see :class:`.base.AbstractConvT`)."""

    family = FAMILY


class Pool(base.AbstractPool):
    """Pool block of the rf family (see :class:`.base.AbstractPool`)."""

    family = FAMILY


class Unpool(base.AbstractUnpool):
    """Unpool block of the rf family (see :class:`.base.AbstractUnpool`)."""

    family = FAMILY
