"""Test helpers: a small bootstrap network trained on scikit-learn's digits in seconds.

:func:`train_digits_network` is what integration tests call to get a trained network of this
package (train on Python 3.11, export, deploy with netx elsewhere)::

    from lava.lib.dl.bootstrap.testing import train_digits_network

    trained = train_digits_network()              # ~ seconds on one CPU core
    trained.export("digits.net")                  # hdf5 network file (format 1.x)
    x = trained.snn_input(trained.data.x_test[:8])  # (8, 64, 16) input spikes
    spikes = trained.reference_outputs(x)         # SNN output of every block (time last)

The exported file holds a neuron-less ``input`` layer (64 lines), ``dense`` (CUBA) and
``dense`` (the Affine readout, a neuron that never fires) layers. Deployed with netx, every
block's output is its training-time SNN output delayed by one step per synapse in front of it
(netx's synaptic latency; the training-time ``delay_shift`` of the blocks is the same one-step
delay).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch

from ._digits import (
    DigitsNetwork,
    DigitsSplit,
    SlayerDigitsNetwork,
    TrainResult,
    encode,
    evaluate,
    load_digits_split,
    train_bootstrap,
    train_slayer,
)
from ._routine import Mode, Scheduler

__all__ = [
    "ddp_sampler_worker",
    "DigitsNetwork",
    "DigitsSplit",
    "SlayerDigitsNetwork",
    "TrainResult",
    "TrainedDigits",
    "encode",
    "evaluate",
    "load_digits_split",
    "train_bootstrap",
    "train_digits_network",
    "train_slayer",
]


@dataclass
class TrainedDigits:
    """A trained :class:`DigitsNetwork` with its data and test accuracies.

    Attributes
    ----------
    net : DigitsNetwork
    data : DigitsSplit
    steps : int
        SNN time steps the network was trained and is evaluated with.
    history : TrainResult
    ann_accuracy, snn_accuracy : float
        Final test accuracy in ANN mode and as an SNN of ``steps`` steps.
    """

    net: DigitsNetwork
    data: DigitsSplit
    steps: int
    history: TrainResult
    ann_accuracy: float
    snn_accuracy: float

    def snn_input(self, x: torch.Tensor, steps: int | None = None) -> torch.Tensor:
        """Rates ``(N, 64)`` -> SNN input spikes ``(N, 64, T)`` (see :func:`encode`)."""
        return encode(x, self.steps if steps is None else steps)

    def reference_outputs(self, x: torch.Tensor) -> list[torch.Tensor]:
        """SNN output of every block for input ``(N, 64, T)`` (time last, no gradient)."""
        return self.net.layer_outputs(x)

    def export(self, filename: Any) -> Any:
        """Write the network file; returns the written ``hdf5_spec.NetworkDescription``."""
        return self.net.export_hdf5(filename, steps=self.steps)


def train_digits_network(
    *,
    epochs: int = 4,
    hidden: Sequence[int] = (64,),
    steps: int = 16,
    seed: int = 0,
    threads: int | None = 1,
) -> TrainedDigits:
    """Train a small digits network with bootstrap (a few seconds on one CPU core).

    Parameters
    ----------
    epochs : int
        Training epochs; epochs 0 and 2, ... sample the SNN. Default 4.
    hidden : sequence of int
        Hidden layer sizes. Default ``(64,)``.
    steps : int
        SNN time steps. Default 16.
    seed : int
        Seed of the weights, the split and the shuffling. Default 0.
    threads : int or None
        ``torch.set_num_threads`` during training (restored after); None leaves it.

    Returns
    -------
    TrainedDigits
    """
    old = torch.get_num_threads()
    if threads is not None:
        torch.set_num_threads(int(threads))
    try:
        torch.manual_seed(seed)
        data = load_digits_split(seed=seed)
        net = DigitsNetwork(hidden)
        history = train_bootstrap(
            net, data, epochs=epochs, scheduler=Scheduler(num_sample_iter=5, sample_period=2),
            steps=steps, seed=seed, eval_32=False, lr=3e-3,
        )
        ann = evaluate(net, data.x_test, data.y_test, mode=Mode.ANN)
        snn = evaluate(net, data.x_test, data.y_test, steps=steps)
    finally:
        torch.set_num_threads(old)
    return TrainedDigits(net=net, data=data, steps=steps, history=history, ann_accuracy=ann,
                         snn_accuracy=snn)


def ddp_sampler_worker(rank: int, port: int, queue: Any) -> None:
    """One process of the 2-process (gloo) AnnSampler check used by the tests.

    Rank ``r`` appends its own samples (rate ``0.1 * (r + 1)`` per unit input), fits, and puts
    ``(rank, z, a, centers)`` on ``queue``; every rank must hold all samples in rank order.
    """
    import os

    import numpy as np
    import torch
    import torch.distributed as dist

    from .ann_sampler import AnnSampler

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=2)
    try:
        sampler = AnnSampler(seed=0)
        z = torch.linspace(0, 2, 64).reshape(4, 16, 1).expand(4, 16, 8).contiguous()
        a = (z * 0.4 * (rank + 1)).clamp(max=1.0)
        sampler.append(a, z)
        sampler.fit()
        queue.put((rank, sampler.z.copy(), sampler.a.copy(), np.asarray(sampler.centers)))
    finally:
        dist.destroy_process_group()
