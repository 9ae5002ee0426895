"""Worked example: bootstrap vs plain slayer on scikit-learn's handwritten digits.

A rate-coded CUBA SNN ``Dense(64, H) -> Affine(H, 10)`` is trained twice from the same
initial weights:

1. with bootstrap (``Scheduler``: SNN sampling iterations, a PWL fit, then ANN iterations);
2. with plain slayer (the same blocks from ``slayer.block.cuba``, SNN at every iteration).

After every epoch both are evaluated on the test split as SNNs at 16 and 32 time steps (and
bootstrap also in ANN mode). Training time is measured in CPU seconds of the process with one
torch thread (the wall time of an idle machine; robust when the machine is shared). The script
prints the results, optionally writes them as JSON and plots the accuracy curves against epochs
and training time.

Run ``python examples/digits.py`` (full settings) or ``--quick`` (a few seconds, used in CI).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time

import torch

from lava.lib.dl.bootstrap import Mode
from lava.lib.dl.bootstrap.routine import Scheduler
from lava.lib.dl.bootstrap.testing import (
    DigitsNetwork,
    SlayerDigitsNetwork,
    encode,
    evaluate,
    load_digits_split,
    train_bootstrap,
    train_slayer,
)


def epochs_to(acc: list[float], target: float) -> int | None:
    """First epoch count (1-based) whose accuracy reaches ``target`` (None if never)."""
    for i, a in enumerate(acc):
        if a >= target - 1e-9:
            return i + 1
    return None


def at_time(wall: list[float], acc: list[float], budget: float) -> tuple[float, int]:
    """Accuracy of the last epoch finished within ``budget`` seconds, and its epoch count."""
    k = max([i for i, w in enumerate(wall) if w <= budget + 1e-9], default=0)
    return acc[k], k + 1


def warm_up(net: torch.nn.Module, x: torch.Tensor, modes) -> None:
    """Compile the kernels (numba JIT on first use) on a throw-away copy, outside the timing."""
    import copy

    probe = copy.deepcopy(net)
    for mode, steps in modes:
        probe(encode(x, steps), mode).sum().backward()


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="tiny settings for CI (seconds)")
    p.add_argument("--epochs", type=int, default=30, help="bootstrap epochs")
    p.add_argument("--slayer-epochs", type=int, default=20, help="plain slayer epochs")
    p.add_argument("--hidden", type=int, nargs="+", default=[128], help="hidden layer sizes")
    p.add_argument("--sample-period", type=int, default=2)
    p.add_argument("--sample-iter", type=int, default=10)
    p.add_argument("--lr", type=float, default=3e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--train-samples", type=int, default=None,
                   help="use only this many training samples")
    p.add_argument("--threads", type=int, default=1, help="torch threads (1: fair timings)")
    p.add_argument("--json", default=None, help="write the results here")
    p.add_argument("--plot", default=None, help="save the accuracy curves here (matplotlib)")
    args = p.parse_args(argv)
    if args.quick:
        args.epochs, args.slayer_epochs, args.hidden = 2, 1, [32]
        args.sample_iter, args.train_samples = 3, 400
    torch.set_num_threads(args.threads)

    data = load_digits_split(seed=args.seed)
    if args.train_samples is not None:
        data.x_train = data.x_train[: args.train_samples]
        data.y_train = data.y_train[: args.train_samples]
    torch.manual_seed(args.seed)
    boot = DigitsNetwork(args.hidden)
    torch.manual_seed(args.seed)
    plain = SlayerDigitsNetwork(args.hidden)
    plain.load_state_dict(boot.state_dict())  # same initial weights

    warm_up(boot, data.x_train[:4], [(Mode.SAMPLE, 16), (Mode.ANN, 1)])
    warm_up(plain, data.x_train[:4], [(None, 16)])
    t0 = time.perf_counter()
    rb = train_bootstrap(
        boot, data, epochs=args.epochs, lr=args.lr, seed=args.seed,
        scheduler=Scheduler(num_sample_iter=args.sample_iter, sample_period=args.sample_period),
        log=print,
    )
    rs = train_slayer(plain, data, epochs=args.slayer_epochs, lr=args.lr, seed=args.seed,
                      log=print)
    total = time.perf_counter() - t0

    ann = evaluate(boot, data.x_test, data.y_test, mode=Mode.ANN)
    budget = rb.wall[-1]
    s16_same_time, s_epochs = at_time(rs.wall, rs.snn16, budget)
    s32_same_time, _ = at_time(rs.wall, rs.snn32, budget)
    target = rb.snn16[-1]
    result = {
        "settings": {k: v for k, v in vars(args).items() if k not in ("json", "plot")},
        "bootstrap": {
            "ann_accuracy": ann, "snn16_accuracy": rb.snn16[-1], "snn32_accuracy": rb.snn32[-1],
            "train_cpu_seconds": budget, "epochs": args.epochs, "history": rb.as_dict(),
        },
        "slayer": {
            "snn16_accuracy_same_time": s16_same_time,
            "snn32_accuracy_same_time": s32_same_time,
            "epochs_in_same_time": s_epochs,
            "snn16_accuracy_final": rs.snn16[-1], "train_cpu_seconds": rs.wall[-1],
            "epochs": len(rs.epochs), "history": rs.as_dict(),
        },
        "target_snn16": target,
        "epochs_to_target": {"bootstrap": epochs_to(rb.snn16, target),
                             "slayer": epochs_to(rs.snn16, target)},
        "elapsed_seconds": total,
    }
    gap = 100 * (ann - rb.snn16[-1])
    print(f"bootstrap: ANN {100 * ann:.2f}%  SNN@16 {100 * rb.snn16[-1]:.2f}%  "
          f"SNN@32 {100 * rb.snn32[-1]:.2f}%  (ANN - SNN@16 = {gap:.2f} pp) in {budget:.1f} CPU s")
    print(f"slayer in the same {budget:.1f} CPU s ({s_epochs} epochs): SNN@16 "
          f"{100 * s16_same_time:.2f}%  SNN@32 {100 * s32_same_time:.2f}%")
    print(f"epochs to SNN@16 >= {100 * target:.2f}%: bootstrap "
          f"{result['epochs_to_target']['bootstrap']}, slayer "
          f"{result['epochs_to_target']['slayer']} (of {len(rs.epochs)})")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(result, fh, indent=1, default=lambda v: None if math.isnan(v) else v)
    if args.plot:
        plot(rb, rs, args.plot)
    return result


def plot(rb, rs, path: str) -> None:
    """Accuracy curves against epochs and against training time."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    panels = ((axes[0], "epochs", "epoch"), (axes[1], "wall", "training time (CPU s, 1 thread)"))
    for ax, key, label in panels:
        xb = [e + 1 for e in rb.epochs] if key == "epochs" else rb.wall
        xs = [e + 1 for e in rs.epochs] if key == "epochs" else rs.wall
        ax.plot(xb, [100 * a for a in rb.snn16], "C0-", label="bootstrap SNN@16")
        ax.plot(xb, [100 * a for a in rb.ann], "C0:", label="bootstrap ANN mode")
        ax.plot(xs, [100 * a for a in rs.snn16], "C1-", label="plain slayer SNN@16")
        ax.set_xlabel(label)
        ax.set_ylabel("test accuracy (%)")
        ax.set_ylim(80, 100)
        ax.grid(alpha=0.3)
    axes[0].legend(loc="lower right")
    fig.suptitle("digits (8x8): bootstrap vs plain slayer")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


if __name__ == "__main__":
    main(sys.argv[1:])
