#!/usr/bin/env python
"""Throughput of the lava-dl-core dynamics per backend: neuron-steps per second.

For every case (a single dynamic, or a whole neuron as lava-dl's modules compose them), every
backend and every shape ``(N, C, T)``, the script times the forward pass and the forward plus
backward pass (``loss.backward()`` with a gradient for the input) and reports
``N * C * T / seconds`` (neuron-steps per second). It prints a table and, with ``--json PATH``,
writes every measurement with the environment (versions, threads, device) as JSON.

Timing: ``--warmup`` untimed runs (which include the numba / NVRTC compilation), then
``--repeat`` timed runs; the median and the minimum wall time are reported, with the process CPU
time (all threads) of the fastest run. CUDA timings synchronise the device around each run.
``--threads N`` sets both PyTorch's and numba's thread counts (default: their defaults, one per
core). On a machine shared with other work, compare minima and quote the load average, which
is recorded before and after the runs. This is a benchmark, not a test: nothing is asserted.

Examples
--------
``python packages/lava-dl-core/benchmarks/bench_core.py --json out/bench/core-cpu.json``
``python packages/lava-dl-core/benchmarks/bench_core.py --device cuda --json out/gpu/core.json``
``python packages/lava-dl-core/benchmarks/bench_core.py --quick``
``python packages/lava-dl-core/benchmarks/bench_core.py --cases cuba alif sigma_delta rf
--shapes 32,512,300 --level api --backends numba --repeat 15 --threads 2``

lava-dl 0.6 (CPU path, (32, 512, 300)) measured: CUBA fwd 383 ms, fwd+bwd 670 ms; ALIF fwd+bwd
1176 ms; sigma-delta fwd+bwd 956 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from lava.lib.dl.core import backend as core_backend
from lava.lib.dl.core import dynamics, sigma_delta, spike

DEFAULT_SHAPES = ((32, 512, 300), (16, 4096, 500))

#: lava-dl 0.6's CPU path measured on this project's 2-core machine at (32, 512, 300):
#: case -> {mode: milliseconds}; the goal is a 20x speed-up of forward+backward.
LAVA_DL_06_MS: dict[str, dict[str, float]] = {
    "cuba": {"fwd": 383.0, "fwd+bwd": 670.0},
    "alif": {"fwd+bwd": 1176.0},
    "sigma_delta": {"fwd+bwd": 956.0},
}
LAVA_DL_06_SHAPE = (32, 512, 300)
QUICK_SHAPES = ((8, 256, 100),)

#: CUBA / ALIF surrogate constants of lava-dl (tau_rho = 100 * threshold, scale_rho = 0.1)
TAU_RHO_MULT = 100.0
SCALE_RHO = 0.1
EPS = 0.01 / 4096


# --------------------------------------------------------------------------- cases
# A case takes the input tensor(s) and a backend name and returns a tensor whose sum is the
# loss; it must route every heavy loop through the selected backend.
def _cuba(x, b):
    th = 1.25
    u = dynamics.leaky_integrator(x, 1024, backend=b).y
    v = dynamics.leaky_integrator(u, 123, threshold=th + EPS, backend=b).y
    return spike.spike_real(v, th + EPS, TAU_RHO_MULT * th, SCALE_RHO)


def _alif(x, b):
    u = dynamics.leaky_integrator(x, 1024, backend=b).y
    v = dynamics.leaky_integrator(u, 123, backend=b).y
    a = dynamics.adaptive_threshold(v, 819, 410, 1.0, 0.5, backend=b)
    return spike.spike_real(v, a.threshold + a.refractory, TAU_RHO_MULT, SCALE_RHO)


def _sigma_delta(x, b):
    act = torch.relu(sigma_delta.sigma_decoder(x).y)
    return sigma_delta.delta_encoder(act, 0.1, scale=4096, backend=b).y


def _leaky_integrator(x, b):
    return dynamics.leaky_integrator(x, 410, threshold=1.0, backend=b).y


def _resonator(x, b):
    r = dynamics.resonator(x, 0.5 * x, 2751, 2751, backend=b)
    return r.real + r.imag


def _rf(x, b):
    r = dynamics.resonator(x, torch.zeros_like(x), 2751, 2751, backend=b)
    return spike.spike_complex(r.real, r.imag, 0.5, 0.5 * 0.5, 10.0)


def _adaptive_threshold(x, b):
    a = dynamics.adaptive_threshold(x.detach(), 819, 410, 1.0, 0.5, backend=b)
    return a.threshold * x  # no gradient through the traces (lava-dl semantics)


def _adaptive_phase_th(x, b):
    a = dynamics.adaptive_phase_th(x.detach(), -x.detach(), 819, 410, 0.5, 0.5, backend=b)
    return a.threshold * x


def _adaptive_resonator(x, b):
    r = dynamics.adaptive_resonator(
        x, torch.zeros_like(x), 2751, 2751, 819, 410, 0.5, 0.5, backend=b
    )
    return spike.spike_complex(r.real, r.imag, r.threshold + r.refractory, 50.0, 0.1)


def _delta_encoder(x, b):
    return sigma_delta.delta_encoder(x, 0.1, scale=64, backend=b).y


_SLAYER_CUBA = {}


def _slayer_cuba(x, b):
    """slayer's CUBA neuron module (learnable decays; its own spike function) on core."""
    try:
        from lava.lib.dl.slayer.neuron import cuba
    except ImportError as exc:  # optional: lava-dl-slayer is another distribution
        raise SystemExit(f"case slayer_cuba needs lava-dl-slayer: {exc}") from exc
    if "neuron" not in _SLAYER_CUBA:
        _SLAYER_CUBA["neuron"] = cuba.Neuron(
            threshold=1.25, current_decay=0.25, voltage_decay=0.03
        )
    with core_backend.use_backend(b or "auto"):
        return _SLAYER_CUBA["neuron"](x)


#: name -> (function, description)
CASES: dict[str, tuple[Callable, str]] = {
    "cuba": (_cuba, "CUBA neuron: current LI, voltage LI with reset, real spike"),
    "alif": (_alif, "ALIF neuron: two LIs, adaptive threshold, real spike"),
    "sigma_delta": (_sigma_delta, "sigma-delta neuron: sigma, ReLU, delta encoder"),
    "rf": (_rf, "RF neuron: resonator, phase-threshold spike"),
    "leaky_integrator": (_leaky_integrator, "one leaky integrator with reset"),
    "resonator": (_resonator, "one resonator"),
    "adaptive_threshold": (_adaptive_threshold, "adaptive threshold (forward only math)"),
    "adaptive_phase_th": (_adaptive_phase_th, "adaptive phase threshold (forward only math)"),
    "adaptive_resonator": (_adaptive_resonator, "adRF: adaptive resonator + complex spike"),
    "delta_encoder": (_delta_encoder, "delta encoder"),
    "slayer_cuba": (_slayer_cuba, "lava.lib.dl.slayer.neuron.cuba.Neuron (needs lava-dl-slayer)"),
}


# Primitive level: the backend's raw (M, T) primitives, without the autograd wrappers, layout
# handling and surrogate spikes of the public functions (kernel throughput alone).
def _prim_lif(mod, x, i, f):
    return mod.leaky_integrator_fwd(x, i(410), i(0), i(4097), s_scale=4096)


def _prim_lif_bwd(mod, x, i, f):
    return mod.leaky_integrator_bwd(x, f(0.9), None)


def _prim_res(mod, x, i, f):
    return mod.resonator_fwd(x, x, i(2751), i(2751), i(0), i(0), None, s_scale=4096)


def _prim_res_bwd(mod, x, i, f):
    return mod.resonator_bwd(x, x, f(0.67), f(0.67), None)


def _prim_ath(mod, x, i, f):
    return mod.adaptive_threshold_fwd(
        x, i(819), i(410), i(4096), i(2048), i(0), i(4096), s_scale=4096
    )


def _prim_aph(mod, x, i, f):
    return mod.adaptive_phase_th_fwd(
        x, x - 0.3, i(-1), i(819), i(410), i(2048), i(2048), i(0), i(2048), s_scale=4096
    )


def _prim_ares(mod, x, i, f):
    return mod.adaptive_resonator_fwd(
        x,
        x,
        i(2751),
        i(2751),
        i(819),
        i(410),
        i(2048),
        i(2048),
        i(0),
        i(0),
        i(0),
        i(2048),
        s_scale=4096,
    )


def _prim_delta(mod, x, i, f):
    return mod.delta_encoder_fwd(x, f(0.1), f(0.0), f(0.0))


#: name -> (forward primitive call, backward primitive call or None)
PRIMITIVE_CASES: dict[str, tuple[Callable, Callable | None]] = {
    "leaky_integrator": (_prim_lif, _prim_lif_bwd),
    "resonator": (_prim_res, _prim_res_bwd),
    "adaptive_threshold": (_prim_ath, None),
    "adaptive_phase_th": (_prim_aph, None),
    "adaptive_resonator": (_prim_ares, _prim_res_bwd),
    "delta_encoder": (_prim_delta, None),
}


@dataclass
class Measurement:
    case: str
    backend: str
    device: str
    shape: tuple[int, int, int]
    mode: str  # "fwd" or "fwd+bwd"
    seconds: float  # median
    runs: list[float]
    neuron_steps_per_s: float
    backend_ran: str | None
    min_seconds: float = 0.0  # fastest run
    cpu_seconds: float = 0.0  # process CPU time (all threads) of the fastest run


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _time(
    fn: Callable[[], None], device: torch.device, warmup: int, repeat: int
) -> tuple[list[float], list[float]]:
    """Wall and process CPU seconds of ``repeat`` runs after ``warmup`` untimed ones."""
    for _ in range(warmup):
        fn()
    _sync(device)
    runs, cpu = [], []
    for _ in range(repeat):
        _sync(device)
        c0 = time.process_time()
        t0 = time.perf_counter()
        fn()
        _sync(device)
        runs.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return runs, cpu


def _measurement(case, backend, device, shape, mode, runs, cpu, steps, ran) -> Measurement:
    med = statistics.median(runs)
    fastest = min(range(len(runs)), key=runs.__getitem__)
    return Measurement(
        case, backend, device.type, tuple(shape), mode, med, runs, steps / med, ran,
        runs[fastest], cpu[fastest],
    )


def measure(case, backend, shape, device, *, warmup, repeat) -> list[Measurement]:
    """Time one case for one backend and shape, forward and forward+backward."""
    fn = CASES[case][0]
    gen = torch.Generator().manual_seed(0)
    x0 = (torch.rand(shape, generator=gen) * 0.6).to(device)
    steps = shape[0] * shape[1] * shape[2]
    out = []

    def fwd():
        with torch.no_grad():
            fn(x0, backend)

    def fwd_bwd():
        x = x0.clone().requires_grad_(True)
        fn(x, backend).sum().backward()

    for mode, run in (("fwd", fwd), ("fwd+bwd", fwd_bwd)):
        runs, cpu = _time(run, device, warmup, repeat)
        out.append(
            _measurement(
                case, backend, device, shape, mode, runs, cpu, steps, core_backend.last_backend()
            )
        )
    return out


def measure_primitive(case, backend, shape, device, *, warmup, repeat) -> list[Measurement]:
    """Time one backend's raw primitives on ``(N*C, T)`` traces: forward, forward+backward."""
    from lava.lib.dl.core._backends import _registry

    mod, reason = _registry.load(backend)
    if mod is None:
        raise RuntimeError(f"backend {backend!r} unavailable: {reason}")
    fwd_fn, bwd_fn = PRIMITIVE_CASES[case]
    m, t = shape[0] * shape[1], shape[2]
    gen = torch.Generator().manual_seed(0)
    x = (torch.rand(m, t, generator=gen) * 0.6).to(device)

    def i(v):
        return torch.full((m,), v, dtype=torch.int64, device=device)

    def f(v):
        return torch.full((m,), v, dtype=torch.float32, device=device)

    def fwd():
        fwd_fn(mod, x, i, f)

    def fwd_bwd():
        fwd_fn(mod, x, i, f)
        if bwd_fn is not None:
            bwd_fn(mod, x, i, f)

    out = []
    for mode, run in (("fwd", fwd), ("fwd+bwd", fwd_bwd)):
        runs, cpu = _time(run, device, warmup, repeat)
        out.append(
            _measurement(f"prim:{case}", backend, device, shape, mode, runs, cpu, m * t, backend)
        )
    return out


def _environment(device: torch.device) -> dict:
    env = {
        "python": sys.version.split()[0],
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "processor": platform.processor(),
        "backends": {k: list(v) for k, v in core_backend.backend_status().items()},
    }
    try:
        import numba

        env["numba"] = numba.__version__
        env["numba_threads"] = numba.config.NUMBA_NUM_THREADS
        env["numba_threads_used"] = numba.get_num_threads()
        env["numba_threading_layer"] = _threading_layer()
    except Exception as exc:  # report, do not fail
        env["numba"] = f"unavailable: {exc}"
    if device.type == "cuda":
        env["cuda_device"] = torch.cuda.get_device_name(device)
        env["torch_cuda"] = torch.version.cuda
        try:
            import cupy

            env["cupy"] = cupy.__version__
        except Exception as exc:
            env["cupy"] = f"unavailable: {exc}"
    return env


def _threading_layer() -> str:
    try:
        import numba

        return numba.threading_layer()
    except Exception as exc:  # no parallel kernel ran yet, or no numba
        return f"unknown ({type(exc).__name__})"


def _fmt_rate(r: float) -> str:
    return f"{r / 1e6:10.1f}"


def print_table(ms: list[Measurement], file=sys.stdout) -> None:
    """One row per (case, shape, backend): fwd and fwd+bwd median/min ms, CPU ms, Msteps/s."""
    rows: dict[tuple, dict[str, Measurement]] = {}
    for m in ms:
        rows.setdefault((m.case, m.shape, m.backend), {})[m.mode] = m
    head = (
        f"{'case':<24} {'shape (N,C,T)':<18} {'backend':<10} {'fwd med':>9} {'fwd min':>9} "
        f"{'f+b med':>9} {'f+b min':>9} {'f+b cpu':>9} {'f+b Msteps/s':>13}"
    )
    print(head + "   (ms; cpu = process CPU time of the fastest run)", file=file)
    print("-" * len(head), file=file)
    for (case, shape, backend), modes in rows.items():
        f, fb = modes.get("fwd"), modes.get("fwd+bwd")
        print(
            f"{case:<24} {str(shape):<18} {backend:<10} "
            f"{f.seconds * 1e3:9.2f} {f.min_seconds * 1e3:9.2f} "
            f"{fb.seconds * 1e3:9.2f} {fb.min_seconds * 1e3:9.2f} {fb.cpu_seconds * 1e3:9.2f} "
            f"{_fmt_rate(fb.neuron_steps_per_s):>13}",
            file=file,
        )


def print_lava_dl_comparison(ms: list[Measurement], file=sys.stdout) -> None:
    """Speed-up over lava-dl 0.6's measured CPU path (median and best run)."""
    for m in ms:
        ref = LAVA_DL_06_MS.get(m.case, {}).get(m.mode)
        if ref is None or m.shape != LAVA_DL_06_SHAPE or m.backend == "reference":
            continue
        print(
            f"vs lava-dl 0.6  {m.case:<12} {m.mode:<8} {m.backend:<6} lava-dl {ref:7.0f} ms  "
            f"median {m.seconds * 1e3:8.2f} ms ({ref / (m.seconds * 1e3):5.1f}x)  "
            f"min {m.min_seconds * 1e3:8.2f} ms ({ref / (m.min_seconds * 1e3):5.1f}x)  "
            f"goal 20x = {ref / 20:5.1f} ms",
            file=file,
        )


def set_threads(n: int) -> None:
    """Use ``n`` threads in PyTorch and in numba's parallel kernels."""
    if n < 1:
        raise ValueError(f"--threads must be >= 1, got {n}")
    torch.set_num_threads(n)
    try:
        import numba

        numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))
    except ImportError:
        pass


def _load() -> list[float] | None:
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return None


def _parse_shape(text: str) -> tuple[int, int, int]:
    parts = text.lower().replace("x", ",").split(",")
    try:
        shape = tuple(int(p) for p in parts)
    except ValueError:
        shape = ()
    if len(shape) != 3 or min(shape) < 1:
        raise argparse.ArgumentTypeError(f"a shape is N,C,T with positive integers, got {text!r}")
    return shape


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    p.add_argument(
        "--backends",
        nargs="+",
        default=None,
        help="backends to time (default: reference plus the fast backend of the "
        "device: numba on cpu, cupy on cuda)",
    )
    p.add_argument(
        "--cases",
        nargs="+",
        default=None,
        choices=sorted(CASES),
        help="cases to time (default: all)",
    )
    p.add_argument(
        "--shapes",
        nargs="+",
        type=_parse_shape,
        default=None,
        help="shapes N,C,T (default: 32,512,300 16,4096,500)",
    )
    p.add_argument(
        "--level",
        choices=("api", "primitive", "both"),
        default="both",
        help="time the public functions (api), the raw backend primitives "
        "(primitive: kernel throughput without autograd wrappers), or both",
    )
    p.add_argument("--json", type=Path, default=None, help="write the measurements here")
    p.add_argument(
        "--quick",
        action="store_true",
        help="a small shape and one timed run (smoke test of the script)",
    )
    p.add_argument(
        "--threads",
        type=int,
        default=None,
        help="threads for PyTorch and numba (default: their defaults, one per core)",
    )
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument(
        "--reference-max-steps",
        type=float,
        default=None,
        help="skip the reference backend on shapes with more neuron-steps than this",
    )
    args = p.parse_args(argv)

    if args.threads is not None:
        set_threads(args.threads)
    load_before = _load()
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        p.error("--device cuda: this PyTorch build sees no CUDA device")
    fast = "cupy" if device.type == "cuda" else "numba"
    backends = args.backends or ["reference", fast]
    status = core_backend.backend_status()
    for b in backends:
        if b not in status:
            p.error(f"unknown backend {b!r}; registered: {', '.join(status)}")
        if not status[b][0]:
            p.error(f"backend {b!r} is unavailable: {status[b][1]}")
    shapes = args.shapes or (QUICK_SHAPES if args.quick else DEFAULT_SHAPES)
    repeat = 1 if args.quick else args.repeat
    cases = args.cases or [c for c in CASES if c != "slayer_cuba"]

    results: list[Measurement] = []
    jobs = []
    if args.level in ("api", "both"):
        jobs += [(c, measure) for c in cases]
    if args.level in ("primitive", "both"):
        prim = [c for c in cases if c in PRIMITIVE_CASES]
        jobs += [(c, measure_primitive) for c in prim]
    for shape in shapes:
        for case, measure_fn in jobs:
            for b in backends:
                steps = shape[0] * shape[1] * shape[2]
                if (
                    b == "reference"
                    and args.reference_max_steps is not None
                    and steps > args.reference_max_steps
                ):
                    continue
                ms = measure_fn(case, b, shape, device, warmup=args.warmup, repeat=repeat)
                results.extend(ms)
                f, fb = ms
                print(
                    f"  {ms[0].case:<24} {str(shape):<18} {b:<10} fwd {f.seconds * 1e3:9.2f} ms  "
                    f"fwd+bwd {fb.seconds * 1e3:9.2f} ms",
                    file=sys.stderr,
                    flush=True,
                )
    print_table(results)
    print()
    print_lava_dl_comparison(results)
    load_after = _load()
    print(f"nproc {os.cpu_count()}, torch threads {torch.get_num_threads()}, load average "
          f"(1, 5, 15 min) before {load_before} after {load_after}")
    # speed-up of the fast backend over the reference, where both ran
    by_key = {(m.case, m.shape, m.mode, m.backend): m for m in results}
    print()
    for (case, shape, mode, b), m in by_key.items():
        r = by_key.get((case, shape, mode, "reference"))
        if b != "reference" and r is not None:
            print(
                f"speed-up {b} vs reference  {case:<24} {str(shape):<18} {mode:<8} "
                f"{r.seconds / m.seconds:8.1f}x"
            )
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "environment": {
                **_environment(device),
                "load_before": load_before,
                "load_after": load_after,
            },
            "unit": "neuron_steps_per_s = N*C*T / median seconds",
            "measurements": [asdict(m) for m in results],
        }
        args.json.write_text(json.dumps(payload, indent=2))
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
