"""Command line of netx: ``python -m lava.lib.dl.netx run NET --input IN.npy --steps N ...``.

``run`` drives a network exactly as a Lava ``RingBuffer`` source connected to
``net.in_layer.neuron.a_in`` (or ``net.inp`` with ``--inject inp``) and a ``RingBuffer`` sink on
``net.out_layer.out`` would: ``IN.npy`` has that port's shape in **Lava order** (``(X, Y, C)`` or
``(N,)``) with time last; step ``t`` (from 1) sends ``IN[..., (t - 1) % T]``. ``OUT.npy`` holds
what the last block sent, Lava order, time last. A per-block activity summary and the time per
step are printed.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ._version import __version__

__all__ = ["BACKENDS", "main"]


def _load_bias(path: str, shape: tuple[int, ...]) -> np.ndarray:
    bias = np.load(path, allow_pickle=False)
    if bias.shape != shape:
        raise ValueError(f"{path} has shape {bias.shape}; the input layer's bias has shape "
                         f"{shape} (Lava order)")
    if bias.dtype.kind == "f" and np.any(bias != np.trunc(bias)):
        raise ValueError(f"{path} holds non-integer values; biases are integer mantissas")
    return bias.astype(np.int64)


def _run_native(args: argparse.Namespace, data: np.ndarray) -> tuple[np.ndarray, list[str], float]:
    from .native import Network, from_lava_layout, to_lava_layout

    net = Network(args.net, **_net_options(args))
    if args.bias is not None:
        bias = _load_bias(args.bias, tuple(reversed(net.in_layer.shape)))
        net.set_bias(0, from_lava_layout(bias, len(net.in_layer.shape), time_axis=False))
    target = "neuron" if args.inject == "neuron" else "inp"
    shape = net.target_shape(target)
    lava_in = tuple(reversed(shape))
    if data.shape[:-1] != lava_in:
        port = "net.in_layer.neuron.a_in" if target == "neuron" else "net.inp"
        raise ValueError(
            f"{args.input} has shape {data.shape}; expected {lava_in} + (T,) "
            f"(Lava order, time last) for {port}"
        )
    x = from_lava_layout(data, len(shape))
    n_t = x.shape[-1]
    counts = np.zeros(len(net), dtype=np.int64)
    outs = []
    t0 = time.perf_counter()
    for t in range(args.steps):
        outs.append(net.step(x[..., t % n_t], target=target))
        for i, layer in enumerate(net.layers):
            counts[i] += int(np.count_nonzero(layer.s))
    elapsed = time.perf_counter() - t0
    out = np.stack(outs, axis=-1)
    out = to_lava_layout(out, len(net.output_shape))
    lines = []
    for i, layer in enumerate(net.layers):
        size = int(np.prod(layer.shape))
        rate = counts[i] / max(size * args.steps, 1)
        lines.append(f"{i:>3} {layer.block:<15} {layer.plan.neuron.kind:<12} "
                     f"{str(tuple(reversed(layer.shape))):<16} {counts[i]:>12} {rate:>10.4f}")
    return out, lines, elapsed


def _run_lava(args: argparse.Namespace, data: np.ndarray) -> tuple[np.ndarray, list[str], float]:
    try:
        from lava.magma.core.run_conditions import RunSteps
        from lava.magma.core.run_configs import Loihi2SimCfg
        from lava.proc.io.sink import RingBuffer as Sink
        from lava.proc.io.source import RingBuffer as Source

        from .hdf5 import Network
    except ImportError as exc:
        raise SystemExit(
            f"error: the lava backend needs Python 3.10 and `pip install lava-dl-netx[lava]` "
            f"({exc}); use --backend native"
        ) from None
    net = Network(net_config=args.net, **_net_options(args))
    if args.bias is not None:
        shape = tuple(net.in_layer.neuron.bias_mant.shape)
        net.in_layer.neuron.bias_mant.init = _load_bias(args.bias, shape)
    port = net.in_layer.neuron.a_in if args.inject == "neuron" else net.inp
    if data.shape[:-1] != tuple(port.shape):
        raise ValueError(
            f"{args.input} has shape {data.shape}; expected {tuple(port.shape)} + (T,)"
        )
    source = Source(data=data)
    sink = Sink(shape=net.out_layer.out.shape, buffer=args.steps)
    source.s_out.connect(port)
    net.out_layer.out.connect(sink.a_in)
    t0 = time.perf_counter()
    try:
        net.run(condition=RunSteps(num_steps=args.steps),
                run_cfg=Loihi2SimCfg(select_tag="fixed_pt"))
        out = sink.data.get()
    finally:
        net.stop()
    elapsed = time.perf_counter() - t0
    out = np.asarray(out)
    if np.all(out == np.trunc(out)):
        out = out.astype(np.int64)
    return out, ["(per-block activity is reported by the native backend only)"], elapsed


BACKENDS: dict[str, Callable[[argparse.Namespace, np.ndarray], tuple[np.ndarray, list[str],
                                                                      float]]] = {
    "native": _run_native,
    "lava": _run_lava,
}


def _net_options(args: argparse.Namespace) -> dict[str, Any]:
    opts: dict[str, Any] = {}
    if args.num_layers is not None:
        opts["num_layers"] = args.num_layers
    if args.skip_layers:
        opts["skip_layers"] = args.skip_layers
    if args.input_message_bits:
        opts["input_message_bits"] = args.input_message_bits
    if args.input_shape is not None:
        opts["input_shape"] = tuple(args.input_shape)
    if args.reset_interval is not None:
        opts["reset_interval"] = args.reset_interval
        opts["reset_offset"] = args.reset_offset
    if args.spike_exp != 6:
        opts["spike_exp"] = args.spike_exp
    return opts


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m lava.lib.dl.netx",
                                description="Run lava-dl .net networks.")
    p.add_argument("--version", action="version", version=f"lava-dl-netx {__version__}")
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", help="run a network on an input sequence",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    r.add_argument("net", help="the .net file")
    r.add_argument("--input", required=True, help="IN.npy: port shape (Lava order), time last")
    r.add_argument("--steps", type=int, required=True, help="number of time steps (>= 1)")
    r.add_argument("--output", required=True, help="OUT.npy to write (Lava order, time last)")
    r.add_argument("--backend", choices=sorted(BACKENDS), default="native")
    r.add_argument("--inject", choices=("neuron", "inp"), default="neuron",
                   help="port that receives the input: net.in_layer.neuron.a_in (default) "
                        "or net.inp")
    r.add_argument("--bias", default=None,
                   help="B.npy: bias mantissas of the input layer (Lava order, e.g. an image "
                        "driving a CUBA input layer)")
    r.add_argument("--num-layers", type=int, default=None)
    r.add_argument("--skip-layers", type=int, default=0)
    r.add_argument("--input-message-bits", type=int, default=0)
    r.add_argument("--input-shape", type=int, nargs="+", default=None,
                   help="X Y C of the input when the file has no input layer")
    r.add_argument("--reset-interval", type=int, default=None)
    r.add_argument("--reset-offset", type=int, default=0)
    r.add_argument("--spike-exp", type=int, default=6)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    args = _parser().parse_args(argv)
    if args.steps < 1:
        print("error: --steps must be >= 1", file=sys.stderr)
        return 2
    try:
        data = np.load(args.input, allow_pickle=False)
    except (OSError, ValueError) as exc:
        print(f"error: cannot read {args.input}: {exc}", file=sys.stderr)
        return 2
    if data.ndim < 2:
        print(f"error: {args.input} must have a trailing time axis; got shape {data.shape}",
              file=sys.stderr)
        return 2
    if data.dtype.kind == "f" and np.any(data != np.trunc(data)):
        print(f"error: {args.input} holds non-integer values; netx inputs are fixed-point "
              "integers", file=sys.stderr)
        return 2
    data = data.astype(np.int64)
    try:
        out, lines, elapsed = BACKENDS[args.backend](args, data)
    except (ValueError, KeyError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    np.save(args.output, out)
    print(f"{'#':>3} {'block':<15} {'neuron':<12} {'shape (X,Y,C)':<16} {'messages':>12} "
          f"{'rate':>10}")
    for line in lines:
        print(line)
    print(f"backend {args.backend}: {args.steps} steps in {elapsed:.4f} s = "
          f"{1e3 * elapsed / args.steps:.4f} ms/step; output {out.shape} -> {args.output}")
    return 0
