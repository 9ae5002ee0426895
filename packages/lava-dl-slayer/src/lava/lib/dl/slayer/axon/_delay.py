r"""Axonal delays.

:func:`delay` is a fixed shift by ``delay_val`` (time units, truncated to steps).
:class:`Delay` learns one delay :math:`d_c \ge 0` per channel; the forward shifts channel ``c``
by :math:`\lfloor d_c / T_s \rfloor` steps and the delay gradient is the finite-difference estimate

.. math:: \frac{\partial L}{\partial d_c} = \gamma \sum_{n,t,\ldots} g[n,c,\ldots,t]
          \,(y[n,c,\ldots,t-1] - y[n,c,\ldots,t])

(:math:`\gamma` = ``grad_scale``, :math:`y` the delayed output, i.e.
:math:`-\partial y/\partial t`).
"""

from __future__ import annotations

import torch

from lava.lib.dl import core
from lava.lib.dl.core.dynamics._common import flat_param as _flat_param

from ..neuron.base import ShapeError, _check_input_rank

__all__ = ["Delay", "delay"]


def delay(
    input: torch.Tensor, delay_val: float | torch.Tensor = 1, sampling_time: float = 1
) -> torch.Tensor:
    """Fixed (non-learnable) delay: ``shift(input, delay_val, sampling_time)``.

    Parameters
    ----------
    input : torch.Tensor
        ``(N, C, [H, W,] T)``.
    delay_val : float or torch.Tensor
        Delay in time units (global, or one per neuron). Default 1.
    sampling_time : float
        Step duration. Default 1.

    Returns
    -------
    torch.Tensor
        Delayed tensor, same shape; its gradient is the opposite shift.
    """
    if isinstance(delay_val, torch.Tensor):
        delay_val = delay_val.detach()
    return core.time.delay(input, delay_val, sampling_time)


class Delay(torch.nn.Module):
    """Learnable per-channel axonal delay.

    Parameters
    ----------
    sampling_time : float
        Step duration. Default 1.
    max_delay : float or None
        Upper clamp of the delays (None: only ``>= 0``).
    grad_scale : float
        Scale of the delay gradient. Default 1.

    Notes
    -----
    Input ``(N, C, [H, W,] T)``; output of the same shape. The ``delay`` parameter ``(C,)`` is
    created at the first forward (uniform in [0, 1)) or by loading a state dict.
    """

    def __init__(
        self, sampling_time: float = 1, max_delay: float | None = None, grad_scale: float = 1
    ) -> None:
        super().__init__()
        self.sampling_time = sampling_time
        self.max_delay = max_delay
        self.grad_scale = grad_scale
        self.shape: tuple[int, ...] | None = None
        self.register_parameter("delay", None)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):  # noqa: D105
        key = prefix + "delay"
        if self.delay is None and key in state_dict:
            self.delay = torch.nn.Parameter(torch.zeros_like(state_dict[key]))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def init_delay(self, num_channels: int, value: torch.Tensor | None = None) -> None:
        """Create the ``delay`` parameter for ``num_channels`` channels (default U[0, 1))."""
        if value is None:
            value = torch.rand(num_channels)
        value = torch.as_tensor(value, dtype=torch.float32).reshape(-1)
        if value.numel() != num_channels:
            raise ValueError(f"Delay: got {value.numel()} delays for {num_channels} channels")
        self.delay = torch.nn.Parameter(value.clone())

    def clamp(self) -> None:
        """Clamp the delays to ``[0, max_delay]`` (or ``>= 0``)."""
        if self.delay is None:
            return
        with torch.no_grad():
            self.delay.data.clamp_(min=0, max=self.max_delay)

    def forward(self, input: torch.Tensor) -> torch.Tensor:  # noqa: D102
        return self._delayed(input)

    def _delayed(self, input: torch.Tensor, extra_steps: int = 0) -> torch.Tensor:
        """The forward pass, after a fixed ``extra_steps`` shift of ``input`` (same pass)."""
        _check_input_rank(input, "axon.Delay")
        shape = tuple(input.shape[1:-1])
        if self.shape is None:
            self.shape = shape
        elif tuple(self.shape) != shape:
            raise ShapeError(
                f"axon.Delay: input neuron shape {shape} differs from {tuple(self.shape)} fixed "
                "by the first call"
            )
        if self.delay is None:
            self.init_delay(shape[0])
            self.delay.data = self.delay.data.to(input.device)
        if self.delay.numel() != shape[0]:
            raise ShapeError(
                f"axon.Delay has {self.delay.numel()} delays but the input has {shape[0]} channels"
            )
        self.clamp()
        # core's truncating shift gives d y / d shift = (y[t-1] - y[t]) / Ts; lava-dl's delay
        # gradient is grad_scale * (y[t-1] - y[t]), so the gradient path is scaled by
        # grad_scale * Ts (the forward value is unchanged)
        d = self.delay
        k = self.grad_scale * self.sampling_time
        d = d.detach() + k * (d - d.detach())
        return _channel_shift(input, d, self.sampling_time, extra_steps)


class _ShiftChannels(torch.autograd.Function):
    """Zero-filled shift of each channel of ``x`` ``(N, C, S, T)`` by ``steps`` ``(C,)`` steps.

    One pass over a padded, unfolded view (the index has stride 0 outside the channel axis); the
    gradient to ``x`` is the opposite shift. Same values as core's gather-based integer shift.
    With a flat shift ``s`` ``(M = N*C*S,)`` that needs a gradient, ``s`` gets core's truncating
    shift gradient ``dL/ds_m = sum_t g[m, t] (y[m, t-1] - y[m, t])`` (core forms
    ``y + (s - s.detach())[:, None] * dy.detach()``: same values, here ``dy`` is only formed in
    the backward pass).
    """

    @staticmethod
    def _shift(x: torch.Tensor, steps: torch.Tensor) -> torch.Tensor:
        n, c, s, t = x.shape
        lo = max(int(steps.max()), 0)
        hi = max(-int(steps.min()), 0)
        windows = torch.nn.functional.pad(x, (lo, hi)).unfold(-1, t, 1)  # (N, C, S, W, T)
        idx = (lo - steps).view(1, c, 1, 1, 1).expand(n, c, s, 1, t)
        return windows.gather(3, idx).squeeze(3)

    @staticmethod
    def forward(ctx, x: torch.Tensor, steps: torch.Tensor,  # noqa: D102
                s: torch.Tensor | None = None) -> torch.Tensor:
        y = _ShiftChannels._shift(x, steps)
        ctx.save_for_backward(steps, y if s is not None else None)
        return y

    @staticmethod
    def backward(ctx, grad: torch.Tensor):  # noqa: D102
        steps, y = ctx.saved_tensors
        grad = grad.contiguous()
        grad_x = _ShiftChannels._shift(grad, -steps) if ctx.needs_input_grad[0] else None
        grad_s = None
        if ctx.needs_input_grad[2]:
            t = y.shape[-1]
            y = y.reshape(-1, t)
            dy = torch.cat([torch.zeros_like(y[:, :1]), y[:, :-1]], 1) - y
            grad_s = (grad.reshape(-1, t) * dy).sum(1, keepdim=True).reshape(-1)
        return grad_x, None, grad_s


def _channel_shift(
    x: torch.Tensor, d: torch.Tensor, sampling_time: float, extra_steps: int = 0
) -> torch.Tensor:
    """``core.time.shift(x, d, sampling_time)`` for per-channel delays ``d`` ``(C,)``.

    ``extra_steps`` adds a fixed shift first (the blocks' one-step inter-layer delay, folded into
    the same pass: ``shift(shift(x, extra), d)``). TODO(core): fast path of core's truncating
    shift (no ``(M, T)`` index tensors); values and gradients are bit-equal to core's.
    """
    if not x.is_floating_point() or d.dim() != 1 or d.numel() != x.shape[1] or x.dim() < 3:
        if extra_steps:
            x = core.time.shift(x, extra_steps)
        return core.time.shift(x, d, sampling_time)
    if not sampling_time > 0:
        raise ValueError(f"sampling_time must be > 0, got {sampling_time}")
    n, c, t = x.shape[0], x.shape[1], x.shape[-1]
    steps = (d.detach().to(device=x.device, dtype=x.dtype) / sampling_time).to(torch.int64)
    if extra_steps:
        # a shift beyond the window gives zeros either way: cap so the pad stays small
        steps = (steps + int(extra_steps)).clamp(-t, t)
    s = None
    if d.requires_grad:
        s = _flat_param(d, x.shape[:-1], "shift_val", dtype=x.dtype, device=x.device)
        s = s / sampling_time
    return _ShiftChannels.apply(x.reshape(n, c, -1, t), steps, s).reshape(x.shape)
