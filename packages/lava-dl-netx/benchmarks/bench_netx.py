"""Per-step time of the native netx runtime (and, with lava-nc, of Lava's simulator).

Usage::

    python benchmarks/bench_netx.py [--json OUT.json] [--lava] [--repeat 5]

Networks: ``tiny.net``, ``pilotnet_sdnn``, ``pilotnet_lif`` and ``oxford`` from
``$LAVA_DL_SHARED/reference-nets`` (default ``<repo>/../shared``), driven as in netx.md §7.
For each: the native ``step()`` time, the native ``run()`` time per step (block-by-block schedule),
and the Lava ``Loihi2SimCfg(select_tag='fixed_pt')`` steady-state time per step — measured when
``--lava`` is given and lava-nc is importable (Python 3.10), else the figure measured for lava-dl
0.6 on the reference 2-core machine (netx.md §9.2), marked ``ref``. Times are medians of
``--repeat`` runs. BLAS runs single-threaded unless ``OPENBLAS_NUM_THREADS`` (or
``OMP_NUM_THREADS``/``MKL_NUM_THREADS``) is set. The native runtime uses its numba kernels when
numba is importable (``pip install "lava-dl-netx[fast]"``); ``LAVA_DL_NETX_NUMBA=0`` times the
numpy path. ``step()`` is fed one contiguous frame per step (as a streaming source delivers
them); ``run()`` gets the whole time-last array. A warm-up run loads the kernels first.
"""

from __future__ import annotations

import os

# BLAS threads must be fixed before numpy loads; small products run best single-threaded.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from lava.lib.dl.netx.native import Network, from_lava_layout  # noqa: E402

LAVA_REFERENCE_MS = {"tiny": 20.9, "pilotnet_sdnn": 187.0, "pilotnet_lif": 210.0, "oxford": 1.29}


def shared() -> Path:
    env = os.environ.get("LAVA_DL_SHARED")
    return Path(env) if env else Path(__file__).resolve().parents[3] / ".." / "shared"


def workloads(ref: Path) -> dict[str, dict]:
    """Network file, options, bias, per-step input (file order) and step counts."""
    g = ref / "netx-tests" / "gts"
    sd_in = from_lava_layout(np.load(g / "pilotnet_sdnn" / "input.npy"), 3)[..., 0]
    return {
        "tiny": dict(path=ref / "netx-tests" / "tiny.net", opts=dict(reset_interval=17),
                     bias=from_lava_layout(np.load(g / "tinynet" / "input_bias.npy"), 3,
                                           time_axis=False),
                     x=np.zeros((3, 16, 16), np.int64), steps=500),
        "pilotnet_sdnn": dict(path=g / "pilotnet_sdnn" / "network.net", opts={}, bias=None,
                              x=sd_in, steps=50),
        "pilotnet_lif": dict(path=g / "pilotnet_lif" / "network.net",
                             opts=dict(reset_interval=16),
                             bias=from_lava_layout(np.load(g / "pilotnet_lif" / "image.npy"), 3,
                                                   time_axis=False),
                             x=np.zeros((3, 66, 200), np.int64), steps=48),
        "oxford": dict(path=ref / "oxford" / "Trained" / "network.net", opts={}, bias=None,
                       x=None, seq=np.load(ref / "oxford" / "gts" / "in.npy").astype(np.int64),
                       steps=2000),
    }


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
clock = time.perf_counter


def native_times(w: dict, repeat: int, batch: int = 0) -> tuple[float, float]:
    """Median ms per step of ``step()`` and of ``run()``; with ``batch`` > 0, per sample."""
    net = Network(w["path"], **w["opts"])
    if w["bias"] is not None:
        net.set_bias(0, w["bias"])
    n = w["steps"]
    seq0 = w.get("seq")
    net.run(np.repeat(w["x"][..., None], 2, axis=-1) if seq0 is None else seq0[..., :2])
    net.reset()  # warm-up: loads the numba kernels (compiled once, then cached on disk)
    seq = w.get("seq")
    if seq is None:
        seq = np.repeat(w["x"][..., None], n, axis=-1)
    if batch:
        seq = np.repeat(seq[None], batch, axis=0)
    # step(): one contiguous frame per step, as a streaming source delivers them (a strided
    # view into a time-last array costs a cache miss per element, ~0.4 ms on pilotnet_lif)
    frames = [np.ascontiguousarray(seq[..., t]) for t in range(n)]
    step_ms, run_ms = [], []
    for _ in range(repeat):
        net.reset()
        net.step(frames[0])  # allocate state
        t0 = clock()
        for t in range(1, n):
            net.step(frames[t])
        step_ms.append((clock() - t0) / (n - 1) * 1e3)
        net.reset()
        t0 = clock()
        net.run(seq)
        run_ms.append((clock() - t0) / n * 1e3)
    per = max(batch, 1)
    return statistics.median(step_ms) / per, statistics.median(run_ms) / per


def lava_time(w: dict) -> float | None:  # pragma: no cover - needs lava-nc (Python 3.10)
    try:
        from lava.lib.dl.netx.hdf5 import Network as LavaNetwork
        from lava.magma.core.run_conditions import RunSteps
        from lava.magma.core.run_configs import Loihi2SimCfg
        from lava.proc.io.source import RingBuffer
    except ImportError:
        return None
    net = LavaNetwork(net_config=str(w["path"]), **w["opts"])
    if w["bias"] is not None:
        net.in_layer.neuron.bias_mant.init = np.asarray(w["bias"]).transpose(2, 1, 0)
    seq = w.get("seq")
    src = None
    if seq is not None:
        src = RingBuffer(data=seq)
        src.s_out.connect(net.inp)
    elif w["bias"] is None:
        data = np.repeat(np.asarray(w["x"]).transpose(2, 1, 0)[..., None], 2, axis=-1)
        src = RingBuffer(data=data)
        src.s_out.connect(net.in_layer.neuron.a_in)
    cfg = Loihi2SimCfg(select_tag="fixed_pt")
    warm, n = 5, min(w["steps"], 50)
    try:
        net.run(condition=RunSteps(num_steps=warm), run_cfg=cfg)
        t0 = time.perf_counter()
        net.run(condition=RunSteps(num_steps=n), run_cfg=cfg)
        return (time.perf_counter() - t0) / n * 1e3
    finally:
        net.stop()
        del src


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--json", type=Path, default=None)
    p.add_argument("--lava", action="store_true", help="also time Lava's simulator")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--only", nargs="*", default=None)
    p.add_argument("--clock", choices=sorted(CLOCKS), default="wall",
                   help="native timings by wall clock (default) or by this process's CPU time "
                        "(steadier on a busy machine; BLAS is single-threaded)")
    p.add_argument("--batch", type=int, default=0,
                   help="also time a batch of this many samples (ms per step and sample)")
    args = p.parse_args()
    global clock
    clock = CLOCKS[args.clock]
    ref = shared() / "reference-nets"
    if not ref.is_dir():
        raise SystemExit(f"reference nets not found at {ref}; set LAVA_DL_SHARED")
    rows = []
    print(f"{'network':<15} {'native step':>12} {'native run':>11} {'lava':>10} "
          f"{'speedup step':>13} {'speedup run':>12}")
    for name, w in workloads(ref).items():
        if args.only and name not in args.only:
            continue
        step_ms, run_ms = native_times(w, args.repeat)
        lava_ms, source = (lava_time(w), "measured") if args.lava else (None, "")
        if lava_ms is None:
            lava_ms, source = LAVA_REFERENCE_MS[name], "ref"
        row = dict(network=name, native_step_ms=step_ms, native_run_ms=run_ms,
                   lava_ms=lava_ms, lava_source=source,
                   speedup_step=lava_ms / step_ms, speedup_run=lava_ms / run_ms)
        if args.batch:
            b_step, b_run = native_times(w, args.repeat, args.batch)
            row.update(batch=args.batch, batch_step_ms_per_sample=b_step,
                       batch_run_ms_per_sample=b_run)
        rows.append(row)
        print(f"{name:<15} {step_ms:>9.4f} ms {run_ms:>8.4f} ms {lava_ms:>7.2f} ms"
              f"{'*' if source == 'ref' else ' '} {lava_ms / step_ms:>12.0f}x "
              f"{lava_ms / run_ms:>11.0f}x"
              + (f"   batch {args.batch}: {row['batch_run_ms_per_sample']:.4f} ms/step/sample "
                 f"({lava_ms / row['batch_run_ms_per_sample']:.0f}x)" if args.batch else ""))
    print(f"native clock: {args.clock}; load average {os.getloadavg()[0]:.1f}")
    print("* lava-dl 0.6 + Lava 0.10 figure from netx.md §9.2 (2-core VM); pass --lava on "
          "Python 3.10 with lava-nc to measure it here")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({
            "machine": platform.platform(), "python": platform.python_version(),
            "numpy": np.__version__, "cpus": os.cpu_count(),
            "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS"), "clock": args.clock,
            "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
            "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
