"""Bootstrap: ANN-accelerated training of rate-coded spiking networks.

Submodules: :mod:`.routine` (:class:`Mode`, ``LayerMode``, ``Scheduler``), :mod:`.ann_sampler`
(``AnnSampler``), :mod:`.block` (``block.cuba.Input/Flatten/Affine/Dense/Conv/Pool``) and
:mod:`.testing` (a small trained network for tests).
"""

from . import ann_sampler, block, routine
from ._routine import Mode
from ._version import __version__

__all__ = ["Mode", "__version__", "ann_sampler", "block", "routine"]
