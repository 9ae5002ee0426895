"""Convolutional SNN classifying generated event streams (moving squares).

Each sample is the event stream of a 4x4 square moving 8 pixels across a 16x16 sensor in one
of four directions (right, left, down, up): pixels the square enters emit ON events (channel 0),
pixels it leaves emit OFF events (channel 1), with timing jitter and random noise events.
Events are built as ``slayer.io.Event`` objects and binned into ``(2, 16, 16, T)`` tensors
(1 ms per step), the way an event-camera dataset is read.

Network: ``cuba.Conv 2-8 k3 -> cuba.Pool 2 -> cuba.Conv 8-16 k3 -> cuba.Pool 2 ->
cuba.Flatten -> cuba.Dense 256-4``. Loss: ``SpikeMax(mode='softmax')`` (cross entropy on the
output rates); prediction: ``classifier.Rate.predict``.

Run ``python examples/conv_events.py [--epochs N] [--out DIR]``; ``--quick`` is a short CI run.
Prints and returns the test accuracy per epoch.
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

import lava.lib.dl.slayer as slayer

SIZE = 16
NEURON_PARAMS = {
    "threshold": 1.25,
    "current_decay": 0.25,
    "voltage_decay": 0.03,
    "tau_grad": 0.03,
    "scale_grad": 3,
    "requires_grad": False,
}


def moving_square_events(
    direction: int, rng: np.random.Generator, *, duration: float
) -> slayer.io.Event:
    """Events of a 4x4 square moving 8 pixels: direction 0 right, 1 left, 2 down, 3 up.

    Each one-pixel move makes the pixels entering the square emit ON events (channel 0) and
    the pixels leaving it emit OFF events (channel 1); times in ms, with jitter and noise.
    """
    side, travel = 4, 8
    dx, dy = ((1, 0), (-1, 0), (0, 1), (0, -1))[direction]
    x0 = rng.integers(travel if dx < 0 else 0, SIZE - side - (travel if dx > 0 else 0) + 1)
    y0 = rng.integers(travel if dy < 0 else 0, SIZE - side - (travel if dy > 0 else 0) + 1)
    t_start = rng.uniform(0, 0.15 * duration)
    step_ms = rng.uniform(0.6, 0.8) * duration / travel
    xs, ys, cs, ts = [], [], [], []
    for k in range(travel):
        old = {(x0 + k * dx + i, y0 + k * dy + j) for i in range(side) for j in range(side)}
        new = {(x + dx, y + dy) for x, y in old}
        t = t_start + (k + 0.5) * step_ms
        for channel, pixels in ((0, new - old), (1, old - new)):
            for x, y in sorted(pixels):
                if rng.random() < 0.9:
                    xs.append(x)
                    ys.append(y)
                    cs.append(channel)
                    ts.append(t + rng.normal(0, 0.5))
    num_noise = rng.poisson(30)
    xs += list(rng.integers(0, SIZE, num_noise))
    ys += list(rng.integers(0, SIZE, num_noise))
    cs += list(rng.integers(0, 2, num_noise))
    ts += list(rng.uniform(0, duration, num_noise))
    t = np.clip(np.asarray(ts), 0, duration - 1)
    return slayer.io.Event(xs, ys, cs, t, normalize_channels=False)


def make_dataset(num: int, num_steps: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``(num, 2, 16, 16, T)`` spike tensors and ``(num,)`` direction labels."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 4, num)
    data = np.zeros((num, 2, SIZE, SIZE, num_steps), dtype=np.float32)
    for i, label in enumerate(labels):
        moving_square_events(int(label), rng, duration=num_steps).fill_tensor(data[i])
    return torch.from_numpy(data), torch.from_numpy(labels)


class Network(torch.nn.Module):
    """Conv-pool-conv-pool-dense CUBA network."""

    def __init__(self) -> None:
        super().__init__()
        p = NEURON_PARAMS
        self.blocks = torch.nn.ModuleList(
            [
                slayer.block.cuba.Conv(p, 2, 8, 3, padding=1, weight_scale=2, weight_norm=True),
                slayer.block.cuba.Pool(p, 2),
                slayer.block.cuba.Conv(p, 8, 16, 3, padding=1, weight_scale=2, weight_norm=True),
                slayer.block.cuba.Pool(p, 2),
                slayer.block.cuba.Flatten(),
                slayer.block.cuba.Dense(p, 16 * 4 * 4, 4, weight_scale=2, weight_norm=True),
            ]
        )

    def forward(self, spike: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            spike = block(spike)
        return spike

    def export_hdf5(self, filename: str) -> None:
        """Write the network as a versioned ``.net`` file (``layer/<i>`` groups)."""
        slayer.block.export_network(self.blocks, filename, input_shape=(2, SIZE, SIZE))


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description="Conv SNN on generated event streams")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--train-samples", type=int, default=256)
    parser.add_argument("--test-samples", type=int, default=128)
    parser.add_argument("--steps", type=int, default=32, help="time steps (ms) per sample")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument(
        "--loss-mode", default="softmax", choices=("softmax", "probability"), help="SpikeMax mode"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="short CI run")
    parser.add_argument("--out", default=None, help="folder for logs and network.net")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--device", default="cpu", help="torch device (cpu, cuda)")
    args = parser.parse_args(argv)
    if args.quick:
        args.epochs = min(args.epochs, 2)
        args.train_samples = min(args.train_samples, 96)
        args.test_samples = min(args.test_samples, 32)

    torch.manual_seed(args.seed)
    device = torch.device(args.device)
    x_train, y_train = make_dataset(args.train_samples, args.steps, args.seed)
    x_test, y_test = make_dataset(args.test_samples, args.steps, args.seed + 1)
    net = Network().to(device)
    error = slayer.loss.SpikeMax(mode=args.loss_mode, reduction="sum")
    optimizer = torch.optim.Adam(net.parameters(), lr=args.lr)
    stats = slayer.utils.LearningStats()
    assistant = slayer.utils.Assistant(
        net, error, optimizer, stats, classifier=slayer.classifier.Rate.predict
    )

    start = time.perf_counter()
    generator = torch.Generator().manual_seed(args.seed)
    bar = tqdm(range(args.epochs), desc="conv_events", disable=args.no_progress)
    for _ in bar:
        order = torch.randperm(len(y_train), generator=generator)
        for i in range(0, len(order), args.batch):
            idx = order[i : i + args.batch]
            assistant.train(x_train[idx], y_train[idx])
        for i in range(0, len(y_test), args.batch):
            assistant.test(x_test[i : i + args.batch], y_test[i : i + args.batch])
        stats.update()
        bar.set_postfix(acc=stats.testing.accuracy_log[-1])
    result = {
        "epochs": args.epochs,
        "train_loss": stats.training.loss_log,
        "train_accuracy": stats.training.accuracy_log,
        "test_accuracy": stats.testing.accuracy_log,
        "max_test_accuracy": stats.testing.max_accuracy,
        "seconds": time.perf_counter() - start,
    }
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        stats.save(os.path.join(args.out, ""))
        net.export_hdf5(os.path.join(args.out, "network.net"))
    print(
        f"conv_events: {args.epochs} epochs in {result['seconds']:.1f} s, test accuracy per epoch "
        + ", ".join(f"{a:.3f}" for a in result["test_accuracy"])
    )
    return result


if __name__ == "__main__":
    main()
