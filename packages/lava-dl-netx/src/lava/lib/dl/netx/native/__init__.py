"""Native netx runtime: the Lava fixed-point network semantics in vectorised numpy.

No lava, no torch: runs on any Python >= 3.10. Batch first, time last, file (slayer) order
``(C, H, W)``; see :mod:`._network` for the layout and :mod:`lava.lib.dl.netx._plan` for the
arithmetic.
"""

from ._network import Layer, Network, from_lava_layout, to_lava_layout
from ._neurons import NEURON_MODELS, NeuronModel, register_neuron_model
from ._ops import conv2d, conv_transpose2d, matmul_exact
from ._synapses import SYNAPSE_MODELS, DelayLine, SynapseModel, register_synapse_model

__all__ = [
    "NEURON_MODELS",
    "SYNAPSE_MODELS",
    "DelayLine",
    "Layer",
    "Network",
    "NeuronModel",
    "SynapseModel",
    "conv2d",
    "conv_transpose2d",
    "from_lava_layout",
    "matmul_exact",
    "register_neuron_model",
    "register_synapse_model",
    "to_lava_layout",
]
