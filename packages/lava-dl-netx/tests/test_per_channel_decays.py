"""Per-channel and per-neuron decays (slayer ``shared_param=False``): each channel behaves as a
layer with that channel's scalar decays (the scalar path is checked against Lava and the golden
references elsewhere); Lava equals native (3.10)."""

import numpy as np
import pytest

from lava.lib.dl import hdf5_spec as H
from lava.lib.dl.netx import _loaders as L
from lava.lib.dl.netx import _plan as P
from lava.lib.dl.netx.native import Network

T = 24
FAMILIES = {
    "CUBA": ({"vThMant": 40, "refDelay": 1, "gradedSpike": False},
             {"iDecay": [600, 1024, 4096], "vDecay": [0, 200, 900]}),
    "ALIF": ({"vThMant": 40, "vThStep": 10},
             {"iDecay": [600, 1024, 4096], "vDecay": [0, 200, 900], "thDecay": [100, 0, 800],
              "refDecay": [4096, 300, 50]}),
    "RF_PHASE": ({"vThMant": 2}, {"sinDecay": [500, 900, 1300], "cosDecay": [3900, 3800, 3500]}),
    "ADRF_IZHIKEVICH": ({"vThMant": 2, "vThStep": 1},
                        {"sinDecay": [500, 900, 1300], "cosDecay": [3900, 3800, 3500],
                         "thDecay": [100, 0, 800], "refDecay": [4096, 300, 50]}),
}


def conv_net(ntype, decays):
    fixed, _ = FAMILIES[ntype]
    params = {**fixed, **{k: np.asarray(v, np.int64) for k, v in decays.items()}}
    rng = np.random.default_rng(0)
    w = rng.integers(-40, 120, (3, 2, 3, 3)).astype(np.float32)
    conv = H.ConvLayer(shape=(3, 5, 5), neuron=H.Neuron(type=ntype, params=params),
                       in_channels=2, out_channels=3, kernel_size=(3, 3), stride=(1, 1),
                       padding=(1, 1), dilation=(1, 1), groups=1, weight=w)
    if ntype.startswith(("RF", "ADRF")):
        conv.weight_imag = (w[:, :, ::-1] * 0.5).copy()
    return H.NetworkDescription(layers=[conv])


def drive():
    return (np.random.default_rng(1).random((2, 5, 5, T)) < 0.4).astype(np.int64)


def test_decays_load_per_channel_and_per_neuron():
    _, dec = FAMILIES["CUBA"]
    plan = L.build_plan(conv_net("CUBA", dec), input_shape=(5, 5, 2))
    n = plan.layers[0].neuron
    assert isinstance(n, P.LIFNeuron) and n.du.shape == (3, 5, 5)
    assert n.du[:, 0, 0].tolist() == [599, 1023, 4095] and n.dv[:, 4, 4].tolist() == [0, 200, 900]
    per_neuron = {k: np.broadcast_to(np.asarray(v)[:, None, None], (3, 5, 5)).reshape(-1)
                  for k, v in dec.items()}
    n2 = L.build_plan(conv_net("CUBA", per_neuron), input_shape=(5, 5, 2)).layers[0].neuron
    assert np.array_equal(n2.du, n.du) and np.array_equal(n2.dv, n.dv)
    same = L.build_plan(conv_net("CUBA", {"iDecay": [7, 7, 7], "vDecay": [9, 9, 9]}),
                        input_shape=(5, 5, 2)).layers[0].neuron
    assert same.du == 6 and same.dv == 9  # uniform arrays collapse to one value


def test_a_decay_of_the_wrong_length_is_refused():
    with pytest.raises(L.LoaderError, match=r"layer 0 .*iDecay has 2 values; expected 1, 3"):
        L.build_plan(conv_net("CUBA", {"iDecay": [1, 2], "vDecay": [0]}), input_shape=(5, 5, 2))


@pytest.mark.parametrize("ntype", sorted(FAMILIES))
def test_each_channel_runs_with_its_own_decays(ntype):
    _, dec = FAMILIES[ntype]
    x = drive()
    out = Network(conv_net(ntype, dec), input_shape=(5, 5, 2)).run(x)
    assert out.sum() > 0
    for c in range(3):
        scalar = {k: [v[c]] for k, v in dec.items()}
        ref = Network(conv_net(ntype, scalar), input_shape=(5, 5, 2)).run(x)
        assert np.array_equal(out[c], ref[c]), (ntype, c)
    assert np.array_equal(out, Network(conv_net(ntype, dec), input_shape=(5, 5, 2)).run(
        x, stepwise=True))


@pytest.mark.parametrize("ntype", sorted(FAMILIES))
def test_lava_equals_native(ntype):
    pytest.importorskip("lava.magma", reason="the Lava backend needs lava-nc (Python 3.10)")
    from lava.lib.dl.netx import hdf5
    from lava.lib.dl.netx.native import to_lava_layout

    _, dec = FAMILIES[ntype]
    x = drive()
    native = Network(conv_net(ntype, dec), input_shape=(5, 5, 2)).run(x)
    lava = hdf5.run_network(hdf5.Network(conv_net(ntype, dec), input_shape=(5, 5, 2)),
                            to_lava_layout(x, 3))
    assert np.array_equal(lava, to_lava_layout(native, 3))
