r"""DECOLLE: deep continuous local learning for spiking networks (Kaiser, Mostafa, Neftci 2020).

Every layer has a fixed random readout to the classes and its own loss; the spikes it passes on
are detached, so no gradient crosses layers and learning can run online, every time step. Built
only on the public slayer API; exporters are registered in the ``lava.lib.dl.exporters``
entry-point group (keys ``decolle/dense``, ``decolle/conv``, ``decolle/readout``).

Public API
----------
Layers: :class:`Dense`, :class:`Conv` (``neuron='cuba'`` slayer blocks, or ``'trace'``: the
paper's presynaptic-trace LIF), :class:`FixedReadout`; network: :class:`DecolleNetwork`; loss:
:class:`DecolleLoss`, :func:`regularizer`; training: :class:`DecolleAssistant`; neuron registry:
:data:`NEURON_CORES`, :func:`register_neuron_core`; helpers in :mod:`.testing`.
"""

from ._assistant import MODES, DecolleAssistant, LayerStats
from ._layers import Conv, DecolleLayer, Dense, FixedReadout, LayerOutput
from ._loss import LAYER_LOSSES, DecolleLoss, LossValue, regularizer
from ._network import DecolleNetwork, NetworkOutput, ReadoutExport
from ._neurons import (
    CUBA_DEFAULTS,
    NEURON_CORES,
    TRACE_DEFAULTS,
    CubaCore,
    FastSigmoidSpike,
    TraceCore,
    register_neuron_core,
)
from ._version import __version__

__all__ = [
    "CUBA_DEFAULTS",
    "LAYER_LOSSES",
    "MODES",
    "NEURON_CORES",
    "TRACE_DEFAULTS",
    "Conv",
    "CubaCore",
    "DecolleAssistant",
    "DecolleLayer",
    "DecolleLoss",
    "DecolleNetwork",
    "Dense",
    "FastSigmoidSpike",
    "FixedReadout",
    "LayerOutput",
    "LayerStats",
    "LossValue",
    "NetworkOutput",
    "ReadoutExport",
    "TraceCore",
    "__version__",
    "register_neuron_core",
    "regularizer",
]
