"""The Lava backend reproduces the reference networks' ground truth (netx.md §7).

Data: ``<repo>/../shared/reference-nets`` (or ``$LAVA_DL_SHARED/reference-nets``); the tests skip
only when that folder is absent (or when lava-nc is not installed). Runs are kept short (a few
hundred steps at most) so the suite stays fast.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("lava.magma", reason="the Lava backend needs lava-nc (Python 3.10)")

from lava.lib.dl.netx import blocks, hdf5, native  # noqa: E402
from lava.lib.dl.netx.native import from_lava_layout  # noqa: E402
from lava.lib.dl.netx.procs.io import RingBufferSink, RingBufferSource  # noqa: E402
from lava.magma.core.run_conditions import RunSteps  # noqa: E402
from lava.magma.core.run_configs import Loihi1SimCfg, Loihi2SimCfg  # noqa: E402
from lava.proc import io  # noqa: E402
from lava.proc.lif.process import LIF  # noqa: E402
from lava.proc.rf.process import RF  # noqa: E402
from lava.proc.rf_iz.process import RF_IZ  # noqa: E402


def _shared() -> Path:
    env = os.environ.get("LAVA_DL_SHARED")
    return Path(env) if env else Path(__file__).resolve().parents[3] / ".." / "shared"


REF = _shared() / "reference-nets"
NT = REF / "netx-tests"
GTS = NT / "gts"
pytestmark = pytest.mark.skipif(not REF.is_dir(), reason=f"reference nets not found at {REF}")

FIXED = Loihi2SimCfg(select_tag="fixed_pt")
PILOTNET_OUT = [0, -3840, 4880, 361928, 461416, 342568, -315628, -315628, -31026]


def _run_block(block, data: np.ndarray, n_out: int, steps: int) -> np.ndarray:
    src = RingBufferSource(data=data[:, :steps].astype(np.int32))
    sink = RingBufferSink(shape=(n_out,), buffer=steps)
    src.s_out.connect(block.inp)
    block.out.connect(sink.a_in)
    try:
        block.run(RunSteps(steps), FIXED)
        return sink.data.get()
    finally:
        block.stop()


def test_tinynet_with_reset_processes_and_bias_input():
    """lava-dl's test_tinynet: bias-driven input, Reset on u and v with offset i - 1."""
    steps = 17
    net = hdf5.Network(NT / "tiny.net")
    assert [b.block for b in net.layers] == ["Input", "Conv", "Conv"]
    net.in_layer.neuron.bias_mant.init = np.load(GTS / "tinynet" / "input_bias.npy").astype(int)
    sink = RingBufferSink(shape=net.out.shape, buffer=steps)
    net.out.connect(sink.a_in)
    for i, layer in enumerate(net.layers):
        for var in (layer.neuron.u, layer.neuron.v):
            reset = io.reset.Reset(interval=steps, offset=i - 1)
            reset.connect_var(var)
    try:
        net.run(RunSteps(steps), FIXED)
        out = sink.data.get()
    finally:
        net.stop()
    gt = np.load(GTS / "tinynet" / "output.npy")[0, :, 0, 0]  # (36, 16)
    assert out[0, 0].sum() > 0
    np.testing.assert_array_equal(out[0, 0, :, 2:17], gt[:, 1:])


def test_pilotnet_sdnn_output_and_layer_states():
    net = hdf5.Network(GTS / "pilotnet_sdnn" / "network.net")
    assert len(net) == 9
    x = np.repeat(np.load(GTS / "pilotnet_sdnn" / "input.npy"), 10, axis=-1)
    out, rec = hdf5.run_network(net, x, target="neuron", probes=[(1, "sigma"), (2, "sigma")])
    assert out[0, :9].tolist() == PILOTNET_OUT
    for k in (1, 2):
        gt = np.load(GTS / "pilotnet_sdnn" / f"sigma{k}.npy")[..., :10]
        np.testing.assert_array_equal(rec[(k, "sigma")], gt)


def test_pilotnet_sdnn_loihi1_without_tag_is_fixed_point():
    """B13: a run configuration without tag runs the fixed-point models (and net.inp works
    when the file starts with an input layer, B8)."""
    net = hdf5.Network(GTS / "pilotnet_sdnn" / "network.net")
    x = np.repeat(np.load(GTS / "pilotnet_sdnn" / "input.npy"), 9, axis=-1)
    out = hdf5.run_network(net, x, target="inp", run_cfg=Loihi1SimCfg())
    assert out[0].tolist() == PILOTNET_OUT


def test_pilotnet_sdnn_with_lava_io_and_no_tag():
    """Lava's own RingBuffers run their float models without a tag; the network's processes
    take their messages as integers and still run fixed point (lava-dl 0.6 hung or gave
    +-1e19 here)."""
    net = hdf5.Network(GTS / "pilotnet_sdnn" / "network.net")
    x = np.repeat(np.load(GTS / "pilotnet_sdnn" / "input.npy"), 9, axis=-1)
    src = io.source.RingBuffer(data=x)
    sink = io.sink.RingBuffer(shape=net.out.shape, buffer=9)
    src.s_out.connect(net.inp)
    net.out.connect(sink.a_in)
    try:
        net.run(RunSteps(9), Loihi2SimCfg())
        out = sink.data.get()
    finally:
        net.stop()
    assert out[0].tolist() == PILOTNET_OUT


def test_pilotnet_sdnn_spike_exp_scales_output():
    net = hdf5.Network(GTS / "pilotnet_sdnn" / "network.net", spike_exp=0)
    x = np.repeat(np.load(GTS / "pilotnet_sdnn" / "input.npy"), 9, axis=-1)
    out = hdf5.run_network(net, x) * 64  # output scales by 2 ** (spike_exp - 6)
    err = np.abs(out[0] - np.array(PILOTNET_OUT)) / 64
    assert err.mean() < 2 * 64
    assert not np.array_equal(out[0], PILOTNET_OUT)


def test_pilotnet_lif_currents_at_step_15_match_loihi2_hardware():
    d = GTS / "pilotnet_lif"
    net = hdf5.Network(d / "network.net", reset_interval=16)
    assert len(net) == 10
    net.in_layer.neuron.bias_mant.init = np.load(d / "image.npy")
    names = ["conv-1", "conv-2", "conv-3", "conv-4", "fc-0", "fc-1", "fc-2", "fc-3"]
    probes = [(k + 2, var) for k in range(len(names)) for var in ("u", "s")]
    _, rec = hdf5.run_network(net, np.zeros((*net.inp.shape, 15), dtype=int), probes=probes)
    for k, n in enumerate(names):
        u = rec[(k + 2, "u")]
        gt = np.load(d / f"{n}-u.npy")
        np.testing.assert_array_equal(u[..., 14], gt[..., 14].reshape(u.shape[:-1]), err_msg=n)
        if n != "fc-3":  # the spikes of every step (fc-3 is the non-spiking readout)
            spikes = np.load(d / f"{n}.npy")[..., :15]
            np.testing.assert_array_equal(rec[(k + 2, "s")], spikes, err_msg=n)


def test_dense_block_ground_truth():
    g = GTS / "dense"
    steps = 300
    block = blocks.Dense(shape=(256,), neuron_params={"neuron_proc": LIF, "vth": 6, "du": 4095,
                                                      "dv": 415}, weight=np.load(g / "weight.npy"))
    out = _run_block(block, np.load(g / "in.npy"), 256, steps)
    assert out.sum() > 0
    np.testing.assert_array_equal(out, np.load(g / "out.npy")[:, :steps])


def test_conv_block_with_lava_layout_kernel_reproduces_tinynet_currents():
    """lava-dl's Conv block API: Lava-layout kernel (C_out, X, Y, C_in), per-channel bias."""
    g = GTS / "tinynet"
    steps = 16
    x = np.load(g / "input.npy")[0].transpose(2, 1, 0, 3)  # (C, H, W, T) -> (X, Y, C, T)
    block = blocks.Conv(shape=(6, 6, 24), input_shape=(16, 16, 3), stride=2,
                        neuron_params={"neuron_proc": LIF, "vth": 25, "du": 4095, "dv": 1024,
                                       "bias_exp": 6},
                        weight=np.load(g / "layer1_kernel.npy"),
                        bias=np.load(g / "layer1_bias.npy"))
    assert block.synapse.weight.init.shape == (24, 5, 5, 3)
    src = RingBufferSource(data=x.astype(np.int32))
    src.s_out.connect(block.inp)
    currents = []
    try:
        for _ in range(steps):
            block.run(RunSteps(1), FIXED)
            currents.append(block.neuron.u.get())
    finally:
        block.stop()
    u = np.stack(currents, axis=-1)
    gt = np.load(g / "current.npy")[0].transpose(2, 1, 0, 3) * 64  # one step of latency
    assert np.abs(u).sum() > 0
    np.testing.assert_array_equal(u[..., 1:], gt[..., :-1])


def test_complex_input_and_complex_dense_blocks_ground_truth():
    g = GTS / "complex_dense"
    steps = 300
    x = np.load(g / "in.npy")
    inp = blocks.ComplexInput(shape=(200,), neuron_params={
        "neuron_proc": RF_IZ, "vth": 1.1, "period": 7, "alpha": 0.05, "state_exp": 6,
        "decay_bits": 12})
    np.testing.assert_array_equal(_run_block(inp, x, 200, steps),
                                  np.load(g / "current.npy")[:, :steps])
    dense = blocks.ComplexDense(shape=(256,), neuron_params={
        "neuron_proc": RF, "vth": 25, "period": 11, "alpha": 0.05, "state_exp": 6,
        "decay_bits": 12}, weight_real=np.load(g / "weight_r.npy"),
        weight_imag=np.load(g / "weight_img.npy"))
    out = _run_block(dense, x, 256, steps)
    assert out.sum() > 0
    np.testing.assert_array_equal(out, np.load(g / "out.npy")[:, :steps])


def test_oxford_network_ground_truth():
    """2000 steps: the first block reproduces gts/out.npy and the network gives netx.md §7's
    9 565 output spikes."""
    path = REF / "oxford" / "Trained" / "network.net"
    net = hdf5.Network(path)
    assert len(net) == 2 and net.inp.shape == (200,) and net.out.shape == (200,)
    x = np.load(REF / "oxford" / "gts" / "in.npy")
    out, rec = hdf5.run_network(net, x, probes=[(0, "s")])
    np.testing.assert_array_equal(rec[(0, "s")], np.load(REF / "oxford" / "gts" / "out.npy"))
    assert int(out.sum()) == 9565


def test_pilotnet_sdnn_square_network_sigma_states():
    steps = 8
    net = hdf5.Network(GTS / "pilotnet_sdnn" / "square_network.net")
    x = np.load(GTS / "pilotnet_sdnn" / "input.npy")[:33]  # (X, Y, C, 1): a 33 x 33 crop
    assert net.inp.shape == x.shape[:-1]
    probes = [(k, "sigma") for k in range(1, 5)]
    _, rec = hdf5.run_network(net, np.repeat(x, steps, axis=-1), probes=probes)
    for k in range(1, 5):
        gt = np.load(GTS / "pilotnet_sdnn" / f"sigma{k}_square.npy")[..., :steps]
        np.testing.assert_array_equal(rec[(k, "sigma")], gt, err_msg=f"sigma{k}")


def test_tinynet_matches_native_runtime_with_reset_interval():
    net = hdf5.Network(NT / "tiny.net", reset_interval=17)
    bias = np.load(GTS / "tinynet" / "input_bias.npy").astype(int)
    net.in_layer.neuron.bias_mant.init = bias
    out = hdf5.run_network(net, np.zeros((16, 16, 3, 20), dtype=int))
    nat = native.Network(NT / "tiny.net", reset_interval=17)
    nat.set_bias(0, from_lava_layout(bias, 3, time_axis=False))
    ref = nat.run(np.zeros((3, 16, 16, 20), dtype=int))
    np.testing.assert_array_equal(from_lava_layout(out, 3), ref)
