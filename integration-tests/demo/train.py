"""Demo, training side (Python 3.11, torch): a spiking digits classifier trained with slayer.

scikit-learn's bundled 8x8 digits (1797 images, 17 grey levels) are rate coded: pixel value
:math:`v \\in \\{0..16\\}` fires :math:`v` evenly spaced spikes in ``T = 16`` steps,

.. math:: s[t] = \\lfloor (t+1) v/16 \\rfloor - \\lfloor t v/16 \\rfloor .

The network is two CUBA dense blocks (64 -> 96 -> 10) trained with surrogate gradients on the
cross-entropy of the output spike counts. The forward pass is slayer's fixed-point one, so the
exported network reproduces it exactly on netx. Writes, under ``OUT``:
``digits.net`` (the network), ``test.npz`` (test spikes, labels, training-time output spikes),
``train.json`` (history, accuracy, time per sample), ``learning_curve.png``.

Usage: ``python train.py OUT [--epochs N]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import torch

STEPS = 16
CUBA = {"threshold": 1.0, "current_decay": 0.25, "voltage_decay": 0.03, "tau_grad": 1.0,
        "scale_grad": 1.0}


def encode(images: np.ndarray, steps: int = STEPS) -> torch.Tensor:
    """Grey levels ``(N, 64)`` in 0..16 -> evenly spaced spikes ``(N, 64, steps)`` (float 0/1)."""
    rate = torch.as_tensor(images, dtype=torch.float64) / 16.0
    t = torch.arange(steps + 1, dtype=torch.float64)
    counts = torch.floor(rate.unsqueeze(-1) * t * (steps / 16.0) + 1e-9)
    return (counts[..., 1:] - counts[..., :-1]).float()


def load(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    x_tr, x_te, y_tr, y_te = train_test_split(d.data, d.target, test_size=0.25,
                                              random_state=seed, stratify=d.target)
    return (encode(x_tr), torch.as_tensor(y_tr), encode(x_te), torch.as_tensor(y_te))


class Net(torch.nn.Module):
    """Two CUBA dense blocks, 64 -> hidden -> 10."""

    def __init__(self, hidden: int = 96) -> None:
        super().__init__()
        from lava.lib.dl import slayer

        self.blocks = torch.nn.ModuleList([
            slayer.block.cuba.Dense(CUBA, 64, hidden, weight_scale=2.0),
            slayer.block.cuba.Dense(CUBA, hidden, 10, weight_scale=2.0),
        ])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for b in self.blocks:
            x = b(x)
        return x


def accuracy(net: Net, x: torch.Tensor, y: torch.Tensor) -> tuple[float, torch.Tensor]:
    with torch.no_grad():
        out = net(x)
    return float((out.sum(-1).argmax(-1) == y).float().mean()), out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(args.seed)
    torch.set_num_threads(2)
    x_tr, y_tr, x_te, y_te = load(args.seed)
    print(f"[demo] digits: {len(y_tr)} training / {len(y_te)} test samples, rate coded in "
          f"{STEPS} steps", flush=True)
    net = Net()
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    gen = torch.Generator().manual_seed(args.seed)
    history = []
    t_start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        t0 = time.perf_counter()
        order = torch.randperm(len(y_tr), generator=gen)
        total, correct, loss_sum = 0, 0, 0.0
        net.train()
        for i in range(0, len(order), 32):
            idx = order[i:i + 32]
            out = net(x_tr[idx])
            counts = out.sum(-1)
            loss = torch.nn.functional.cross_entropy(counts * (8.0 / STEPS), y_tr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            loss_sum += float(loss.detach()) * len(idx)
            correct += int((counts.argmax(-1) == y_tr[idx]).sum())
            total += len(idx)
        net.eval()
        test_acc, _ = accuracy(net, x_te, y_te)
        history.append({"epoch": epoch, "loss": loss_sum / total, "train_accuracy": correct / total,
                        "test_accuracy": test_acc, "seconds": time.perf_counter() - t0})
        print(f"[demo] epoch {epoch:2d}/{args.epochs}  loss {loss_sum / total:.3f}  "
              f"train {100 * correct / total:5.1f}%  test {100 * test_acc:5.1f}%  "
              f"({time.perf_counter() - t0:.1f} s)", flush=True)
    train_seconds = time.perf_counter() - t_start

    net.eval()
    t0 = time.perf_counter()
    test_acc, out = accuracy(net, x_te, y_te)
    per_sample = (time.perf_counter() - t0) / len(y_te)
    from lava.lib.dl import slayer

    slayer.block.export_network(list(net.blocks), args.out / "digits.net", input_shape=(64,))
    np.savez_compressed(args.out / "test.npz", x=x_te.numpy().astype(np.int8),
                        y=y_te.numpy().astype(np.int64), train_out=out.numpy().astype(np.int8))
    summary = {"steps": STEPS, "test_accuracy": test_acc, "seconds_per_sample": per_sample,
               "train_seconds": train_seconds, "history": history,
               "torch": torch.__version__, "python": sys.version.split()[0]}
    (args.out / "train.json").write_text(json.dumps(summary, indent=1))
    _plot(history, args.out / "learning_curve.png")
    print(f"[demo] exported {args.out / 'digits.net'}; training-time (fixed-point) test "
          f"accuracy {100 * test_acc:.1f}%", flush=True)
    return 0


def _plot(history: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ep = [h["epoch"] for h in history]
    fig, ax = plt.subplots(1, 2, figsize=(9, 3.5))
    ax[0].plot(ep, [h["loss"] for h in history], marker="o")
    ax[0].set(xlabel="epoch", ylabel="cross-entropy", title="training loss")
    ax[1].plot(ep, [100 * h["train_accuracy"] for h in history], marker="o", label="train")
    ax[1].plot(ep, [100 * h["test_accuracy"] for h in history], marker="s", label="test")
    ax[1].set(xlabel="epoch", ylabel="accuracy (%)", title="accuracy")
    ax[1].legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
