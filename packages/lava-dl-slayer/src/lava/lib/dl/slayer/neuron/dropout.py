"""Neuron dropout: whole neurons are dropped for the whole time series.

For input ``x`` of shape ``(N, C, [H, W,] T)`` and drop probability ``p``, a Bernoulli mask
``m[n, c, h, w]`` (constant over time) is drawn in training mode and the output is
``x * m / (1 - p)``. In evaluation mode the module is the identity.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["Dropout"]


class Dropout(torch.nn.Dropout3d):
    """Drop whole neurons with probability ``p``; the mask is constant over time.

    Parameters
    ----------
    p : float
        Drop probability in ``[0, 1]``. Default 0.5.
    inplace : bool
        Modify the input in place. Default False.

    Notes
    -----
    Input ``(N, C, [H, W,] T)``; output has the same shape. Survivors are scaled by ``1/(1-p)``.
    """

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        if not 0 <= p <= 1:
            raise ValueError(f"Dropout: p must be in [0, 1], got {p}")
        super().__init__(p=p, inplace=inplace)

    def forward(self, input: torch.Tensor) -> torch.Tensor:  # noqa: D102
        if input.dim() < 2:
            raise ValueError(
                f"Dropout expects input (N, C, [H, W,] T) with time last, got shape "
                f"{tuple(input.shape)}"
            )
        shape = input.shape
        x = input.reshape(shape[0], -1, 1, 1, shape[-1])
        y = F.dropout3d(x, self.p, self.training, self.inplace)
        return y.reshape(shape)
