r"""Real-valued synapses, applied independently at every time step (time last).

Every synapse is a 3-D convolution whose kernel is 1 along time, so the synaptic input at step
:math:`t` only depends on the spikes at step :math:`t`:

.. math::

    z[n, o, t] = \sum_{c} W_{o c}\, s[n, c, t]                      \quad (\text{Dense})

    z[n, o, h, w, t] = \sum_{c, i, j} W_{o c i j}\,
                       s[n, c, h s_h + i d_h - p_h, w s_w + j d_w - p_w, t] \quad (\text{Conv})

``Pool`` is a **sum** pooling: every channel is convolved with the same fixed kernel
(``weight_scale`` at every tap), ``Unpool`` is its transposed operation. Before use, the weight goes
through the optional ``pre_hook_fx`` (blocks install the neuron's 8-bit quantizer there); export
calls ``pre_hook_fx(weight, descale=True)`` to get the integer mantissas.

With ``weight_norm`` the weight is reparametrised as :math:`W = g\, v / \lVert v \rVert` (norm over
every axis but the first), with parameters ``weight_g`` ``(out, 1, 1, 1, 1)`` and ``weight_v``
(the state-dict names of ``torch.nn.utils.weight_norm``).

Layouts
-------
``Dense``: input ``(N, C, T)`` -> ``(N, out, T)``; ``(N, C, H, W, T)`` with a tuple ``in_neurons =
(W, H[, C])`` -> ``(N, out, 1, 1, T)``. ``Conv``/``ConvTranspose``/``Pool``/``Unpool``: input
``(N, C, H, W, T)``; weights ``(out, in/groups, kH, kW, 1)`` (``ConvTranspose``: ``(in,
out/groups, kH, kW, 1)``; ``Pool``/``Unpool``: ``(1, 1, kH, kW, 1)``).

``Pool`` output size uses ceil mode: :math:`H' = \lceil (H + 2p - d(k-1) - 1)/s \rceil + 1` (a
window may hang over the bottom/right edge; missing inputs are zeros), which for the default
``stride = kernel_size`` is :math:`\lceil H/k \rceil`. lava-dl 0.6 padded ``H % k`` rows instead of
``k - H % k`` and applied ``padding`` across stacked channels (spec §15 #13); both are fixed here.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

__all__ = ["Conv", "ConvTranspose", "Dense", "GenericLayer", "Pool", "Unpool"]

HookFx = Callable[..., torch.Tensor]


def _pair(value: Any, name: str) -> tuple[int, int]:
    """An int or an ``(H, W)`` pair as a 2-tuple of ints."""
    if isinstance(value, int):
        return (value, value)
    try:
        items = tuple(int(v) for v in value)
    except TypeError:
        raise TypeError(f"{name} must be an int or an (H, W) pair, got {value!r}") from None
    if len(items) == 1:
        return (items[0], items[0])
    if len(items) != 2:
        raise ValueError(f"{name} must be an int or an (H, W) pair, got {value!r}")
    return items  # type: ignore[return-value]


def _check_5d(x: torch.Tensor, who: str) -> None:
    if x.dim() != 5:
        raise ValueError(
            f"{who}: expected input of shape (N, C, H, W, T) with time last, got "
            f"{tuple(x.shape)}"
        )


class GenericLayer:
    """Mixin of every real synapse: weight norm, pre-hook, gradient norm, shape.

    Attributes
    ----------
    weight_norm_enabled : bool
        Whether the weight is reparametrised as ``weight_g * weight_v / ||weight_v||``.
    complex : bool
        False for real synapses.
    """

    complex = False

    def _init_generic(self, weight_scale: float, weight_norm: bool,
                      pre_hook_fx: HookFx | None) -> None:
        self.weight_norm_enabled = False
        self._pre_hook_fx = pre_hook_fx
        if weight_scale != 1:
            with torch.no_grad():
                self.weight.mul_(weight_scale)
        if weight_norm:
            self.enable_weight_norm()

    # ------------------------------------------------------------------ weight norm
    @staticmethod
    def _norm_except_first(v: torch.Tensor) -> torch.Tensor:
        return v.flatten(1).norm(dim=1).reshape((-1,) + (1,) * (v.dim() - 1))

    def enable_weight_norm(self) -> None:
        """Reparametrise the weight as ``weight_g * weight_v / ||weight_v||`` (dim 0)."""
        if self.weight_norm_enabled:
            return
        w = self._parameters.pop("weight")
        data = w.detach()
        self.weight_v = torch.nn.Parameter(data.clone(), requires_grad=w.requires_grad)
        self.weight_g = torch.nn.Parameter(
            self._norm_except_first(data).clone(), requires_grad=w.requires_grad
        )
        self.weight_norm_enabled = True

    def disable_weight_norm(self) -> None:
        """Fold ``weight_g`` and ``weight_v`` back into a plain ``weight`` parameter."""
        if not self.weight_norm_enabled:
            return
        with torch.no_grad():
            w = self._compute_weight().detach().clone()
        requires_grad = self.weight_v.requires_grad
        del self.weight_g
        del self.weight_v
        self.weight_norm_enabled = False
        self.weight = torch.nn.Parameter(w, requires_grad=requires_grad)

    def _compute_weight(self) -> torch.Tensor:
        if not self.weight_norm_enabled:
            return self.weight
        v = self.weight_v
        return v * (self.weight_g / self._norm_except_first(v))

    def effective_weight(self) -> torch.Tensor:
        """The weight the forward pass uses before the pre-hook (weight norm folded in)."""
        return self._compute_weight()

    def __getattr__(self, name: str) -> Any:
        # under weight norm ``weight`` is computed from weight_g and weight_v on every access
        # (differentiable, never stored, so the module stays deep-copyable)
        if name == "weight" and self.__dict__.get("weight_norm_enabled", False):
            return self._compute_weight()
        return super().__getattr__(name)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):  # noqa: D105
        # a state dict saved with weight norm loads into a plain synapse and vice versa
        has_norm = prefix + "weight_g" in state_dict and prefix + "weight_v" in state_dict
        if has_norm and not self.weight_norm_enabled:
            self.enable_weight_norm()
        elif not has_norm and prefix + "weight" in state_dict and self.weight_norm_enabled:
            self.disable_weight_norm()
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    # ------------------------------------------------------------------ hook and properties
    @property
    def pre_hook_fx(self) -> HookFx | None:
        """Function applied to the weight before use (``fx(weight, descale=False)``)."""
        return self._pre_hook_fx

    @pre_hook_fx.setter
    def pre_hook_fx(self, fx: HookFx | None) -> None:
        if fx is not None and not callable(fx):
            raise TypeError(f"pre_hook_fx must be callable or None, got {fx!r}")
        self._pre_hook_fx = fx

    def hooked_weight(self) -> torch.Tensor:
        """The weight after weight norm and ``pre_hook_fx`` (what the forward pass uses)."""
        w = self.effective_weight()
        return w if self._pre_hook_fx is None else self._pre_hook_fx(w)

    @property
    def grad_norm(self) -> float:
        """``||grad|| / numel`` of the weight (``weight_g`` under weight norm); 0 without grad."""
        p = self.weight_g if self.weight_norm_enabled else self.weight
        if p.grad is None:
            return 0.0
        return float(torch.norm(p.grad).item() / p.numel())

    @property
    def shape(self) -> torch.Size:
        """Shape of the weight."""
        return self.effective_weight().shape


class Dense(GenericLayer, torch.nn.Conv3d):
    """Fully connected synapse.

    Parameters
    ----------
    in_neurons : int or tuple of int
        Number of input neurons, or the input shape ``(W, H)`` / ``(W, H, C)`` (x first) for a
        dense connection from a spatial layer.
    out_neurons : int
        Number of output neurons.
    weight_scale : float
        Multiplier of the default (Kaiming-uniform) initial weight. Default 1.
    weight_norm : bool
        Enable weight normalisation. Default False.
    pre_hook_fx : callable or None
        Weight pre-hook. Default None.

    Notes
    -----
    Weight ``(out, in, 1, 1, 1)``, or ``(out, C, H, W, 1)`` for a tuple ``in_neurons``.
    Input ``(N, in, [H, W,] T)`` -> ``(N, out, [H, W,] T)`` for an int ``in_neurons`` (a 1x1
    convolution on spatial input); ``(N, C, H, W, T)`` -> ``(N, out, 1, 1, T)`` for a tuple.
    """

    def __init__(
        self,
        in_neurons: int | tuple[int, ...],
        out_neurons: int,
        weight_scale: float = 1,
        weight_norm: bool = False,
        pre_hook_fx: HookFx | None = None,
    ) -> None:
        if not isinstance(out_neurons, int) or out_neurons < 1:
            raise ValueError(f"out_neurons must be a positive int, got {out_neurons!r}")
        if isinstance(in_neurons, int):
            in_channels, kernel = in_neurons, (1, 1, 1)
        else:
            dims = tuple(int(v) for v in in_neurons)
            if len(dims) == 2:
                dims = dims + (1,)
            if len(dims) != 3:
                raise ValueError(
                    f"in_neurons must be an int or a (W, H) / (W, H, C) tuple, got {in_neurons!r}"
                )
            in_channels, kernel = dims[2], (dims[1], dims[0], 1)
        super().__init__(in_channels, out_neurons, kernel, bias=False)
        self.in_neurons = in_neurons
        self.out_neurons = out_neurons
        self._init_generic(weight_scale, weight_norm, pre_hook_fx)

    @property
    def in_features(self) -> int:
        """Number of input neurons (``C * H * W`` for a tuple ``in_neurons``)."""
        return math.prod(self.weight_shape[1:])

    @property
    def weight_shape(self) -> tuple[int, ...]:
        """Shape of the weight without the time axis."""
        return (self.out_channels, self.in_channels, *self.kernel_size[:2])

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        """Weighted input ``(N, out, ...)`` of ``input`` ``(N, C, [H, W,] T)``."""
        w = self.hooked_weight()
        kh, kw = self.kernel_size[:2]
        if kh == 1 and kw == 1:
            if input.dim() < 3 or input.shape[1] != self.in_channels:
                raise ValueError(
                    f"Dense({self.in_channels}, {self.out_channels}): expected input of shape "
                    f"(N, {self.in_channels}, [H, W,] T), got {tuple(input.shape)}"
                )
            n, c = input.shape[:2]
            rest = input.shape[2:]
            # one GEMM over all (batch, time, space) positions: (N*M, C) x (C, out)
            y = F.linear(input.reshape(n, c, -1).transpose(1, 2), w.reshape(self.out_channels, c))
            return y.transpose(1, 2).reshape(n, self.out_channels, *rest)
        _check_5d(input, "Dense with a tuple in_neurons")
        if tuple(input.shape[1:4]) == (self.in_channels, kh, kw):
            n, t = input.shape[0], input.shape[-1]
            y = F.linear(input.reshape(n, -1, t).transpose(1, 2), w.reshape(self.out_channels, -1))
            return y.transpose(1, 2).reshape(n, self.out_channels, 1, 1, t)
        return F.conv3d(input, w)


def _conv2d_time_last(x: torch.Tensor, weight: torch.Tensor, stride: Any, padding: Any,
                      dilation: Any, groups: int) -> torch.Tensor:
    """2-D convolution of every time step of ``(N, C, H, W, T)`` input.

    The time steps are folded into the batch in channels-last memory order (one copy), which
    is markedly faster on CPU than a ``(k, k, 1)`` 3-D convolution; the result is a
    ``(N, out, H', W', T)`` view of the channels-last output.
    """
    n, c, h, w, t = x.shape
    frames = x.permute(0, 4, 2, 3, 1).reshape(n * t, h, w, c).permute(0, 3, 1, 2)
    y = F.conv2d(frames, weight, None, stride, padding, dilation, groups)
    o, h2, w2 = y.shape[1:]
    y = y.permute(0, 2, 3, 1).reshape(n, t, h2, w2, o)
    return y.permute(0, 4, 2, 3, 1)


class Conv(GenericLayer, torch.nn.Conv3d):
    """2-D convolution synapse.

    Parameters
    ----------
    in_features, out_features : int
        Input and output channels.
    kernel_size, stride, padding, dilation : int or (int, int)
        Spatial geometry in ``(H, W)`` order. Defaults ``stride=1, padding=0, dilation=1``.
    groups : int
        Channel groups. Default 1.
    weight_scale : float
        Initial weight multiplier. Default 1.
    weight_norm : bool
        Enable weight normalisation. Default False.
    pre_hook_fx : callable or None
        Weight pre-hook. Default None.

    Notes
    -----
    Weight ``(out, in/groups, kH, kW, 1)``; input ``(N, in, H, W, T)`` -> ``(N, out, H', W', T)``.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] = 0,
        dilation: int | tuple[int, int] = 1,
        groups: int = 1,
        weight_scale: float = 1,
        weight_norm: bool = False,
        pre_hook_fx: HookFx | None = None,
    ) -> None:
        k = _pair(kernel_size, "kernel_size")
        s = _pair(stride, "stride")
        p = _pair(padding, "padding")
        d = _pair(dilation, "dilation")
        super().__init__(
            in_features, out_features, (*k, 1), stride=(*s, 1), padding=(*p, 0),
            dilation=(*d, 1), groups=groups, bias=False,
        )
        self._init_generic(weight_scale, weight_norm, pre_hook_fx)

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        """Weighted input ``(N, out, H', W', T)`` of ``input`` ``(N, in, H, W, T)``."""
        _check_5d(input, type(self).__name__)
        return _conv2d_time_last(
            input, self.hooked_weight()[..., 0], self.stride[:2], self.padding[:2],
            self.dilation[:2], self.groups,
        )


class ConvTranspose(GenericLayer, torch.nn.ConvTranspose3d):
    """2-D transposed convolution synapse (same arguments as :class:`Conv`).

    Notes
    -----
    Weight ``(in, out/groups, kH, kW, 1)``; input ``(N, in, H, W, T)`` ->
    ``(N, out, (H-1)s - 2p + d(k-1) + 1, ..., T)``.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] = 0,
        dilation: int | tuple[int, int] = 1,
        groups: int = 1,
        weight_scale: float = 1,
        weight_norm: bool = False,
        pre_hook_fx: HookFx | None = None,
    ) -> None:
        k = _pair(kernel_size, "kernel_size")
        s = _pair(stride, "stride")
        p = _pair(padding, "padding")
        d = _pair(dilation, "dilation")
        super().__init__(
            in_features, out_features, (*k, 1), stride=(*s, 1), padding=(*p, 0),
            dilation=(*d, 1), groups=groups, bias=False,
        )
        self._init_generic(weight_scale, weight_norm, pre_hook_fx)

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        """Weighted input of ``input`` ``(N, in, H, W, T)``."""
        _check_5d(input, type(self).__name__)
        return F.conv_transpose3d(
            input, self.hooked_weight(), None, self.stride, self.padding, 0, self.groups,
            self.dilation,
        )


def _pool_extra(size: int, k: int, s: int, p: int, d: int) -> int:
    """Zeros appended at the end of an axis so that pooling runs in ceil mode."""
    span = d * (k - 1) + 1
    padded = size + 2 * p
    if padded < span:
        return span - padded
    out = -(-(padded - span) // s) + 1
    if (out - 1) * s >= size + p:  # the last window must start inside the input or left padding
        out -= 1
    return max(0, (out - 1) * s + span - padded)


class Pool(GenericLayer, torch.nn.Conv3d):
    """Sum-pooling synapse: every channel is convolved with the same fixed kernel.

    Parameters
    ----------
    kernel_size : int or (int, int)
        Window ``(kH, kW)``.
    stride : int or (int, int) or None
        Default ``kernel_size``.
    padding, dilation : int or (int, int)
        Zero padding on both sides of each spatial axis (per channel); dilation.
    weight_scale : float
        Value of every kernel tap. Default 1.
    weight_norm : bool
        Enable weight normalisation. Default False.
    pre_hook_fx : callable or None
        Weight pre-hook. Default None.

    Notes
    -----
    Weight ``(1, 1, kH, kW, 1)`` (no gradient); input ``(N, C, H, W, T)`` -> ``(N, C, H', W', T)``
    with the ceil-mode size of the module docstring.
    """

    def __init__(
        self,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] | None = None,
        padding: int | tuple[int, int] = 0,
        dilation: int | tuple[int, int] = 1,
        weight_scale: float = 1,
        weight_norm: bool = False,
        pre_hook_fx: HookFx | None = None,
    ) -> None:
        k = _pair(kernel_size, "kernel_size")
        s = k if stride is None else _pair(stride, "stride")
        p = _pair(padding, "padding")
        d = _pair(dilation, "dilation")
        super().__init__(
            1, 1, (*k, 1), stride=(*s, 1), padding=(*p, 0), dilation=(*d, 1), bias=False
        )
        self.weight = torch.nn.Parameter(
            torch.full((1, 1, *k, 1), float(weight_scale)), requires_grad=False
        )
        self._init_generic(1, weight_norm, pre_hook_fx)

    def output_size(self, height: int, width: int) -> tuple[int, int]:
        """Output ``(H', W')`` for an input of ``(height, width)``."""
        out = []
        for size, k, s, p, d in zip(
            (height, width), self.kernel_size[:2], self.stride[:2], self.padding[:2],
            self.dilation[:2], strict=True,
        ):
            extra = _pool_extra(size, k, s, p, d)
            out.append((size + 2 * p + extra - d * (k - 1) - 1) // s + 1)
        return out[0], out[1]

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        """Sum-pooled input ``(N, C, H', W', T)`` of ``(N, C, H, W, T)``."""
        _check_5d(input, "Pool")
        n, c, h, w, t = input.shape
        eh = _pool_extra(h, self.kernel_size[0], self.stride[0], self.padding[0],
                         self.dilation[0])
        ew = _pool_extra(w, self.kernel_size[1], self.stride[1], self.padding[1],
                         self.dilation[1])
        weight = self.hooked_weight()
        k, p = self.kernel_size, self.padding
        uniform = bool(weight.min() == weight.max())
        if (uniform and self.dilation[:2] == (1, 1) and 2 * p[0] <= k[0]
                and 2 * p[1] <= k[1]):
            # fast path: a uniform kernel is a window sum times the tap value
            if (not (eh or ew) and p[:2] == (0, 0) and tuple(self.stride[:2]) == tuple(k[:2])
                    and input.is_floating_point()):
                return _WindowSum.apply(input, k[0], k[1]) * weight.reshape(-1)[0]
            x = F.pad(input, (0, 0, 0, ew, 0, eh)) if eh or ew else input
            y = F.avg_pool3d(x, self.kernel_size, self.stride, self.padding,
                             divisor_override=1)
            return y * weight.reshape(-1)[0]
        x = input.reshape(n * c, 1, h, w, t)
        if eh or ew:
            x = F.pad(x, (0, 0, 0, ew, 0, eh))
        y = F.conv3d(x, weight, None, self.stride, self.padding, self.dilation)
        return y.reshape(n, c, *y.shape[2:])


class _WindowSum(torch.autograd.Function):
    """Sum over non-overlapping ``kh x kw`` windows of ``(N, C, H, W, T)`` (stride = kernel).

    Bit-equal to ``avg_pool3d(x, (kh, kw, 1), divisor_override=1)`` (same summation order: rows,
    then columns of the window), without the pooling kernel's per-element window loop; the
    gradient is each output gradient copied to its window (trailing rows/columns get zero).
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor, kh: int, kw: int) -> torch.Tensor:  # noqa: D102
        h, w = x.shape[2:4]
        h2, w2 = h // kh, w // kw
        ctx.dims = (tuple(x.shape), kh, kw)
        y = None
        for i in range(kh):
            for j in range(kw):
                v = x[:, :, i:h2 * kh:kh, j:w2 * kw:kw]
                y = v.clone(memory_format=torch.contiguous_format) if y is None else y.add_(v)
        return y

    @staticmethod
    def backward(ctx, grad: torch.Tensor):  # noqa: D102
        (n, c, h, w, t), kh, kw = ctx.dims
        h2, w2 = grad.shape[2:4]
        gx = grad.reshape(n, c, h2, 1, w2, 1, t).expand(n, c, h2, kh, w2, kw, t)
        gx = gx.reshape(n, c, h2 * kh, w2 * kw, t)
        if h2 * kh != h or w2 * kw != w:
            gx = F.pad(gx, (0, 0, 0, w - w2 * kw, 0, h - h2 * kh))
        return gx, None, None


class Unpool(GenericLayer, torch.nn.ConvTranspose3d):
    """Transposed sum pooling: every input value is spread over a ``kH x kW`` window.

    Parameters are those of :class:`Pool`.

    Notes
    -----
    Weight ``(1, 1, kH, kW, 1)`` (no gradient); input ``(N, C, H, W, T)`` ->
    ``(N, C, (H-1)s - 2p + d(k-1) + 1, ..., T)``.
    """

    def __init__(
        self,
        kernel_size: int | tuple[int, int],
        stride: int | tuple[int, int] | None = None,
        padding: int | tuple[int, int] = 0,
        dilation: int | tuple[int, int] = 1,
        weight_scale: float = 1,
        weight_norm: bool = False,
        pre_hook_fx: HookFx | None = None,
    ) -> None:
        k = _pair(kernel_size, "kernel_size")
        s = k if stride is None else _pair(stride, "stride")
        p = _pair(padding, "padding")
        d = _pair(dilation, "dilation")
        super().__init__(
            1, 1, (*k, 1), stride=(*s, 1), padding=(*p, 0), dilation=(*d, 1), bias=False
        )
        self.weight = torch.nn.Parameter(
            torch.full((1, 1, *k, 1), float(weight_scale)), requires_grad=False
        )
        self._init_generic(1, weight_norm, pre_hook_fx)

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        """Unpooled input of ``(N, C, H, W, T)``."""
        _check_5d(input, "Unpool")
        n, c, h, w, t = input.shape
        y = F.conv_transpose3d(
            input.reshape(n * c, 1, h, w, t), self.hooked_weight(), None, self.stride,
            self.padding, 0, 1, self.dilation,
        )
        return y.reshape(n, c, *y.shape[2:])
