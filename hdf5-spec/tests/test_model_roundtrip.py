"""Every layer type and neuron family: write -> read gives the same model; on-disk layout."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

import lava.lib.dl.hdf5_spec as hs
from lava.lib.dl.hdf5_spec._model import values_equal
from lava.lib.dl.hdf5_spec.testing import legacy_view

RNG = np.random.default_rng(7)


def w(*shape):
    return (2 * RNG.integers(-128, 128, size=shape)).astype(np.float32)


NEURONS = {
    "CUBA": {"iDecay": 1024, "vDecay": 128, "vThMant": 80, "refDelay": 1, "gradedSpike": False},
    "LOIHI": {"iDecay": 4096, "vDecay": 1024, "vThMant": 25, "refDelay": 1, "wgtExp": 0,
              "theta": 1600, "tauRho": 0.5, "scaleRho": 1.0},
    "ALIF": {"iDecay": 1024, "vDecay": 128, "thDecay": 100, "refDecay": 200, "vThMant": 80,
             "vThStep": 12, "refDelay": 1, "gradedSpike": False},
    "RF_PHASE": {"sinDecay": 1200, "cosDecay": -3500, "vThMant": 70, "gradedSpike": False},
    "RF_IZHIKEVICH": {"sinDecay": -1200, "cosDecay": 3500, "vThMant": 64, "gradedSpike": True},
    "ADRF_PHASE": {"sinDecay": 1200, "cosDecay": 3500, "thDecay": 10, "refDecay": 20,
                   "vThMant": 70, "vThStep": 3, "gradedSpike": False},
    "ADRF_IZHIKEVICH": {"sinDecay": 1, "cosDecay": 4000, "thDecay": 10, "refDecay": 20,
                        "vThMant": 70, "vThStep": 3, "gradedSpike": False},
    "SDNN": {"activation": "relu", "vThMant": 13},
}


def neuron(kind="CUBA", **more):
    return hs.Neuron(type=kind, params={**NEURONS[kind], **more})


def dense(n_in, n_out, **kw):
    return hs.DenseLayer(shape=(n_out,), in_features=n_in, out_features=n_out,
                         weight=w(n_out, n_in), **kw)


def all_layers_network():
    """One network that uses every first-party layer type."""
    return hs.NetworkDescription(layers=[
        hs.InputLayer(shape=(2, 8, 8), neuron=neuron("CUBA"), weight=64.0, bias=-2.0),
        hs.ConvLayer(shape=(4, 8, 8), neuron=neuron("ALIF"), in_channels=2, out_channels=4,
                     kernel_size=(3, 3), stride=(1, 1), padding=(1, 1), dilation=(1, 1),
                     groups=2, weight=w(4, 1, 3, 3), bias=w(4),
                     delay=np.arange(4, dtype=np.float32)),
        hs.PoolLayer(shape=(4, 4, 4), neuron=neuron("CUBA"), kernel_size=(2, 2), stride=(2, 2),
                     padding=(0, 0), dilation=(1, 1),
                     weight=np.full((1, 1, 2, 2), 64, np.float32)),
        hs.UnpoolLayer(shape=(4, 8, 8), neuron=neuron("CUBA"), kernel_size=(2, 2),
                       stride=(2, 2), padding=(0, 0), dilation=(1, 1),
                       weight=np.full((1, 1, 2, 2), 64, np.float32)),
        hs.ConvTransposeLayer(shape=(6, 10, 10), neuron=neuron("SDNN"), in_channels=4,
                              out_channels=6, kernel_size=(3, 3), stride=(1, 1),
                              padding=(0, 0), dilation=(1, 1), groups=1, weight=w(4, 6, 3, 3)),
        hs.ConvLayer(shape=(3, 8, 8), neuron=neuron("RF_PHASE"), in_channels=6, out_channels=3,
                     kernel_size=(3, 3), stride=(1, 1), padding=(0, 0), dilation=(1, 1),
                     groups=1, weight=w(3, 6, 3, 3), weight_imag=w(3, 6, 3, 3)),
        hs.FlattenLayer(shape=(192, 1, 1)),
        dense(192, 20, neuron=neuron("CUBA"), bias=w(20),
              delay=np.array([0, 70, 1, 2, 200] * 4, np.float32)),  # never clamped
        hs.RecurrentDenseLayer(shape=(10,), neuron=neuron("CUBA"), in_features=20,
                               out_features=10, weight=w(10, 20), weight_rec=w(10, 10)),
        dense(10, 8, neuron=neuron("RF_IZHIKEVICH"), weight_imag=w(8, 10)),
        dense(8, 8, neuron=neuron("ADRF_PHASE"), weight_imag=w(8, 8)),
        dense(8, 8, neuron=neuron("ADRF_IZHIKEVICH"), weight_imag=w(8, 8)),
        hs.KWTALayer(shape=(6,), neuron=neuron("CUBA"), in_features=8, out_features=6,
                     weight=w(6, 8), num_winners=2, self_excitation=0.25),
        hs.ConcatLayer(shape=(14,), layers=(11, 12)),
        dense(14, 6, neuron=neuron("LOIHI")),
        hs.AverageLayer(shape=(3, 1, 1), num_outputs=3),
        hs.AverageLayer(shape=(3, 1, 1), factor=4),
        dense(3, 2, neuron=neuron("SDNN", sigma_output=True), bias=w(2).astype(np.float64)),
        dense(2, 2),  # affine readout without dynamics: no neuron group
    ], simulation=hs.Simulation(ts=1, t_sample=32))


def test_every_type_is_covered():
    net = all_layers_network()
    assert {layer.type for layer in net.layers} == {
        s.type for s in hs.LAYER_SPECS.values() if s.namespace == "lava-dl"}
    assert {layer.neuron.type for layer in net.layers if layer.neuron} == set(hs.NEURON_SPECS)
    hs.validate(net)


def test_round_trip_every_type(tmp_path):
    net = all_layers_network()
    path = tmp_path / "all.net"
    hs.write(net, path)
    back = hs.read(path)
    assert back == net, back.diff(net)
    assert back.layers[7].delay.max() == 200  # delays are never clamped


def test_on_disk_layout(tmp_path):
    path = tmp_path / "all.net"
    hs.write(all_layers_network(), path)
    with h5py.File(path, "r") as f:
        assert set(f) == {"layer", "simulation"}
        for i in range(len(f["layer"])):
            g = f["layer"][str(i)]
            assert g["type"].dtype == np.dtype("S10") and g["type"].shape == (1,)
            assert g["shape"].dtype == np.int64
        conv = f["layer/1"]
        for key in ("inChannels", "outChannels", "groups"):
            assert conv[key].dtype == np.int64 and conv[key].shape == ()
        for key in ("kernelSize", "stride", "padding", "dilation"):
            assert conv[key].dtype == np.int64 and conv[key].shape == (2,)
        assert conv["weight"].dtype == np.float32 and conv["weight"].shape == (4, 1, 3, 3)
        assert conv["neuron/type"][()] == b"ALIF"
        assert h5py.check_string_dtype(conv["neuron/type"].dtype).length is None
        assert conv["neuron/gradedSpike"].dtype == np.bool_
        assert conv["neuron/vThStep"].dtype == np.int64
        assert isinstance(f["layer/5/weight"], h5py.Group)
        assert set(f["layer/5/weight"]) == {"real", "imag"}
        assert f["layer/0/weight"].shape == (1,) and f["layer/0/weight"].dtype == np.float32
        assert f["layer/14/neuron/tauRho"].dtype == np.float64
        assert f["layer/17/neuron/sigma_output"][()] is np.True_
        assert f["layer/17/bias"].dtype == np.float64
        assert "neuron" not in f["layer/18"]
        assert list(f["layer/13/layers"][()]) == [11, 12]
        assert f["layer/12/numWinners"][()] == 2
        assert f["simulation/Ts"][()] == 1 and f["simulation/tSample"][()] == 32


def test_legacy_style_reader_values(tmp_path):
    path = tmp_path / "all.net"
    net = all_layers_network()
    hs.write(net, path)
    view = legacy_view(path)
    assert [v["type"] for v in view] == [layer.type for layer in net.layers]
    assert np.array_equal(view[7]["weight"], net.layers[7].weight.astype(int))
    assert np.array_equal(view[5]["weight/imag"], net.layers[5].weight_imag.astype(int))
    assert view[0]["weight"].tolist() == [64] and view[0]["bias"].tolist() == [-2]
    assert view[1]["neuron"]["type"] == "ALIF" and view[1]["neuron"]["iDecay"] == 1024
    assert view[17]["neuron"]["activation"] == "relu"
    assert tuple(view[1]["shape"][::-1]) == (8, 8, 4)  # netx reverses to (X, Y, C)
    assert tuple(view[1]["stride"]) == (1, 1) and view[1]["groups"] == 2


def test_generic_layer_round_trip_and_plugin_spec(tmp_path):
    from lava.lib.dl.hdf5_spec._specs import LAYER_SPECS

    generic = hs.GenericLayer(type="gated", namespace="acme", shape=(5,),
                              neuron=hs.Neuron(type="CUBA", params=NEURONS["CUBA"]),
                              fields={"gate": np.ones((5, 5), np.float32),
                                      "cfg": {"k": np.array(3, np.int64)}})
    net = hs.NetworkDescription(layers=[dense(4, 5, neuron=neuron()), generic],
                                required_extensions=())
    path = tmp_path / "g.net"
    hs.write(net, path)
    back = hs.read(path)
    assert back == net, back.diff(net)

    # a plugin registers the type: the same file now reads into its class
    from dataclasses import dataclass

    @dataclass(eq=False, kw_only=True)
    class GatedLayer(hs.Layer):
        type = "gated"
        gate: np.ndarray | None = None

    spec = hs.LayerSpec("gated", GatedLayer, (
        hs.FieldSpec("gate", "gate", "array", True, "(N, N)", "gate matrix"),), namespace="acme")
    hs.register_layer_spec(spec)
    try:
        with pytest.raises(ValueError, match="already registered"):
            hs.register_layer_spec(hs.LayerSpec("gated", GatedLayer, (), namespace="acme"))
        typed = hs.read(path, validate=False)
        layer = typed.layers[1]
        assert isinstance(layer, GatedLayer) and layer.key == "acme/gated"
        assert values_equal(layer.extra, {"cfg": {"k": np.array(3, np.int64)}})
        assert np.array_equal(layer.gate, np.ones((5, 5), np.float32))
        assert "acme" in hs.known_extensions()
        assert "### `gated` (acme)" in hs.render_field_tables()
    finally:
        del LAYER_SPECS["acme/gated"]


def test_unknown_codec_is_refused():
    with pytest.raises(ValueError, match="unknown codec"):
        hs.register_layer_spec(hs.LayerSpec("x", hs.GenericLayer, (
            hs.FieldSpec("a", "a", "nope"),), namespace="acme"))


def test_long_plugin_type_name(tmp_path):
    layer = hs.GenericLayer(type="a_rather_long_type_name", namespace="acme", shape=(3,))
    net = hs.NetworkDescription(layers=[dense(2, 3), layer])
    hs.write(net, tmp_path / "l.net")
    assert hs.read(tmp_path / "l.net").layers[1].type == "a_rather_long_type_name"


@pytest.mark.parametrize("mutate, field, fragment", [
    (lambda n: setattr(n.layers[7], "weight", n.layers[7].weight.astype(np.float64)),
     "weight", "astype(np.float32)"),
    (lambda n: setattr(n.layers[7], "bias", np.zeros(3, np.float32)), "bias", "(20,)"),
    (lambda n: setattr(n.layers[7], "delay", np.zeros((20, 2), np.float32)), "delay", "(20,)"),
    (lambda n: setattr(n.layers[8], "weight_rec", w(10, 9)), "weight_rec", "(10, 10)"),
    (lambda n: setattr(n.layers[1], "groups", 3), "groups", "must divide"),
    (lambda n: setattr(n.layers[1], "stride", (0, 1)), "stride", ">= 1"),
    (lambda n: setattr(n.layers[5], "weight_imag", w(3, 6, 3, 2)), "weight/imag", "(3, 6, 3, 3)"),
    (lambda n: setattr(n.layers[12], "num_winners", 7), "numWinners", "[1, outFeatures=6]"),
    (lambda n: setattr(n.layers[12], "self_excitation", 1.5), "selfExcitation", "[0, 1]"),
    (lambda n: setattr(n.layers[13], "layers", (11, 13)), "layers", "earlier layers"),
    (lambda n: setattr(n.layers[16], "factor", 3), "factor", "power of two"),
    (lambda n: setattr(n.layers[6], "neuron", neuron()), "neuron", "remove the neuron group"),
    (lambda n: setattr(n.layers[12], "neuron", None), "neuron", "needs a neuron group"),
    (lambda n: n.layers[2].neuron.params.pop("iDecay"), "neuron/iDecay", "required"),
    (lambda n: n.layers[3].neuron.params.update(gradedSpike=1), "neuron/gradedSpike",
     "must be bool"),
    (lambda n: setattr(n.layers[0], "weight", 1e-50), "weight", "float32"),
    (lambda n: setattr(n.layers[2], "weight", np.ones((1, 1, 3, 3), np.float32)), "weight",
     "(1, 1, 2, 2)"),
    (lambda n: setattr(n.simulation, "t_sample", 0), "tSample", "positive"),
])
def test_invalid_models_are_refused_by_write(tmp_path, mutate, field, fragment):
    net = all_layers_network()
    mutate(net)
    with pytest.raises(hs.ValidationError) as info:
        hs.write(net, tmp_path / "bad.net")
    assert not (tmp_path / "bad.net").exists()
    assert field in {p.field for p in info.value.problems}, str(info.value)
    assert fragment in str(info.value)


def test_write_into_open_group_and_read_from_group(tmp_path):
    path = tmp_path / "g.h5"
    net = hs.example_network()
    with h5py.File(path, "w") as f:
        hs.write(net, f.create_group("net"))
    with h5py.File(path, "r") as f:
        assert hs.read(f["net"]) == net


def test_model_equality_is_strict():
    a, b = hs.example_network(), hs.example_network()
    assert a == b and not a.diff(b)
    b.layers[4].weight = b.layers[4].weight.astype(np.float64)
    assert a != b and a.diff(b) == [
        "layer/4.weight: array(shape=(10, 36), dtype=float32) != "
        "array(shape=(10, 36), dtype=float64)"]
    c = hs.example_network()
    c.layers[1].neuron.params["vThMant"] = 81
    assert a != c
    assert hs.example_network(seed=1) != a


def test_model_normalises_inputs():
    layer = hs.ConvLayer(shape=[4, 2, 2], kernel_size=3, stride=np.array([2, 1]),
                         weight=[[[[1.0]]]])
    assert layer.shape == (4, 2, 2) and layer.kernel_size == (3, 3) and layer.stride == (2, 1)
    assert layer.weight.dtype == np.float32
    inp = hs.InputLayer(shape=(3,), weight=np.float32(36), bias=np.array([2.0]))
    assert inp.weight == 36.0 and isinstance(inp.bias, float)
    n = hs.Neuron(type="CUBA", params={"iDecay": np.int64(5), "gradedSpike": np.bool_(True),
                                       "tauRho": np.float32(0.5), "activation": np.str_("relu"),
                                       "vThMant": np.array(3)})
    assert n.params == {"iDecay": 5, "gradedSpike": True, "tauRho": 0.5, "activation": "relu",
                        "vThMant": 3}
    assert [type(v) for v in n.params.values()] == [int, bool, float, str, int]
    assert hs.DenseLayer.type == "dense" and hs.RecurrentDenseLayer.type == "dense_rec"
    assert hs.ConvTransposeLayer.type == "convT" and hs.UnpoolLayer.type == "unpool"


def test_write_layer_matches_network_writer(tmp_path):
    net = all_layers_network()
    hs.write(net, tmp_path / "net.net")
    with h5py.File(tmp_path / "one.h5", "w") as f:
        for i, layer in enumerate(net.layers):
            hs.write_layer(layer, f.create_group(f"layer/{i}"))
        with pytest.raises(ValueError, match="not empty"):
            hs.write_layer(net.layers[0], f["layer/0"])
        bad = hs.DenseLayer(shape=(2,), in_features=3, out_features=2, weight=w(2, 2))
        with pytest.raises(hs.ValidationError, match="weight"):
            hs.write_layer(bad, f.create_group("bad"))
    with h5py.File(tmp_path / "net.net", "r") as a, h5py.File(tmp_path / "one.h5", "r") as b:
        for i in range(len(net.layers)):
            ga, gb = a[f"layer/{i}"], b[f"layer/{i}"]
            names = []
            ga.visit(names.append)
            other = []
            gb.visit(other.append)
            assert names == other
            assert dict(ga.attrs) == dict(gb.attrs)


def test_read_records_the_source(tmp_path):
    path = tmp_path / "ex.net"
    hs.write(hs.example_network(), path)
    net = hs.read(path)
    assert net.source == str(path) and net == hs.example_network()  # source is not compared
