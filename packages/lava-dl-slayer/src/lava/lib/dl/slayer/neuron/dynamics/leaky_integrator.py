r"""Leaky integrator in Loihi fixed point.

With integer state :math:`Y = \lfloor S y \rfloor_0` (``S = w_scale``, the neurons pass their
``s_scale``), stored decay :math:`d` (units of 1/4096) and
:math:`\operatorname{rtz}(a) = \operatorname{sign}(a)\lfloor |a| / 4096 \rfloor`:

.. math::

    Y[t] = \operatorname{rtz}(Y[t-1] (4096 - d)) + \lfloor S x[t] \rfloor_0, \qquad
    y[t] = Y[t] / S \;\text{(pre-reset)}

and with a threshold :math:`\Theta = S\theta`, :math:`Y[t] \leftarrow 0` when
:math:`Y[t] \ge \Theta` (the neurons add ``0.01 / S`` so that the reset is :math:`Y > S\theta_q`).

Backward ignores the reset: :math:`g_x[t] = \lambda g_x[t+1] + g_y[t]`,
:math:`\lambda = 1 - d/4096`,
and :math:`\partial L/\partial d = -\sum_t g_x[t]\, y[t-1] / 4096` (the true gradient; lava-dl
returned -4096 times this, spec §15 #1).
"""

from __future__ import annotations

import torch

from lava.lib.dl import core

from ._common import check_input

__all__ = ["dynamics", "persistent_state"]


def dynamics(
    input: torch.Tensor,
    decay: torch.Tensor,
    state: torch.Tensor,
    w_scale: int,
    threshold: float | None = None,
    debug: bool = False,
) -> torch.Tensor:
    """Leaky integrator.

    Parameters
    ----------
    input : torch.Tensor
        ``(N, C, [H, W,] T)`` input.
    decay : torch.Tensor
        Decay in units of 1/4096 (integer valued); 1 value, C values or one per neuron.
    state : torch.Tensor
        Initial state (float units); 1 value or one per (batch, neuron).
    w_scale : int
        State scale S.
    threshold : float or None
        Reset threshold (float units); None or <= 0 means no reset.
    debug : bool
        Unused (kept for lava-dl compatibility).

    Returns
    -------
    torch.Tensor
        Pre-reset state trace, same shape as ``input``, multiples of ``1/S``.
    """
    check_input(input, "leaky_integrator.dynamics")
    return core.leaky_integrator(
        input, decay, state=state, threshold=threshold, s_scale=w_scale
    ).y


def persistent_state(state: torch.Tensor, spike: torch.Tensor) -> torch.Tensor:
    """State to carry over after a spike at the last step: ``state * (1 - 1[spike > 0])``."""
    return state * (1 - (spike > 0).to(state.dtype))
