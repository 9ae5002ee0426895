"""Export through the exporter entry points -> hdf5-spec read-back -> netx native run."""

from __future__ import annotations

import importlib.metadata as md

import numpy as np
import pytest
import torch

from lava.lib.dl import decolle, hdf5_spec
from lava.lib.dl.decolle import testing as decolle_testing


@pytest.fixture(scope="module")
def small():
    return decolle_testing.train_small_network(epochs=1, num_train=32, num_test=8)


def test_entry_points_registered():
    eps = {ep.name: ep for ep in md.entry_points(group="lava.lib.dl.exporters")}
    for key in ("decolle/dense", "decolle/conv", "decolle/readout"):
        assert key in eps, key
        assert eps[key].dist.name == "lava-dl-decolle"
        assert callable(eps[key].load())


def test_export_read_back_without_readouts(small, tmp_path):
    path = tmp_path / "decolle.net"
    written = small.net.export_hdf5(path)
    back = hdf5_spec.read(path)
    assert [type(layer).__name__ for layer in back.layers] == ["DenseLayer", "DenseLayer"]
    assert [tuple(layer.shape) for layer in back.layers] == [(24,), (16,)]
    for layer, dl, wl in zip(back.layers, small.net.layers, written.layers, strict=True):
        block = dl.core.block
        with torch.no_grad():
            mant = block.synapse.pre_hook_fx(block.synapse.weight, descale=True)
        np.testing.assert_array_equal(layer.weight, mant.reshape(layer.weight.shape).numpy())
        np.testing.assert_array_equal(layer.weight, wl.weight)
        assert layer.neuron.type == "CUBA"
        assert layer.neuron.params["vThMant"] == int(1.25 * 64)
    # export never changed the live model
    again = small.net.network_description()
    np.testing.assert_array_equal(again.layers[0].weight, back.layers[0].weight)


def test_export_with_readout_as_affine(small, tmp_path):
    path = tmp_path / "decolle_ro.net"
    small.net.export_hdf5(path, readouts=True)
    back = hdf5_spec.read(path)
    assert len(back.layers) == 3
    ro = back.layers[-1]
    readout = small.net.layers[-1].readout
    assert ro.in_features == 16 and ro.out_features == 4
    assert ro.neuron.params["vThMant"] == (1 << 18) - 1
    assert ro.neuron.params["iDecay"] == 4096 and ro.neuron.params["vDecay"] == 4096
    np.testing.assert_array_equal(ro.bias, np.round(readout.bias.numpy() * 64))
    # 8-bit mantissas at scale 64 (even values): within one step of the float readout
    np.testing.assert_allclose(ro.weight / 64, readout.weight.numpy(), atol=2 / 64)


def test_trace_network_cannot_be_exported(tmp_path):
    net = decolle.DecolleNetwork.dense([8, 4], 2, neuron="trace")
    with pytest.raises(NotImplementedError, match="neuron='cuba'"):
        net.export_hdf5(tmp_path / "x.net")


def test_conv_network_exports_with_flatten(tmp_path):
    net = decolle.DecolleNetwork.conv_dense(
        (2, 8, 8), [dict(out_channels=3, kernel_size=3, stride=2, padding=1)], [5], 4, seed=0)
    desc = net.export_hdf5(tmp_path / "c.net", readouts=True)
    back = hdf5_spec.read(tmp_path / "c.net")
    assert [type(layer).__name__ for layer in back.layers] == [
        "ConvLayer", "FlattenLayer", "DenseLayer", "DenseLayer"]
    assert tuple(back.layers[0].shape) == (3, 4, 4)
    assert back.layers[2].in_features == 48
    assert len(desc.layers) == 4


def test_netx_native_spikes_equal_training_forward(small, tmp_path):
    native = pytest.importorskip("lava.lib.dl.netx.native")
    path = tmp_path / "decolle.net"
    small.net.export_hdf5(path)
    net = small.net
    net.eval()
    net.reset_state()
    with torch.no_grad():
        out = net(small.x_test)
    assert out.spikes.sum() > 0
    got = native.Network(path).run(small.x_test.numpy().astype(np.int64))
    np.testing.assert_array_equal(got, out.spikes.numpy().astype(got.dtype))


def test_netx_native_conv_network_spikes_equal(tmp_path):
    native = pytest.importorskip("lava.lib.dl.netx.native")
    torch.manual_seed(0)
    net = decolle.DecolleNetwork.conv_dense(
        (2, 6, 8), [dict(out_channels=4, kernel_size=3, padding=1)], [6], 4, seed=0,
        weight_scale=4.0)
    x = (torch.rand(3, 2, 6, 8, 16, generator=torch.Generator().manual_seed(1)) < 0.4).float()
    net.eval()
    net.reset_state()
    with torch.no_grad():
        out = net(x)
    assert out.spikes.sum() > 0
    net.export_hdf5(tmp_path / "c.net")
    # no input layer in the file: netx needs the input shape in Lava order (X=W, Y=H, C)
    got = native.Network(tmp_path / "c.net", input_shape=(8, 6, 2)).run(
        x.numpy().astype(np.int64))
    np.testing.assert_array_equal(got, out.spikes.numpy().astype(got.dtype))
