r"""Sigma decoder: cumulative sum over time.

:math:`y[t] = y_0 + \sum_{k \le t} x[k]`, with :math:`y_0 = 0` or, with persistent state, the last
output of the previous call. The gradient is the reverse cumulative sum, so Sigma after Delta has
an identity gradient.
"""

from __future__ import annotations

import torch

from lava.lib.dl import core

from ..neuron.base import ShapeError, _check_input_rank

__all__ = ["Sigma"]


class Sigma(torch.nn.Module):
    """Sigma decoder.

    Parameters
    ----------
    persistent_state : bool
        Continue the sum from the previous call. Default False.

    Notes
    -----
    Input ``(N, C, [H, W,] T)``; output of the same shape.
    """

    def __init__(self, persistent_state: bool = False) -> None:
        super().__init__()
        self.persistent_state = bool(persistent_state)
        self.shape: tuple[int, ...] | None = None
        self.register_buffer("pre_state", torch.zeros(1), persistent=False)

    @property
    def device_params(self) -> dict[str, object]:
        """Hardware parameters exported to hdf5."""
        return {"type": "SDNN", "sigma_output": True}

    def forward(self, input: torch.Tensor) -> torch.Tensor:  # noqa: D102
        _check_input_rank(input, "dendrite.Sigma")
        shape = tuple(input.shape[1:-1])
        if self.shape is None:
            self.shape = shape
        elif tuple(self.shape) != shape:
            raise ShapeError(
                f"dendrite.Sigma: input neuron shape {shape} differs from {tuple(self.shape)} "
                "fixed by the first call"
            )
        if not self.persistent_state:
            return core.sigma_decoder(input).y
        pre = self.pre_state
        if pre.numel() != 1 and tuple(pre.shape) != tuple(input.shape[:-1]):
            pre = torch.zeros(1, dtype=input.dtype, device=input.device)  # batch changed
        out = core.sigma_decoder(input, state=pre.to(input.dtype))
        self.pre_state = out.state.detach().clone()
        return out.y
