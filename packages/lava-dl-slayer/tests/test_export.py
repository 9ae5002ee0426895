"""hdf5 export: entry-point exporters, values in hardware units, no side effects, read-back."""

from __future__ import annotations

import h5py
import numpy as np
import pytest
import torch
import torch.nn.functional as F

import lava.lib.dl.slayer as slayer
from lava.lib.dl import hdf5_spec
from lava.lib.dl.hdf5_spec.plugins import EXPORTERS_GROUP, PluginNotFoundError
from lava.lib.dl.slayer import _export
from lava.lib.dl.slayer.block import base

CUBA = {"threshold": 1.25, "current_decay": 0.25, "voltage_decay": 0.03}
RF = {"threshold": 0.3, "period": 10, "decay": 0.1}


def _spikes(shape, seed=0, p=0.3):
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(*shape, generator=g) < p).float()


def test_every_first_party_key_is_an_installed_entry_point():
    reg = _export.registry()
    assert reg.group == EXPORTERS_GROUP
    for key, fn in _export.EXPORTERS.items():
        assert key in reg.keys()
        assert reg.get(key) is fn
        assert "lava-dl-slayer" in reg.origin(key)
    blocks = [slayer.block.cuba.Input, slayer.block.cuba.Dense, slayer.block.cuba.Conv,
              slayer.block.cuba.ConvT, slayer.block.cuba.Pool, slayer.block.cuba.Unpool,
              slayer.block.cuba.Flatten, slayer.block.cuba.Average,
              slayer.block.cuba.TimeDecimation, slayer.block.cuba.Affine,
              slayer.block.cuba.KWTA, slayer.block.cuba.Recurrent,
              slayer.block.sigma_delta.Output]
    for cls in blocks:
        assert f"lava-dl/{cls.hdf5_type}" in _export.EXPORTERS


def test_dense_export_values_are_hardware_mantissas():
    torch.manual_seed(0)
    block = slayer.block.cuba.Dense(CUBA, 6, 4, weight_scale=5, delay=True)
    layer = block.export_layer()  # before any forward pass
    q = block.neuron.quantize_8bit(block.synapse.weight.detach(), descale=True)
    assert layer.weight.dtype == np.float32 and layer.weight.shape == (4, 6)
    assert np.array_equal(layer.weight, q.reshape(4, 6).numpy())
    assert np.all(layer.weight % 2 == 0) and layer.weight.min() >= -256
    assert layer.weight.max() <= 254
    assert (layer.in_features, layer.out_features, layer.shape) == (6, 4, (4,))
    dp = dict(block.neuron.device_params)
    assert layer.neuron.type == dp.pop("type") == "CUBA"
    assert layer.neuron.params == dp
    assert dp == {"iDecay": 1024, "vDecay": 123, "vThMant": 80, "refDelay": 1,
                  "gradedSpike": False}
    assert np.array_equal(layer.delay, np.floor(block.delay.delay.detach().numpy()))


def test_export_never_mutates_the_model():
    """lava-dl 0.6 folded the weight norm into the live model on export (§15 #27)."""
    torch.manual_seed(1)
    block = slayer.block.cuba.Dense(CUBA, 6, 4, weight_scale=3, weight_norm=True, delay=True)
    before = {k: v.clone() for k, v in block.state_dict().items()}
    layer = block.export_layer()
    assert block.synapse.weight_norm_enabled
    after = block.state_dict()
    assert before.keys() == after.keys()
    assert all(torch.equal(before[k], after[k]) for k in before)
    w = block.synapse.effective_weight().detach()
    assert np.array_equal(layer.weight,
                          block.neuron.quantize_8bit(w, descale=True).reshape(4, 6).numpy())


def test_learned_delays_are_written_unclamped():
    block = slayer.block.cuba.Dense(CUBA, 3, 3, delay=True)
    with torch.no_grad():
        block.delay.delay.copy_(torch.tensor([0.7, 70.9, 123.0]))
    assert block.export_layer().delay.tolist() == [0.0, 70.0, 123.0]


def test_conv_needs_an_input_shape_before_the_first_forward():
    block = slayer.block.cuba.Conv(CUBA, 2, 3, 3, stride=2, padding=1)
    with pytest.raises(ValueError, match="input_shape"):
        block.export_layer()
    layer = block.export_layer(input_shape=(2, 9, 9))
    assert layer.shape == (3, 5, 5)
    assert (layer.kernel_size, layer.stride, layer.padding, layer.dilation) == (
        (3, 3), (2, 2), (1, 1), (1, 1))
    assert layer.weight.shape == (3, 2, 3, 3)
    block(_spikes((1, 2, 9, 9, 4)))
    assert block.export_layer() == layer


def test_pool_and_input_export():
    pool = slayer.block.cuba.Pool(CUBA, 2, weight_scale=3)
    layer = pool.export_layer(input_shape=(4, 7, 7))
    assert layer.shape == (4, 4, 4)
    assert layer.weight.shape == (1, 1, 2, 2) and np.all(layer.weight == 192)
    inp = slayer.block.cuba.Input(CUBA, weight=1.0, bias=0.25)
    layer = inp.export_layer(input_shape=(3,))
    assert (layer.weight, layer.bias) == (64.0, 16.0)
    assert slayer.block.cuba.Input().export_layer(input_shape=(3,)).neuron is None


def test_affine_export():
    block = slayer.block.cuba.Affine(CUBA, 6, 3)
    layer = block.export_layer()
    assert layer.type == "dense" and layer.neuron.params["vThMant"] == (1 << 18) - 1
    assert layer.bias is None and layer.delay is None
    assert slayer.block.cuba.Affine(CUBA, 6, 3, dynamics=False).export_layer().neuron is None


def test_complex_conv_export_has_real_and_imaginary_weights(tmp_path):
    """lava-dl 0.6 could not export complex conv blocks (§15 #12)."""
    block = slayer.block.rf.Conv(RF, 2, 3, 3)
    layer = block.export_layer(input_shape=(2, 6, 6))
    assert layer.weight.shape == layer.weight_imag.shape == (3, 2, 3, 3)
    assert layer.neuron.type == "RF_PHASE"
    with h5py.File(tmp_path / "rf.net", "w") as f:
        block.export_hdf5(f.create_group("layer/0"), input_shape=(2, 6, 6))
        assert set(f["layer/0/weight"].keys()) == {"real", "imag"}


def test_dense_from_spatial_input_exports_flattened_weights():
    """lava-dl 0.6 failed to export a tuple in_neurons (§15 #25); the (C, H, W) order is the
    order of Flatten."""
    torch.manual_seed(2)
    tup = slayer.block.cuba.Dense(CUBA, (5, 4, 2), 3, weight_scale=4, delay_shift=False)
    flat = slayer.block.cuba.Dense(CUBA, 40, 3, weight_scale=4, delay_shift=False)
    with torch.no_grad():
        flat.synapse.weight.copy_(tup.synapse.weight.reshape(3, 40, 1, 1, 1))
    layer = tup.export_layer()
    assert layer.in_features == 40 and layer.weight.shape == (3, 40)
    assert np.array_equal(layer.weight, flat.export_layer().weight)
    x = _spikes((2, 2, 4, 5, 6))
    y_flat = flat(slayer.block.cuba.Flatten()(x))
    assert torch.equal(tup(x).reshape(2, 3, 6), y_flat)


def test_norm_bias_and_weight_exponent_are_exported():
    torch.manual_seed(3)
    params = dict(CUBA, current_decay=1.0, norm=slayer.neuron.norm.MeanOnlyBatchNorm)
    block = slayer.block.cuba.Dense(params, 6, 4, weight_scale=3)
    block(torch.rand(2, 6, 8))
    layer = block.export_layer()
    norm = block.neuron.norm
    ref = -norm.pre_hook_fx(norm.running_mean, descale=True)
    assert np.array_equal(layer.bias, np.broadcast_to(ref.numpy(), (4,)).astype(np.float32))
    params = dict(CUBA, current_decay=1.0, norm=slayer.neuron.norm.WgtScaleBatchNorm)
    block = slayer.block.cuba.Conv(params, 2, 3, 3)
    block(torch.rand(2, 2, 5, 5, 4))
    layer = block.export_layer()
    assert layer.neuron.params["weight_exp"] == int(block.neuron.norm.weight_exp)
    assert layer.bias.shape == (3,)


def _text(value):
    return value.decode() if isinstance(value, bytes) else value


def test_block_group_layout_matches_lava_dl(tmp_path):
    block = slayer.block.cuba.Dense(CUBA, 6, 4, delay=True)
    path = tmp_path / "one.net"
    with h5py.File(path, "w") as f:
        g = f.create_group("layer/0")
        block.export_hdf5(g)
        assert f["layer/0/type"].dtype == np.dtype("S10")
        assert f["layer/0/type"][0] == b"dense"
        assert f["layer/0/shape"].dtype == np.int64
        assert f["layer/0/inFeatures"][()] == 6
        assert f["layer/0/weight"].dtype == np.float32
        assert f["layer/0/neuron/vThMant"][()] == 80
        assert f["layer/0/neuron/type"][()] == b"CUBA"
        assert f["layer/0/neuron/gradedSpike"].dtype == np.bool_
        assert _text(g.attrs["namespace"]) == "lava-dl"
    with pytest.warns(hdf5_spec.LegacyFormatWarning):
        net = hdf5_spec.read(path)
    read_back = net.layers[0]
    # a file without root format_version is legacy: the per-layer attributes are kept as extras
    attrs = read_back.extra.pop("@attrs")
    assert {k: _text(v) for k, v in attrs.items()} == {"namespace": "lava-dl",
                                                        "encoding_version": 1}
    assert read_back == block.export_layer(), read_back.diff(block.export_layer())


def _every_block_network():
    sd = {"threshold": 0.1, "activation": F.relu}
    return [
        slayer.block.cuba.Input(CUBA, weight=1.5, bias=0.1),
        slayer.block.cuba.Conv(CUBA, 2, 4, 3, padding=1, weight_scale=3, delay=True),
        slayer.block.cuba.Pool(CUBA, 2, delay=True),
        slayer.block.cuba.ConvT(CUBA, 4, 2, 2, stride=2),
        slayer.block.cuba.Unpool(CUBA, 2),
        slayer.block.cuba.Pool(CUBA, 4),
        slayer.block.cuba.Flatten(),
        slayer.block.alif.Dense({"threshold": 0.5, "threshold_step": 0.2, "current_decay": 0.25,
                                 "voltage_decay": 0.03, "threshold_decay": 0.1,
                                 "refractory_decay": 0.1}, 32, 10, delay=True),
        slayer.block.cuba.Recurrent(CUBA, 10, 8),
        slayer.block.cuba.KWTA(CUBA, 8, 6, 2),
        slayer.block.rf.Dense(RF, 6, 6),
        slayer.block.sigma_delta.Dense(sd, 6, 5),
        slayer.block.sigma_delta.Output(sd, 5, 4),
        slayer.block.cuba.Affine(CUBA, 4, 2),
    ]


def test_network_export_validates_and_reads_back(tmp_path):
    blocks = _every_block_network()
    net = slayer.block.export_network(blocks, tmp_path / "all.net", input_shape=(2, 8, 8))
    hdf5_spec.validate(net)
    back = hdf5_spec.read(tmp_path / "all.net")
    assert back == net, back.diff(net)
    assert [layer.type for layer in back.layers] == [
        "input", "conv", "pool", "convT", "unpool", "pool", "flatten", "dense", "dense_rec",
        "kwta", "dense", "dense", "dense", "dense"]
    assert back.layers[6].shape == (32, 1, 1)
    assert back.layers[12].neuron.params["sigma_output"] is True
    assert back.format_version == hdf5_spec.FORMAT_VERSION


class _Gated(base.AbstractBlock):
    hdf5_namespace = "acme"
    hdf5_type = "gated"

    def output_shape(self, input_shape=None):
        return (3,)


def test_third_party_exporter_through_the_registry():
    block = _Gated()
    with pytest.raises(PluginNotFoundError, match="acme/gated"):
        block.export_layer()
    reg = _export.registry()

    def exporter(b, *, input_shape=None):
        return hdf5_spec.GenericLayer(type="gated", namespace="acme", shape=b.shape,
                                      fields={"gain": np.float32(2.0)})

    reg.register("acme/gated", exporter, origin="test")
    try:
        layer = block.export_layer()
        assert layer.key == "acme/gated" and layer.fields["gain"] == 2.0
    finally:
        reg.unregister("acme/gated")


def test_per_channel_neurons_export_the_same_before_and_after_forward():
    torch.manual_seed(4)
    params = dict(CUBA, current_decay=(0.1, 0.3), shared_param=False)
    block = slayer.block.cuba.Conv(params, 2, 4, 3)
    before = block.export_layer(input_shape=(2, 5, 5))
    assert before.neuron.params["iDecay"].shape == (4,)
    block(_spikes((1, 2, 5, 5, 3)))
    assert block.export_layer() == before
