"""The ``GainDense`` training block (torch, lava-dl-slayer)."""

from __future__ import annotations

from typing import Any

from lava.lib.dl import slayer

from . import NAMESPACE, TYPE

#: Largest weight mantissa magnitude lava-dl's 8-bit weights allow.
MAX_MANTISSA = 254


class GainDense(slayer.block.cuba.Dense):
    """CUBA dense block with a fixed integer gain on the synaptic input.

    Parameters
    ----------
    neuron_params : dict
        CUBA neuron parameters (as :class:`lava.lib.dl.slayer.block.cuba.Dense`).
    in_neurons, out_neurons : int
        Input and output neurons.
    gain : int, keyword-only
        Integer multiplier ``g >= 1`` of ``W s``. Default 2.
    **kwargs
        Other :class:`~lava.lib.dl.slayer.block.cuba.Dense` options.

    Notes
    -----
    Input ``(N, in, T)`` spikes, output ``(N, out, T)`` spikes. ``g W`` must fit the 8-bit
    weight range on the deploy side: the loader refuses a file where it does not.
    """

    hdf5_namespace = NAMESPACE
    hdf5_type = TYPE

    def __init__(self, neuron_params: Any, in_neurons: int, out_neurons: int, *, gain: int = 2,
                 **kwargs: Any) -> None:
        if int(gain) != gain or gain < 1:
            raise ValueError(f"gain must be a positive integer, got {gain!r}")
        super().__init__(neuron_params, in_neurons, out_neurons, **kwargs)
        self.gain = int(gain)

    def forward(self, x: Any) -> Any:
        """Output spikes ``(N, out, T)``."""
        self._record_input(x)
        self._apply_mask()
        z = self.synapse(x) * self.gain
        y = self.neuron(z)
        return self._output(self._post(y))
