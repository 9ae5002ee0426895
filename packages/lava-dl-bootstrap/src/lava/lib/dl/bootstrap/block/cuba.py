"""Bootstrap blocks of the CUBA family: slayer's ``block.cuba`` blocks with the bootstrap modes.

Every block takes the arguments of the slayer block of the same name
(:mod:`lava.lib.dl.slayer.block.cuba`) and adds ``forward(x, mode=Mode.ANN)`` (see
:mod:`.base`). Export (``export_hdf5``) is slayer's, through the same exporters.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from lava.lib.dl.slayer.block import cuba as _slayer

from .._routine import Mode
from . import base

__all__ = ["Affine", "Conv", "Dense", "Flatten", "Input", "Pool"]


class Input(base.AbstractBlock, _slayer.Input):
    """Input encoder: ``neuron(q(x) q(w) + q(b))`` (SNN), ``f(q(x) q(w) + q(b))`` (ANN).

    Parameters
    ----------
    neuron_params : dict
        CUBA neuron keyword arguments (required: the encoder is the neuron).
    weight, bias, delay_shift, count_log
        As :class:`lava.lib.dl.slayer.block.cuba.Input`.
    """

    def __init__(self, neuron_params: Mapping[str, Any] | None = None, *args: Any,
                 **kwargs: Any) -> None:
        if neuron_params is None:
            raise ValueError(
                "bootstrap.block.cuba.Input needs neuron_params: its neuron is the rate encoder "
                "(use slayer.block.cuba.Input for a neuron-less input)"
            )
        super().__init__(neuron_params, *args, **kwargs)

    def _forward_synapse(self, x: torch.Tensor) -> torch.Tensor:
        """Encoded input ``q(x) q(w) + q(b)`` (``q`` = the neuron's 8-bit quantizer)."""
        return self._encode(x)


class Flatten(_slayer.Flatten):
    """Flatten ``(N, C, H, W, T)`` to ``(N, C*H*W, T)`` in every mode."""

    def forward(self, x: torch.Tensor, mode: Mode = Mode.ANN) -> Any:
        """Flattened input; ``mode`` is accepted and ignored."""
        return super().forward(x)


class Affine(base.AbstractBlock, _slayer.Affine):
    """Linear readout: the synapse output ``W x`` in every mode.

    Arguments as :class:`lava.lib.dl.slayer.block.cuba.Affine`. Exported as slayer's Affine (a
    dense layer whose neuron never fires, or no neuron with ``dynamics=False``).
    """

    def forward(self, x: torch.Tensor, mode: Mode = Mode.ANN) -> Any:
        """``(N, out, T)`` synapse output, whatever the mode."""
        if not isinstance(mode, Mode):
            raise TypeError(f"mode must be a bootstrap Mode, got {mode!r}")
        self._record_input(x)
        self.mode = mode
        return self._output(self._forward_synapse(x), spiking=False)

    def fit(self) -> None:
        """Nothing to fit: the readout is linear."""


class Dense(base.AbstractBlock, _slayer.Dense):
    """Dense block (arguments of :class:`lava.lib.dl.slayer.block.cuba.Dense`)."""


class Conv(base.AbstractBlock, _slayer.Conv):
    """Convolution block (arguments of :class:`lava.lib.dl.slayer.block.cuba.Conv`)."""


class Pool(base.AbstractBlock, _slayer.Pool):
    """Sum-pooling block (arguments of :class:`lava.lib.dl.slayer.block.cuba.Pool`).

    New in this project (lava-dl 0.6 had no bootstrap Pool).
    """
