"""Sub-process models of the netx blocks (fixed point).

A block's model only exposes the sub-processes the block built in its constructor (``neuron``,
``synapse``, ...), so that a block can also be run on its own (``block.run(...)``); inside a
:class:`~lava.lib.dl.netx.hdf5.Network` the blocks are expanded the same way.
"""

from __future__ import annotations

import typing as ty

from lava.lib.dl.netx.blocks.process import (
    Average,
    ComplexConv,
    ComplexDense,
    ComplexInput,
    Concat,
    Conv,
    ConvT,
    Dense,
    Input,
    Pool,
    RecurrentDense,
    TimeDecimation,
    Unpool,
)
from lava.magma.core.decorator import implements, tag
from lava.magma.core.model.sub.model import AbstractSubProcessModel
from lava.magma.core.process.process import AbstractProcess
from lava.magma.core.sync.protocols.loihi_protocol import LoihiProtocol

__all__ = ["AbstractPyBlockModel"]


class AbstractPyBlockModel(AbstractSubProcessModel):
    """Expose the sub-processes the block built (each once) as attributes of the model."""

    #: Attribute names of block sub-processes.
    SUB_PROCESSES = ("neuron", "synapse", "synapse_rec", "real_synapse", "imag_synapse")

    def __init__(self, proc: AbstractProcess) -> None:
        seen: set[int] = set()
        for name in self.SUB_PROCESSES:
            value = getattr(proc, name, None)
            if isinstance(value, AbstractProcess) and id(value) not in seen:
                seen.add(id(value))
                setattr(self, name, value)


def _model_for(block: type) -> type:
    cls: ty.Any = type(f"Py{block.__name__}Model", (AbstractPyBlockModel,),
                       {"__module__": __name__,
                        "__doc__": f"Sub-process model of :class:`{block.__name__}`."})
    cls = tag("fixed_pt", "bit_accurate_loihi")(cls)
    return implements(proc=block, protocol=LoihiProtocol)(cls)


PyInputModel = _model_for(Input)
PyComplexInputModel = _model_for(ComplexInput)
PyDenseModel = _model_for(Dense)
PyRecurrentDenseModel = _model_for(RecurrentDense)
PyComplexDenseModel = _model_for(ComplexDense)
PyConvModel = _model_for(Conv)
PyPoolModel = _model_for(Pool)
PyComplexConvModel = _model_for(ComplexConv)
PyConvTModel = _model_for(ConvT)
PyUnpoolModel = _model_for(Unpool)
PyAverageModel = _model_for(Average)
PyTimeDecimationModel = _model_for(TimeDecimation)
PyConcatModel = _model_for(Concat)
