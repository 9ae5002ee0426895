"""Loaders and plans: hdf5_spec descriptions -> backend-neutral plans (netx.md §2)."""

import warnings
from importlib import metadata

import numpy as np
import pytest

from lava.lib.dl import hdf5_spec as H
from lava.lib.dl.netx import _loaders as L
from lava.lib.dl.netx import _plan as P
from lava.lib.dl.netx.native import Network

CUBA = {"iDecay": 1024, "vDecay": 128, "vThMant": 80, "refDelay": 1, "gradedSpike": False}


def cuba(**kw):
    return H.Neuron(type="CUBA", params={**CUBA, **kw})


def small_net(*, with_input=True):
    rng = np.random.default_rng(3)
    layers = []
    if with_input:
        layers.append(H.InputLayer(shape=(2, 6, 6), neuron=cuba(), weight=36.0, bias=34.0))
    layers += [
        H.ConvLayer(shape=(4, 2, 2), neuron=cuba(), in_channels=2, out_channels=4,
                    kernel_size=(3, 3), stride=(2, 2), padding=(0, 0), dilation=(1, 1), groups=1,
                    weight=rng.integers(-128, 127, (4, 2, 3, 3)).astype(np.float32) + 0.5,
                    bias=np.arange(4, dtype=np.float32)),
        H.FlattenLayer(shape=(16, 1, 1)),
        H.DenseLayer(shape=(5,), neuron=cuba(vThMant=10), in_features=16, out_features=5,
                     weight=rng.integers(-128, 127, (5, 16)).astype(np.float32),
                     delay=np.array([0, 1, 2, 0, 3], dtype=np.float32)),
        H.DenseLayer(shape=(3,), neuron=None, in_features=5, out_features=3,
                     weight=rng.integers(-128, 127, (3, 5)).astype(np.float32)),
    ]
    return H.NetworkDescription(layers=layers)


def test_first_party_loaders_are_registered_as_entry_points():
    eps = {ep.name: ep for ep in metadata.entry_points(group=L.LOADERS_GROUP)}
    for t in ("input", "flatten", "dense", "dense_rec", "conv", "convT", "pool", "unpool",
              "average", "concat", "kwta", "dense_comp"):
        assert f"lava-dl/{t}" in eps, t
        assert eps[f"lava-dl/{t}"].dist.name == "lava-dl-netx"
    assert L.get_loader("lava-dl/dense") is L.load_dense


def test_plan_translation_of_a_small_network():
    plan = L.build_plan(small_net(), reset_interval=8, reset_offset=2)
    assert [p.block for p in plan.layers] == ["Input", "Conv", "Dense", "Dense"]
    inp, conv, dense, ro = plan.layers
    assert inp.transform == {"weight": 36.0, "bias": 34.0}
    assert plan.input_shape == (2, 6, 6)
    n = conv.neuron
    assert isinstance(n, P.LIFNeuron)
    assert (n.du, n.dv, n.vth, n.bias_exp) == (1023, 128, 80, 6)
    assert n.bias_mant.shape == (4, 2, 2) and n.bias_mant[:, 0, 0].tolist() == [0, 1, 2, 3]
    w = conv.synapse.weight
    assert w.dtype == np.int64 and np.all(w == np.trunc(small_net().layers[1].weight))
    assert conv.synapse.stride == (2, 2) and conv.input_shape == (2, 6, 6)
    # the flatten layer is folded into the next dense block
    assert dense.flatten_input and dense.input_shape == (4, 2, 2)
    assert dense.synapse.delay.shape == (5, 16)
    assert dense.synapse.delay[:, 0].tolist() == [0, 1, 2, 0, 3]
    # neuron-less dense: lava-dl's default integrator (B7 kept: 1 << 17)
    assert (ro.neuron.du, ro.neuron.dv, ro.neuron.vth) == (-1, 4096, 1 << 17)
    # reset phases follow the one-step latency per block: user offset + 1 + k
    assert [p.neuron.reset_offset for p in plan.layers] == [3, 4, 5, 6]


def test_num_layers_counts_file_layers_and_skip_layers_keeps_shapes():
    plan = L.build_plan(small_net(), num_layers=2)
    assert len(plan) == 2
    plan = L.build_plan(small_net(), skip_layers=1, input_message_bits=3)
    assert plan.layers[0].block == "Conv" and plan.input_shape == (2, 6, 6)
    assert plan.input_message_bits == 0  # the skipped CUBA input sends binary spikes


def test_input_shape_is_lava_order_and_required_for_conv_first_files():
    net = small_net(with_input=False)
    with pytest.raises(L.LoaderError, match=r"layer 0 .*input_shape"):
        L.build_plan(net)
    plan = L.build_plan(net, input_shape=(6, 6, 2))  # (X, Y, C)
    assert plan.input_shape == (2, 6, 6)


def test_sdnn_roles_and_activation():
    sd = {"vThMant": 5, "activation": "relu"}
    desc = H.NetworkDescription(layers=[
        H.InputLayer(shape=(4,), neuron=H.Neuron(type="SDNN", params={"vThMant": 2})),
        H.DenseLayer(shape=(3,), neuron=H.Neuron(type="SDNN", params=sd), in_features=4,
                     out_features=3, weight=np.ones((3, 4), np.float32),
                     bias=np.array([1, 2, 3], np.float32)),
        H.DenseLayer(shape=(1,), in_features=3, out_features=1, weight=np.ones((1, 3), np.float32),
                     neuron=H.Neuron(type="SDNN", params={"vThMant": 0, "sigma_output": True})),
    ])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        plan = L.build_plan(desc, spike_exp=4)
    kinds = [type(p.neuron) for p in plan.layers]
    assert kinds == [P.DeltaNeuron, P.SigmaDeltaNeuron, P.SigmaNeuron]
    assert plan.layers[0].neuron.spike_exp == 4 and plan.layers[1].neuron.bias.tolist() == [1, 2, 3]
    assert [p.output_message_bits for p in plan.layers] == [16, 16, 24]
    with pytest.warns(UserWarning, match="reset_interval is not supported"):
        L.build_plan(desc, reset_interval=4)
    desc.layers[1].neuron.params["activation"] = "tanh"
    with pytest.raises(L.LoaderError, match=r"layer 1 .*'tanh'"):
        L.build_plan(desc)


def test_alif_and_adaptive_resonators_are_mapped_with_all_fields():
    alif = H.Neuron(type="ALIF", params={**CUBA, "thDecay": 100, "refDecay": 200, "vThStep": 7})
    adrf = H.Neuron(type="ADRF_IZHIKEVICH", params={"sinDecay": 700, "cosDecay": 3900,
                                                     "vThMant": 30, "thDecay": 11,
                                                     "refDecay": 22, "vThStep": 3,
                                                     "gradedSpike": False})
    desc = H.NetworkDescription(layers=[
        H.InputLayer(shape=(4,), neuron=alif),
        H.DenseLayer(shape=(2,), neuron=adrf, in_features=4, out_features=2,
                     weight=np.ones((2, 4), np.float32), weight_imag=-np.ones((2, 4), np.float32)),
    ])
    plan = L.build_plan(desc)
    a, r = plan.layers[0].neuron, plan.layers[1].neuron
    assert isinstance(a, P.ALIFNeuron) and (a.vth_step, a.th_decay, a.ref_decay) == (7, 100, 200)
    assert isinstance(r, P.ADRFNeuron) and r.izhikevich and (r.vth_step, r.th_decay) == (3, 11)
    assert plan.layers[1].block == "ComplexDense"
    assert plan.layers[1].synapse.weight_imag.tolist() == [[-1] * 4] * 2
    out = Network(plan).run(np.ones((4, 30), int))  # runs natively
    assert out.shape == (2, 30)


def test_rf_input_layer_becomes_complex_input_with_file_decays():
    rf = H.Neuron(type="RF_PHASE", params={"sinDecay": 7, "cosDecay": 39, "vThMant": 3})
    plan = L.build_plan(H.NetworkDescription(layers=[H.InputLayer(shape=(3,), neuron=rf)]))
    n = plan.layers[0].neuron
    assert plan.layers[0].block == "ComplexInput"
    assert (n.sin_decay, n.cos_decay) == (7, 39)  # B17: no lossy (period, alpha) round trip
    # Lava's RF re-quantisation from (period, alpha) gives the file's values back only when
    # they are exactly representable; the plan keeps the file integers regardless.
    lava_sin = int(np.int32((1 - n.alpha) * np.sin(2 * np.pi / n.period) * 4096))
    assert lava_sin in (6, 7)


def test_pool_unpool_and_conv_transpose_plans_run():
    c = 2
    x = np.random.default_rng(0).integers(0, 2, (c, 4, 4))
    desc = H.NetworkDescription(layers=[
        H.InputLayer(shape=(c, 4, 4), neuron=H.Neuron(type="SDNN", params={"vThMant": 0})),
        H.PoolLayer(shape=(c, 2, 2), neuron=H.Neuron(type="SDNN", params={"sigma_output": True}),
                    kernel_size=(2, 2), stride=(2, 2), weight=np.full((1, 1, 2, 2), 64.0,
                                                                      np.float32)),
        H.UnpoolLayer(shape=(c, 4, 4), neuron=H.Neuron(type="SDNN",
                                                        params={"sigma_output": True}),
                      kernel_size=(2, 2), stride=(2, 2),
                      weight=np.full((1, 1, 2, 2), 2.0, np.float32)),
    ])
    plan = L.build_plan(desc)
    assert [p.block for p in plan.layers] == ["Input", "Conv", "ConvT"]
    assert plan.layers[1].synapse.origin == "pool" and plan.layers[1].synapse.groups == c
    net = Network(plan)
    _, rec = net.run(np.repeat(x[..., None], 4, -1), probes=[(1, "s"), (2, "s")])
    # the Delta input sends x << 6 once (vth 0, step 1); the pool sums 2x2 windows times 64
    pooled = (x << 6).reshape(c, 2, 2, 2, 2).sum(axis=(2, 4)) * 64
    assert np.array_equal(rec[(1, "s")][..., 1], pooled)
    up = np.repeat(np.repeat(pooled, 2, axis=1), 2, axis=2) * 2
    assert np.array_equal(rec[(2, "s")][..., 2], up)


def test_conv_transpose_layer_shape_and_weight_layout():
    desc = H.NetworkDescription(layers=[
        H.InputLayer(shape=(3, 4, 4), neuron=H.Neuron(type="SDNN", params={"vThMant": 0})),
        H.ConvTransposeLayer(shape=(2, 9, 9), neuron=H.Neuron(type="SDNN",
                                                              params={"sigma_output": True}),
                             in_channels=3, out_channels=2, kernel_size=(3, 3), stride=(2, 2),
                             padding=(0, 0), dilation=(1, 1), groups=1,
                             weight=np.ones((3, 2, 3, 3), np.float32)),
    ])
    plan = L.build_plan(desc)
    assert plan.layers[1].shape == (2, 9, 9) and plan.layers[1].synapse.weight.shape == (3, 2, 3, 3)


@pytest.mark.parametrize("layer,pattern", [
    (H.GenericLayer(type="gated", namespace="acme", shape=(4,)), r"acme/gated.*no netx loader"),
    (H.AverageLayer(shape=(3,), num_outputs=3), r"'lava-dl/average'.*does not divide the 4"),
    (H.AverageLayer(shape=(4,), factor=3), r"power of two, got 3"),
    (H.AverageLayer(shape=(4,)), r"exactly one of numOutputs"),
    (H.ConcatLayer(shape=(8,), layers=(1,)), r"concat.*only reference earlier layers"),
    (H.ConcatLayer(shape=(8,), layers=()), r"non-empty 'layers'"),
    (H.DenseLayer(shape=(2,), neuron=H.Neuron(type="FANCY", params={}), in_features=4,
                  out_features=2, weight=np.ones((2, 4), np.float32)), r"'FANCY' is unknown"),
    (H.DenseLayer(shape=(2,), neuron=cuba(), in_features=5, out_features=2,
                  weight=np.ones((2, 5), np.float32)), r"expects 5 inputs"),
    (H.DenseLayer(shape=(2,), neuron=cuba(), in_features=4, out_features=2,
                  weight=np.ones((2, 4), np.float32), delay=np.array([1, -1], np.float32)),
     r"delay must hold finite values >= 0"),
    (H.DenseLayer(shape=(2,), neuron=cuba(), in_features=4, out_features=2,
                  weight=np.ones((2, 4), np.float32), delay=np.arange(3, dtype=np.float32)),
     r"delay has 3 values"),
    (H.DenseLayer(shape=(2,), neuron=cuba(vThMant=np.array([1, 2])), in_features=4,
                  out_features=2, weight=np.ones((2, 4), np.float32)), r"per-neuron values"),
])
def test_unmappable_layers_name_index_type_and_reason(layer, pattern):
    desc = H.NetworkDescription(layers=[H.InputLayer(shape=(4,), neuron=cuba()), layer])
    with pytest.raises(L.LoaderError, match=r"layer 1 \(/layer/1") as err:
        L.build_plan(desc)
    import re

    assert re.search(pattern, str(err.value)), str(err.value)


def test_conv_stored_shape_must_match_geometry():
    desc = small_net()
    desc.layers[1].shape = (4, 3, 3)
    with pytest.raises(L.LoaderError, match=r"layer 1 .*computed output shape \(4, 2, 2\)"):
        L.build_plan(desc)


def test_plan_helpers():
    w = np.arange(2 * 3 * 2 * 4).reshape(2, 3, 2, 4)
    syn = P.ConvSynapse(weight=w)
    lw = syn.lava_weight()
    assert lw.shape == (2, 4, 2, 3)  # (C_out, kW, kH, C_in)
    assert lw[1, 0, 0, 2] == w[1, 2, 1, 3]  # flipped in both spatial axes
    assert P.lava_shape((3, 33, 100)) == (100, 33, 3)
    assert P.conv_output_shape((33, 100), (3, 3), (2, 2), (0, 0), (1, 1)) == (16, 49)
    rf = P.RFNeuron(sin_decay=int(0.95 * np.sin(2 * np.pi / 7) * 4096),
                    cos_decay=int(0.95 * np.cos(2 * np.pi / 7) * 4096), vth=1.1)
    assert abs(rf.period - 7) < 0.01 and abs(rf.alpha - 0.05) < 1e-3
    assert rf.effective_vth == 70


def test_a_third_party_loader_extends_netx_through_the_registry():
    from lava.lib.dl.hdf5_spec._plugins import PluginConflictError

    def load_gated(layer, ctx):
        n = int(layer.shape[0])
        w = np.asarray(layer.fields["gain"], dtype=np.int64) * np.eye(n, dtype=np.int64)
        return P.LayerPlan(index=ctx.index, type=layer.type, shape=(n,),
                           neuron=P.SigmaNeuron(), synapse=P.DenseSynapse(weight=w),
                           input_shape=ctx.prev_shape,
                           input_message_bits=ctx.input_message_bits)  # graded port

    registry = L.loader_registry()
    registry.register("acme/gated", load_gated, origin="test")
    try:
        desc = H.NetworkDescription(layers=[
            H.InputLayer(shape=(3,), neuron=H.Neuron(type="SDNN", params={"vThMant": 0})),
            H.GenericLayer(type="gated", namespace="acme", shape=(3,),
                           fields={"gain": np.array(2)}),
        ])
        net = Network(desc)
        assert net.layers[1].plan.type == "gated"
        out = net.run(np.ones((3, 3), dtype=np.int64))
        assert out[:, 1].tolist() == [2 << 6] * 3  # Delta sends 1 << 6 once, gain 2
        with pytest.raises(PluginConflictError, match="lava-dl/dense"):
            registry.register("lava-dl/dense", load_gated, origin="test")
    finally:
        registry.unregister("acme/gated")
    with pytest.raises(L.LoaderError, match="acme/gated"):
        L.build_plan(desc)


@pytest.mark.parametrize("threshold,winners", [(1.0, 2), (4.0, 1)])
def test_kwta_matches_the_slayer_forward(threshold, winners):
    torch = pytest.importorskip("torch")
    slayer = pytest.importorskip("lava.lib.dl.slayer")
    from lava.lib.dl.slayer import _export

    torch.manual_seed(0)
    params = {"threshold": threshold, "current_decay": 1.0, "voltage_decay": 0.1}
    blk = slayer.block.cuba.KWTA(params, 20, 8, num_winners=winners, self_excitation=0.5,
                                 delay_shift=False)
    x = (torch.rand(1, 20, 60) < 0.6).float()
    with torch.no_grad():
        y = blk(x)[0].numpy().astype(np.int64)
    net = Network(H.NetworkDescription(layers=[_export.export_kwta(blk)]))
    assert net.layers[0].block == "RecurrentDense"
    out = net.run(x[0].numpy().astype(np.int64))
    assert y.sum() > 0
    assert np.array_equal(out[:, 1:], y[:, :-1])  # one step of synaptic latency


def test_kwta_plan_and_its_limits():
    kw = dict(shape=(4,), in_features=3, out_features=4, weight=np.ones((4, 3), np.float32),
              num_winners=1, self_excitation=0.25)
    plan = L.build_plan(H.NetworkDescription(layers=[H.KWTALayer(neuron=cuba(iDecay=4096,
                                                                              vThMant=256),
                                                                 **kw)]))
    syn = plan.layers[0].synapse
    assert np.diag(syn.weight_rec).tolist() == [16] * 4 and syn.weight_rec[0, 1] == -64
    # b = 4 * (4 - 2) / 4 / 64 = 1/32 -> mantissa 2
    assert plan.layers[0].neuron.bias_mant.tolist() == [2] * 4
    with pytest.raises(L.LoaderError, match="iDecay = 4096"):
        L.build_plan(H.NetworkDescription(layers=[H.KWTALayer(neuron=cuba(vThMant=256), **kw)]))


def test_dense_comp_loads_as_complex_dense():
    rf = H.Neuron(type="RF_PHASE", params={"sinDecay": 700, "cosDecay": 3900, "vThMant": 3})
    w = np.arange(6, dtype=np.float32).reshape(2, 3)
    layer = H.GenericLayer(type="dense_comp", shape=(2,), neuron=rf,
                           fields={"inFeatures": np.array(3), "outFeatures": np.array(2),
                                   "weight": {"real": w, "imag": -w}})
    desc = H.NetworkDescription(layers=[H.InputLayer(shape=(3,), neuron=cuba()), layer])
    plan = L.build_plan(desc)
    assert plan.layers[1].block == "ComplexDense"
    assert plan.layers[1].synapse.weight_imag.tolist() == (-w).astype(int).tolist()


def test_corrupt_and_missing_files_raise_format_errors(tmp_path):
    bad = tmp_path / "bad.net"
    bad.write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(range(256)) * 4)
    with pytest.raises(H.FormatError, match="bad.net"):
        Network(bad)
    with pytest.raises((H.FormatError, OSError)):
        Network(tmp_path / "missing.net")


def _random_net(rng, family):
    """A small random description mixing conv, pool, convT, flatten and delayed dense."""
    if family == "sdnn":
        def nrn(**kw):
            return H.Neuron(type="SDNN", params={"vThMant": int(rng.integers(0, 4)),
                                                 "activation": "relu", **kw})
        inp = H.InputLayer(shape=(2, 7, 7), neuron=nrn())
    else:
        def nrn(**kw):
            return cuba(iDecay=int(rng.integers(0, 4097)), vDecay=int(rng.integers(0, 4097)),
                        vThMant=int(rng.integers(1, 40)))
        inp = H.InputLayer(shape=(2, 7, 7), neuron=nrn())

    def w(*shape):
        return (2 * rng.integers(-40, 40, shape)).astype(np.float32)

    return H.NetworkDescription(layers=[
        inp,
        H.ConvLayer(shape=(3, 7, 7), neuron=nrn(), in_channels=2, out_channels=3,
                    kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), dilation=(1, 1),
                    groups=1, weight=w(3, 2, 3, 3), delay=rng.integers(0, 3, 3).astype(np.float32)),
        H.PoolLayer(shape=(3, 3, 3), neuron=nrn(), kernel_size=(2, 2), stride=(2, 2),
                    weight=np.full((1, 1, 2, 2), 64.0, np.float32)),
        H.ConvTransposeLayer(shape=(2, 7, 7), neuron=nrn(), in_channels=3, out_channels=2,
                             kernel_size=(3, 3), stride=(2, 2), padding=(0, 0),
                             dilation=(1, 1), groups=1, weight=w(3, 2, 3, 3)),
        H.FlattenLayer(shape=(98, 1, 1)),
        H.DenseLayer(shape=(5,), neuron=nrn(), in_features=98, out_features=5,
                     weight=w(5, 98), delay=rng.integers(0, 4, 98).astype(np.float32)),
        H.DenseLayer(shape=(4,), neuron=nrn(), in_features=5, out_features=4, weight=w(4, 5)),
    ])


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("family", ["cuba", "sdnn"])
def test_random_networks_block_schedule_equals_step_schedule(seed, family):
    rng = np.random.default_rng(seed)
    net = Network(_random_net(rng, family))
    low = -64 if family == "sdnn" else 0
    x = rng.integers(low, 64, (3, 2, 7, 7, 25))  # straight into the input neurons
    probes = [(k, "s") for k in range(len(net))]
    fast, rf = net.run(x, probes=probes)
    net.reset()
    slow, rs = net.run(x, probes=probes, stepwise=True)
    assert np.array_equal(fast, slow)
    for p in probes:
        assert np.array_equal(rf[p], rs[p]), p
    assert sum(int(np.count_nonzero(rf[p])) for p in probes[1:]) > 0
    net.reset()
    assert np.array_equal(net.run(x[1]), fast[1])  # batch entries are independent
