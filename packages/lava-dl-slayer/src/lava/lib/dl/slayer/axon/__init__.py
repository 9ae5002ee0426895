"""Axon modules: fixed :func:`delay`, learnable :class:`Delay`, and the :class:`Delta` encoder."""

from ._delay import Delay, delay
from ._delta import Delta

__all__ = ["Delay", "Delta", "delay"]
