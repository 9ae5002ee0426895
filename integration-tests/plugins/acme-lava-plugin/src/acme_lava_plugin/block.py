"""Training side: the :class:`GainDense` block (public re-export)."""

from ._block import GainDense

__all__ = ["GainDense"]
