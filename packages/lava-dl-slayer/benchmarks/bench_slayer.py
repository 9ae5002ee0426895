"""Training-step benchmark of lava-dl-slayer against the figures measured for lava-dl 0.6.

Two networks, one full training step each (forward, loss, backward, Adam step), time in ms:

``nmnist_dense``
    N-MNIST style CUBA network: Dense 2312-512 (delay, weight norm), Dense 512-512 (delay,
    weight norm), Dense 512-10 (weight norm); batch 32, 300 time steps, SpikeRate loss.
    lava-dl 0.6 on the reference CPU: 2231 ms per step.
``conv_snn``
    Small convolutional CUBA network: Conv 2-16 k5, Pool 2, Conv 16-32 k3, Pool 2, Flatten,
    Dense 2048-10 on 2x32x32 inputs; batch 16, 100 time steps. lava-dl 0.6: 6920 ms per step.

Run ``python benchmarks/bench_slayer.py [--device cpu|cuda] [--repeats N] [--json PATH]``.
The table lists the median step time, the lava-dl 0.6 time and the speed-up (lava-dl time /
our time; the goal is >= 5x). ``--quick`` shrinks batch and time steps (a smoke run whose
times are not comparable with the lava-dl figures).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import torch

import lava.lib.dl.slayer as slayer

#: lava-dl 0.6 step times (ms) measured on the reference CPU (see the module docstring).
LAVA_DL_06_MS = {"nmnist_dense": 2231.0, "conv_snn": 6920.0}

CUBA_PARAMS = {
    "threshold": 1.25,
    "current_decay": 0.25,
    "voltage_decay": 0.03,
    "tau_grad": 0.03,
    "scale_grad": 3,
    "requires_grad": False,
}


class NmnistDense(torch.nn.Module):
    """Dense 2312-512-512-10 CUBA network of the N-MNIST tutorial."""

    def __init__(self) -> None:
        super().__init__()
        p = dict(CUBA_PARAMS)
        self.blocks = torch.nn.ModuleList(
            [
                slayer.block.cuba.Dense(p, 34 * 34 * 2, 512, weight_norm=True, delay=True),
                slayer.block.cuba.Dense(p, 512, 512, weight_norm=True, delay=True),
                slayer.block.cuba.Dense(p, 512, 10, weight_norm=True),
            ]
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            x = block(x)
        return x


class ConvSnn(torch.nn.Module):
    """Small convolutional CUBA network on 2x32x32 event frames."""

    def __init__(self) -> None:
        super().__init__()
        p = dict(CUBA_PARAMS)
        self.blocks = torch.nn.ModuleList(
            [
                slayer.block.cuba.Conv(p, 2, 16, 5, padding=2),
                slayer.block.cuba.Pool(p, 2),
                slayer.block.cuba.Conv(p, 16, 32, 3, padding=1),
                slayer.block.cuba.Pool(p, 2),
                slayer.block.cuba.Flatten(),
                slayer.block.cuba.Dense(p, 32 * 8 * 8, 10),
            ]
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for block in self.blocks:
            x = block(x)
        return x


def _case(name: str, *, quick: bool, device: torch.device) -> tuple[torch.nn.Module, Any, Any]:
    generator = torch.Generator().manual_seed(0)
    if name == "nmnist_dense":
        batch, steps = (4, 50) if quick else (32, 300)
        net = NmnistDense()
        x = (torch.rand(batch, 2312, steps, generator=generator) < 0.02).float()
    else:
        batch, steps = (2, 20) if quick else (16, 100)
        net = ConvSnn()
        x = (torch.rand(batch, 2, 32, 32, steps, generator=generator) < 0.05).float()
    label = torch.randint(0, 10, (batch,), generator=generator)
    return net.to(device), x.to(device), label.to(device)


def bench_case(
    name: str, *, repeats: int, warmup: int, quick: bool, device: torch.device
) -> dict[str, Any]:
    """Median wall time (ms) of one training step of the named case."""
    torch.manual_seed(0)
    net, x, label = _case(name, quick=quick, device=device)
    error = slayer.loss.SpikeRate(true_rate=0.2, false_rate=0.03, reduction="sum").to(device)
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)

    def step() -> float:
        output = net(x)
        loss = error(output, label)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return float(loss.detach())

    sync: Callable[[], None] = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    for _ in range(warmup):
        step()
    sync()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        sync()
        times.append((time.perf_counter() - start) * 1000)
    median = statistics.median(times)
    result: dict[str, Any] = {
        "case": name,
        "median_ms": median,
        "min_ms": min(times),
        "times_ms": times,
        "repeats": repeats,
        "quick": quick,
    }
    if not quick:
        result["lava_dl_0.6_ms"] = LAVA_DL_06_MS[name]
        result["speedup"] = LAVA_DL_06_MS[name] / median
    return result


def _backend() -> str:
    try:
        from lava.lib.dl.core import backend

        return str(backend.last_backend())
    except Exception:  # pragma: no cover - informative only
        return "unknown"


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--device", default="cpu", help="torch device (cpu, cuda)")
    parser.add_argument("--repeats", type=int, default=3, help="timed steps per case")
    parser.add_argument("--warmup", type=int, default=1, help="untimed steps per case")
    parser.add_argument("--cases", nargs="+", default=list(LAVA_DL_06_MS), choices=LAVA_DL_06_MS)
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads")
    parser.add_argument("--quick", action="store_true", help="small shapes (smoke test)")
    parser.add_argument("--json", default=None, metavar="PATH", help="write results as JSON")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    results = []
    for name in args.cases:
        res = bench_case(
            name, repeats=args.repeats, warmup=args.warmup, quick=args.quick, device=device
        )
        res["backend"] = _backend()
        results.append(res)
        ref = res.get("lava_dl_0.6_ms")
        extra = f"  lava-dl 0.6 {ref:8.0f} ms  speed-up {res['speedup']:5.2f}x" if ref else ""
        print(f"{name:14s} {res['median_ms']:9.1f} ms/step (min {res['min_ms']:.1f}){extra}")
    report = {
        "benchmark": "slayer training step",
        "device": str(device),
        "device_name": torch.cuda.get_device_name(device)
        if device.type == "cuda"
        else platform.processor() or platform.machine(),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "python": sys.version.split()[0],
        "results": results,
    }
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)
    return report


if __name__ == "__main__":
    main()
