"""Demo, deploy side (Python 3.10, lava-nc, no torch): run the exported digits network with netx.

Reads what ``train.py`` wrote under ``OUT``, then

- runs the whole test set on netx's native runtime (one batched call) and compares every output
  spike with the training-time (fixed-point) forward pass;
- runs the test set on Lava (``Loihi2SimCfg(select_tag='fixed_pt')``) as one stream: each sample
  is followed by ``G`` silent steps (``G`` = number of blocks, the pipeline depth) and netx's
  ``reset_interval = T + G`` clears the neuron states between samples (block ``k`` resets at
  phase ``k``, ``reset_offset = T + G - 1``), so every sample starts from the reset state as in
  training; the native runtime runs the same stream as a cross-check;
- prints one table (accuracy, spike parity, time per sample on each) and saves ``raster.png``.

A parity failure prints the first differing sample, neuron and time step and exits non-zero.

Usage: ``python deploy.py OUT [--lava-samples N]`` (Lava runs the first N test samples; the
default, 0, runs all 450).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np


def first_difference(a: np.ndarray, b: np.ndarray) -> str | None:
    """Where ``a`` (N, neurons, T) first differs from ``b``: 'sample s, neuron n, step t'."""
    diff = a != b
    if not diff.any():
        return None
    s = int(np.argmax(diff.reshape(len(a), -1).any(1)))
    t = int(np.argmax(diff[s].any(0)))
    n = int(np.argmax(diff[s][:, t]))
    return f"sample {s}, output neuron {n}, step {t}: {a[s, n, t]} vs training {b[s, n, t]}"


def to_stream(x: np.ndarray, gap: int) -> np.ndarray:
    """(N, F, T) -> (F, N * (T + gap)) with ``gap`` silent steps after each sample."""
    n, f, t = x.shape
    padded = np.concatenate([x, np.zeros((n, f, gap), x.dtype)], axis=-1)
    return padded.transpose(1, 0, 2).reshape(f, n * (t + gap))


def from_stream(y: np.ndarray, n: int, t: int, gap: int) -> np.ndarray:
    """(F, N * (T + gap)) -> (N, F, T)."""
    return y.reshape(y.shape[0], n, t + gap).transpose(1, 0, 2)[..., :t]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--lava-samples", type=int, default=0,
                    help="test samples run on Lava (default 0: all)")
    args = ap.parse_args(argv)
    from lava.lib.dl.netx import hdf5, native

    path = args.out / "digits.net"
    info = json.loads((args.out / "train.json").read_text())
    data = np.load(args.out / "test.npz")
    x, y, ref = data["x"].astype(np.int64), data["y"], data["train_out"].astype(np.int64)
    n, _, steps = x.shape
    problems = []

    # native runtime, whole test set in one batched call
    net = native.Network(path)
    t0 = time.perf_counter()
    nat = np.asarray(net.run(x)).astype(np.int64)
    nat_time = (time.perf_counter() - t0) / n
    nat_acc = float((nat.sum(-1).argmax(-1) == y).mean())
    where = first_difference(nat, ref)
    if where:
        problems.append(f"native runtime differs from training first at {where}")
    print(f"[demo] native runtime: {n} samples, accuracy {100 * nat_acc:.1f}%", flush=True)

    # Lava fixed_pt, one stream with resets between samples
    m = n if args.lava_samples <= 0 else min(n, args.lava_samples)
    gap = len(net.layers)
    period = steps + gap
    opts = {"reset_interval": period, "reset_offset": period - 1}
    stream = to_stream(x[:m], gap)
    lava_net = hdf5.Network(str(path), **opts)
    print(f"[demo] Lava fixed_pt: {m} samples as one stream of {stream.shape[-1]} steps ...",
          flush=True)
    t0 = time.perf_counter()
    out, rec = hdf5.run_network(lava_net, stream, probes=[(0, "s")])
    lava_time = (time.perf_counter() - t0) / m
    lava = from_stream(np.asarray(out).astype(np.int64), m, steps, gap)
    lava_acc = float((lava.sum(-1).argmax(-1) == y[:m]).mean())
    where = first_difference(lava, ref[:m])
    if where:
        problems.append(f"Lava differs from training first at {where}")
    nat_stream = from_stream(np.asarray(native.Network(path, **opts).run(stream)), m, steps, gap)
    where = first_difference(nat_stream.astype(np.int64), lava)
    if where:
        problems.append(f"native (stream) and Lava differ first at {where}")

    ref_m_acc = float((ref[:m].sum(-1).argmax(-1) == y[:m]).mean())
    parity_nat = "identical" if not first_difference(nat, ref) else "DIFFERENT"
    parity_lava = "identical" if not first_difference(lava, ref[:m]) else "DIFFERENT"
    rows = [
        ("training (slayer, fixed-point)", f"{100 * info['test_accuracy']:.1f}%", "reference",
         f"{1e3 * info['seconds_per_sample']:.2f} ms", n),
        ("netx native runtime", f"{100 * nat_acc:.1f}%", parity_nat, f"{1e3 * nat_time:.2f} ms",
         n),
        ("netx on Lava (Loihi2SimCfg fixed_pt)",
         f"{100 * lava_acc:.1f}% (training: {100 * ref_m_acc:.1f}%)", parity_lava,
         f"{1e3 * lava_time:.2f} ms", m),
    ]
    head = ("run", "test accuracy", "output spikes vs training", "time / sample", "samples")
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    line = "+".join("-" * (w + 2) for w in widths)
    print()
    print(f"Digits, {steps} time steps, {info['history'][-1]['epoch']} epochs "
          f"({info['train_seconds']:.0f} s of training)")
    print(line)
    for r in [head, *rows]:
        print("|".join(f" {str(v):<{w}} " for v, w in zip(r, widths, strict=True)))
        if r is head:
            print(line)
    print(line)
    _raster(x[0], np.asarray(rec[(0, "s")])[:, :steps], lava[0], int(y[0]),
            args.out / "raster.png")
    print(f"[demo] learning curve: {args.out / 'learning_curve.png'}; spike raster: "
          f"{args.out / 'raster.png'}")
    (args.out / "deploy.json").write_text(json.dumps({
        "native_accuracy": nat_acc, "lava_accuracy": lava_acc, "lava_samples": m,
        "native_seconds_per_sample": nat_time, "lava_seconds_per_sample": lava_time,
        "parity": not problems}, indent=1))
    for p in problems:
        print(f"[demo] PARITY FAILURE: {p}")
    return 1 if problems else 0


def _raster(x: np.ndarray, hidden: np.ndarray, out: np.ndarray, label: int, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(3, 1, figsize=(6, 7), sharex=True,
                             gridspec_kw={"height_ratios": [64, 96, 30]})
    for ax, s, name in zip(axes, (x, hidden, out), ("input (64)", "hidden (Lava)",
                                                    "output (Lava)"), strict=True):
        idx, t = np.nonzero(s)
        ax.scatter(t, idx, s=6, marker="|", color="k")
        ax.set_ylabel(name)
        ax.set_ylim(-1, s.shape[0])
    axes[-1].set_xlabel("time step")
    axes[0].set_title(f"test sample 0 (label {label}) on Lava fixed_pt")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
