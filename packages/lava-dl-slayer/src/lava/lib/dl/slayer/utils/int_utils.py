r"""Integer arithmetic of the Loihi fixed-point emulation.

:func:`right_shift_to_zero` divides by :math:`2^b` rounding toward zero (a sign-magnitude shift):

.. math:: \operatorname{rtz}(x, b) = \operatorname{sign}(x)\,(|x| \gg b)

which differs from the arithmetic shift ``x >> b`` (rounding toward :math:`-\infty`) for negative
``x``. :class:`Q2Zero` truncates a float tensor toward zero with an identity gradient.
"""

from __future__ import annotations

import torch

from lava.lib.dl.core import fixed_point

__all__ = ["Q2Zero", "right_shift_to_zero"]

_INT_DTYPES = (torch.int32, torch.int64)


def right_shift_to_zero(x: torch.Tensor, bits: int) -> torch.Tensor:
    """Divide an integer tensor by ``2**bits``, truncating toward zero.

    Parameters
    ----------
    x : torch.Tensor
        int32 or int64 tensor, any shape.
    bits : int
        Number of bits to shift (>= 0).

    Returns
    -------
    torch.Tensor
        Same shape and dtype as ``x``.

    Raises
    ------
    TypeError
        If ``x`` is not an int32 or int64 tensor.
    """
    if not isinstance(x, torch.Tensor) or x.dtype not in _INT_DTYPES:
        got = x.dtype if isinstance(x, torch.Tensor) else type(x).__name__
        raise TypeError(
            f"right_shift_to_zero expects an int32 or int64 tensor, got {got}; "
            "convert with x.to(torch.int64) first"
        )
    if bits < 0:
        raise ValueError(f"right_shift_to_zero: bits must be >= 0, got {bits}")
    return fixed_point.right_shift_to_zero(x, bits)


class Q2Zero(torch.autograd.Function):
    """Truncate toward zero (through an int32 cast) with an identity gradient.

    ``Q2Zero.apply(x)`` returns a tensor of ``x``'s shape and dtype.
    """

    @staticmethod
    def forward(ctx, input):  # noqa: D102
        return input.to(torch.int32).to(input.dtype)

    @staticmethod
    def backward(ctx, grad_output):  # noqa: D102
        return grad_output
