"""Spike-train to spike-train regression (the lava-dl "oxford" tutorial).

200 Poisson input neurons (``input.bs1``) must drive 200 output neurons to reproduce a target
raster (``output.bs1``, an image of the Radcliffe Camera drawn in spikes), 2000 ms at 1 ms per
step. Network: ``cuba.Dense 200-256 -> cuba.Dense 256-200`` with learnable decays. Loss:
``slayer.loss.SpikeTime(time_constant=2, filter_order=2)`` (sum). lava-dl 0.6 reached a minimum
loss of 44,919 after 5000 epochs.

The data files are read from ``--data`` (default: ``$LAVA_DL_SHARED/reference-nets/oxford`` or
``<repo>/../shared/reference-nets/oxford``). Run
``python examples/oxford_regression.py [--epochs N] [--out DIR]``; ``--quick`` trains 30
epochs. ``--out`` saves ``loss.txt``, ``network.net`` and a raster plot ``raster.png``.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

import torch
from tqdm import tqdm

import lava.lib.dl.slayer as slayer

NEURON_PARAMS = {
    "threshold": 0.1,
    "current_decay": 1,
    "voltage_decay": 0.1,
    "requires_grad": True,
}


def default_data_dir() -> Path:
    """``$LAVA_DL_SHARED/reference-nets/oxford`` or the repository's sibling ``shared`` folder."""
    env = os.environ.get("LAVA_DL_SHARED")
    shared = Path(env) if env else Path(__file__).resolve().parents[3] / ".." / "shared"
    return shared / "reference-nets" / "oxford"


class Network(torch.nn.Module):
    """Two CUBA Dense blocks, 200 -> 256 -> 200."""

    def __init__(self) -> None:
        super().__init__()
        self.blocks = torch.nn.ModuleList(
            [
                slayer.block.cuba.Dense(NEURON_PARAMS, 200, 256),
                slayer.block.cuba.Dense(NEURON_PARAMS, 256, 200),
            ]
        )

    def forward(self, spike: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            spike = block(spike)
        return spike

    def export_hdf5(self, filename: str) -> None:
        """Write the network as a versioned ``.net`` file (``layer/<i>`` groups)."""
        slayer.block.export_network(self.blocks, filename, input_shape=(200,))


def load_data(data_dir: Path, num_steps: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Input and target spikes, each ``(1, 200, T)``."""
    for name in ("input.bs1", "output.bs1"):
        if not (data_dir / name).is_file():
            raise FileNotFoundError(
                f"{data_dir / name} not found; pass --data pointing to the folder holding "
                f"input.bs1 and output.bs1 (shared/reference-nets/oxford)"
            )
    inputs = slayer.io.read_1d_spikes(data_dir / "input.bs1")
    target = slayer.io.read_1d_spikes(data_dir / "output.bs1")
    shape = (1, 200, num_steps)
    x = torch.from_numpy(inputs.to_tensor(sampling_time=1, dim=shape)).reshape(1, 200, -1)
    y = torch.from_numpy(target.to_tensor(sampling_time=1, dim=shape)).reshape(1, 200, -1)
    return x, y


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description="Oxford spike-train regression")
    parser.add_argument("--data", type=Path, default=None, help="folder with input/output.bs1")
    parser.add_argument("--epochs", type=int, default=5000)
    parser.add_argument("--steps", type=int, default=2000, help="time steps (ms)")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="short CI run (30 epochs)")
    parser.add_argument("--out", default=None, help="folder for loss.txt, network.net, plot")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument("--device", default="cpu", help="torch device (cpu, cuda)")
    parser.add_argument("--json", default=None, help="write the result as JSON to this file")
    parser.add_argument(
        "--max-seconds", type=float, default=None, help="stop after this much training time"
    )
    args = parser.parse_args(argv)
    epochs = min(args.epochs, 30) if args.quick else args.epochs

    torch.manual_seed(args.seed)
    device = torch.device(args.device)
    x, y = load_data(args.data or default_data_dir(), args.steps)
    x, y = x.to(device), y.to(device)
    net = Network().to(device)
    error = slayer.loss.SpikeTime(time_constant=2, filter_order=2)
    optimizer = torch.optim.Adam(net.parameters(), lr=args.lr, weight_decay=1e-5)
    stats = slayer.utils.LearningStats()
    assistant = slayer.utils.Assistant(net, error, optimizer, stats)

    start = time.perf_counter()
    bar = tqdm(range(epochs), desc="oxford", disable=args.no_progress)
    for _ in bar:
        assistant.train(x, y)
        stats.update()
        bar.set_postfix(loss=stats.training.loss_log[-1])
        if args.max_seconds is not None and time.perf_counter() - start > args.max_seconds:
            break
    epochs = len(stats.training.loss_log)
    result = {
        "epochs": epochs,
        "first_loss": stats.training.loss_log[0],
        "final_loss": stats.training.loss_log[-1],
        "min_loss": stats.training.min_loss,
        "min_loss_epoch": stats.training.loss_log.index(stats.training.min_loss),
        "lava_dl_0.6_min_loss_5000_epochs": 44918.7,
        "seconds": time.perf_counter() - start,
    }
    print(
        f"oxford: {epochs} epochs in {result['seconds']:.1f} s, SpikeTime loss "
        f"{result['first_loss']:.1f} -> {result['final_loss']:.1f} (min {result['min_loss']:.1f} "
        f"at epoch {result['min_loss_epoch']}; lava-dl 0.6: min 44918.7 after 5000 epochs)"
    )
    if args.json:
        with open(args.json, "w") as f:
            json.dump({**result, "loss_log": stats.training.loss_log}, f, indent=1)
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        stats.save(os.path.join(args.out, ""))
        with torch.no_grad():
            output = net(x)
        _plot(output, y, os.path.join(args.out, "raster.png"))
        net.export_hdf5(os.path.join(args.out, "network.net"))
    return result


def _plot(output: torch.Tensor, target: torch.Tensor, filename: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_ev = slayer.io.tensor_to_event(output[0].reshape(1, 200, -1).cpu())
    tgt_ev = slayer.io.tensor_to_event(target[0].reshape(1, 200, -1).cpu())
    fig, ax = plt.subplots(figsize=(8, 6))
    ax.plot(tgt_ev.t, tgt_ev.x, ".", color="tab:blue", markersize=2, label="target")
    ax.plot(out_ev.t, out_ev.x, ".", color="tab:orange", markersize=1, label="output")
    ax.set_xlabel("time [ms]")
    ax.set_ylabel("neuron")
    ax.legend(loc="upper right")
    fig.savefig(filename, dpi=100)
    plt.close(fig)


if __name__ == "__main__":
    main()
