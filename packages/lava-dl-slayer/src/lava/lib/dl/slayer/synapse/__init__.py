"""Synapses: weighted connections applied independently at every time step.

Real synapses (:class:`Dense`, :class:`Conv`, :class:`Pool`, :class:`ConvTranspose`,
:class:`Unpool`) live in :mod:`.layer`; their complex (real, imaginary) pairs, used by the
resonate-and-fire families, in :mod:`.complex`.
"""

from __future__ import annotations

from . import complex, layer
from .layer import Conv, ConvTranspose, Dense, GenericLayer, Pool, Unpool

__all__ = [
    "Conv",
    "ConvTranspose",
    "Dense",
    "GenericLayer",
    "Pool",
    "Unpool",
    "complex",
    "layer",
]
