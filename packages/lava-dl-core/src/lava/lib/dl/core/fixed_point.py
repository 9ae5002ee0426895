r"""Fixed-point conventions of lava-dl and Loihi: scales, quantization, shifts.

The fixed-point contract
------------------------
Every neuron dynamic in :mod:`lava.lib.dl.core.dynamics` runs **integer** recurrences that
emulate Loihi's arithmetic, while taking and returning float tensors:

* **Scales.** A weight of 1.0 is the mantissa ``w_scale`` (:data:`W_SCALE` = 64) on hardware;
  a state value ``v`` is the integer ``V = trunc(v * s_scale)`` with ``s_scale`` = ``w_scale *
  64`` (:data:`S_SCALE` = 4096); decays are integers in units of ``1/p_scale``
  (:data:`P_SCALE` = 4096), i.e. a decay ``d`` means a fraction ``d/4096`` of the state is lost
  per step (``0``: perfect integrator, ``4096``: no memory).
* **Entering the integer domain** truncates toward zero: ``V = trunc(x * s_scale)``, the product
  computed in the input's float dtype (:func:`to_fixed`).
* **Decay** multiplies in int64 and truncates toward zero (a sign-magnitude right shift,
  :func:`right_shift_to_zero`):

  .. math:: V_t = \operatorname{rtz}\!\left(\frac{V_{t-1}\,(4096 - d)}{4096}\right) + X_t

* **Thresholds** compare integers. A spike (and the reset of a leaky integrator) happens iff
  ``V > vth`` strictly, with ``vth = trunc(theta * w_scale) * (s_scale / w_scale)`` the
  quantized threshold (:func:`quantize_threshold`). lava-dl expresses this as ``v >= theta +
  0.01 / s_scale`` in float; the integer form is identical.
* **Leaving the integer domain**: ``v = V / s_scale`` in float (exact below 2**24 in float32), so
  every state trace is an exact multiple of ``1/s_scale``.
* **Weights** are quantized to 8-bit even mantissas (:func:`quantize_8bit`): step ``2/w_scale``,
  range ``[-256, 254] / w_scale``.

Gradients of every quantizer are straight-through (identity), so training sees the linear
dynamics and the forward pass sees the hardware's integers.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

__all__ = [
    "W_SCALE",
    "P_SCALE",
    "S_SCALE",
    "QUANTIZE_MODES",
    "quantize",
    "right_shift_to_zero",
    "quantize_8bit",
    "quantize_hook",
    "quantize_threshold",
    "to_fixed",
    "from_fixed",
]

#: Weight scale: mantissa of a unit weight.
W_SCALE: int = 1 << 6
#: Parameter (decay) scale: decays are integers in units of ``1/P_SCALE``.
P_SCALE: int = 1 << 12
#: State scale: ``W_SCALE * 64``; states are integers in units of ``1/S_SCALE``.
S_SCALE: int = W_SCALE << 6


def _round(x: torch.Tensor) -> torch.Tensor:
    return torch.round(x)


#: Registry of rounding modes of :func:`quantize` (name -> elementwise rounding).
QUANTIZE_MODES: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "round": _round,  # round half to even, as torch.round
    "floor": torch.floor,
}


class _Quantize(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, step, rounding):
        return rounding(x / step) * step

    @staticmethod
    def backward(ctx, grad):
        return grad, None, None


def quantize(x: torch.Tensor, step: float = 1.0, *, mode: str = "round") -> torch.Tensor:
    """Quantize to multiples of ``step`` with a straight-through gradient.

    Parameters
    ----------
    x : Tensor (any shape)
        Values to quantize.
    step : float, optional
        Quantization step (> 0).
    mode : {"round", "floor"}, keyword-only
        ``round``: ``round(x / step) * step`` (half to even); ``floor``: ``floor(x/step)*step``.

    Returns
    -------
    Tensor
        Same shape and dtype as ``x``; its gradient is passed unchanged to ``x``.
    """
    try:
        rounding = QUANTIZE_MODES[mode]
    except KeyError:
        raise ValueError(
            f"unknown quantize mode {mode!r}; choose one of {sorted(QUANTIZE_MODES)}"
        ) from None
    if not step > 0:
        raise ValueError(f"quantize step must be > 0, got {step}")
    return _Quantize.apply(x, step, rounding)


def right_shift_to_zero(x: torch.Tensor, bits: int) -> torch.Tensor:
    """Divide an integer tensor by ``2**bits``, truncating toward zero.

    Parameters
    ----------
    x : Tensor of int32 or int64
    bits : int
        Shift (>= 0).

    Returns
    -------
    Tensor
        ``sign(x) * (|x| >> bits)``, same dtype as ``x``.
    """
    if x.dtype not in (torch.int32, torch.int64):
        raise TypeError(
            f"right_shift_to_zero needs an int32 or int64 tensor, got {x.dtype}; "
            "convert with .to(torch.int64) first"
        )
    return torch.where(x < 0, -((-x) >> bits), x >> bits)


def quantize_8bit(
    weight: torch.Tensor, w_scale: int = W_SCALE, *, descale: bool = False
) -> torch.Tensor:
    """8-bit weight quantization of Loihi: even mantissas in ``[-256, 254]``.

    Parameters
    ----------
    weight : Tensor
        Float weights (1.0 = mantissa ``w_scale``).
    w_scale : int, optional
        Weight scale.
    descale : bool, keyword-only
        Return the integer-valued mantissas (``* w_scale``) instead of weights.

    Returns
    -------
    Tensor
        ``clamp(quantize(w, 2/w_scale), -256/w_scale, 254/w_scale)`` (times ``w_scale`` if
        ``descale``); straight-through gradient inside the clamp range.
    """
    q = quantize(weight, step=2 / w_scale).clamp(-256 / w_scale, 254 / w_scale)
    return q * w_scale if descale else q


def quantize_hook(
    x: torch.Tensor, scale: int = W_SCALE, num_bits: int = 8, *, descale: bool = False
) -> torch.Tensor:
    """lava-dl's ``quantize_hook_fx``: step ``2/scale``, range ``[-2**(b+1), 2**(b+1)-2]/scale``.

    With ``num_bits=8`` the mantissa range is ``[-512, 510]``, twice that of
    :func:`quantize_8bit`; pretrained lava-dl models depend on this, so it is reproduced.
    """
    q = quantize(x, step=2 / scale).clamp(
        -2 * 2**num_bits / scale, 2 * (2**num_bits - 1) / scale
    )
    return q * scale if descale else q


def quantize_threshold(threshold: float, w_scale: int = W_SCALE) -> float:
    """``trunc(threshold * w_scale) / w_scale`` (0.1 -> 6/64 = 0.09375 at w_scale 64)."""
    return int(threshold * w_scale) / w_scale


def to_fixed(x: torch.Tensor, s_scale: int = S_SCALE) -> torch.Tensor:
    """Integer state ``trunc(x * s_scale)`` as int64 (product in ``x``'s dtype)."""
    return (x * s_scale).to(torch.int64)


def from_fixed(
    x: torch.Tensor, s_scale: int = S_SCALE, dtype: torch.dtype = torch.float32
) -> torch.Tensor:
    """Float value ``x / s_scale`` of an integer state, computed in ``dtype``."""
    return x.to(dtype) / s_scale
