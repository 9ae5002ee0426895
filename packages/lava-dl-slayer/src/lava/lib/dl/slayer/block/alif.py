"""Blocks of the adaptive leaky integrate-and-fire (ALIF) family (``slayer.neuron.alif``).

Each block is the abstract block of :mod:`.base` bound to :class:`~..neuron.alif.Neuron`;
``neuron_params`` are that neuron's keyword arguments.
"""

from __future__ import annotations

from ..neuron import alif as _neuron
from . import base

__all__ = [
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

FAMILY = base.Family(name="alif", neuron_module=_neuron)


class Input(base.AbstractInput):
    """Input block of the alif family (see :class:`.base.AbstractInput`)."""

    family = FAMILY


class Flatten(base.AbstractFlatten):
    """Flatten block of the alif family (see :class:`.base.AbstractFlatten`)."""

    family = FAMILY


class Average(base.AbstractAverage):
    """Average block of the alif family (see :class:`.base.AbstractAverage`)."""

    family = FAMILY


class TimeDecimation(base.AbstractTimeDecimation):
    """TimeDecimation block of the alif family (see :class:`.base.AbstractTimeDecimation`)."""

    family = FAMILY


class Dense(base.AbstractDense):
    """Dense block of the alif family (see :class:`.base.AbstractDense`)."""

    family = FAMILY


class Conv(base.AbstractConv):
    """Conv block of the alif family (see :class:`.base.AbstractConv`)."""

    family = FAMILY


class ConvT(base.AbstractConvT):
    """ConvT block of the alif family (see :class:`.base.AbstractConvT`)."""

    family = FAMILY


class Pool(base.AbstractPool):
    """Pool block of the alif family (see :class:`.base.AbstractPool`)."""

    family = FAMILY


class Unpool(base.AbstractUnpool):
    """Unpool block of the alif family (see :class:`.base.AbstractUnpool`)."""

    family = FAMILY


class KWTA(base.AbstractKWTA):
    """KWTA block of the alif family (see :class:`.base.AbstractKWTA`)."""

    family = FAMILY


class Recurrent(base.AbstractRecurrent):
    """Recurrent block of the alif family (see :class:`.base.AbstractRecurrent`)."""

    family = FAMILY
