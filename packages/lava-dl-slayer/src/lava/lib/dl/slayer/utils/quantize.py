r"""Quantization with a straight-through gradient.

For a step :math:`\Delta` the quantizer computes

.. math::

    q(x) = \Delta \cdot \operatorname{round}(x / \Delta) \quad (\text{ROUND, half to even})
    \qquad q(x) = \Delta \cdot \lfloor x / \Delta \rfloor \quad (\text{FLOOR})

and passes the gradient through unchanged (:math:`\partial q / \partial x = 1`); ``step`` gets no
gradient.

:func:`quantize_hook_fx` is the synapse pre-hook used by lava-dl's YOLO models: even mantissas at
``scale`` clamped to ``[-2^{b+1}, 2^{b+1} - 2]``, i.e. ``[-512, 510]`` for ``num_bits=8`` (twice the
range of :meth:`lava.lib.dl.slayer.neuron.base.Neuron.quantize_8bit`; kept for compatibility with
the pretrained models, spec §15 #48).
"""

from __future__ import annotations

import sys
import types
from enum import IntEnum
from typing import Any

import torch

from lava.lib.dl.core import fixed_point

__all__ = ["MODE", "QUANTIZE_MODE", "quantize", "quantize_hook_fx"]


class MODE(IntEnum):
    """Rounding mode of :func:`quantize`."""

    ROUND = 0
    FLOOR = 1


QUANTIZE_MODE = MODE

_MODE_NAMES = {MODE.ROUND: "round", MODE.FLOOR: "floor"}


def quantize(input: torch.Tensor, step: float | torch.Tensor = 1, mode: MODE = MODE.ROUND):
    """Quantize ``input`` to multiples of ``step`` with a straight-through gradient.

    Parameters
    ----------
    input : torch.Tensor
        Any shape.
    step : float or torch.Tensor
        Quantization step (broadcastable to ``input``). Default 1.
    mode : MODE
        ``MODE.ROUND`` (round half to even, as ``torch.round``) or ``MODE.FLOOR``.

    Returns
    -------
    torch.Tensor
        Same shape as ``input``.

    Raises
    ------
    ValueError
        For an unknown ``mode``.
    """
    try:
        mode = MODE(mode)
    except ValueError:
        raise ValueError(
            f"quantize: unknown mode {mode!r}; use QUANTIZE_MODE.ROUND or QUANTIZE_MODE.FLOOR"
        ) from None
    return fixed_point.quantize(input, step, mode=_MODE_NAMES[mode])


def quantize_hook_fx(
    x: torch.Tensor, scale: int = 64, num_bits: int = 8, descale: bool = False
) -> torch.Tensor:
    """Weight pre-hook: even mantissas at ``scale``, clamped to ``[-2^(b+1), 2^(b+1) - 2]``.

    Parameters
    ----------
    x : torch.Tensor
        Weights (any shape).
    scale : int
        Weight scale (a weight of 1.0 is mantissa ``scale``). Default 64.
    num_bits : int
        Number of bits; the mantissa range is ``[-2 * 2**num_bits, 2 * (2**num_bits - 1)]``.
    descale : bool
        Return the integer mantissas (``q * scale``) instead of the float weights.

    Returns
    -------
    torch.Tensor
        Same shape as ``x``.
    """
    return fixed_point.quantize_hook(x, scale, num_bits, descale=descale)


class _CallableModule(types.ModuleType):
    """``slayer.utils.quantize`` is both this module and (in lava-dl 0.6) the function.

    Calling the module calls :func:`quantize`, so ``slayer.utils.quantize(x, step)`` works
    whichever of the two the package attribute resolves to.
    """

    def __call__(self, *args: Any, **kwargs: Any) -> torch.Tensor:
        return quantize(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
