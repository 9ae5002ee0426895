"""Blocks of the adaptive resonate-and-fire Izhikevich family (``slayer.neuron.adrf_iz``).

Each block is the abstract block of :mod:`.base` bound to :class:`~..neuron.adrf_iz.Neuron`;
``neuron_params`` are that neuron's keyword arguments. Synapses are complex (real, imaginary) pairs.
"""

from __future__ import annotations

from ..neuron import adrf_iz as _neuron
from . import base

__all__ = [
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

FAMILY = base.Family(name="adrf_iz", neuron_module=_neuron, complex=True)


class Input(base.AbstractInput):
    """Input block of the adrf_iz family (see :class:`.base.AbstractInput`)."""

    family = FAMILY


class Flatten(base.AbstractFlatten):
    """Flatten block of the adrf_iz family (see :class:`.base.AbstractFlatten`)."""

    family = FAMILY


class Average(base.AbstractAverage):
    """Average block of the adrf_iz family (see :class:`.base.AbstractAverage`)."""

    family = FAMILY


class TimeDecimation(base.AbstractTimeDecimation):
    """TimeDecimation block of the adrf_iz family (see :class:`.base.AbstractTimeDecimation`)."""

    family = FAMILY


class Dense(base.AbstractDense):
    """Dense block of the adrf_iz family (see :class:`.base.AbstractDense`)."""

    family = FAMILY


class Conv(base.AbstractConv):
    """Conv block of the adrf_iz family (see :class:`.base.AbstractConv`)."""

    family = FAMILY


class ConvT(base.AbstractConvT):
    """ConvT block of the adrf_iz family (see :class:`.base.AbstractConvT`)."""

    family = FAMILY


class Pool(base.AbstractPool):
    """Pool block of the adrf_iz family (see :class:`.base.AbstractPool`)."""

    family = FAMILY


class Unpool(base.AbstractUnpool):
    """Unpool block of the adrf_iz family (see :class:`.base.AbstractUnpool`)."""

    family = FAMILY
