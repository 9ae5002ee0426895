r"""Delta encoder and sigma decoder of sigma-delta neural networks (lava-dl's rules, exactly).

Delta encoder (:func:`delta_encoder`), per neuron, with :math:`p` the previous input and
:math:`r` the residual (both 0 at the start unless given):

.. math::
    \delta_t = (x_t - p) + r, \qquad
    y_t = \begin{cases}\delta_t & |\delta_t| \ge \vartheta\\ 0 & \text{otherwise}\end{cases},
    \qquad r \leftarrow \delta_t - y_t, \qquad p \leftarrow x_t,

and the output is **floor**-quantized: :math:`\hat y_t = \lfloor y_t / q \rfloor q` with
:math:`q = 1/\text{scale}`. As in lava-dl 0.6 the residual is taken from the *unquantized*
:math:`y_t` (the quantization error is not fed back) and flooring biases negative values
downward; Lava's SDNN processes depend on these rules, so they are reproduced (spec §15 #17).

Backward (surrogate): the gate and the quantization are straight-through, so
:math:`\partial L/\partial x_t = g_t - g_{t+1}` (:math:`g_T = 0`) and
:math:`\partial L/\partial p = -g_0`; the threshold gets, per element,

.. math::
    \frac{\partial \hat y_t}{\partial\vartheta} = \begin{cases}
      -\delta_t\,\rho\, e^{-(|\delta_t|-\vartheta)/\tau}/\vartheta & |\delta_t| > \vartheta\\
      -\operatorname{sign}(\delta_t) & \text{otherwise}\end{cases}

with :math:`\tau` = ``tau_grad`` and :math:`\rho` = ``scale_grad`` (lava-dl's definition). The
residual is a constant to autograd.

Sigma decoder (:func:`sigma_decoder`): :math:`y_t = s + \sum_{k\le t} x_k` (cumulative sum over
time from the carried state :math:`s`); its gradient is the reverse cumulative sum, so
sigma ∘ delta has an identity input gradient.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import torch

from .backend import resolve_companion
from .dynamics import _common as C

__all__ = ["DeltaResult", "SigmaResult", "delta_encoder", "sigma_decoder"]


class DeltaResult(NamedTuple):
    """Output of :func:`delta_encoder`.

    Attributes
    ----------
    y : Tensor (N, C, [H, W,] T)
        Quantized delta events.
    prev : Tensor (N, C, [H, W])
        Last input (``prev=`` of the next call).
    residual : Tensor (N, C, [H, W])
        Residual after the last step (``residual=`` of the next call; no gradient).
    """

    y: torch.Tensor
    prev: torch.Tensor
    residual: torch.Tensor


class SigmaResult(NamedTuple):
    """Output of :func:`sigma_decoder`: the accumulated trace and its last value."""

    y: torch.Tensor
    state: torch.Tensor


@dataclass(frozen=True)
class _DeltaOptions:
    scale: float
    tau_grad: float
    scale_grad: float
    backend: str | None


class _Delta(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, threshold, prev, residual, opts):
        _, fwd, fused = resolve_companion(
            "delta_encoder_fwd", "delta_encoder_fwd_fused", x.device, opts.backend
        )
        th = threshold.detach()
        step = 1 / opts.scale
        if fused is not None:  # gate and quantization inside the kernel
            delta, yq = fused(x, th, prev.detach(), residual, step=step)
            d_last = delta[:, -1]
            y_last = torch.where(d_last.abs() >= th, d_last, torch.zeros_like(d_last))
        else:
            delta = fwd(x, th, prev.detach(), residual)
            y = torch.where(delta.abs() >= th.unsqueeze(1), delta, torch.zeros_like(delta))
            yq = torch.floor(y / step) * step
            y_last = y[:, -1]
        res_f = delta[:, -1] - y_last
        ctx.save_for_backward(delta, th)
        ctx.opts = opts
        ctx.mark_non_differentiable(res_f)
        return yq, x[:, -1].clone(), res_f

    @staticmethod
    def backward(ctx, g, g_prev, _g_res):
        delta, th = ctx.saved_tensors
        opts = ctx.opts
        _, _, fused = resolve_companion(
            "delta_encoder_fwd", "delta_encoder_bwd_fused", g.device, opts.backend
        )
        if fused is not None and g.dtype == delta.dtype:
            g_x = fused(g.contiguous(), None if g_prev is None else g_prev.contiguous())
        else:
            g_x = g.clone()
            g_x[:, :-1] -= g[:, 1:]
            if g_prev is not None:
                g_x[:, -1] += g_prev
        g_th = g_p = None
        if ctx.needs_input_grad[1]:
            th_ = th.unsqueeze(1)
            mag = delta.abs()
            surrogate = -delta * opts.scale_grad * torch.exp(-(mag - th_) / opts.tau_grad) / th_
            d_th = torch.where(mag > th_, surrogate, -torch.sign(delta))
            g_th = (g * d_th).sum(1)
        if ctx.needs_input_grad[2]:
            g_p = -g[:, 0]
        return g_x, g_th, g_p, None, None


def delta_encoder(
    x: torch.Tensor,
    threshold,
    *,
    scale: float = 64,
    prev=None,
    residual=None,
    tau_grad: float = 1.0,
    scale_grad: float = 1.0,
    backend: str | None = None,
) -> DeltaResult:
    """Delta-encode ``x`` over time (see the module docstring for the rules).

    Parameters
    ----------
    x : Tensor (N, C, [H, W,] T)
        Activation trace.
    threshold : float or Tensor
        Event threshold (>= 0), any parameter layout (see :mod:`lava.lib.dl.core.dynamics`).
    scale : float, keyword-only
        Output quantization ``1/scale`` (lava-dl: 64 for ``axon.Delta``, the neuron's
        ``s_scale`` = 4096 inside sigma-delta neurons).
    prev, residual : float or Tensor, optional, keyword-only
        Previous input and residual carried from an earlier call (default 0).
    tau_grad, scale_grad : float, keyword-only
        Width and scale of the threshold surrogate gradient.
    backend : str, optional, keyword-only
        Backend override.

    Returns
    -------
    DeltaResult
        ``(y, prev, residual)``.
    """
    C.check_input(x)
    if not scale > 0:
        raise ValueError(f"scale must be > 0, got {scale}")
    if not tau_grad > 0:
        raise ValueError(f"tau_grad must be > 0, got {tau_grad}")
    dtype, dev, lead = C.work_dtype(x), x.device, x.shape[:-1]
    th = C.flat_param(threshold, lead, "threshold", dtype=dtype, device=dev)
    if bool((th.detach() < 0).any()):
        raise ValueError("delta threshold must be >= 0 (clamp it, e.g. to 1/scale)")
    p0 = C.state_param(prev, 0.0, lead, "prev", dtype=dtype, device=dev)
    r0 = C.state_param(residual, 0.0, lead, "residual", dtype=dtype, device=dev).detach()
    opts = _DeltaOptions(float(scale), float(tau_grad), float(scale_grad), backend)
    y, p_f, r_f = _Delta.apply(C.flat_traces(x, dtype), th, p0, r0, opts)
    return DeltaResult(y.reshape(x.shape), p_f.reshape(lead), r_f.reshape(lead))


def sigma_decoder(x: torch.Tensor, *, state=None) -> SigmaResult:
    """Accumulate ``x`` over time (the sigma dendrite).

    Parameters
    ----------
    x : Tensor (N, C, [H, W,] T)
        Delta events.
    state : float or Tensor, optional, keyword-only
        Accumulated value carried from an earlier call (default 0), any parameter layout.

    Returns
    -------
    SigmaResult
        ``(y, state)``: ``y = state + cumsum(x)`` and its last time step.
    """
    C.check_input(x)
    y = torch.cumsum(x, dim=-1)
    if state is not None:
        lead = x.shape[:-1]
        s = C.flat_param(state, lead, "state", dtype=y.dtype, device=x.device)
        y = y + s.reshape(lead).unsqueeze(-1)
    return SigmaResult(y, y[..., -1])
