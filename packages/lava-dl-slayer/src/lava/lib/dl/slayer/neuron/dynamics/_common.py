"""Input checks shared by the lava-dl compatible dynamics functions."""

from __future__ import annotations

import torch


def check_input(x: torch.Tensor, who: str) -> None:
    """Require a tensor ``(N, C, [H, W,] T)``; the message names the calling function."""
    if not isinstance(x, torch.Tensor) or x.dim() < 3:
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(
            f"{who}: expected input to have at least 3 dimensions (N, C, [H, W,] T) with time "
            f"last, got {shape}"
        )
