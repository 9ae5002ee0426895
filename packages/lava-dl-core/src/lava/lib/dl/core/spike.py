r"""Spike functions with lava-dl's surrogate gradients.

Real spike (:func:`spike_real`)
-------------------------------
Forward, elementwise on any shape:

.. math::
    s = \mathbb{1}[v \ge \vartheta] \qquad\text{or, graded,}\qquad
    s = \mathbb{1}[v \ge \vartheta]\; v / \text{scale}.

Surrogate derivative (:math:`\tau` = ``tau_rho``, :math:`\rho` = ``scale_rho``):

.. math::
    \frac{\partial s}{\partial v} \approx \frac{\rho}{2\tau} e^{-|v-\vartheta|/\tau}
    \quad\text{(binary)},\qquad
    \frac{\partial s}{\partial v} \approx \rho\, e^{\min(v-\vartheta, 0)/\tau}
    \quad\text{(graded)}.

Complex (phase-threshold) spike (:func:`spike_complex`)
-------------------------------------------------------
A spike marks a counter-clockwise crossing of the positive real axis with real part above
threshold; with :math:`i^-_t` the imaginary part one step earlier (``imag_last`` at t = 0):

.. math::
    s_t = \mathbb{1}[r_t \ge \vartheta]\,\mathbb{1}[i^-_t < 0]\,\mathbb{1}[i_t \ge 0]
    \;(\times\, r_t/\text{scale if graded}).

Surrogate: :math:`\delta_r = \frac{1}{2\tau}e^{-|r-\vartheta|/\tau}` (graded:
:math:`e^{-\max(\vartheta-r,0)/\tau}`), :math:`\delta_i = \frac{1}{2\tau}e^{-|i|/\tau}`,
:math:`h = \tfrac12(1 + \operatorname{sign}(r-\vartheta)(1 - 2\tau\delta_r))`;
:math:`\partial s/\partial r = \rho\,\delta_r\delta_i`,
:math:`\partial s/\partial i = -(\rho/\tau)\operatorname{sign}(i)\,\delta_i\, h`.

Threshold gradients
-------------------
lava-dl gives the threshold no gradient. Here, when the threshold tensor requires grad, it
receives minus the voltage (real part) surrogate gradient, reduced to its shape (the surrogate
depends on ``v - threshold`` only). ``tau_rho``, ``scale_rho``, ``scale`` and ``imag_last`` get
no gradient.
"""

from __future__ import annotations

import torch

from .backend import resolve_fused

__all__ = ["spike_real", "spike_complex"]


def _reduce_like(grad: torch.Tensor, ref: torch.Tensor) -> torch.Tensor:
    """Sum ``grad`` down to ``ref``'s shape (inverse of broadcasting)."""
    if grad.shape == ref.shape:
        return grad
    while grad.dim() > ref.dim():
        grad = grad.sum(0)
    for i, n in enumerate(ref.shape):
        if n == 1 and grad.shape[i] != 1:
            grad = grad.sum(i, keepdim=True)
    return grad.reshape(ref.shape)


def _reference():
    from ._backends import reference

    return reference


def _as_tensor(v, like: torch.Tensor) -> torch.Tensor:
    if isinstance(v, torch.Tensor):
        return v
    return torch.tensor(v, dtype=like.dtype, device=like.device)


def _flat_like(t: torch.Tensor, like: torch.Tensor) -> torch.Tensor | None:
    """``t`` as a flat ``(K,)`` or ``(1,)`` tensor for the fused primitives, or None."""
    if t.dtype != like.dtype or t.device != like.device:
        return None
    if t.shape == like.shape:
        if all(st == 0 for st in t.stride()):  # an expanded single value (e.g. from .sum())
            return t.as_strided((1,), (1,))
        return t.reshape(-1)
    if t.numel() == 1 and t.dim() <= like.dim():
        return t.reshape(1)
    return None


class _SpikeReal(torch.autograd.Function):
    @staticmethod
    def forward(ctx, voltage, threshold, tau_rho, scale_rho, graded, scale):
        th = None
        if voltage.dtype in (torch.float32, torch.float64) and isinstance(scale, (int, float)):
            th = _flat_like(threshold, voltage)
        if th is None:  # a layout the flat primitives do not cover: broadcasting reference
            spikes = _reference().spike_real_fwd(voltage, threshold, graded=graded, scale=scale)
        else:
            _, fwd = resolve_fused("spike_real_fwd", voltage.device)
            spikes = fwd(voltage.reshape(-1), th, graded=graded, scale=scale)
            spikes = spikes.reshape(voltage.shape)
        ctx.save_for_backward(voltage, threshold)
        ctx.params = (tau_rho, scale_rho, graded, th is not None)
        return spikes

    @staticmethod
    def backward(ctx, grad):
        voltage, threshold = ctx.saved_tensors
        tau, rho, graded, flat = ctx.params
        kw = {"tau": tau, "rho": rho, "graded": graded}
        g = _flat_like(grad, voltage) if flat else None
        if g is None:
            grad_v = _reference().spike_real_bwd(grad, voltage, threshold, **kw)
        else:
            _, bwd = resolve_fused("spike_real_bwd", voltage.device)
            th = _flat_like(threshold, voltage)
            grad_v = bwd(g, voltage.reshape(-1), th, **kw).reshape(voltage.shape)
        grad_th = _reduce_like(-grad_v, threshold) if ctx.needs_input_grad[1] else None
        return grad_v, grad_th, None, None, None, None


def spike_real(
    voltage: torch.Tensor,
    threshold: torch.Tensor | float,
    tau_rho: float,
    scale_rho: float,
    *,
    graded: bool = False,
    scale: float = 1.0,
) -> torch.Tensor:
    """Real spike function with lava-dl's surrogate gradient.

    Parameters
    ----------
    voltage : Tensor (any shape, e.g. N, C, [H, W,] T)
        Membrane voltage.
    threshold : Tensor or float
        Threshold, broadcastable to ``voltage``.
    tau_rho : float
        Width of the surrogate (> 0); neurons pass ``tau_grad * threshold * TAU_RHO_MULT``.
    scale_rho : float
        Height scale of the surrogate.
    graded : bool, keyword-only
        Graded spikes carry ``voltage / scale`` instead of 1.
    scale : float, keyword-only
        Graded spike divisor.

    Returns
    -------
    Tensor
        Spikes, same shape and dtype as ``voltage``.
    """
    if not tau_rho > 0:
        raise ValueError(f"tau_rho must be > 0, got {tau_rho}")
    return _SpikeReal.apply(
        voltage, _as_tensor(threshold, voltage), float(tau_rho), float(scale_rho), graded, scale
    )


class _SpikeComplex(torch.autograd.Function):
    @staticmethod
    def forward(ctx, real, imag, threshold, tau_rho, scale_rho, graded, imag_last, scale):
        imag_prev = torch.cat([imag_last.unsqueeze(-1).to(imag.dtype), imag[..., :-1]], dim=-1)
        fired = (real >= threshold) & (imag_prev < 0) & (imag >= 0)
        fired = fired.to(real.dtype)
        ctx.save_for_backward(real, imag, threshold)
        ctx.params = (tau_rho, scale_rho, graded)
        return fired * real / scale if graded else fired

    @staticmethod
    def backward(ctx, grad):
        real, imag, threshold = ctx.saved_tensors
        tau, rho, graded = ctx.params
        if graded:
            d_re = torch.exp(-torch.clamp(threshold - real, min=0) / tau)
        else:
            d_re = torch.exp(-torch.abs(real - threshold) / tau) / (2 * tau)
        d_im = torch.exp(-torch.abs(imag) / tau) / (2 * tau)
        step_re = 0.5 * (1 + torch.sign(real - threshold) * (1 - 2 * tau * d_re))
        grad_re = grad * rho * d_re * d_im
        grad_im = -grad * (rho / tau) * torch.sign(imag) * d_im * step_re
        grad_th = _reduce_like(-grad_re, threshold) if ctx.needs_input_grad[2] else None
        return grad_re, grad_im, grad_th, None, None, None, None, None


def spike_complex(
    real: torch.Tensor,
    imag: torch.Tensor,
    threshold: torch.Tensor | float,
    tau_rho: float,
    scale_rho: float,
    *,
    graded: bool = False,
    imag_last: torch.Tensor | float | None = None,
    scale: float = 1.0,
) -> torch.Tensor:
    """Phase-threshold spike of resonate-and-fire neurons (lava-dl ``complex.Spike``).

    Parameters
    ----------
    real, imag : Tensor (N, C, [H, W,] T)
        Real and imaginary state traces (time last).
    threshold : Tensor or float
        Threshold on the real part, broadcastable to ``real``.
    tau_rho, scale_rho : float
        Surrogate width and scale.
    graded : bool, keyword-only
        Graded spikes carry ``real / scale``.
    imag_last : Tensor (N, C, [H, W]) or float or None, keyword-only
        Imaginary state before the first step (default 0; broadcastable to ``imag[..., 0]``).
    scale : float, keyword-only
        Graded spike divisor.

    Returns
    -------
    Tensor
        Spikes, shape of ``real``.
    """
    if real.shape != imag.shape:
        raise ValueError(f"real and imag shapes differ: {tuple(real.shape)} vs {tuple(imag.shape)}")
    if not tau_rho > 0:
        raise ValueError(f"tau_rho must be > 0, got {tau_rho}")
    if imag_last is None:
        imag_last = 0.0
    last = _as_tensor(imag_last, imag).detach().expand(imag.shape[:-1])
    return _SpikeComplex.apply(
        real,
        imag,
        _as_tensor(threshold, real),
        float(tau_rho),
        float(scale_rho),
        graded,
        last,
        scale,
    )
