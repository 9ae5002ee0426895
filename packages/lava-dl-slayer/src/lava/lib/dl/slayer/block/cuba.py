"""Blocks of the CUBA leaky integrate-and-fire family (``slayer.neuron.cuba``).

Each block is the abstract block of :mod:`.base` bound to :class:`~..neuron.cuba.Neuron`;
``neuron_params`` are that neuron's keyword arguments.
"""

from __future__ import annotations

import torch

from ..neuron import cuba as _neuron
from . import base

__all__ = [
    "Affine",
    "Average",
    "Conv",
    "ConvT",
    "Dense",
    "Flatten",
    "Input",
    "KWTA",
    "Pool",
    "Recurrent",
    "TimeDecimation",
    "Unpool",
]


def _readout(neuron: torch.nn.Module, z: torch.Tensor) -> torch.Tensor:
    """Voltage trace without reset (the Affine neuron has threshold -1)."""
    return neuron.dynamics(z)[1]


def _affine_setup(neuron: torch.nn.Module) -> None:
    # a negative threshold disables the reset in the CUBA dynamics (as in lava-dl 0.6)
    neuron._threshold = -1


FAMILY = base.Family(
    name="cuba", neuron_module=_neuron, readout=_readout, affine_setup=_affine_setup
)


class Input(base.AbstractInput):
    """Input block of the cuba family (see :class:`.base.AbstractInput`)."""

    family = FAMILY


class Flatten(base.AbstractFlatten):
    """Flatten block of the cuba family (see :class:`.base.AbstractFlatten`)."""

    family = FAMILY


class Average(base.AbstractAverage):
    """Average block of the cuba family (see :class:`.base.AbstractAverage`)."""

    family = FAMILY


class Affine(base.AbstractAffine):
    """Affine block of the cuba family (see :class:`.base.AbstractAffine`)."""

    family = FAMILY


class TimeDecimation(base.AbstractTimeDecimation):
    """TimeDecimation block of the cuba family (see :class:`.base.AbstractTimeDecimation`)."""

    family = FAMILY


class Dense(base.AbstractDense):
    """Dense block of the cuba family (see :class:`.base.AbstractDense`)."""

    family = FAMILY


class Conv(base.AbstractConv):
    """Conv block of the cuba family (see :class:`.base.AbstractConv`)."""

    family = FAMILY


class ConvT(base.AbstractConvT):
    """ConvT block of the cuba family (see :class:`.base.AbstractConvT`)."""

    family = FAMILY


class Pool(base.AbstractPool):
    """Pool block of the cuba family (see :class:`.base.AbstractPool`)."""

    family = FAMILY


class Unpool(base.AbstractUnpool):
    """Unpool block of the cuba family (see :class:`.base.AbstractUnpool`)."""

    family = FAMILY


class KWTA(base.AbstractKWTA):
    """KWTA block of the cuba family (see :class:`.base.AbstractKWTA`)."""

    family = FAMILY


class Recurrent(base.AbstractRecurrent):
    """Recurrent block of the cuba family (see :class:`.base.AbstractRecurrent`)."""

    family = FAMILY
