"""Bootstrap training schedule: :class:`Mode`, :class:`LayerMode`, :class:`Scheduler`."""

from ._routine import LayerMode, Mode, Scheduler

__all__ = ["LayerMode", "Mode", "Scheduler"]
