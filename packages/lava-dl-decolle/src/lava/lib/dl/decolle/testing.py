"""Data and training helpers for tests, examples and the integration cases.

- :func:`event_patterns`: generated spike data, each class a fixed set of input channels firing at
  a high rate on a low-rate background (no dataset download, no extra dependency).
- :func:`rate_coded_digits`: scikit-learn's 8x8 digits, rate coded (needs ``scikit-learn``).
- :func:`train_small_network`: trains a small exportable (CUBA) DECOLLE network in seconds; the
  integration tests export it and run it with netx.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ._assistant import DecolleAssistant
from ._network import DecolleNetwork

__all__ = ["DDP_CHECK", "SmallNetwork", "ddp_check_setup", "ddp_check_train",
           "ddp_check_worker", "event_patterns", "rate_coded", "rate_coded_digits",
           "train_small_network"]


def rate_coded(values: np.ndarray, steps: int, *, max_rate: float = 0.5,
               seed: int = 0) -> torch.Tensor:
    """Bernoulli spikes ``(N, F, T)`` with probability ``values * max_rate`` per step.

    Parameters
    ----------
    values : numpy.ndarray
        ``(N, F)`` intensities in [0, 1].
    steps : int
        Time steps :math:`T`.
    max_rate : float
        Spike probability per step of intensity 1.
    seed : int
        Random seed.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 2 or values.min() < 0 or values.max() > 1:
        raise ValueError("values must be (N, F) intensities in [0, 1]")
    rng = np.random.default_rng(seed)
    p = values[..., None] * max_rate
    return torch.from_numpy((rng.random((*values.shape, steps)) < p).astype(np.float32))


def event_patterns(num_samples: int, *, num_inputs: int = 32, num_classes: int = 4,
                   steps: int = 24, active: int = 6, rate: float = 0.5, noise: float = 0.02,
                   seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Generated spike data: ``(x (N, num_inputs, T) float32, labels (N,) int64)``.

    Class :math:`k` has ``active`` input channels (drawn once from ``seed``) firing with
    probability ``rate`` per step; every channel also fires with probability ``noise``.
    """
    rng = np.random.default_rng(seed)
    channels = [rng.choice(num_inputs, size=active, replace=False) for _ in range(num_classes)]
    labels = rng.integers(0, num_classes, size=num_samples)
    intens = np.full((num_samples, num_inputs), noise / rate if rate else 0.0)
    for i, k in enumerate(labels):
        intens[i, channels[k]] = 1.0
    x = rate_coded(np.clip(intens, 0, 1), steps, max_rate=rate, seed=seed + 1)
    return x, torch.from_numpy(labels.astype(np.int64))


def rate_coded_digits(steps: int = 20, *, max_rate: float = 0.5, seed: int = 0,
                      test_fraction: float = 0.25) -> tuple[Any, Any, Any, Any]:
    """scikit-learn's digits (1797 images 8x8, 10 classes) as rate-coded spikes.

    Returns
    -------
    tuple
        ``(x_train (N, 64, T), y_train (N,), x_test, y_test)``, a seeded shuffle split.

    Raises
    ------
    ImportError
        scikit-learn is not installed (``pip install scikit-learn``).
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("rate_coded_digits needs scikit-learn: pip install scikit-learn") from exc
    data = load_digits()
    images = data.data / 16.0
    labels = data.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(labels))
    n_test = int(round(len(labels) * test_fraction))
    test, train = order[:n_test], order[n_test:]
    x = rate_coded(images, steps, max_rate=max_rate, seed=seed)
    y = torch.from_numpy(labels)
    return x[train], y[train], x[test], y[test]


@dataclass
class SmallNetwork:
    """Result of :func:`train_small_network`.

    Attributes
    ----------
    net : DecolleNetwork
        The trained network (CUBA, exportable; eval mode, state reset).
    x_test, y_test : torch.Tensor
        Held-out spikes ``(N, F, T)`` and labels.
    accuracy : list of float
        Per-layer test accuracy.
    assistant : DecolleAssistant
        The assistant used (``optimizer_steps``, statistics).
    """

    net: DecolleNetwork
    x_test: torch.Tensor
    y_test: torch.Tensor
    accuracy: list[float]
    assistant: DecolleAssistant


def train_small_network(*, seed: int = 0, sizes: tuple[int, ...] = (32, 24, 16),
                        num_classes: int = 4, steps: int = 24, burnin: int = 4,
                        num_train: int = 64, num_test: int = 32, epochs: int = 3,
                        batch_size: int = 16, mode: str = "online", lr: float = 3e-3,
                        neuron: str = "cuba", backend: str | None = "reference"
                        ) -> SmallNetwork:
    """Train a small dense DECOLLE network on :func:`event_patterns` (a few seconds on a CPU).

    Everything is seeded: two calls with the same arguments return identical networks.

    Examples
    --------
    >>> small = train_small_network()                           # doctest: +SKIP
    >>> small.net.export_hdf5("decolle.net")                    # doctest: +SKIP
    """
    torch.manual_seed(seed)
    x, y = event_patterns(num_train + num_test, num_inputs=sizes[0], num_classes=num_classes,
                          steps=steps, seed=seed)
    net = DecolleNetwork.dense(list(sizes), num_classes, seed=seed, neuron=neuron,
                               weight_scale=2.0 if neuron == "cuba" else 1.0)
    optim = torch.optim.Adamax(net.parameters(), lr=lr, betas=(0.0, 0.95))
    assistant = DecolleAssistant(net, optim, mode=mode, burnin=burnin, backend=backend)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        order = torch.randperm(num_train, generator=gen)
        for i in range(0, num_train, batch_size):
            idx = order[i:i + batch_size]
            assistant.train(x[idx], y[idx])
    assistant.testing.reset()
    assistant.test(x[num_train:], y[num_train:])
    net.eval()
    net.reset_state()
    return SmallNetwork(net, x[num_train:], y[num_train:], assistant.testing.accuracy, assistant)


# --------------------------------------------------------------------------- DDP check
#: Settings of the two-process DistributedDataParallel check (tests and docs).
DDP_CHECK = {"sizes": [16, 12, 8], "classes": 4, "steps": 12, "burnin": 2, "batch": 8,
             "lr": 0.5, "batches": 2}


def ddp_check_setup() -> tuple[DecolleNetwork, torch.Tensor, torch.Tensor]:
    """The seeded network and global batch of the DDP check."""
    torch.manual_seed(0)
    c = DDP_CHECK
    x, y = event_patterns(c["batch"], num_inputs=c["sizes"][0], num_classes=c["classes"],
                          steps=c["steps"], seed=3)
    # no dropout: its random masks depend on how the batch is split over processes
    net = DecolleNetwork.dense(list(c["sizes"]), c["classes"], seed=0, neuron="cuba",
                               weight_scale=2.0, dropout=0.0)
    return net, x, y


def ddp_check_train(assistant: DecolleAssistant, x: torch.Tensor,
                    y: torch.Tensor) -> list[torch.Tensor]:
    """Train ``DDP_CHECK['batches']`` batch-mode steps; return the parameters."""
    for _ in range(DDP_CHECK["batches"]):
        assistant.train(x, y)
    return [p.detach().clone() for p in assistant.module.parameters()]


def ddp_check_worker(rank: int, port: int, queue: Any) -> None:
    """One process of the 2-process gloo check: train on its half of the global batch.

    Puts ``(rank, parameters as numpy arrays, training.num_samples, training.correct)`` on
    ``queue``.
    """
    import os

    import torch.distributed as dist

    from lava.lib.dl.slayer.utils.distributed import wrap_ddp

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=2)
    try:
        torch.set_num_threads(1)
        net, x, y = ddp_check_setup()
        half = slice(rank * DDP_CHECK["batch"] // 2, (rank + 1) * DDP_CHECK["batch"] // 2)
        ddp = wrap_ddp(net, sample_input=x[half, :, :1])
        optim = torch.optim.SGD(ddp.parameters(), lr=DDP_CHECK["lr"])
        assistant = DecolleAssistant(ddp, optim, mode="batch", burnin=DDP_CHECK["burnin"],
                                     backend="reference")
        params = ddp_check_train(assistant, x[half], y[half])
        queue.put((rank, [p.numpy() for p in params], assistant.training.num_samples,
                   list(assistant.training.correct)))
    finally:
        dist.destroy_process_group()
