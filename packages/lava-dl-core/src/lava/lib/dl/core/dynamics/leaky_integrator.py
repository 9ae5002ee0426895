r"""Leaky integrator (CUBA current and voltage), with optional reset.

Forward (fixed point, per neuron; :math:`S` = ``s_scale``, :math:`d` the decay in 1/4096,
:math:`\operatorname{rtz}` truncation toward zero):

.. math::
    Y_t = \operatorname{rtz}\!\left(\frac{Y^{+}_{t-1}(4096 - d)}{4096}\right)
          + \operatorname{trunc}(S x_t), \qquad y_t = Y_t / S,

    Y^{+}_t = \begin{cases} 0 & Y_t \ge \lceil S\vartheta \rceil \text{ (reset)}\\
                            Y_t & \text{otherwise,}\end{cases}

with :math:`Y^{+}_{-1}` the initial state. The returned trace :math:`y` holds the **pre-reset**
values; the returned final state is :math:`Y^{+}_{T-1}/S`. Loihi's strict ``v > vth`` is obtained
with ``threshold = vth + eps`` for any ``0 < eps * S <= 1`` (lava-dl's CUBA uses
``0.01 / S``); a threshold ``<= 0`` disables the reset of that neuron.

Backward (straight-through quantization, :math:`\lambda = 1 - d/4096`,
:math:`k_t = 0` iff the state was reset after step t in ``grad_mode="exact"``, else 1):

.. math::
    a_t = g_t + \lambda k_t a_{t+1}, \qquad
    \frac{\partial L}{\partial x_t} = a_t, \qquad
    \frac{\partial L}{\partial d} = -\frac{1}{4096}\sum_t a_t\, y^{+}_{t-1}, \qquad
    \frac{\partial L}{\partial y^{+}_{-1}} = \lambda a_0 .

``lava_dl_compat=True`` reproduces lava-dl 0.6's decay gradient
:math:`\sum_{t\ge1} a_t y_{t-1}` (−4096× the true value, pre-reset states, no initial-state
term; spec §15 #1).
"""

from __future__ import annotations

from typing import NamedTuple

import torch

from ..backend import resolve, resolve_companion
from ..fixed_point import P_SCALE, S_SCALE
from . import _common as C

__all__ = ["LeakyIntegratorResult", "leaky_integrator"]


class LeakyIntegratorResult(NamedTuple):
    """Output of :func:`leaky_integrator`.

    Attributes
    ----------
    y : Tensor (N, C, [H, W,] T)
        Pre-reset state trace (exact multiples of ``1/s_scale``).
    state : Tensor (N, C, [H, W])
        Post-reset state after the last step; pass it as ``state=`` of the next call to
        continue the run (it stays connected to autograd).
    """

    y: torch.Tensor
    state: torch.Tensor


class _LeakyIntegrator(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, decay, state, level, opts):
        ctx.set_materialize_grads(False)
        s = opts.s_scale
        _, fwd = resolve("leaky_integrator_fwd", x.device, opts.backend)
        y = fwd(
            x, decay.detach().to(torch.int64), C.to_fixed(state, s), level, s_scale=s
        )
        last = y[:, -1]
        if level is None:
            final = last.clone()
        else:
            final = torch.where(C.to_fixed(last, s) >= level, torch.zeros_like(last), last)
        ctx.save_for_backward(y, decay, state, level)
        ctx.opts = opts
        return y, final

    @staticmethod
    def backward(ctx, grad_y, grad_final):
        y, decay, state, level = ctx.saved_tensors
        opts = ctx.opts
        exact = opts.exact_reset and level is not None
        need_decay, need_state = ctx.needs_input_grad[1], ctx.needs_input_grad[2]
        gain = 1 - decay.detach().to(y.dtype) / P_SCALE
        _, bwd, fused = resolve_companion(
            "leaky_integrator_bwd", "leaky_integrator_bwd_fused", y.device, opts.backend
        )
        if grad_y is None:
            grad_y = torch.zeros_like(y)
        grad_decay = grad_state = None
        if fused is not None:
            # masks, final-state gradient and the decay-gradient sum inside the kernel
            grad_x, dot = fused(
                grad_y.contiguous(),
                gain.contiguous(),
                y,
                level,
                None if grad_final is None else grad_final.contiguous(),
                s_scale=opts.s_scale,
                exact=exact,
                decay_dot=need_decay,
                compat=opts.lava_dl_compat,
            )
            if need_decay:
                dot = dot.to(y.dtype)
                if opts.lava_dl_compat:
                    grad_decay = dot
                else:
                    first = grad_x[:, 0] * state.detach().to(y.dtype)
                    grad_decay = -(dot + first) / P_SCALE
        else:
            keep = None
            if level is not None and (exact or (need_decay and not opts.lava_dl_compat)):
                keep = C.keep_mask(y, level, opts.s_scale)
            if grad_final is not None:
                grad_y = grad_y.clone()
                grad_y[:, -1] += grad_final * (keep[:, -1] if exact else 1)
            grad_x = bwd(grad_y.contiguous(), gain.contiguous(), keep if exact else None)
            if need_decay:
                if opts.lava_dl_compat:
                    grad_decay = C.rowdot(grad_x[:, 1:], y[:, :-1])
                else:
                    prev = y[:, :-1] if keep is None else y[:, :-1] * keep[:, :-1]
                    first = grad_x[:, 0] * state.detach().to(y.dtype)
                    grad_decay = -(C.rowdot(grad_x[:, 1:], prev) + first) / P_SCALE
        if need_state:
            grad_state = gain * grad_x[:, 0]
        return grad_x, grad_decay, grad_state, None, None


def leaky_integrator(
    x: torch.Tensor,
    decay,
    *,
    state=None,
    threshold=None,
    s_scale: int = S_SCALE,
    grad_mode: str = "surrogate",
    lava_dl_compat: bool = False,
    backend: str | None = None,
) -> LeakyIntegratorResult:
    """Fixed-point leaky integrator over time (see the module docstring for the math).

    Parameters
    ----------
    x : Tensor (N, C, [H, W,] T)
        Input per step, float (float64 is kept; other dtypes run in float32).
    decay : float or Tensor
        Fraction lost per step in units of 1/4096, in [0, 4096]; rounded to an integer with a
        straight-through gradient. Shared, per channel, per neuron (see
        :mod:`lava.lib.dl.core.dynamics`).
    state : float or Tensor, optional, keyword-only
        Initial (post-reset) state in value units, any parameter layout (default 0).
    threshold : float or Tensor or None, keyword-only
        Reset iff ``y >= threshold`` in integers (``Y >= ceil(S * threshold)``); ``None`` or a
        value ``<= 0`` disables the reset.
    s_scale : int, keyword-only
        State scale ``S`` (4096).
    grad_mode : {"surrogate", "exact"}, keyword-only
        ``surrogate`` (lava-dl) ignores resets in the backward pass; ``exact`` stops the
        gradient through the state at steps where it was reset.
    lava_dl_compat : bool, keyword-only
        Reproduce lava-dl 0.6's (wrong, −4096×) decay gradient.
    backend : str, optional, keyword-only
        Backend override (``"reference"``, ``"numba"``, ``"cupy"``, ``"auto"``).

    Returns
    -------
    LeakyIntegratorResult
        ``(y, state)``: the pre-reset trace, shape of ``x``, and the final post-reset state,
        shape ``x.shape[:-1]``.
    """
    C.check_input(x)
    opts = C.make_options(s_scale, backend, grad_mode, lava_dl_compat)
    dtype, dev, lead = C.work_dtype(x), x.device, x.shape[:-1]
    d = C.decay_param(decay, lead, "decay", dtype=dtype, device=dev)
    st = C.state_param(state, 0.0, lead, "state", dtype=dtype, device=dev)
    level = C.reset_level(threshold, lead, opts.s_scale, device=dev, strict_positive=True)
    y, final = _LeakyIntegrator.apply(C.flat_traces(x, dtype), d, st, level, opts)
    return LeakyIntegratorResult(y.reshape(x.shape), final.reshape(lead))
