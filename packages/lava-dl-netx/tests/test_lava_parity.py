"""Lava backend vs native runtime: identical spikes and states on small random networks.

Every layer type (input, dense, dense with delay, recurrent dense, complex dense, conv, conv with
delay, pool, convT, unpool, flatten) and every neuron family (CUBA, no-neuron dense, ALIF,
SDNN with relu/identity and the Sigma readout, RF, RF-IZ, ADRF, ADRF-IZ) is built from an
in-memory network description, run on Lava (``Loihi2SimCfg(select_tag='fixed_pt')``) and on the
native runtime, and compared exactly: the network output and probed neuron states every step.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("lava.magma", reason="the Lava backend needs lava-nc (Python 3.10)")

from lava.lib.dl import hdf5_spec as H  # noqa: E402
from lava.lib.dl.netx import hdf5, native  # noqa: E402
from lava.lib.dl.netx.native import from_lava_layout, to_lava_layout  # noqa: E402

T = 24


def _w(rng: np.random.Generator, *shape: int, lo: int = -60, hi: int = 60) -> np.ndarray:
    """Even integer weights (as slayer writes them), float32."""
    return (rng.integers(lo // 2, hi // 2, size=shape) * 2).astype(np.float32)


def _cuba(vth: int = 40, i_decay: int = 1024, v_decay: int = 256) -> H.Neuron:
    return H.Neuron(type="CUBA", params=dict(iDecay=i_decay, vDecay=v_decay, vThMant=vth,
                                             refDelay=1, gradedSpike=False))


def _alif() -> H.Neuron:
    return H.Neuron(type="ALIF", params=dict(iDecay=1024, vDecay=512, vThMant=30, vThStep=12,
                                             thDecay=300, refDecay=600, refDelay=1,
                                             gradedSpike=False))


def _sdnn(vth: int = 4, activation: str = "relu", sigma: bool = False) -> H.Neuron:
    params: dict = dict(vThMant=vth, activation=activation)
    if sigma:
        params["sigma_output"] = True
    return H.Neuron(type="SDNN", params=params)


def _rf(kind: str = "RF_PHASE", vth: int = 20) -> H.Neuron:
    # (1 - 0.05) * (sin, cos)(2 pi / 9) * 4096, rounded as the writer does
    return H.Neuron(type=kind, params=dict(sinDecay=2501, cosDecay=2981, vThMant=vth,
                                           gradedSpike=False))


def _adrf(kind: str = "ADRF_PHASE") -> H.Neuron:
    return H.Neuron(type=kind, params=dict(sinDecay=2501, cosDecay=2981, vThMant=8,
                                           vThStep=4, thDecay=400, refDecay=900,
                                           gradedSpike=False))


def _dense(rng, n_in, n_out, neuron, **kw) -> H.DenseLayer:
    cls = kw.pop("cls", H.DenseLayer)
    return cls(shape=(n_out,), in_features=n_in, out_features=n_out,
               weight=kw.pop("weight", _w(rng, n_out, n_in)), neuron=neuron, **kw)


def _run_both(desc, x_file: np.ndarray, probes, *, options=None, run_cfg=None):
    """Run on Lava and natively; return (lava_out, lava_probes, native_out, native_probes) in
    the file layout."""
    options = options or {}
    net = hdf5.Network(desc, **options)
    spatial_in = x_file.ndim - 1
    out, got = hdf5.run_network(net, to_lava_layout(x_file, spatial_in), probes=probes,
                                run_cfg=run_cfg)
    nat = native.Network(desc, **options)
    n_out, n_got = nat.run(x_file, probes=probes)
    spatial_out = out.ndim - 1
    out = from_lava_layout(out, spatial_out)
    got = {k: from_lava_layout(v, v.ndim - 1) for k, v in got.items()}
    return out, got, n_out, n_got


def _assert_same(desc, x_file, probes, **kw):
    out, got, n_out, n_got = _run_both(desc, x_file, probes, **kw)
    np.testing.assert_array_equal(out, n_out)
    for key in got:
        np.testing.assert_array_equal(got[key], n_got[key], err_msg=f"probe {key}")
    return out, got


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


def test_dense_cuba_delay_bias_and_default_neuron(rng):
    desc = H.NetworkDescription(layers=[
        H.InputLayer(shape=(20,), neuron=_cuba(vth=30)),
        _dense(rng, 20, 16, _cuba(), bias=rng.integers(-8, 12, 16).astype(np.float32)),
        _dense(rng, 16, 12, _cuba(vth=20), delay=rng.integers(0, 5, 12).astype(np.float32)),
        _dense(rng, 12, 4, None),  # affine readout without neuron: lava-dl's default integrator
    ])
    x = rng.integers(0, 4, size=(20, T)) * 40
    out, got = _assert_same(desc, x, [(1, "v"), (2, "u"), (3, "v"), (1, "s")])
    assert got[(1, "s")].sum() > 10, "the test network should spike"
    assert np.abs(got[(3, "v")]).sum() > 0


def test_recurrent_dense_and_alif(rng):
    desc = H.NetworkDescription(layers=[
        H.InputLayer(shape=(12,), neuron=_cuba(vth=20)),
        _dense(rng, 12, 10, _cuba(vth=30), cls=H.RecurrentDenseLayer,
               weight_rec=_w(rng, 10, 10)),
        _dense(rng, 10, 8, _alif()),
    ])
    x = rng.integers(0, 3, size=(12, T)) * 50
    from lava.magma.core.run_configs import Loihi2SimCfg

    out, got = _assert_same(desc, x, [(1, "u"), (1, "s"), (2, "v"), (2, "th"), (2, "ref")],
                            run_cfg=Loihi2SimCfg(select_tag="bit_accurate_loihi"))
    assert got[(2, "th")].max() > 30 << 6, "the ALIF threshold should adapt"
    assert out.sum() > 0


@pytest.mark.parametrize("activation", ["relu", "identity"])
def test_sdnn_dense_and_sigma_readout(rng, activation):
    desc = H.NetworkDescription(layers=[
        H.InputLayer(shape=(16,), neuron=_sdnn(vth=2)),
        _dense(rng, 16, 12, _sdnn(activation=activation),
               bias=rng.integers(-20, 20, 12).astype(np.float32)),
        _dense(rng, 12, 3, _sdnn(sigma=True)),
    ])
    x = np.cumsum(rng.integers(-30, 30, size=(16, T)), axis=1)
    out, got = _assert_same(desc, x, [(1, "sigma"), (1, "s")])
    assert np.any(out != 0)
    if activation == "identity":
        assert np.any(got[(1, "s")] < 0), "identity activation must pass negative changes"


@pytest.mark.parametrize("rf", ["RF_PHASE", "RF_IZHIKEVICH"])
def test_complex_dense_rf(rng, rf):
    desc = H.NetworkDescription(layers=[
        H.InputLayer(shape=(10,), neuron=_rf("RF_IZHIKEVICH", vth=1)),
        _dense(rng, 10, 8, _rf(rf, vth=4), weight_imag=_w(rng, 8, 10)),
    ])
    x = rng.integers(0, 2, size=(10, T)) * 3
    out, got = _assert_same(desc, x, [(0, "s"), (1, "re"), (1, "im")])
    assert got[(0, "s")].sum() > 0


@pytest.mark.parametrize("adrf", ["ADRF_PHASE", "ADRF_IZHIKEVICH"])
def test_complex_dense_adrf(rng, adrf):
    desc = H.NetworkDescription(layers=[
        H.InputLayer(shape=(10,), neuron=_rf("RF_IZHIKEVICH", vth=1)),
        _dense(rng, 10, 8, _adrf(adrf), weight_imag=_w(rng, 8, 10)),
    ])
    x = rng.integers(0, 2, size=(10, T)) * 3
    _assert_same(desc, x, [(1, "re"), (1, "im"), (1, "th"), (1, "ref"), (1, "s")])


def test_conv_pool_flatten_dense_cuba(rng):
    desc = H.NetworkDescription(layers=[
        H.InputLayer(shape=(2, 9, 8), neuron=_cuba(vth=20)),
        H.ConvLayer(shape=(4, 5, 3), in_channels=2, out_channels=4, kernel_size=(3, 3),
                    stride=(2, 2), padding=(1, 0), dilation=(1, 1), groups=1,
                    weight=_w(rng, 4, 2, 3, 3), bias=rng.integers(-4, 8, 4).astype(np.float32),
                    neuron=_cuba(vth=30)),
        H.PoolLayer(shape=(4, 2, 1), kernel_size=(2, 2), stride=(2, 2),
                    weight=np.array(24, dtype=np.float32), neuron=_cuba(vth=10)),
        H.FlattenLayer(shape=(8, 1, 1)),
        _dense(rng, 8, 5, _cuba(vth=10)),
    ])
    x = rng.integers(0, 3, size=(2, 9, 8, T)) * 40
    out, got = _assert_same(desc, x, [(1, "u"), (1, "s"), (2, "v"), (3, "v")])
    assert got[(1, "s")].sum() > 0


def test_conv_with_delay_and_groups_sdnn(rng):
    delay = np.array([0, 3, 1, 5], dtype=np.float32)
    layers = [
        H.InputLayer(shape=(2, 6, 6), neuron=_sdnn(vth=1)),
        H.ConvLayer(shape=(4, 6, 6), in_channels=2, out_channels=4, kernel_size=(3, 3),
                    stride=(1, 1), padding=(1, 1), dilation=(1, 1), groups=2,
                    weight=_w(rng, 4, 1, 3, 3), delay=delay, neuron=_sdnn(vth=2)),
    ]
    desc = H.NetworkDescription(layers=layers)
    x = np.cumsum(rng.integers(-10, 12, size=(2, 6, 6, T)), axis=-1)
    out, got = _assert_same(desc, x, [(1, "sigma")])
    # B11: the delay is applied (lava-dl 0.6 ignored conv delays)
    no_delay = H.NetworkDescription(layers=[layers[0], H.ConvLayer(**{
        **{k: getattr(layers[1], k) for k in ("shape", "in_channels", "out_channels",
                                              "kernel_size", "stride", "padding", "dilation",
                                              "groups", "weight", "neuron")}})])
    ref = native.Network(no_delay).run(x)
    np.testing.assert_array_equal(out[3, ..., 5:], ref[3, ..., :-5])
    assert not np.array_equal(out, ref)


def test_conv_transpose_and_unpool(rng):
    desc = H.NetworkDescription(layers=[
        H.InputLayer(shape=(3, 4, 5), neuron=_cuba(vth=20)),
        H.ConvTransposeLayer(shape=(2, 9, 11), in_channels=3, out_channels=2,
                             kernel_size=(3, 3), stride=(2, 2), padding=(0, 0),
                             dilation=(1, 1), groups=1, weight=_w(rng, 3, 2, 3, 3),
                             neuron=_cuba(vth=15)),
        H.UnpoolLayer(shape=(2, 18, 22), kernel_size=(2, 2), stride=(2, 2),
                      weight=np.array(40, dtype=np.float32), neuron=_cuba(vth=10)),
    ])
    x = rng.integers(0, 3, size=(3, 4, 5, T)) * 40
    out, got = _assert_same(desc, x, [(1, "u"), (1, "s"), (2, "v")])
    assert got[(1, "s")].sum() > 0


def test_reset_interval_alif_and_lif(rng):
    desc = H.NetworkDescription(layers=[
        H.InputLayer(shape=(8,), neuron=_cuba(vth=10)),
        _dense(rng, 8, 6, _alif()),
        _dense(rng, 6, 4, _cuba(vth=10)),
    ])
    x = rng.integers(0, 3, size=(8, T)) * 50
    _assert_same(desc, x, [(0, "v"), (1, "v"), (1, "th"), (2, "u")],
                 options=dict(reset_interval=5, reset_offset=2))


def test_skip_layers_and_input_message_bits(rng):
    desc = H.NetworkDescription(layers=[
        H.InputLayer(shape=(10,), neuron=_sdnn(vth=2)),
        _dense(rng, 10, 8, _sdnn()),
        _dense(rng, 8, 2, _sdnn(sigma=True)),
    ])
    x = rng.integers(-200, 200, size=(10, T))
    net = hdf5.Network(desc, skip_layers=1)
    assert len(net) == 2 and net.in_layer.block == "Dense"
    assert net.in_layer.input_message_bits == 16
    _assert_same(desc, x, [(0, "sigma")], options=dict(skip_layers=1))


def test_complex_conv_rf(rng):
    desc = H.NetworkDescription(layers=[
        H.InputLayer(shape=(2, 6, 6), neuron=_rf("RF_IZHIKEVICH", vth=1)),
        H.ConvLayer(shape=(3, 4, 4), in_channels=2, out_channels=3, kernel_size=(3, 3),
                    weight=_w(rng, 3, 2, 3, 3), weight_imag=_w(rng, 3, 2, 3, 3),
                    neuron=_rf("RF_PHASE", vth=4)),
    ])
    x = rng.integers(0, 2, size=(2, 6, 6, T)) * 3
    net = hdf5.Network(desc)
    assert net.layers[1].block == "ComplexConv"
    _assert_same(desc, x, [(0, "s"), (1, "re"), (1, "im"), (1, "s")])


def test_sparse_fc_layers_with_delays_any_run_config(rng):
    from lava.lib.dl.netx.procs import synapses
    from lava.magma.core.run_configs import Loihi1SimCfg

    w = _w(rng, 10, 12)
    w[rng.random(w.shape) < 0.5] = 0
    desc = H.NetworkDescription(layers=[
        H.InputLayer(shape=(12,), neuron=_cuba(vth=20)),
        _dense(rng, 12, 10, _alif(), weight=w, delay=rng.integers(0, 4, 10).astype(np.float32)),
        _dense(rng, 10, 6, _cuba(vth=10)),
    ])
    net = hdf5.Network(desc, sparse_fc_layer=True)
    assert isinstance(net.layers[1].synapse, synapses.DelaySparse)
    assert isinstance(net.layers[2].synapse, synapses.Sparse)
    x = rng.integers(0, 3, size=(12, T)) * 50
    _assert_same(desc, x, [(1, "v"), (2, "u")], options=dict(sparse_fc_layer=True),
                 run_cfg=Loihi1SimCfg())


def _block_layer(rng, kind: str, neuron: H.Neuron, c_in: int = 2) -> tuple[H.Layer, tuple]:
    """One layer of ``kind`` fed by a (c_in, 6, 6) input; returns (layer, input shape)."""
    if kind == "dense":
        return _dense(rng, c_in * 36, 7, neuron), (c_in * 36,)
    if kind == "conv":
        return H.ConvLayer(shape=(3, 4, 4), in_channels=c_in, out_channels=3,
                           kernel_size=(3, 3), weight=_w(rng, 3, c_in, 3, 3),
                           neuron=neuron), (c_in, 6, 6)
    if kind == "pool":
        return H.PoolLayer(shape=(c_in, 3, 3), kernel_size=(2, 2), stride=(2, 2),
                           weight=np.array(30, np.float32), neuron=neuron), (c_in, 6, 6)
    if kind == "convT":
        return H.ConvTransposeLayer(shape=(3, 13, 13), in_channels=c_in, out_channels=3,
                                    kernel_size=(3, 3), stride=(2, 2),
                                    weight=_w(rng, c_in, 3, 3, 3), neuron=neuron), (c_in, 6, 6)
    if kind == "unpool":
        return H.UnpoolLayer(shape=(c_in, 12, 12), kernel_size=(2, 2), stride=(2, 2),
                             weight=np.array(30, np.float32), neuron=neuron), (c_in, 6, 6)
    raise AssertionError(kind)


@pytest.mark.parametrize("kind", ["dense", "conv", "pool", "convT", "unpool"])
@pytest.mark.parametrize("neuron", ["CUBA", "ALIF", "SDNN"])
def test_block_type_by_neuron_type(rng, kind, neuron):
    """Every spatial and dense block type with every real-valued neuron family."""
    make = {"CUBA": lambda: _cuba(vth=12), "ALIF": _alif, "SDNN": lambda: _sdnn(vth=1)}[neuron]
    layer, in_shape = _block_layer(rng, kind, make())
    first = _sdnn(vth=1) if neuron == "SDNN" else _cuba(vth=10)
    desc = H.NetworkDescription(layers=[H.InputLayer(shape=in_shape, neuron=first), layer])
    if neuron == "SDNN":
        x = np.cumsum(rng.integers(-6, 8, size=(*in_shape, T)), axis=-1)
        probe = "sigma"
    else:
        x = rng.integers(0, 3, size=(*in_shape, T)) * 40
        probe = "u"
    out, got = _assert_same(desc, x, [(1, probe), (0, "s")])
    assert np.any(got[(1, probe)] != 0)
