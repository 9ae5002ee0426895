r"""Delta encoder of sigma-delta networks (spec §7.3).

With :math:`p` the previous input and :math:`r` the residual (both 0 unless persistent):

.. math::

    \Delta[t] = x[t] - p + r,\quad
    y[t] = \Delta[t]\,1[|\Delta[t]| \ge \theta],\quad r \leftarrow \Delta[t] - y[t],\quad
    p \leftarrow x[t]

and the output is floor-quantized to the ``1/scale`` grid,
:math:`\lfloor y \cdot \text{scale}\rfloor / \text{scale}`. The residual ignores the quantization
error, as lava-dl does (the Loihi SDNN equality depends on it, spec §15 #17).

With ``cum_error=True`` an accumulated error :math:`e \mathrel{+}= \Delta` gates the output
(:math:`|e| \ge \theta`) and is cleared where a message is sent (lava-dl's version failed on
current torch, spec §15 #16).

Backward: the input gradient is the transposed difference operator
:math:`g_x[t] = g_y[t] - g_y[t+1]` (:math:`g_x[T-1] = g_y[T-1]`; the gate is straight-through); the
threshold gradient per element is
:math:`-\Delta\,\rho\,e^{-(|\Delta|-\theta)/\tau}/\theta` where :math:`|\Delta| > \theta`, else
:math:`-\operatorname{sign}(\Delta)`, times :math:`g_y`.
"""

from __future__ import annotations

import torch

from lava.lib.dl import core

from ..neuron.base import ShapeError, _check_input_rank
from ..utils.quantize import MODE, quantize

__all__ = ["Delta"]


class _CumErrorDelta(torch.autograd.Function):
    """TODO(core): the ``cum_error`` variant of the delta encoder (core has the plain one)."""

    @staticmethod
    def forward(ctx, x, threshold, pre, res, err, tau_grad, scale_grad):  # noqa: D102
        T = x.shape[-1]
        y = torch.empty_like(x)
        delta_all = torch.empty_like(x)
        th = threshold.to(x.dtype)
        for t in range(T):
            d = x[..., t] - pre + res
            delta_all[..., t] = d
            err = err + d
            fire = torch.abs(err) >= th
            err = err * (~fire).to(x.dtype)
            out = d * fire.to(x.dtype)
            y[..., t] = out
            res = d - out
            pre = x[..., t]
        ctx.save_for_backward(delta_all, th)
        ctx.cfg = (tau_grad, scale_grad)
        pre, res, err = pre.clone(), res.clone(), err.clone()
        ctx.mark_non_differentiable(pre, res, err)
        return y, pre, res, err

    @staticmethod
    def backward(ctx, grad, *_):  # noqa: D102
        delta, th = ctx.saved_tensors
        tau_grad, scale_grad = ctx.cfg
        g_x = grad.clone()
        g_x[..., :-1] -= grad[..., 1:]
        g_th = None
        if ctx.needs_input_grad[1]:
            th = th if th.numel() == 1 else th.unsqueeze(-1)
            mag = torch.abs(delta)
            above = mag > th
            surrogate = -delta * scale_grad * torch.exp(-(mag - th) / tau_grad) / th
            per = torch.where(above, surrogate, -torch.sign(delta)) * grad
            per = per.sum(dim=-1)
            th = th if th.numel() == 1 else th.squeeze(-1)
            if th.numel() == 1:
                g_th = per.sum().reshape(th.shape)
            else:
                dims = [d for d in range(per.dim()) if th.shape[d] == 1]
                g_th = per.sum(dim=dims, keepdim=True).reshape(th.shape)
        return g_x, g_th, None, None, None, None, None


class Delta(torch.nn.Module):
    """Delta encoder.

    Parameters
    ----------
    threshold : float
        Message threshold (float units), clamped to ``>= 1/scale``.
    scale : int
        Output quantization grid ``1/scale``. Default 64.
    tau_grad, scale_grad : float
        Threshold surrogate width and scale. Default 1.
    cum_error : bool
        Gate on the accumulated error. Default False.
    shared_param : bool
        One threshold (True) or one per channel (False).
    persistent_state : bool
        Carry the previous input and residual across calls.
    requires_grad : bool
        Learnable threshold. Default False.

    Notes
    -----
    Input ``(N, C, [H, W,] T)``; output of the same shape. With ``shared_param=False`` the
    threshold parameter has shape ``(C, 1, ...)`` (one value per channel, broadcast over space).
    """

    def __init__(
        self,
        threshold: float,
        scale: int = 1 << 6,
        tau_grad: float = 1,
        scale_grad: float = 1,
        cum_error: bool = False,
        shared_param: bool = True,
        persistent_state: bool = False,
        requires_grad: bool = False,
    ) -> None:
        super().__init__()
        self.scale = int(scale)
        self.tau_grad = tau_grad
        self.scale_grad = scale_grad
        self.cum_error = bool(cum_error)
        self.shared_param = bool(shared_param)
        self.persistent_state = bool(persistent_state)
        self.requires_grad = bool(requires_grad)
        self.shape: tuple[int, ...] | None = None
        self.threshold = torch.nn.Parameter(
            torch.tensor([float(threshold)]), requires_grad=self.requires_grad
        )
        self._per_channel_pending = not self.shared_param
        self.register_buffer("pre_state", torch.zeros(1), persistent=False)
        self.register_buffer("residual_state", torch.zeros(1), persistent=False)
        self.register_buffer("error_state", torch.zeros(1), persistent=False)
        self.clamp()

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):  # noqa: D105
        key = prefix + "threshold"
        if self._per_channel_pending and key in state_dict:
            self.threshold.data = torch.zeros_like(state_dict[key])
            self._per_channel_pending = False
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def clamp(self) -> None:
        """Clamp the threshold to ``>= 1/scale``."""
        with torch.no_grad():
            self.threshold.data.clamp_(min=1 / self.scale)

    def _set_shape(self, shape: tuple[int, ...]) -> None:
        if self.shape is None:
            self.shape = shape
            if self._per_channel_pending:
                view = (shape[0],) + (1,) * (len(shape) - 1)
                self.threshold.data = self.threshold.data.reshape(1).expand(view).clone()
                self._per_channel_pending = False
        elif tuple(self.shape) != shape:
            raise ShapeError(
                f"axon.Delta: input neuron shape {shape} differs from {tuple(self.shape)} fixed "
                "by the first call"
            )

    def _state(self, name: str, batch_shape: tuple[int, ...], like: torch.Tensor):
        buf = getattr(self, name)
        if not self.persistent_state or (buf.numel() != 1 and tuple(buf.shape) != batch_shape):
            return torch.zeros(batch_shape, dtype=like.dtype, device=like.device)
        return buf.to(like.dtype).expand(batch_shape)

    def forward(self, input: torch.Tensor) -> torch.Tensor:  # noqa: D102
        _check_input_rank(input, "axon.Delta")
        self._set_shape(tuple(input.shape[1:-1]))
        self.clamp()
        batch_shape = tuple(input.shape[:-1])
        pre = self._state("pre_state", batch_shape, input)
        res = self._state("residual_state", batch_shape, input)
        err = self._state("error_state", batch_shape, input)
        if self.cum_error:
            th = self.threshold if self.threshold.numel() == 1 else self.threshold.unsqueeze(0)
            y, pre, res, err = _CumErrorDelta.apply(
                input, th, pre, res, err, self.tau_grad, self.scale_grad
            )
            y = quantize(y, step=1 / self.scale, mode=MODE.FLOOR)
        else:
            y, pre, res = core.delta_encoder(
                input, self.threshold, scale=self.scale, prev=pre, residual=res,
                tau_grad=self.tau_grad, scale_grad=self.scale_grad,
            )
        if self.persistent_state:
            self.pre_state = pre.detach().clone()
            self.residual_state = res.detach().clone()
            self.error_state = err.detach().clone()
        return y
