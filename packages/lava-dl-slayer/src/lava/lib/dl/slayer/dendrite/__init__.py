"""Dendrite modules: :class:`Sigma` (the sigma decoder of sigma-delta networks)."""

from ._sigma import Sigma

__all__ = ["Sigma"]
