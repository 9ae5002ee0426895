"""Deploy side of the integration tests (Python 3.10, lava-nc, no torch): load, run, compare.

Reads the manifest written by ``export_cases.py``. For every case it loads the ``.net`` file with
netx, runs the stored input on the native runtime and on Lava
(``Loihi2SimCfg(select_tag='fixed_pt')``), records every compared block's output message and
checks, step for step, that

- the native runtime and Lava agree exactly on every step (``--loihi1`` adds a run with
  ``Loihi1SimCfg(select_tag='fixed_pt')``), and
- both equal the training-time fixed-point output shifted by the manifest's ``offset``
  (netx step ``t + offset`` == training step ``t``, over the steps both runs cover).

A mismatch prints the first differing block, neuron (file layout index) and time step. A missing
manifest, a manifest with zero cases, or any failure exits non-zero.

Usage: ``python deploy_cases.py CASES_DIR [--no-lava] [--only NAME ...]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

SUPPORTED_MANIFEST = 1


def first_difference(a: np.ndarray, b: np.ndarray) -> tuple[tuple[int, ...], int] | None:
    """(neuron index, time step) of the earliest differing element, or None when equal."""
    if a.shape != b.shape:
        raise ValueError(f"shape {a.shape} != {b.shape}")
    diff = a != b
    if not diff.any():
        return None
    t = int(np.argmax(diff.reshape(-1, diff.shape[-1]).any(0)))
    neuron = tuple(int(i) for i in np.argwhere(diff[..., t])[0])
    return neuron, t


def aligned(netx: np.ndarray, train: np.ndarray, offset: int) -> tuple[np.ndarray, np.ndarray,
                                                                      int]:
    """Slices of (netx, training) that should be equal, and the netx step of index 0."""
    n_t = netx.shape[-1]
    if offset >= 0:
        return netx[..., offset:], train[..., :n_t - offset], offset
    return netx[..., :n_t + offset], train[..., -offset:], 0


def _lava_shape(shape: list[int] | None) -> dict:
    """netx ``input_shape`` option (Lava order X, Y, C) from a file-layout (C, H, W) shape."""
    if not shape:
        return {}
    return {"input_shape": tuple(reversed(shape[1:])) + (shape[0],)}


def run_native(path: Path, x: np.ndarray, blocks: list[int], shape=None
               ) -> tuple[dict[int, np.ndarray], float]:
    from lava.lib.dl.netx.native import Network

    net = Network(path, **_lava_shape(shape))
    t0 = time.perf_counter()
    _, rec = net.run(x, probes=[(k, "s") for k in blocks])
    return {k: np.asarray(rec[(k, "s")]) for k in blocks}, time.perf_counter() - t0


def run_lava(path: Path, x: np.ndarray, blocks: list[int], shape=None, loihi1: bool = False
             ) -> tuple[dict[int, np.ndarray], float]:
    from lava.lib.dl.netx import hdf5
    from lava.lib.dl.netx.native import from_lava_layout, to_lava_layout

    run_cfg = None
    if loihi1:
        from lava.magma.core.run_configs import Loihi1SimCfg

        run_cfg = Loihi1SimCfg(select_tag="fixed_pt")
    net = hdf5.Network(str(path), **_lava_shape(shape))
    t0 = time.perf_counter()
    _, rec = hdf5.run_network(net, to_lava_layout(x, x.ndim - 1),
                              probes=[(k, "s") for k in blocks], run_cfg=run_cfg)
    elapsed = time.perf_counter() - t0
    return {k: from_lava_layout(np.asarray(rec[(k, "s")]), np.asarray(rec[(k, "s")]).ndim - 1)
            for k in blocks}, elapsed


def check_case(folder: Path, entry: dict, *, lava: bool, loihi1: bool = False
               ) -> tuple[list[str], str]:
    """Run one case; return the list of problems (empty when every comparison holds)."""
    data = np.load(folder / entry["data"])
    x = data["input"]
    blocks = [layer["index"] for layer in entry["layers"]]
    shape = entry.get("input_shape")
    runs = {"native": run_native(folder / entry["net"], x, blocks, shape)}
    if lava:
        runs["lava"] = run_lava(folder / entry["net"], x, blocks, shape)
    if lava and loihi1 and entry.get("loihi1", False):
        runs["lava-loihi1"] = run_lava(folder / entry["net"], x, blocks, shape, loihi1=True)
    problems = []
    for layer in entry["layers"]:
        k, off = layer["index"], layer["offset"]
        train = data[layer["key"]]
        for runtime, (rec, _) in runs.items():
            got = rec[k].astype(np.int64)
            if got.shape != train.shape:
                problems.append(f"block {k} on {runtime}: output shape {got.shape}, training "
                                f"shape {train.shape}")
                continue
            a, b, t0 = aligned(got, train, off)
            where = first_difference(a, b)
            if where is not None:
                neuron, t = where
                problems.append(
                    f"block {k} on {runtime} differs from training first at neuron {neuron}, "
                    f"netx step {t + t0} (training step {t + t0 - off}): {runtime} "
                    f"{a[neuron + (t,)]} vs training {b[neuron + (t,)]} (offset {off})")
        if lava:
            where = first_difference(runs["native"][0][k].astype(np.int64),
                                     runs["lava"][0][k].astype(np.int64))
            if where is not None:
                problems.append(f"block {k}: native and Lava differ first at neuron {where[0]}, "
                                f"step {where[1]}")
    timing = ", ".join(f"{r} {v[1]:.2f} s" for r, v in runs.items())
    return problems, timing


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("cases", type=Path)
    ap.add_argument("--no-lava", action="store_true", help="native runtime only")
    ap.add_argument("--loihi1", action="store_true",
                    help="also run Lava with Loihi1SimCfg(select_tag='fixed_pt') on the cases "
                         "the manifest marks (CUBA and sigma-delta)")
    ap.add_argument("--only", nargs="*", default=None)
    args = ap.parse_args(argv)
    manifest_path = args.cases / "manifest.json"
    if not manifest_path.is_file():
        print(f"[deploy] FAILED: no manifest at {manifest_path}; run the export side first "
              "(nox -s integration runs both)")
        return 2
    manifest = json.loads(manifest_path.read_text())
    if manifest.get("manifest_version") != SUPPORTED_MANIFEST:
        print(f"[deploy] FAILED: manifest_version {manifest.get('manifest_version')!r}, this "
              f"script reads {SUPPORTED_MANIFEST}; re-export with the same checkout")
        return 2
    cases = [c for c in manifest.get("cases", []) if not args.only or c["name"] in args.only]
    if not cases:
        print(f"[deploy] FAILED: {manifest_path} lists zero cases")
        return 2
    failed = []
    for entry in cases:
        try:
            problems, timing = check_case(args.cases, entry, lava=not args.no_lava,
                                         loihi1=args.loihi1)
        except Exception as exc:  # noqa: BLE001 - reported per case
            problems, timing = [f"{type(exc).__name__}: {exc}"], "-"
        status = "ok" if not problems else "MISMATCH"
        print(f"[deploy] {entry['name']} ({entry['source']}): {status} [{timing}]", flush=True)
        for p in problems:
            print(f"    {p}")
        if problems:
            failed.append(entry["name"])
    print(f"[deploy] {len(cases) - len(failed)}/{len(cases)} case(s) with parity"
          + ("" if args.no_lava else " (native runtime and Lava fixed_pt"
             + (", Loihi2SimCfg and Loihi1SimCfg)" if args.loihi1 else ", Loihi2SimCfg)")))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
