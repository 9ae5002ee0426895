"""average (population / time decimation) and concat blocks: plans, native semantics computed by
hand, step == run, Lava == native (3.10), and the refusals."""

import numpy as np
import pytest

from lava.lib.dl import hdf5_spec as H
from lava.lib.dl.netx import _loaders as L
from lava.lib.dl.netx import _plan as P
from lava.lib.dl.netx.native import Network

CUBA = {"iDecay": 1024, "vDecay": 128, "vThMant": 90, "refDelay": 1, "gradedSpike": False}
T = 30


def cuba(**kw):
    return H.Neuron(type="CUBA", params={**CUBA, **kw})


def _dense(rng, n_in, n_out, **kw):
    return H.DenseLayer(shape=(n_out,), neuron=cuba(**kw), in_features=n_in, out_features=n_out,
                        weight=rng.integers(-60, 120, (n_out, n_in)).astype(np.float32))


def base_layers(seed=0):
    rng = np.random.default_rng(seed)
    return rng, [H.InputLayer(shape=(6,), neuron=cuba(vThMant=20)), _dense(rng, 6, 8),
                 _dense(rng, 8, 4)]


def population_net():
    _, layers = base_layers()
    return H.NetworkDescription(layers=[*layers, H.AverageLayer(shape=(2, 1, 1), num_outputs=2)])


def decimation_net(factor=4):
    _, layers = base_layers()
    return H.NetworkDescription(layers=[*layers, H.AverageLayer(shape=(4,), factor=factor)])


def concat_net():
    rng, layers = base_layers()
    return H.NetworkDescription(layers=[*layers, H.ConcatLayer(shape=(12,), layers=(1, 2)),
                                        _dense(rng, 12, 3, vThMant=60)])


def drive(seed=1):
    return np.random.default_rng(seed).integers(0, 40, (6, T))


def run_all(net, x):
    n = len(net.layers)
    return net.run(x, target="neuron", probes={k: (k, "s") for k in range(n)})


def test_population_average_plan_and_group_sums():
    net = Network(population_net())
    avg = net.plan.layers[-1]
    assert avg.block == "Average" and avg.shape == (2,) and avg.output_divisor == 2
    assert isinstance(avg.neuron, P.IdentityNeuron) and avg.output_message_bits == 24
    assert avg.synapse.weight.tolist() == [[1, 1, 0, 0], [0, 0, 1, 1]]
    assert [p.latency for p in net.plan.layers] == [0, 1, 2, 3]
    out, pr = run_all(net, drive())
    s = pr[2]
    assert s.sum() > 0
    want = np.zeros((2, T), np.int64)
    want[:, 1:] = s.reshape(2, 2, T).sum(1)[:, :-1]  # one step of latency, like any synapse
    assert np.array_equal(out, want)


@pytest.mark.parametrize("factor", [1, 4, 8])
def test_time_decimation_sends_window_sums_on_the_last_step(factor):
    net = Network(decimation_net(factor))
    dec = net.plan.layers[-1]
    assert dec.block == "TimeDecimation" and dec.output_divisor == factor
    assert dec.synapse.kind == "identity" and dec.latency == net.plan.layers[-2].latency
    out, pr = run_all(net, drive())
    s = pr[2]
    want = np.zeros_like(s)
    for j in range(T // factor):
        want[:, (j + 1) * factor - 1] = s[:, j * factor:(j + 1) * factor].sum(1)
    assert s.sum() > 0 and np.array_equal(out, want)


def test_concat_joins_the_sources_of_the_same_step():
    net = Network(concat_net())
    cat = net.plan.layers[3]
    assert cat.block == "Concat" and cat.sources == (1, 2) and cat.shape == (12,)
    assert cat.latency == 2 and net.plan.layers[4].latency == 3
    out, pr = run_all(net, drive())
    assert np.array_equal(pr[3], np.concatenate([pr[1], pr[2]], axis=0))
    assert pr[3].sum() > 0 and out.sum() > 0


@pytest.mark.parametrize("make", [population_net, decimation_net, concat_net])
def test_step_by_step_equals_the_block_schedule(make):
    x = drive(2)
    fast = Network(make()).run(x, target="neuron")
    slow = Network(make()).run(x, target="neuron", stepwise=True)
    assert np.array_equal(fast, slow)
    batch = np.stack([x, drive(3)])
    both = Network(make()).run(batch, target="neuron")
    assert np.array_equal(both[0], fast)


def test_spatial_concat_along_channels_then_dense():
    rng = np.random.default_rng(5)
    conv = dict(in_channels=2, out_channels=3, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1),
                dilation=(1, 1), groups=1)
    desc = H.NetworkDescription(layers=[
        H.InputLayer(shape=(2, 5, 5), neuron=cuba(vThMant=20)),
        H.ConvLayer(shape=(3, 5, 5), neuron=cuba(), **conv,
                    weight=rng.integers(-40, 120, (3, 2, 3, 3)).astype(np.float32)),
        H.ConcatLayer(shape=(5, 5, 5), layers=(0, 1)),
        H.FlattenLayer(shape=(125, 1, 1)),
        _dense(rng, 125, 4, vThMant=200),
    ])
    net = Network(desc)
    x = rng.integers(0, 40, (2, 5, 5, 12))
    out, pr = net.run(x, target="neuron", probes={k: (k, "s") for k in range(4)})
    assert np.array_equal(pr[2], np.concatenate([pr[0], pr[1]], axis=0))
    assert net.plan.layers[3].flatten_input and out.sum() > 0


@pytest.mark.parametrize("layers,pattern", [
    (lambda r: [_dense(r, 6, 8), H.AverageLayer(shape=(2,), num_outputs=2), _dense(r, 2, 2)],
     r"layer 3 .*follows an average block.*Make the average layer the last"),
    (lambda r: [_dense(r, 6, 8), H.AverageLayer(shape=(3,), num_outputs=2)],
     r"layer 2 .*stored shape \(3,\) differs"),
    (lambda r: [_dense(r, 6, 8), H.FlattenLayer(shape=(8, 1, 1)),
                H.ConcatLayer(shape=(8,), layers=(2,))], r"layer 2 is not a block"),
    (lambda r: [_dense(r, 6, 8), H.ConcatLayer(shape=(13,), layers=(0, 1))],
     r"stored shape \(13,\) differs from the computed output shape \(14,\)"),
])
def test_routing_refusals_name_the_layer(layers, pattern):
    rng = np.random.default_rng(0)
    desc = H.NetworkDescription(layers=[H.InputLayer(shape=(6,), neuron=cuba()), *layers(rng)])
    with pytest.raises(L.LoaderError, match=pattern):
        L.build_plan(desc)


def test_concat_of_a_skipped_layer_is_refused():
    with pytest.raises(L.LoaderError, match="layer 1 is not a block"):
        L.build_plan(concat_net(), skip_layers=2)


def test_concat_of_differently_scaled_sources_is_refused():
    _, layers = base_layers()
    desc = H.NetworkDescription(layers=[
        *layers, H.AverageLayer(shape=(2,), num_outputs=2), H.ConcatLayer(shape=(6,),
                                                                          layers=(2, 3))])
    with pytest.raises(L.LoaderError, match="scale their messages differently"):
        L.build_plan(desc)


# ------------------------------------------------------------------ Lava backend (3.10)
@pytest.mark.parametrize("make", [population_net, decimation_net, concat_net])
def test_lava_equals_native(make):
    pytest.importorskip("lava.magma", reason="the Lava backend needs lava-nc (Python 3.10)")
    from lava.lib.dl.netx import hdf5

    x = drive(4)
    native = Network(make()).run(x, target="neuron")
    lnet = hdf5.Network(make())
    assert lnet.layers[-1].block in ("Average", "TimeDecimation", "Dense")
    lava = hdf5.run_network(lnet, x, target="neuron")
    assert native.sum() > 0 and np.array_equal(lava, native)
