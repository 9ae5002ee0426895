"""netx blocks (Lava backend): hierarchical processes of a synapse and a neuron population.

Needs lava-nc 0.10 (Python 3.10): ``pip install "lava-dl-netx[lava]"``.
"""

from lava.lib.dl.netx.utils import require_lava as _require_lava

_require_lava("lava.lib.dl.netx.blocks")

from lava.lib.dl.netx.blocks import models  # noqa: E402,F401 - registers the block models
from lava.lib.dl.netx.blocks.process import (  # noqa: E402
    AbstractBlock,
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

__all__ = [
    "AbstractBlock",
    "Average",
    "ComplexConv",
    "Concat",
    "ComplexDense",
    "ComplexInput",
    "Conv",
    "ConvT",
    "Dense",
    "Input",
    "Pool",
    "RecurrentDense",
    "TimeDecimation",
    "Unpool",
    "models",
]
