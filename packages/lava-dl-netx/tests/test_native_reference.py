"""The native runtime reproduces every reference network's ground truth (netx.md §7).

Data: ``<repo>/../shared/reference-nets`` (or ``$LAVA_DL_SHARED/reference-nets``); the tests skip
only when that folder is absent.
"""

import os
from pathlib import Path

import numpy as np
import pytest

from lava.lib.dl.netx import _plan as P
from lava.lib.dl.netx.native import Network, from_lava_layout, to_lava_layout


def _shared() -> Path:
    env = os.environ.get("LAVA_DL_SHARED")
    return Path(env) if env else Path(__file__).resolve().parents[3] / ".." / "shared"


REF = _shared() / "reference-nets"
NT = REF / "netx-tests"
GTS = NT / "gts"
pytestmark = pytest.mark.skipif(not REF.is_dir(), reason=f"reference nets not found at {REF}")


def lava_in(path, *, time_axis=True):
    a = np.load(path)
    return from_lava_layout(a, 3 if a.ndim >= 3 + time_axis else 1, time_axis=time_axis)


def test_tinynet_spikes_with_reset_and_bias_input():
    net = Network(NT / "tiny.net", reset_interval=17)
    assert [layer.block for layer in net.layers] == ["Input", "Conv", "Conv"]
    net.set_bias(0, lava_in(GTS / "tinynet" / "input_bias.npy", time_axis=False))
    out = net.run(np.zeros((3, 16, 16, 17), dtype=np.int64))
    gt = np.load(GTS / "tinynet" / "output.npy")[0]  # (36, 1, 1, 16), file order
    assert np.array_equal(out[..., 2:17], gt[..., 1:])
    assert out.sum() > 0


def test_pilotnet_sdnn_output_and_per_layer_sigma():
    net = Network(GTS / "pilotnet_sdnn" / "network.net")
    x = lava_in(GTS / "pilotnet_sdnn" / "input.npy")[..., 0]
    probes = {"act0": (0, "s"), "sigma1": (1, "sigma"), "sigma2": (2, "sigma")}
    out, rec = net.run(np.repeat(x[..., None], 20, -1), probes=probes)
    assert out[0, :9].tolist() == [0, -3840, 4880, 361928, 461416, 342568, -315628, -315628,
                                   -31026]
    assert np.array_equal(np.load(GTS / "pilotnet_sdnn" / "output.npy")[0], out[0, :9])
    for key in probes:
        gt = np.load(GTS / "pilotnet_sdnn" / f"{key}.npy")
        assert np.array_equal(to_lava_layout(rec[key], 3), gt), key


def test_pilotnet_sdnn_square_network_sigma_states():
    net = Network(GTS / "pilotnet_sdnn" / "square_network.net")
    x = lava_in(GTS / "pilotnet_sdnn" / "input.npy")[..., 0][:, :, :33]
    assert net.input_shape == x.shape
    probes = {k: (k, "sigma") for k in range(1, 5)}
    _, rec = net.run(np.repeat(x[..., None], 20, -1), probes=probes)
    for k in range(1, 5):
        gt = np.load(GTS / "pilotnet_sdnn" / f"sigma{k}_square.npy")
        assert np.array_equal(to_lava_layout(rec[k], 3), gt), k


def test_pilotnet_sdnn_spike_exp_scales_the_output():
    net = Network(GTS / "pilotnet_sdnn" / "network.net", spike_exp=0)
    x = lava_in(GTS / "pilotnet_sdnn" / "input.npy")[..., 0]
    out = net.run(np.repeat(x[..., None], 9, -1))[0]
    gt = np.load(GTS / "pilotnet_sdnn" / "output.npy")[0]
    assert 0 < np.abs(out - gt / 64).mean() < 2 * 64  # 64x coarser messages, same scale / 64


def test_pilotnet_sdnn_skip_layers_starts_at_the_first_conv():
    net = Network(GTS / "pilotnet_sdnn" / "network.net", skip_layers=1, input_message_bits=16)
    assert net.in_layer.block == "Conv" and net.plan.input_message_bits == 16
    assert net.input_shape == (3, 33, 100) and len(net) == 8


def test_pilotnet_lif_matches_loihi2_hardware_at_step_15():
    d = GTS / "pilotnet_lif"
    net = Network(d / "network.net", reset_interval=16)
    net.set_bias(0, lava_in(d / "image.npy", time_axis=False))
    names = ["conv-1", "conv-2", "conv-3", "conv-4", "fc-0", "fc-1", "fc-2", "fc-3"]
    probes = {}
    for k, n in enumerate(names, start=2):
        probes[n + "-u"] = (k, "u")
        probes[n] = (k, "s")
    _, rec = net.run(np.zeros((3, 66, 200, 15), dtype=np.int64), probes=probes)
    for n in names:
        got = rec[n + "-u"]
        got = to_lava_layout(got, got.ndim - 1)
        gt = np.load(d / f"{n}-u.npy")
        assert np.array_equal(got[..., 14], gt[..., 14]), n
        if n != "fc-3":  # spikes of every step (fc-3 is the non-spiking readout)
            spikes = to_lava_layout(rec[n], rec[n].ndim - 1)
            assert np.array_equal(spikes, np.load(d / f"{n}.npy")[..., :15]), n


def test_oxford_network_and_its_first_block():
    net = Network(REF / "oxford" / "Trained" / "network.net")
    assert net.input_shape == (200,) and [layer.block for layer in net.layers] == ["Dense"] * 2
    x = np.load(REF / "oxford" / "gts" / "in.npy").astype(np.int64)
    out, rec = net.run(x, probes=[(0, "s")])
    assert np.array_equal(rec[(0, "s")], np.load(REF / "oxford" / "gts" / "out.npy"))
    assert int(out.sum()) == 9565  # netx.md §7: 9 565 output spikes


def _single(neuron, synapse, n_in, n_out):
    layer = P.LayerPlan(index=0, type="dense" if synapse else "input", shape=(n_out,),
                        neuron=neuron, synapse=synapse, input_shape=(n_in,))
    return Network(P.NetworkPlan(layers=(layer,), input_shape=(n_in,)))


def test_dense_block_ground_truth():
    d = GTS / "dense"
    syn = P.DenseSynapse(weight=np.load(d / "weight.npy"))
    net = _single(P.LIFNeuron(du=4095, dv=415, vth=6), syn, 200, 256)
    out, rec = net.run(np.load(d / "in.npy").astype(np.int64), probes=[(0, "u")])
    assert np.array_equal(out, np.load(d / "out.npy"))
    assert np.array_equal(rec[(0, "u")], np.load(d / "current.npy") * 64)


def _lava_rf_decays(period, alpha):
    s = int(np.int32((1 - alpha) * np.sin(2 * np.pi / period) * 4096))
    c = int(np.int32((1 - alpha) * np.cos(2 * np.pi / period) * 4096))
    return s, c


def test_complex_input_and_complex_dense_ground_truth():
    d = GTS / "complex_dense"
    x = np.load(d / "in.npy").astype(np.int64)
    s, c = _lava_rf_decays(7, 0.05)
    net = _single(P.RFNeuron(sin_decay=s, cos_decay=c, vth=1.1, izhikevich=True), None, 200, 200)
    assert net.in_layer.block == "ComplexInput"
    assert np.array_equal(net.run(x), np.load(d / "current.npy"))
    s, c = _lava_rf_decays(11, 0.05)
    syn = P.ComplexDenseSynapse(weight=np.load(d / "weight_r.npy").astype(np.int64),
                                weight_imag=np.load(d / "weight_img.npy").astype(np.int64))
    net = _single(P.RFNeuron(sin_decay=s, cos_decay=c, vth=25), syn, 200, 256)
    assert np.array_equal(net.run(x), np.load(d / "out.npy"))


def test_block_schedule_equals_step_schedule_and_batches():
    net = Network(GTS / "pilotnet_sdnn" / "network.net")
    x = lava_in(GTS / "pilotnet_sdnn" / "input.npy")[..., 0]
    rng = np.random.default_rng(0)
    seq = np.stack([x + rng.integers(-8, 8, x.shape) for _ in range(6)], axis=-1)
    fast, rf = net.run(seq, probes=[(3, "sigma")])
    net.reset()
    slow, rs = net.run(seq, probes=[(3, "sigma")], stepwise=True)
    assert np.array_equal(fast, slow) and np.array_equal(rf[(3, "sigma")], rs[(3, "sigma")])
    net.reset()
    both = net.run(np.stack([seq, seq[..., ::-1]]))
    net.reset()
    assert np.array_equal(both[0], fast) and np.array_equal(both[1], net.run(seq[..., ::-1]))
    # continuing a run equals one long run (state, synapse buffers and step count carry over)
    net.reset()
    first = net.run(seq[..., :2])
    second = net.run(seq[..., 2:])
    assert np.array_equal(np.concatenate([first, second], axis=-1), fast)
