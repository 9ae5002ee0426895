"""A small deterministic example network (numpy only).

``input (2, 8, 8) CUBA -> conv 4x2x3x3 stride 1 -> pool 2x2 -> flatten -> dense 36->10 with
delays (CUBA) -> dense 10->3 (SDNN readout with sigma_output, no bias)``. The weights are even
integers in [-256, 254] stored as float32, like the ones lava-dl-slayer exports.
"""

from __future__ import annotations

import numpy as np

from ._model import (
    ConvLayer,
    DenseLayer,
    FlattenLayer,
    InputLayer,
    NetworkDescription,
    Neuron,
    PoolLayer,
    Simulation,
)

__all__ = ["example_network"]


def _cuba(threshold: int = 80) -> Neuron:
    return Neuron(type="CUBA", params={"iDecay": 1024, "vDecay": 128, "vThMant": threshold,
                                       "refDelay": 1, "gradedSpike": False})


def _weights(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return (2 * rng.integers(-32, 32, size=shape)).astype(np.float32)


def example_network(seed: int = 0) -> NetworkDescription:
    """Build the example network (deterministic for a given ``seed``)."""
    rng = np.random.default_rng(seed)
    return NetworkDescription(
        layers=[
            InputLayer(shape=(2, 8, 8), neuron=_cuba(64), weight=64.0, bias=0.0),
            ConvLayer(shape=(4, 6, 6), neuron=_cuba(), in_channels=2, out_channels=4,
                      kernel_size=(3, 3), stride=(1, 1), padding=(0, 0), dilation=(1, 1),
                      groups=1, weight=_weights(rng, (4, 2, 3, 3))),
            PoolLayer(shape=(4, 3, 3), neuron=_cuba(), kernel_size=(2, 2), stride=(2, 2),
                      padding=(0, 0), dilation=(1, 1),
                      weight=np.full((1, 1, 2, 2), 64.0, dtype=np.float32)),
            FlattenLayer(shape=(36, 1, 1)),
            DenseLayer(shape=(10,), neuron=_cuba(), in_features=36, out_features=10,
                       weight=_weights(rng, (10, 36)),
                       delay=rng.integers(0, 4, size=10).astype(np.float32)),
            DenseLayer(shape=(3,), in_features=10, out_features=3, weight=_weights(rng, (3, 10)),
                       neuron=Neuron(type="SDNN", params={"activation": "relu", "vThMant": 8,
                                                          "sigma_output": True})),
        ],
        simulation=Simulation(ts=1, t_sample=16),
    )
