"""XOR regression with a small CUBA spiking network (the lava-dl XOR tutorial).

Four samples ``(a, b) -> a XOR b``, each input held constant for ``T = 10`` steps. Network:
``cuba.Input -> cuba.Dense 2-32 -> cuba.Dense 32-32 -> cuba.Affine 32-1`` (a non-spiking
readout). Loss: mean squared error of the readout at the last time step. Training uses
``slayer.utils.Assistant`` (with ``count_log``) and ``slayer.utils.LearningStats``.

Run ``python examples/xor_regression.py [--epochs N] [--out DIR]``; ``--quick`` runs a short
CI version. Prints and returns the final and minimum loss and the number of correctly rounded
outputs.
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

import torch
from tqdm import tqdm

import lava.lib.dl.slayer as slayer

NEURON_PARAMS = {
    "threshold": 0.1,
    "current_decay": 0.9,
    "voltage_decay": 0.9,
    "tau_grad": 1,
    "scale_grad": 1,
    "scale": 1 << 6,
    "requires_grad": False,
}


class Network(torch.nn.Module):
    """Input, two spiking Dense layers and a non-spiking Affine readout."""

    def __init__(self) -> None:
        super().__init__()
        self.blocks = torch.nn.ModuleList(
            [
                slayer.block.cuba.Input(NEURON_PARAMS),
                slayer.block.cuba.Dense(NEURON_PARAMS, 2, 32),
                slayer.block.cuba.Dense(NEURON_PARAMS, 32, 32),
                slayer.block.cuba.Affine(NEURON_PARAMS, 32, 1, dynamics=False),
            ]
        )

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        counts = []
        for block in self.blocks:
            x = block(x)
            counts.append(torch.mean((x.detach().abs() > 0).float()))
        return x, torch.stack(counts)

    def export_hdf5(self, filename: str) -> None:
        """Write the network as a versioned ``.net`` file (``layer/<i>`` groups)."""
        slayer.block.export_network(self.blocks, filename, input_shape=(2,))


def dataset(num_steps: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs ``(4, 2, T)`` (constant over time) and targets ``(4, 1)``."""
    a = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = torch.tensor([[0.0], [1.0], [1.0], [0.0]])
    return a[..., None].expand(-1, -1, num_steps).contiguous(), y


def last_step_mse(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """MSE between the readout at the last step ``(N, 1)`` and the target ``(N, 1)``."""
    return torch.nn.functional.mse_loss(output[..., -1], target)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description="XOR regression with a CUBA SNN")
    parser.add_argument("--epochs", type=int, default=500)
    parser.add_argument("--steps", type=int, default=10, help="time steps per sample")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="short CI run (150 epochs)")
    parser.add_argument("--out", default=None, help="folder for logs and network.net")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    epochs = min(args.epochs, 150) if args.quick else args.epochs

    torch.manual_seed(args.seed)
    net = Network()
    optimizer = torch.optim.AdamW(net.parameters(), lr=args.lr)
    stats = slayer.utils.LearningStats()
    assistant = slayer.utils.Assistant(net, last_step_mse, optimizer, stats, count_log=True)
    x, y = dataset(args.steps)

    start = time.perf_counter()
    first_loss = None
    for _ in tqdm(range(epochs), desc="xor", disable=args.no_progress):
        assistant.train(x, y)
        if first_loss is None:
            first_loss = stats.training.loss
        stats.update()
    with torch.no_grad():
        output, _ = net.eval()(x)
    prediction = output[..., -1]
    correct = int((prediction.round() == y).sum())
    result = {
        "epochs": epochs,
        "first_loss": first_loss,
        "final_loss": stats.training.loss_log[-1],
        "min_loss": stats.training.min_loss,
        "correct": correct,
        "outputs": prediction.flatten().tolist(),
        "seconds": time.perf_counter() - start,
    }
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        stats.save(os.path.join(args.out, ""))
        net.export_hdf5(os.path.join(args.out, "network.net"))
    print(
        f"XOR: {epochs} epochs, loss {result['first_loss']:.5f} -> {result['final_loss']:.5f} "
        f"(min {result['min_loss']:.5f}), {correct}/4 correct, outputs "
        + ", ".join(f"{v:.3f}" for v in result["outputs"])
    )
    return result


if __name__ == "__main__":
    main()
