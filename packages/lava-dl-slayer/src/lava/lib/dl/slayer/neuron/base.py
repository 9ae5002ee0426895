r"""Abstract spiking neuron: fixed-point scales, threshold quantization, lazy shapes, parameters.

Fixed-point conventions (Loihi compatible, spec §1.3)
-----------------------------------------------------
A neuron carries three scales:

- ``p_scale``: decays are stored as ``p_scale * fraction`` (4096 for every spiking neuron), so a
  stored decay ``d`` means the state loses ``d / 4096`` of itself per step;
- ``w_scale``: a weight of 1.0 is the hardware mantissa ``w_scale`` (``scale``, default 64);
- ``s_scale``: the integer state is ``s_scale * float_state`` (``64 * scale`` = 4096 by default).

The threshold is truncated to the weight grid, :math:`\theta_q = \lfloor \theta w \rfloor_0 / w`
(truncation toward zero), and its hardware mantissa is ``v_th_mant = int(theta_q * w_scale)``.
Weights are quantized by :meth:`Neuron.quantize_8bit` to even mantissas in ``[-256, 254]``:

.. math:: q_8(w) = \mathrm{clamp}(2/w_s \cdot \mathrm{round}(w w_s / 2), -256/w_s, 254/w_s)

``weight_exponent = log2(s_scale // w_scale) - 6``.

Shapes
------
Inputs are ``(N, C, [H, W,] T)`` (time last). The neuron shape ``input.shape[1:-1]`` is fixed by the
first forward call; later calls must present the same shape. Per-channel parameters
(``shared_param=False``) have one value per channel ``C`` and are drawn on the first forward (or
taken from a loaded state dict). State buffers start as one-element tensors, broadcast to
``(N, *shape)`` on first use and are reset when the batch size changes; they are not part of the
state dict.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import torch

from lava.lib.dl.core import fixed_point

__all__ = ["GRAD_MODES", "Neuron", "ShapeError"]

#: Gradient modes of the dynamics (see ``lava.lib.dl.core.dynamics``).
GRAD_MODES = ("surrogate", "exact")


class ShapeError(ValueError, AssertionError):
    """An input shape does not match what the module expects.

    Subclasses both ``ValueError`` and ``AssertionError`` (lava-dl raised the latter).
    """


def _check_input_rank(x: torch.Tensor, who: str) -> None:
    if x.dim() < 3:
        raise ShapeError(
            f"{who}: expected input to have at least 3 dimensions (N, C, [H, W,] T) with time "
            f"last, got shape {tuple(x.shape)}; add a batch or time axis with unsqueeze"
        )


class _ParamInit:
    """How a per-channel parameter is drawn on the first forward: uniform in [low, high]."""

    __slots__ = ("high", "low")

    def __init__(self, low: float, high: float) -> None:
        self.low = float(low)
        self.high = float(high)

    def draw(self, num: int, scale: float) -> torch.Tensor:
        return scale * (self.low + (self.high - self.low) * torch.rand(num))


def _range_of(value: Any, name: str, jitter: bool) -> tuple[float, float]:
    """Per-channel initialisation range of a decay-like argument."""
    if isinstance(value, torch.Tensor):
        value = value.flatten().tolist()
        if len(value) == 1:
            value = value[0]
    if isinstance(value, Sequence) and not isinstance(value, str):
        if len(value) != 2:
            raise ValueError(
                f"{name}: a per-channel range must be (min, max), got {value!r}"
            )
        low, high = (float(v) for v in value)
        if low > high:
            raise ValueError(f"{name}: range (min, max) = {value!r} has min > max")
        return low, high
    v = float(value)
    return (0.99 * v, 1.01 * v) if jitter else (v, v)


def _scalar_of(value: Any, name: str) -> float:
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            raise ValueError(
                f"{name}: shared_param=True needs a scalar, got a tensor of shape "
                f"{tuple(value.shape)}; pass shared_param=False for per-channel values"
            )
        return float(value.item())
    if isinstance(value, Sequence) and not isinstance(value, str):
        raise ValueError(
            f"{name}: shared_param=True needs a scalar, got {value!r}; pass shared_param=False "
            "for a per-channel (min, max) range"
        )
    return float(value)


class Neuron(torch.nn.Module):
    """Abstract spiking neuron.

    Parameters
    ----------
    threshold : float or None
        Firing threshold (float units); truncated to the ``1/w_scale`` grid. None means no
        threshold (non-spiking readout).
    tau_grad : float
        Surrogate gradient time constant relative to the threshold. Default 1.
    scale_grad : float
        Surrogate gradient scale. Default 1.
    p_scale : int
        Parameter (decay) scale. Default 1.
    w_scale : int
        Weight scale. Default 1.
    s_scale : int
        State scale, ``>= w_scale``. Default 1.
    norm : callable or None
        Class or factory called with no argument to build the normalisation module(s). If the
        module has ``pre_hook_fx``, it is set to :meth:`quantize_8bit`.
    dropout : torch.nn.Module or None
        Dropout applied to the spikes (an instance, e.g. :class:`~..dropout.Dropout`).
    persistent_state : bool
        Carry the state across forward calls. Default False.
    shared_param : bool
        One value for all neurons (True) or one per channel (False). Default True.
    requires_grad : bool
        Learnable decays. Default True (every concrete neuron defaults to False).
    complex : bool
        Complex (real, imag) input. Default False.
    grad_mode : {"surrogate", "exact"}, keyword-only
        ``surrogate`` (lava-dl) ignores resets in the backward pass of the dynamics; ``exact``
        stops the gradient through a state at the steps where it was reset.
    lava_dl_compat : bool, keyword-only
        Reproduce lava-dl 0.6's decay gradients (-4096x / 4096x the true ones, spec §15 #1-#2)
        for bit-compatible training trajectories. Default False.
    """

    def __init__(
        self,
        threshold: float | None,
        tau_grad: float = 1,
        scale_grad: float = 1,
        p_scale: int = 1,
        w_scale: int = 1,
        s_scale: int = 1,
        norm: Callable[[], torch.nn.Module] | None = None,
        dropout: torch.nn.Module | None = None,
        persistent_state: bool = False,
        shared_param: bool = True,
        requires_grad: bool = True,
        complex: bool = False,
        *,
        grad_mode: str = "surrogate",
        lava_dl_compat: bool = False,
    ) -> None:
        super().__init__()
        if grad_mode not in GRAD_MODES:
            raise ValueError(
                f"grad_mode must be one of {GRAD_MODES}, got {grad_mode!r}"
            )
        self.grad_mode = grad_mode
        self.lava_dl_compat = bool(lava_dl_compat)
        self.num_neurons: int | None = None
        self.shape: tuple[int, ...] | None = None
        self.p_scale = p_scale
        self.w_scale = int(w_scale)
        self.s_scale = int(s_scale)
        if self.w_scale < 1 or self.s_scale < self.w_scale:
            raise ValueError(
                f"scales must satisfy 1 <= w_scale <= s_scale, got w_scale={w_scale}, "
                f"s_scale={s_scale}"
            )
        if threshold is None:
            self._threshold = None
        else:
            self._threshold = int(float(threshold) * self.w_scale) / self.w_scale
        t = 1.0 if self._threshold is None else self._threshold
        self.tau_rho = tau_grad * t
        self.scale_rho = scale_grad
        self.shared_param = bool(shared_param)
        self.persistent_state = bool(persistent_state)
        self.requires_grad = bool(requires_grad)
        self.complex = bool(complex)
        self.debug = False
        self._param_init: dict[str, _ParamInit] = {}

        if norm is not None and not callable(norm):
            raise TypeError(
                "norm must be a class or factory called with no argument (e.g. "
                f"slayer.neuron.norm.MeanOnlyBatchNorm), got {norm!r}"
            )
        if complex:
            self.real_norm = self._make_norm(norm)
            self.imag_norm = self._make_norm(norm)
            self.norm = None
        else:
            self.norm = self._make_norm(norm)
        if dropout is not None and not callable(dropout):
            raise TypeError(f"dropout must be a module instance, got {dropout!r}")
        self.drop = dropout

    # ------------------------------------------------------------------ construction helpers
    def _make_norm(self, norm: Callable[[], torch.nn.Module] | None) -> torch.nn.Module | None:
        if norm is None:
            return None
        module = norm()
        if hasattr(module, "pre_hook_fx"):
            module.pre_hook_fx = self.quantize_8bit
        return module

    def _add_param(
        self,
        name: str,
        value: Any,
        *,
        scale: float,
        jitter: bool = True,
    ) -> None:
        """Register a (decay-like) parameter stored as ``scale * value``.

        Shared: a ``(1,)`` Parameter. Per channel: a ``(1,)`` placeholder (the range midpoint)
        redrawn as ``(C,)`` uniformly in the range on the first forward. A tensor with more than
        one element (``shared_param=False``) gives explicit per-channel ``(C,)`` or per-neuron
        ``(C, H, W)`` values.
        """
        if self.shared_param:
            v = _scalar_of(value, name)
            data = torch.tensor([scale * v], dtype=torch.float32)
        elif isinstance(value, torch.Tensor) and value.numel() > 1:
            data = scale * value.detach().to(torch.float32).clone()
        else:
            low, high = _range_of(value, name, jitter)
            self._param_init[name] = _ParamInit(low, high)
            data = torch.tensor([scale * 0.5 * (low + high)], dtype=torch.float32)
        self.register_parameter(
            name, torch.nn.Parameter(data, requires_grad=self.requires_grad)
        )

    def _params_pending(self) -> bool:
        """True while per-channel parameters still wait for the channel count.

        Blocks that know their channel count draw them at construction; a stand-alone neuron or
        a block whose channel count comes from its input (Input, Pool, Unpool) draws them at the
        first forward, which must happen before wrapping in DistributedDataParallel (see
        :func:`lava.lib.dl.slayer.utils.distributed.wrap_ddp`).
        """
        return bool(self._param_init)

    def _init_channel_params(self, num_channels: int) -> None:
        """Draw the per-channel parameters (called once, at the first forward)."""
        for name, init in list(self._param_init.items()):
            p = getattr(self, name)
            scale = float(self.p_scale)
            p.data = init.draw(num_channels, scale).to(p.device, p.dtype)
        self._param_init.clear()
        self.clamp()

    def _check_param_layouts(self, shape: tuple[int, ...]) -> None:
        for name, p in self.named_parameters(recurse=False):
            ok = (p.numel() == 1 or tuple(p.shape) == shape[:1] or tuple(p.shape) == shape)
            if not ok:
                raise ShapeError(
                    f"{type(self).__module__}.Neuron: parameter {name!r} has shape "
                    f"{tuple(p.shape)}; expected 1, ({shape[0]},) per channel or {shape} per "
                    "neuron values"
                )

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):  # noqa: D105
        # per-channel parameters may be loaded before the first forward
        for name in list(self._param_init):
            key = prefix + name
            if key in state_dict:
                p = getattr(self, name)
                p.data = torch.zeros_like(state_dict[key], dtype=p.dtype, device=p.device)
                del self._param_init[name]
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    # ------------------------------------------------------------------ shapes and state
    def _set_shape(self, shape: tuple[int, ...]) -> None:
        shape = tuple(int(s) for s in shape)
        if self.shape is None:
            self.shape = shape
            self.num_neurons = math.prod(shape)
            if not self.shared_param:
                self._init_channel_params(shape[0])
                self._check_param_layouts(shape)
        elif tuple(self.shape) != shape:
            raise ShapeError(
                f"{type(self).__module__}.{type(self).__name__}: input neuron shape {shape} "
                f"differs from the shape {tuple(self.shape)} fixed by the first call; build a "
                "new neuron for a different layer size"
            )

    def _check_input(self, x: torch.Tensor) -> None:
        _check_input_rank(x, f"{type(self).__module__}.{type(self).__name__}")
        self._set_shape(tuple(x.shape[1:-1]))

    def _states(self, names: Sequence[str], batch_shape: tuple[int, ...],
                defaults: Sequence[float]) -> list[torch.Tensor]:
        """Return the named state buffers broadcast to ``batch_shape`` (reset on batch change)."""
        reset = any(
            getattr(self, n).numel() != 1 and tuple(getattr(self, n).shape) != batch_shape
            for n in names
        )
        out = []
        for n, d in zip(names, defaults, strict=True):
            buf = getattr(self, n)
            if reset:
                buf = torch.full((1,), float(d), dtype=buf.dtype, device=buf.device)
                setattr(self, n, buf)
            out.append(buf.expand(batch_shape) if buf.numel() == 1 else buf)
        return out

    def _store(self, name: str, value: torch.Tensor) -> None:
        """Store a persistent state (detached, so the next call starts a fresh graph)."""
        setattr(self, name, value.detach().clone())

    @property
    def _grad_opts(self) -> dict[str, Any]:
        """Gradient options forwarded to the core dynamics."""
        return {"grad_mode": self.grad_mode, "lava_dl_compat": self.lava_dl_compat}

    # ------------------------------------------------------------------ public API
    @property
    def threshold(self) -> float | None:
        """Quantized threshold ``int(threshold * w_scale) / w_scale`` (read-only)."""
        return self._threshold

    @property
    def scale(self) -> int:
        """Weight scale ``w_scale``."""
        return self.w_scale

    @property
    def device(self) -> torch.device:
        """Device of the neuron's parameters (or buffers)."""
        for t in self.parameters():
            return t.device
        for t in self.buffers():
            return t.device
        return torch.device("cpu")

    @property
    def weight_exponent(self) -> int:
        """Hardware weight exponent ``log2(s_scale // w_scale) - 6``."""
        return int(math.log2(self.s_scale // self.w_scale)) - 6

    @property
    def v_th_mant(self) -> int:
        """Hardware threshold mantissa ``int(threshold * w_scale)``."""
        if self._threshold is None:
            raise ValueError("this neuron has no threshold (non-spiking readout)")
        return int(self._threshold * self.w_scale)

    def quantize_8bit(self, weight: torch.Tensor, descale: bool = False) -> torch.Tensor:
        """Quantize to even 8-bit mantissas at ``w_scale`` (straight-through gradient).

        Parameters
        ----------
        weight : torch.Tensor
            Any shape.
        descale : bool
            Return the integer mantissas (``q * w_scale``) instead of float weights.

        Returns
        -------
        torch.Tensor
            Same shape; values ``m / w_scale`` with even ``m`` in ``[-256, 254]``.
        """
        return fixed_point.quantize_8bit(weight, self.w_scale, descale=descale)

    def clamp(self) -> None:
        """Clamp the learnable parameters to their valid range (no-op in the base)."""

    def extra_repr(self) -> str:  # noqa: D102
        return (
            f"threshold={self._threshold}, shape={self.shape}, w_scale={self.w_scale}, "
            f"s_scale={self.s_scale}, shared_param={self.shared_param}, "
            f"persistent_state={self.persistent_state}"
        )
