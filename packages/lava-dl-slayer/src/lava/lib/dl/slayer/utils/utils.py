"""Small helpers: attribute dictionaries, class properties, band masks and event rates."""

from __future__ import annotations

from typing import Any

import torch

__all__ = ["diagonal_mask", "dotdict", "event_rate", "staticproperty"]


class dotdict(dict):  # noqa: N801 - lava-dl name
    """A ``dict`` whose items are also attributes (``d.key`` is ``d['key']``)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"dotdict has no key {name!r}") from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def __delattr__(self, name: str) -> None:
        try:
            del self[name]
        except KeyError:
            raise AttributeError(f"dotdict has no key {name!r}") from None


class staticproperty(property):  # noqa: N801 - lava-dl name
    """A read-only property evaluated on the class (``Cls.name`` calls the getter with no args)."""

    def __get__(self, owner_self: Any, owner_cls: type | None = None) -> Any:
        return self.fget()


def diagonal_mask(dim: int, num_diagonals: int) -> torch.Tensor:
    """Band matrix of ones with ``num_diagonals // 2`` diagonals on each side of the main one.

    Parameters
    ----------
    dim : int
        Size of the square matrix.
    num_diagonals : int
        Width of the band (>= 1); ``num_diagonals // 2`` diagonals are set on each side.

    Returns
    -------
    torch.Tensor
        ``(dim, dim)`` float tensor of zeros and ones.
    """
    if num_diagonals < 1:
        raise ValueError(f"diagonal_mask: num_diagonals must be >= 1, got {num_diagonals}")
    half = num_diagonals // 2
    idx = torch.arange(dim)
    return ((idx[:, None] - idx[None, :]).abs() <= half).float()


def event_rate(x: torch.Tensor) -> float:
    """Fraction of nonzero entries; the first time step is excluded when ``T > 1``.

    Parameters
    ----------
    x : torch.Tensor
        ``(..., T)`` event tensor.

    Returns
    -------
    float
        Mean of ``|x| > 0`` over all entries (time steps ``1..T-1`` if ``T > 1``).
    """
    if x.shape[-1] > 1:
        x = x[..., 1:]
    return (x.abs() > 0).float().mean().item()
