"""Export side of the integration tests (Python 3.11, torch): build or train networks, write cases.

For every case this script writes, under the output folder,

- ``<name>.net``: the network file, written by the training package's exporter;
- ``<name>.npz``: ``input`` (what netx receives, file layout ``(*in_shape, T)``, integers) and
  ``layer<k>`` (the training-time fixed-point output of block ``k``, in netx's message units);
- one entry in ``manifest.json`` (format described in ``integration-tests/README.md``).

Timing convention (pinned here, checked on the deploy side)
-----------------------------------------------------------
netx delays a message by one step per *synapse* (every block but ``input`` and ``flatten``);
the training packages delay by one step per block built with ``delay_shift=True`` (slayer's
default, also for its ``Input`` block, which netx runs with no synapse in front of it). The
manifest therefore records, for every compared block, ``offset`` = (synapses up to and including
that block) - (delay-shifted blocks up to and including it): netx's step ``t + offset`` equals
the training step ``t``. Nothing is fitted: the offset follows from the blocks alone.

Usage: ``python export_cases.py OUT_DIR [--only NAME ...]``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

MANIFEST_VERSION = 1
T = 40

CUBA = {"threshold": 1.0, "current_decay": 0.25, "voltage_decay": 0.03}
ALIF = {**CUBA, "threshold_step": 0.5, "threshold_decay": 0.1, "refractory_decay": 0.1}
RF = {"threshold": 0.5, "period": 8, "decay": 0.1}
ADRF = {**RF, "threshold_step": 0.2, "threshold_decay": 0.1, "refractory_decay": 0.1}


# ------------------------------------------------------------------------ case container
class Case:
    """One exported network: blocks (for offsets), the file, inputs and expected outputs."""

    def __init__(self, name: str, source: str, blocks: list, x_netx: np.ndarray,
                 outputs: list[np.ndarray], *, compare: list[int] | None = None,
                 graded: bool = False, kinds: list[str] | None = None,
                 netx_index: list[int] | None = None, offsets: list[int] | None = None,
                 input_shape: tuple[int, ...] | None = None) -> None:
        self.name = name
        self.source = source
        self.blocks = blocks
        self.x_netx = x_netx
        self.outputs = outputs
        self.compare = list(range(len(outputs))) if compare is None else compare
        self.graded = graded
        self.kinds = kinds
        self.netx_index = netx_index  # netx block compared with each entry of ``compare``
        self.offsets = offsets  # documented offsets (else derived from the blocks)
        self.input_shape = input_shape  # file layout (C, H, W) of a spatial input, if any


def _has_synapse(block) -> bool:
    return any(getattr(block, a, None) is not None for a in ("synapse", "input_synapse"))


def offsets(blocks: list, kinds: list[str] | None = None) -> list[int]:
    """netx step minus training step for each block's output (see the module docstring)."""
    out, syn, shift = [], 0, 0
    for i, b in enumerate(blocks):
        kind = kinds[i] if kinds is not None else None
        if kind == "synapse" or (kind is None and _has_synapse(b)):
            syn += 1
        if bool(getattr(b, "delay_shift", False)):
            shift += 1
        out.append(syn - shift)
    return out


def spikes(*shape: int, p: float = 0.3, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(1, *shape, T, generator=g) < p).float()


def forward_all(blocks: list, x: torch.Tensor) -> list[np.ndarray]:
    """Training-time forward (fixed-point), every block's output for sample 0, time last."""
    outs = []
    with torch.no_grad():
        y = x
        for b in blocks:
            y = b(y)
            z = y[0] if isinstance(y, tuple) else y
            outs.append(z[0].numpy().copy())
    return outs


# ------------------------------------------------------------------------ slayer cases
def _slayer_case(name: str, make: Callable[[], tuple[list, torch.Tensor]], *,
                 setup: Callable[[list], None] | None = None) -> Callable[[Path], Case]:
    def build(folder: Path) -> Case:
        from lava.lib.dl import slayer

        torch.manual_seed(0)
        blocks, x = make()
        if setup is not None:
            forward_all(blocks, x)  # lazy shapes first
            setup(blocks)
        outs = forward_all(blocks, x)
        slayer.block.export_network(blocks, folder / f"{name}.net",
                                    input_shape=tuple(x.shape[1:-1]))
        xin = x[0].numpy()
        if isinstance(blocks[0], slayer.block.base.AbstractInput) and blocks[0].neuron is not None:
            # the Input block quantises its data like a weight (step 2/64): netx gets mantissas
            xin = np.clip(2 * np.round(xin * 32), -256, 254)
        shape = tuple(x.shape[1:-1])
        # netx folds a flatten layer into the next synapse: it has no block of its own there
        kept = [i for i, b in enumerate(blocks)
                if not isinstance(b, slayer.block.base.AbstractFlatten)]
        return Case(name, "slayer", blocks, xin.astype(np.int64), outs, compare=kept,
                    netx_index=list(range(len(kept))),
                    input_shape=shape if len(shape) > 1 else None)

    return build


def _set_delays(blocks: list) -> None:
    d = blocks[0].delay.delay
    d.data = torch.arange(d.numel(), dtype=d.dtype).reshape(d.shape) % 4


def _slayer_cases() -> dict[str, Callable[[Path], Case]]:
    from lava.lib.dl.slayer import block as B

    fams = {"cuba": CUBA, "alif": ALIF, "rf": RF, "rf_iz": RF, "adrf": ADRF, "adrf_iz": ADRF}
    cases: dict[str, Callable[[Path], Case]] = {}
    for fam, params in fams.items():
        mod = getattr(B, fam)
        cases[f"slayer-{fam}-dense2"] = _slayer_case(
            f"slayer-{fam}-dense2",
            lambda mod=mod, params=params: ([mod.Dense(params, 24, 16),
                                             mod.Dense(params, 16, 8)], spikes(24)))
    c = B.cuba
    cases.update({
        "slayer-cuba-dense-delay": _slayer_case(
            "slayer-cuba-dense-delay",
            lambda: ([c.Dense(CUBA, 20, 12, delay=True), c.Dense(CUBA, 12, 6)], spikes(20)),
            setup=_set_delays),
        "slayer-cuba-conv-pool-flatten-dense": _slayer_case(
            "slayer-cuba-conv-pool-flatten-dense",
            lambda: ([c.Conv(CUBA, 2, 4, 3, padding=1), c.Pool(CUBA, 2), c.Flatten(),
                      c.Dense(CUBA, 4 * 4 * 4, 6)], spikes(2, 8, 8, p=0.4))),
        "slayer-cuba-conv-ceil-pool": _slayer_case(  # 7x7 pooled by 2: ceil mode, 4x4
            "slayer-cuba-conv-ceil-pool",
            lambda: ([c.Conv(CUBA, 2, 4, 3, padding=1), c.Pool(CUBA, 2), c.Flatten(),
                      c.Dense(CUBA, 4 * 4 * 4, 6)], spikes(2, 7, 7, p=0.4))),
        "slayer-cuba-conv-stride-groups": _slayer_case(
            "slayer-cuba-conv-stride-groups",
            lambda: ([c.Conv(CUBA, 4, 4, 3, stride=2, padding=1, groups=2)],
                     spikes(4, 9, 9, p=0.4))),
        "slayer-cuba-convT-unpool": _slayer_case(
            "slayer-cuba-convT-unpool",
            lambda: ([c.ConvT(CUBA, 2, 3, 3, stride=2), c.Unpool(CUBA, 2)],
                     spikes(2, 4, 4, p=0.4))),
        "slayer-cuba-recurrent": _slayer_case(
            "slayer-cuba-recurrent",
            lambda: ([c.Recurrent(CUBA, 20, 12), c.Dense(CUBA, 12, 6)], spikes(20))),
        "slayer-cuba-input-dense": _slayer_case(
            "slayer-cuba-input-dense",
            lambda: ([c.Input(CUBA), c.Dense(CUBA, 20, 10)], spikes(20))),
    })
    sd = B.sigma_delta
    cases["slayer-sdnn-input-dense"] = _sdnn_case(
        "slayer-sdnn-input-dense", lambda p: [sd.Input(p), sd.Dense(p, 20, 8)], (20,))
    cases["slayer-sdnn-input-dense-output"] = _sdnn_case(
        "slayer-sdnn-input-dense-output",
        lambda p: [sd.Input(p), sd.Dense(p, 20, 12), sd.Output(p, 12, 4)], (20,))
    cases["slayer-sdnn-conv-pool-flatten-dense"] = _sdnn_case(
        "slayer-sdnn-conv-pool-flatten-dense",
        lambda p: [sd.Input(p), sd.Conv(p, 2, 4, 3, padding=1), sd.Pool(p, 2), sd.Flatten(),
                   sd.Dense(p, 4 * 4 * 4, 6)], (2, 8, 8))
    cases["slayer-cuba-kwta"] = _slayer_case(
        "slayer-cuba-kwta", lambda: ([c.Dense(CUBA, 20, 12), c.KWTA(CUBA, 12, 6, 2)],
                                     spikes(20)))
    for fam, params in (("cuba", CUBA), ("alif", ALIF), ("rf", RF), ("adrf_iz", ADRF)):
        mod = getattr(B, fam)  # per-channel decays (slayer shared_param=False)
        cases[f"slayer-{fam}-per-channel"] = _slayer_case(
            f"slayer-{fam}-per-channel", lambda mod=mod, params=params: (
                [mod.Conv({**params, "shared_param": False}, 2, 4, 3, padding=1),
                 mod.Flatten(), mod.Dense({**params, "shared_param": False}, 4 * 8 * 8, 6)],
                spikes(2, 8, 8, p=0.4)))
    for fam, params in (("alif", ALIF), ("rf", RF)):
        mod = getattr(B, fam)
        cases[f"slayer-{fam}-conv"] = _slayer_case(
            f"slayer-{fam}-conv", lambda mod=mod, params=params: (
                [mod.Conv(params, 2, 4, 3, padding=1)], spikes(2, 8, 8, p=0.4)))
    return cases


def _sdnn_case(name: str, make: Callable[[dict], list], in_shape: tuple[int, ...]
               ) -> Callable[[Path], Case]:
    """Sigma-delta: graded messages in units of 2**-12 (netx.md section 1.5); a Sigma readout
    (``Output``) sends its accumulated sum in units of 2**-18."""

    def build(folder: Path) -> Case:
        from lava.lib.dl import slayer

        torch.manual_seed(0)
        sd = {"threshold": 0.1, "activation": torch.relu}
        blocks = make(sd)
        g = torch.Generator().manual_seed(1)
        x = torch.cumsum((torch.rand(1, *in_shape, T, generator=g) - 0.5) * 0.5, -1)
        outs = forward_all(blocks, x)
        for i, b in enumerate(blocks):
            sigma = isinstance(b, slayer.block.sigma_delta.Output)
            outs[i] = outs[i] * (1 << 18 if sigma else 1 << 12)
        slayer.block.export_network(blocks, folder / f"{name}.net", input_shape=in_shape)
        # the Input block quantises its data like a weight (step 2/64): netx gets mantissas
        xq = np.clip(2 * np.round(x[0].numpy() * 32), -256, 254).astype(np.int64)
        kept = [i for i, b in enumerate(blocks)
                if not isinstance(b, slayer.block.base.AbstractFlatten)]
        return Case(name, "slayer", blocks, xq, outs, graded=True, compare=kept,
                    netx_index=list(range(len(kept))),
                    input_shape=in_shape if len(in_shape) > 1 else None)

    return build


# ------------------------------------------------------------------------ other packages
def _bootstrap_case(folder: Path) -> Case:
    """bootstrap digits network: the spiking hidden block is compared (the Affine readout never
    fires: its output is a potential, not a message netx sends)."""
    from lava.lib.dl.bootstrap.testing import train_digits_network

    trained = train_digits_network()
    name = "bootstrap-digits"
    trained.export(folder / f"{name}.net")
    x = trained.snn_input(trained.data.x_test[:1])
    outs = [o[0].detach().numpy() for o in trained.reference_outputs(x)]
    blocks = list(trained.net.blocks)
    # the encoder quantises its data like a weight (step 2/64): netx gets those mantissas
    xq = np.clip(2 * np.round(x[0].numpy() * 32), -256, 254).astype(np.int64)
    return Case(name, "bootstrap", blocks, xq, outs, compare=[0], netx_index=[0])


def _decolle_case(folder: Path) -> Case:
    """decolle dense network (local readouts are training-only): last layer spikes."""
    from lava.lib.dl.decolle.testing import train_small_network

    small = train_small_network()
    name = "decolle-dense"
    small.net.export_hdf5(folder / f"{name}.net")
    net = small.net
    net.eval()
    net.reset_state()
    x = small.x_test[:1]
    with torch.no_grad():
        out = net(x)
    n = len(net.layers)
    return Case(name, "decolle", [], x[0].numpy().astype(np.int64), [out.spikes[0].numpy()],
                compare=[0], netx_index=[n - 1], offsets=[0])


def _plugin_case(folder: Path) -> Case:
    """A slayer dense block followed by the third-party ``acme/gain_dense`` block."""
    try:
        from acme_lava_plugin.block import GainDense
    except ImportError as exc:
        raise RuntimeError("the plugin case needs the test plugin: pip install "
                           "integration-tests/plugins/acme-lava-plugin[train]") from exc

    def make() -> tuple[list, torch.Tensor]:
        from lava.lib.dl import slayer

        return ([slayer.block.cuba.Dense(CUBA, 24, 16),
                 GainDense(CUBA, 16, 8, gain=2, weight_scale=0.5)], spikes(24))

    case = _slayer_case("plugin-gain-dense", make)(folder)
    case.source = "acme-lava-plugin"
    return case


def _average_case(folder: Path) -> Case:
    """CUBA dense blocks read out by a population ``Average(2)``: netx sends the group sums
    (``output_divisor`` = group size 4), one synapse (one step) after the last dense block."""
    from lava.lib.dl.slayer import block as B

    c = B.cuba
    case = _slayer_case("slayer-cuba-dense-average", lambda: (
        [c.Dense(CUBA, 24, 16), c.Dense(CUBA, 16, 8), c.Average(2)], spikes(24)))(folder)
    case.outputs[2] = case.outputs[2] * 4
    case.kinds = [None, None, "synapse"]
    return case


def _decimation_case(folder: Path) -> Case:
    """CUBA dense blocks read out by ``TimeDecimation(4)``: netx sends each window's sum on the
    window's last step (windows from step 1, as slayer's with ``delay_shift=True``); the
    training output (one mean per window) is laid out on that time base, times 4."""
    from lava.lib.dl.slayer import block as B

    c = B.cuba
    factor = 4
    case = _slayer_case("slayer-cuba-dense-decimation", lambda: (
        [c.Dense(CUBA, 24, 16), c.Dense(CUBA, 16, 8), B.cuba.TimeDecimation(factor)],
        spikes(24)))(folder)
    means = case.outputs[2]
    n_t = case.x_netx.shape[-1]
    full = np.zeros((*means.shape[:-1], n_t))
    for j in range(n_t // factor):  # an incomplete last window is never sent
        full[..., (j + 1) * factor - 1] = means[..., j] * factor
    case.outputs[2] = full
    return case


def all_cases() -> dict[str, Callable[[Path], Case]]:
    cases = dict(_slayer_cases())
    cases["slayer-cuba-dense-average"] = _average_case
    cases["slayer-cuba-dense-decimation"] = _decimation_case
    cases["bootstrap-digits"] = _bootstrap_case
    cases["decolle-dense"] = _decolle_case
    cases["plugin-gain-dense"] = _plugin_case
    return cases


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--only", nargs="*", default=None)
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    entries, failures = [], []
    for name, build in all_cases().items():
        if args.only and name not in args.only:
            continue
        t0 = time.perf_counter()
        try:
            case = build(args.out)
        except Exception as exc:  # noqa: BLE001 - reported, then the session fails
            failures.append(f"{name}: {type(exc).__name__}: {exc}")
            if os.environ.get("INTEGRATION_TRACEBACK"):
                traceback.print_exc()
            print(f"[export] {name}: FAILED {type(exc).__name__}: {exc}", flush=True)
            continue
        offs = case.offsets if case.offsets is not None else offsets(case.blocks, case.kinds)
        arrays = {"input": case.x_netx}
        layers = []
        for j, k in enumerate(case.compare):
            arrays[f"layer{k}"] = np.rint(case.outputs[k]).astype(np.int64)
            idx = k if case.netx_index is None else case.netx_index[j]
            layers.append({"index": idx, "key": f"layer{k}",
                           "offset": offs[j] if case.offsets is not None else offs[k]})
        np.savez_compressed(args.out / f"{case.name}.npz", **arrays)
        spikes_out = int(np.abs(arrays[f"layer{case.compare[-1]}"]).sum())
        if spikes_out == 0:
            failures.append(f"{name}: the training-time output is silent (a test that cannot "
                            "fail); change the case's input or parameters")
        entries.append({"name": case.name, "source": case.source, "net": f"{case.name}.net",
                        "data": f"{case.name}.npz", "graded": case.graded, "layers": layers,
                        "steps": int(case.x_netx.shape[-1]),
                        # lava-dl 0.6 ran CUBA and sigma-delta networks on Loihi1SimCfg too
                        "loihi1": "-cuba-" in case.name or "-sdnn-" in case.name,
                        "input_shape": None if case.input_shape is None else
                        list(case.input_shape)})
        print(f"[export] {name}: {len(layers)} layer(s), offsets {[d['offset'] for d in layers]},"
              f" output activity {spikes_out} ({time.perf_counter() - t0:.1f} s)", flush=True)
    manifest = {"manifest_version": MANIFEST_VERSION, "writer_python": sys.version.split()[0],
                "torch": torch.__version__, "cases": entries}
    (args.out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    print(f"[export] {len(entries)} case(s) written to {args.out / 'manifest.json'}")
    for f in failures:
        print(f"[export] FAILED {f}")
    return 1 if failures or not entries else 0


if __name__ == "__main__":
    sys.exit(main())
