"""DECOLLE on rate-coded scikit-learn digits, compared with slayer end-to-end training.

Both runs use the *same* network and data: two slayer CUBA dense layers 64-H-H with the DECOLLE
neuron parameters and the last layer's fixed random readout to the 10 classes.

- DECOLLE (``lava.lib.dl.decolle``): every layer learns from its own fixed readout, spikes are
  detached between layers, online updates (one optimizer step per time step after burn-in).
- slayer end-to-end: the same blocks without detaching, loss on the last readout only,
  back-propagation through all layers and time (``slayer.utils.Assistant``), one step per batch.

Usage::

    python examples/digits.py                 # full run (a few minutes on 2 CPU cores)
    python examples/digits.py --quick         # CI size (seconds)
    python examples/digits.py --json out.json

Prints per-layer test accuracy of DECOLLE and the test accuracy of the end-to-end network.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from typing import Any

import torch

import lava.lib.dl.slayer as slayer
from lava.lib.dl import decolle
from lava.lib.dl.decolle.testing import rate_coded_digits


class EndToEnd(torch.nn.Module):
    """The DECOLLE network's blocks and last readout, trained end to end (no detach)."""

    def __init__(self, template: decolle.DecolleNetwork, neuron_params: dict[str, Any],
                 weight_scale: float, dropout: float) -> None:
        super().__init__()
        params = {**decolle.CUBA_DEFAULTS, **neuron_params}
        self.blocks = torch.nn.ModuleList(
            slayer.block.cuba.Dense(params, layer.in_shape[0], layer.out_shape[0],
                                    weight_scale=weight_scale)
            for layer in template.layers
        )
        self.dropout = torch.nn.Dropout(dropout)
        self.readout = template.layers[-1].readout  # same fixed readout (buffers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # noqa: D102
        for block in self.blocks:
            x = block(x)
        return self.readout(self.dropout(x))


def _batches(n: int, size: int, gen: torch.Generator):
    order = torch.randperm(n, generator=gen)
    for i in range(0, n, size):
        yield order[i:i + size]


def run(*, epochs: int, steps: int, hidden: int, burnin: int, batch: int, lr: float,
        num_train: int | None, num_test: int | None, seed: int,
        mode: str = "online") -> dict[str, Any]:
    """Train both and return the results (accuracies in [0, 1], seconds)."""
    torch.manual_seed(seed)
    x_tr, y_tr, x_te, y_te = rate_coded_digits(steps, seed=seed)
    if num_train:
        x_tr, y_tr = x_tr[:num_train], y_tr[:num_train]
    if num_test:
        x_te, y_te = x_te[:num_test], y_te[:num_test]
    neuron: dict[str, Any] = {}
    weight_scale, dropout = 2.0, 0.5

    # ---------------------------------------------------------------- DECOLLE
    net = decolle.DecolleNetwork.dense([64, hidden, hidden], 10, seed=seed,
                                       neuron_params=neuron, weight_scale=weight_scale,
                                       dropout=dropout)
    template_state = {k: v.clone() for k, v in net.state_dict().items()}
    opt = torch.optim.Adamax(net.parameters(), lr=lr, betas=(0.0, 0.95))
    asst = decolle.DecolleAssistant(net, opt, mode=mode, burnin=burnin, backend="reference")
    gen = torch.Generator().manual_seed(seed)
    t0 = time.perf_counter()
    for _ in range(epochs):
        for idx in _batches(len(y_tr), batch, gen):
            asst.train(x_tr[idx], y_tr[idx])
    t_decolle = time.perf_counter() - t0
    for i in range(0, len(y_te), 256):
        asst.test(x_te[i:i + 256], y_te[i:i + 256])

    # ---------------------------------------------------------------- slayer end to end
    e2e_template = decolle.DecolleNetwork.dense([64, hidden, hidden], 10, seed=seed)
    e2e_template.load_state_dict(template_state)
    torch.manual_seed(seed)
    e2e = EndToEnd(e2e_template, neuron, weight_scale, dropout)
    loss = decolle.DecolleLoss(10)

    def error(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return loss([output[..., burnin:]], [torch.zeros(1, 1, 1)], target).total

    def classify(output: torch.Tensor) -> torch.Tensor:
        return output[..., burnin:].sum(-1).argmax(1)

    stats = slayer.utils.LearningStats()
    e2e_opt = torch.optim.Adamax(e2e.parameters(), lr=lr, betas=(0.0, 0.95))
    e2e_asst = slayer.utils.Assistant(e2e, error, e2e_opt, stats=stats, classifier=classify)
    gen = torch.Generator().manual_seed(seed)
    t0 = time.perf_counter()
    with decolle_backend("reference"):
        for _ in range(epochs):
            for idx in _batches(len(y_tr), batch, gen):
                e2e_asst.train(x_tr[idx], y_tr[idx])
        t_e2e = time.perf_counter() - t0
        for i in range(0, len(y_te), 256):
            e2e_asst.test(x_te[i:i + 256], y_te[i:i + 256])

    return {
        "settings": {"epochs": epochs, "steps": steps, "hidden": hidden, "burnin": burnin,
                     "batch": batch, "lr": lr, "mode": mode, "num_train": len(y_tr),
                     "num_test": len(y_te), "seed": seed},
        "decolle": {"test_accuracy_per_layer": asst.testing.accuracy,
                    "train_accuracy_per_layer": asst.training.accuracy,
                    "optimizer_steps": asst.optimizer_steps, "train_seconds": t_decolle},
        "slayer_end_to_end": {"test_accuracy": stats.testing.accuracy,
                              "train_accuracy": stats.training.accuracy,
                              "optimizer_steps": epochs * -(-len(y_tr) // batch),
                              "train_seconds": t_e2e},
    }


def decolle_backend(name: str) -> Any:
    """The lava-dl-core backend context (public API)."""
    from lava.lib.dl.core import backend

    return backend.use_backend(name)


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Command line entry point; returns the results."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="CI size: 2 epochs, 384 samples, lr 1e-2")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--hidden", type=int, default=64)
    ap.add_argument("--burnin", type=int, default=4)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--mode", choices=decolle.MODES, default="online", help="DECOLLE updates")
    ap.add_argument("--json", type=str, default=None, help="write the results here")
    args = ap.parse_args(argv)
    num_train = num_test = None
    if args.quick:
        args.epochs, args.steps, args.hidden, args.lr = 2, 12, 32, 1e-2
        num_train, num_test = 384, 128
    res = run(epochs=args.epochs, steps=args.steps, hidden=args.hidden, burnin=args.burnin,
              batch=args.batch, lr=args.lr, num_train=num_train, num_test=num_test,
              seed=args.seed, mode=args.mode)
    d, e = res["decolle"], res["slayer_end_to_end"]
    print("DECOLLE test accuracy per layer: "
          + ", ".join(f"L{i + 1} {a:.3f}" for i, a in enumerate(d["test_accuracy_per_layer"]))
          + f"  ({d['optimizer_steps']} optimizer steps, {d['train_seconds']:.1f} s)")
    print(f"slayer end-to-end test accuracy: {e['test_accuracy']:.3f}"
          f"  ({e['optimizer_steps']} optimizer steps, {e['train_seconds']:.1f} s)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=1)
    return res


if __name__ == "__main__":
    main()
