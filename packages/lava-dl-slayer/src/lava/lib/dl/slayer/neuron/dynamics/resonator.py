r"""Resonator (damped rotation) in Loihi fixed point.

With integer states :math:`R, I` at scale ``S`` and integer decays ``sin``, ``cos``
(:math:`4096 (1-\alpha)\sin\phi`, :math:`4096 (1-\alpha)\cos\phi`):

.. math::

    R[t] = \operatorname{rtz}(\cos R) - \operatorname{rtz}(\sin I) + \lfloor S x_r[t] \rfloor_0
    \qquad
    I[t] = \operatorname{rtz}(\sin R) + \operatorname{rtz}(\cos I) + \lfloor S x_i[t] \rfloor_0

Outputs are pre-reset. With a threshold (``>= 0``, Izhikevich variant) a step with
:math:`I \ge S\theta` resets :math:`R \leftarrow 0`, :math:`I \leftarrow S\theta - 1`.
Backward is the transposed rotation, reset ignored; sin/cos gradients are true gradients with
respect to the stored integers (lava-dl returned 4096 times them, spec §15 #2).
"""

from __future__ import annotations

import torch

from lava.lib.dl import core

from ._common import check_input

__all__ = ["dynamics", "persistent_imag_state", "persistent_real_state"]


def dynamics(
    real_input: torch.Tensor,
    imag_input: torch.Tensor,
    sin_decay: torch.Tensor,
    cos_decay: torch.Tensor,
    real_state: torch.Tensor,
    imag_state: torch.Tensor,
    w_scale: int,
    threshold: float | None = None,
    debug: bool = False,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Resonator.

    Parameters
    ----------
    real_input, imag_input : torch.Tensor
        ``(N, C, [H, W,] T)`` inputs of equal shape.
    sin_decay, cos_decay : torch.Tensor
        Integer-valued rotation coefficients (1, C or one per neuron).
    real_state, imag_state : torch.Tensor
        Initial states (float units).
    w_scale : int
        State scale S.
    threshold : float or None
        Izhikevich reset threshold on the imaginary state; None means no reset.
    debug : bool
        Unused (lava-dl compatibility).

    Returns
    -------
    tuple of torch.Tensor
        ``(real, imag)`` pre-reset traces, each shaped like the inputs.
    """
    check_input(real_input, "resonator.dynamics")
    if real_input.shape != imag_input.shape:
        raise ValueError(
            f"resonator: real {tuple(real_input.shape)} and imag {tuple(imag_input.shape)} differ"
        )
    out = core.resonator(
        real_input, imag_input, sin_decay, cos_decay, re_state=real_state,
        im_state=imag_state, threshold=threshold, s_scale=w_scale,
    )
    return out.real, out.imag


def persistent_real_state(real_state: torch.Tensor, spike: torch.Tensor) -> torch.Tensor:
    """Real state after a spike at the last step: ``real * (1 - 1[spike > 0])``."""
    return real_state * (1 - (spike > 0).to(real_state.dtype))


def persistent_imag_state(
    imag_state: torch.Tensor, spike: torch.Tensor, threshold: float, scale: float
) -> torch.Tensor:
    """Imaginary state after a spike: ``spike * (threshold - 1/scale) + (1 - spike) * imag``."""
    s = (spike > 0).to(imag_state.dtype)
    return s * (threshold - 1 / scale) + (1 - s) * imag_state
