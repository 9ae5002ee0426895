r"""Neuron cores of DECOLLE layers: CUBA (slayer blocks) and the presynaptic-trace LIF.

A *core* maps input spikes ``(N, *in_shape, T)`` to ``(spikes, u)`` of shape
``(N, *out_shape, T)``, where ``u`` is the membrane potential **relative to the threshold**
(a neuron spikes where :math:`u \ge 0`). Cores carry their state across calls (so a sequence can be
fed one time step at a time) until :meth:`reset_state`; the stored state is detached, so every call
starts a fresh autograd graph.

CUBA core
---------
A slayer ``cuba.Dense`` / ``cuba.Conv`` block with ``persistent_state=True``: current
:math:`i[t] = (1-\delta_i)\,i[t-1] + W s[t]`, voltage :math:`v[t] = (1-\delta_v)\,v[t-1] + i[t]`,
spike :math:`s = H(v - \vartheta)` with reset, surrogate gradient from slayer; optional one-step
inter-layer shift (``delay_shift``, the Loihi axon delay). :math:`u = v - \vartheta`.

Presynaptic-trace LIF (``"trace"``)
-----------------------------------
The neuron of the DECOLLE paper, with the traces on the *input* side:

.. math::

    Q[t] &= \beta\,Q[t-1] + (1-\beta)\,S_{in}[t] \\
    P[t] &= \alpha\,P[t-1] + (1-\alpha)\,Q[t] \\
    R[t] &= \alpha_{rp}\,R[t-1] - (1-\alpha_{rp})\,w_{rp}\,S[t-1] \\
    U[t] &= W P[t] + b + R[t], \qquad S[t] = H(U[t])

with the fast-sigmoid surrogate :math:`\partial S/\partial U = 1/(10|U|+1)^2`. :math:`P` does not
depend on :math:`W` and :math:`R` is computed from detached spikes, so
:math:`\partial U/\partial W = P`: the update is local in space *and* time (error
:math:`\times\,\sigma'(U) \times P`). This core runs in float and cannot be exported to hdf5 (no
netx neuron implements it); train with ``neuron="cuba"`` to deploy.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch

import lava.lib.dl.slayer as slayer

__all__ = [
    "CUBA_DEFAULTS",
    "NEURON_CORES",
    "TRACE_DEFAULTS",
    "CoreFactory",
    "CubaCore",
    "FastSigmoidSpike",
    "TraceCore",
    "register_neuron_core",
]

#: CUBA neuron parameters used by default (the lava-decolle N-MNIST tutorial's values).
CUBA_DEFAULTS: dict[str, Any] = {
    "threshold": 1.25,
    "current_decay": 0.25,
    "voltage_decay": 0.03,
    "tau_grad": 0.03,
    "scale_grad": 3,
}

#: Presynaptic-trace LIF parameters used by default (the reference's alpha, beta, alpha_rp).
TRACE_DEFAULTS: dict[str, float] = {"alpha": 0.97, "beta": 0.92, "alpha_rp": 0.65, "w_rp": 1.0}


class FastSigmoidSpike(torch.autograd.Function):
    r"""Heaviside step :math:`H(u)` with the fast-sigmoid surrogate :math:`1/(10|u|+1)^2`."""

    @staticmethod
    def forward(ctx: Any, u: torch.Tensor) -> torch.Tensor:  # noqa: D102
        ctx.save_for_backward(u)
        return (u >= 0).to(u.dtype)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> torch.Tensor:  # noqa: D102
        (u,) = ctx.saved_tensors
        return grad / (10.0 * u.abs() + 1.0) ** 2


def _pair(v: int | tuple[int, int]) -> tuple[int, int]:
    return (int(v), int(v)) if isinstance(v, int) else (int(v[0]), int(v[1]))


def conv_output_shape(in_shape: tuple[int, int, int], out_channels: int,
                      kernel_size: int | tuple[int, int], stride: int | tuple[int, int],
                      padding: int | tuple[int, int]) -> tuple[int, int, int]:
    """``(C_out, H_out, W_out)`` of a convolution of an input ``(C, H, W)``."""
    k, s, p = _pair(kernel_size), _pair(stride), _pair(padding)
    h = (in_shape[1] + 2 * p[0] - k[0]) // s[0] + 1
    w = (in_shape[2] + 2 * p[1] - k[1]) // s[1] + 1
    if h <= 0 or w <= 0:
        raise ValueError(
            f"convolution of input {tuple(in_shape)} with kernel {k}, stride {s}, padding {p} "
            "has an empty output: use a smaller kernel or more padding"
        )
    return (int(out_channels), h, w)


# ====================================================================== CUBA (slayer block)
class CubaCore(torch.nn.Module):
    """CUBA core around a slayer ``cuba.Dense`` or ``cuba.Conv`` block.

    Parameters
    ----------
    kind : {'dense', 'conv'}
        Synapse type.
    in_shape : tuple of int
        ``(F,)`` for dense, ``(C, H, W)`` for conv.
    out_shape : tuple of int
        ``(F,)`` for dense, ``(C, H, W)`` for conv.
    neuron_params : dict, optional
        CUBA neuron keyword arguments (merged over :data:`CUBA_DEFAULTS`; ``persistent_state`` is
        always True).
    weight_scale : float
        slayer's initial weight multiplier.
    delay_shift : bool
        One-step inter-layer shift of the output spikes (as deployed). Default True.
    conv : dict, optional
        ``kernel_size``, ``stride``, ``padding`` of a conv core.
    """

    def __init__(self, kind: str, in_shape: tuple[int, ...], out_shape: tuple[int, ...], *,
                 neuron_params: Mapping[str, Any] | None = None, weight_scale: float = 1.0,
                 delay_shift: bool = True, conv: Mapping[str, Any] | None = None) -> None:
        super().__init__()
        given = dict(neuron_params or {})
        if not given.get("persistent_state", True):
            raise ValueError(
                "DECOLLE CUBA layers need persistent_state=True (the state is carried from one "
                "time step to the next in online mode); drop the persistent_state entry"
            )
        params = {**CUBA_DEFAULTS, **given, "persistent_state": True}
        self.kind = kind
        self.in_shape = tuple(in_shape)
        self.out_shape = tuple(out_shape)
        if kind == "dense":
            self.block = slayer.block.cuba.Dense(
                params, int(in_shape[0]), int(out_shape[0]), weight_scale=weight_scale,
                delay_shift=delay_shift,
            )
        else:
            conv = dict(conv or {})
            self.block = slayer.block.cuba.Conv(
                params, int(in_shape[0]), int(out_shape[0]), conv["kernel_size"],
                stride=conv.get("stride", 1), padding=conv.get("padding", 0),
                weight_scale=weight_scale, delay_shift=delay_shift,
            )

    @property
    def threshold(self) -> float:
        """The neuron's (quantized) threshold."""
        return float(self.block.neuron.threshold)

    def reset_state(self) -> None:
        """Zero the neuron state and the inter-layer shift buffer."""
        neuron = self.block.neuron
        for name in ("current_state", "voltage_state"):
            buf = getattr(neuron, name)
            setattr(neuron, name, torch.zeros(1, dtype=buf.dtype, device=buf.device))
        if hasattr(self.block, "delay_buffer"):
            self.block.delay_buffer = None

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(spikes, shifted_spikes, u)`` for input spikes ``(N, *in_shape, T)``."""
        z = self.block.synapse(x)
        _, v = self.block.neuron.dynamics(z)
        s = self.block.neuron.spike(v)
        shifted = slayer.block.base.step_delay(self.block, s) if self.block.delay_shift else s
        return s, shifted, v - self.threshold


# ====================================================================== presynaptic traces
class TraceCore(torch.nn.Module):
    """Presynaptic-trace LIF core (see the module docstring).

    Parameters
    ----------
    kind, in_shape, out_shape, conv
        As :class:`CubaCore`.
    neuron_params : dict, optional
        ``alpha``, ``beta``, ``alpha_rp``, ``w_rp`` (merged over :data:`TRACE_DEFAULTS`).
    weight_scale : float
        Multiplier of the default (Kaiming-uniform) torch initialisation.
    delay_shift : bool
        Ignored (accepted for a common signature); the trace core has no shift.
    """

    def __init__(self, kind: str, in_shape: tuple[int, ...], out_shape: tuple[int, ...], *,
                 neuron_params: Mapping[str, Any] | None = None, weight_scale: float = 1.0,
                 delay_shift: bool = True, conv: Mapping[str, Any] | None = None) -> None:
        super().__init__()
        params = {**TRACE_DEFAULTS, **dict(neuron_params or {})}
        unknown = sorted(set(params) - set(TRACE_DEFAULTS))
        if unknown:
            raise TypeError(
                f"unknown trace-LIF parameters {unknown}: use {sorted(TRACE_DEFAULTS)}"
            )
        self.alpha, self.beta = float(params["alpha"]), float(params["beta"])
        self.alpha_rp, self.w_rp = float(params["alpha_rp"]), float(params["w_rp"])
        self.kind = kind
        self.in_shape = tuple(in_shape)
        self.out_shape = tuple(out_shape)
        if kind == "dense":
            self.synapse: torch.nn.Module = torch.nn.Linear(int(in_shape[0]), int(out_shape[0]))
        else:
            conv = dict(conv or {})
            self.synapse = torch.nn.Conv2d(
                int(in_shape[0]), int(out_shape[0]), conv["kernel_size"],
                stride=conv.get("stride", 1), padding=conv.get("padding", 0),
            )
        with torch.no_grad():
            self.synapse.weight.mul_(weight_scale)
        self.threshold = 0.0
        self._state: dict[str, torch.Tensor] | None = None

    def reset_state(self) -> None:
        """Forget Q, P, R and the last spikes."""
        self._state = None

    def _apply(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        self._state = None
        return super()._apply(fn, *args, **kwargs)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(spikes, spikes, u)`` for input spikes ``(N, *in_shape, T)``."""
        n = x.shape[0]
        st = self._state
        if st is None or st["q"].shape[0] != n:
            zeros_in = torch.zeros_like(x[..., 0])
            out0 = torch.zeros((n, *self.out_shape), dtype=x.dtype, device=x.device)
            st = {"q": zeros_in, "p": zeros_in, "r": out0, "s": out0}
        q, p, r, s = st["q"], st["p"], st["r"], st["s"]
        spikes, us = [], []
        for t in range(x.shape[-1]):
            q = self.beta * q + (1 - self.beta) * x[..., t].detach()
            p = self.alpha * p + (1 - self.alpha) * q
            r = self.alpha_rp * r - (1 - self.alpha_rp) * self.w_rp * s.detach()
            u = self.synapse(p) + r
            s = FastSigmoidSpike.apply(u)
            spikes.append(s)
            us.append(u)
        self._state = {"q": q.detach(), "p": p.detach(), "r": r.detach(), "s": s.detach()}
        spk = torch.stack(spikes, dim=-1)
        return spk, spk, torch.stack(us, dim=-1)


# ====================================================================== registry
CoreFactory = Callable[..., torch.nn.Module]

#: Neuron name -> core class (``cls(kind, in_shape, out_shape, *, neuron_params, weight_scale,
#: delay_shift, conv)``).
NEURON_CORES: dict[str, CoreFactory] = {"cuba": CubaCore, "trace": TraceCore}


def register_neuron_core(name: str, factory: CoreFactory, *, replace: bool = False) -> None:
    """Register a neuron core under ``name`` (then usable as ``neuron=name`` in the layers).

    Raises
    ------
    ValueError
        ``name`` is taken and ``replace`` is False.
    """
    if name in NEURON_CORES and not replace:
        raise ValueError(f"neuron core {name!r} is already registered: pass replace=True")
    NEURON_CORES[name] = factory


def make_core(neuron: str, *args: Any, **kwargs: Any) -> torch.nn.Module:
    """Build the core registered as ``neuron``."""
    try:
        factory = NEURON_CORES[neuron]
    except KeyError:
        raise ValueError(
            f"unknown DECOLLE neuron {neuron!r}: use one of {sorted(NEURON_CORES)} or register "
            "one with lava.lib.dl.decolle.register_neuron_core"
        ) from None
    return factory(*args, **kwargs)


