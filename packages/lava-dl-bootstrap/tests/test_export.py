"""Export of bootstrap networks through slayer's exporters, read back with hdf5-spec."""

from __future__ import annotations

import warnings

import h5py
import numpy as np
import pytest
import torch

from lava.lib.dl import hdf5_spec
from lava.lib.dl.bootstrap import Mode
from lava.lib.dl.bootstrap.block import cuba
from lava.lib.dl.slayer.block import cuba as sl
from lava.lib.dl.slayer.block import export_network

P = {"threshold": 1.25, "current_decay": 0.25, "voltage_decay": 0.03}


def build(mod, **kw):
    return [
        mod.Input(P, weight=1.5, bias=0.25),
        mod.Conv(P, 1, 4, 3, padding=1, weight_scale=2),
        mod.Pool(P, 2),
        mod.Flatten(),
        mod.Dense(P, 4 * 4 * 4, 10, weight_scale=2),
        mod.Affine(P, 10, 3, **kw),
    ]


def read(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", hdf5_spec.LegacyFormatWarning)
        return hdf5_spec.read(path)


def test_export_before_forward_reads_back_like_slayer(tmp_path):
    torch.manual_seed(0)
    boot = build(cuba)
    plain = build(sl)
    for b, s in zip(boot, plain, strict=True):
        s.load_state_dict(b.state_dict())
    before = [{k: v.clone() for k, v in b.state_dict().items()} for b in boot]
    export_network(boot, tmp_path / "boot.net", input_shape=(1, 8, 8))
    export_network(plain, tmp_path / "plain.net", input_shape=(1, 8, 8))
    nb, ns = read(tmp_path / "boot.net"), read(tmp_path / "plain.net")
    assert [layer.type for layer in nb.layers] == [
        "input", "conv", "pool", "flatten", "dense", "dense"]
    assert [tuple(layer.shape) for layer in nb.layers] == [
        (1, 8, 8), (4, 8, 8), (4, 4, 4), (64, 1, 1), (10,), (3,)]
    for lb, ls in zip(nb.layers, ns.layers, strict=True):
        assert lb == ls
    # the weights are the 8-bit mantissas of the live weights
    dense = nb.layers[4]
    q = boot[4].neuron.quantize_8bit(boot[4].synapse.weight, descale=True)
    np.testing.assert_array_equal(dense.weight, q.detach().reshape(10, 64).numpy())
    assert np.all(dense.weight % 2 == 0)
    assert dense.neuron.type == "CUBA" and dense.neuron.params["vThMant"] == 80
    assert nb.layers[0].weight == 96 and nb.layers[0].bias == 16
    assert nb.layers[-1].neuron.params["vThMant"] == (1 << 18) - 1  # Affine never fires
    for b, sd in zip(boot, before, strict=True):  # export never changes the model
        for k, v in b.state_dict().items():
            assert torch.equal(v, sd[k])


def test_tutorial_style_per_block_export_after_training_modes(tmp_path):
    torch.manual_seed(0)
    blocks = build(cuba, dynamics=False)
    x = (torch.rand(2, 1, 8, 8, 16) < 0.5).float()
    for mode in (Mode.SAMPLE, Mode.FIT, Mode.ANN):
        y = x if mode is Mode.SAMPLE else x[..., :1]
        for b in blocks:
            y = b(y, mode)
    path = tmp_path / "network.net"
    with h5py.File(path, "w") as h:
        sim = h.create_group("simulation")
        sim["Ts"] = 1
        sim["tSample"] = 16
        layer = h.create_group("layer")
        for i, b in enumerate(blocks):
            b.export_hdf5(layer.create_group(f"{i}"))
    net = read(path)
    assert len(net.layers) == 6
    assert net.layers[-1].neuron is None  # Affine(dynamics=False) exports without neuron
    assert net.simulation.t_sample == 16
    w = blocks[1].neuron.quantize_8bit(blocks[1].synapse.weight, descale=True)
    np.testing.assert_array_equal(net.layers[1].weight, w[..., 0].detach().numpy())


def test_export_needs_a_shape_for_spatial_input(tmp_path):
    blocks = build(cuba)
    with pytest.raises(ValueError, match="input_shape"):
        export_network(blocks, tmp_path / "x.net")
