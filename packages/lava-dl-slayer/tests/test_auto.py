"""auto.SequentialNetwork: rebuild trainable networks from hdf5 descriptions."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch
import torch.nn.functional as F

import lava.lib.dl.slayer as slayer
from lava.lib.dl import hdf5_spec

CUBA = {"threshold": 1.25, "current_decay": 0.25, "voltage_decay": 0.03}
ALIF = {"threshold": 0.5, "threshold_step": 0.2, "current_decay": 0.25, "voltage_decay": 0.03,
        "threshold_decay": 0.1, "refractory_decay": 0.1}
SDNN = {"threshold": 0.1, "activation": F.relu}


def _shared() -> Path:
    env = os.environ.get("LAVA_DL_SHARED")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3] / ".." / "shared"


def _spikes(shape, seed=0, p=0.3):
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(*shape, generator=g) < p).float()


def _run(blocks, x):
    for b in blocks:
        x = b(x)
    return x


def _spiking_net():
    torch.manual_seed(0)
    blocks = torch.nn.ModuleList([
        slayer.block.cuba.Input(CUBA, weight=1.5, bias=0.25),
        slayer.block.cuba.Conv(CUBA, 2, 4, 3, padding=1, weight_scale=4, delay=True),
        slayer.block.cuba.Pool(CUBA, 2, weight_scale=2, delay=True),
        slayer.block.cuba.Flatten(),
        slayer.block.alif.Dense(ALIF, 64, 12, weight_scale=4, delay=True),
        slayer.block.cuba.Recurrent(CUBA, 12, 10, weight_scale=3),
        slayer.block.cuba.Dense(CUBA, 10, 6, weight_scale=4),
        slayer.block.cuba.Affine(CUBA, 6, 3, weight_scale=3),
    ])
    with torch.no_grad():
        for b in blocks:
            if b.delay is not None and b.delay.delay is not None:
                b.delay.delay.uniform_(0, 4)
    return blocks


def test_round_trip_gives_the_same_forward_and_file(tmp_path):
    blocks = _spiking_net()
    x = _spikes((2, 2, 8, 8, 16))
    _run(blocks, x)  # creates the pool delays
    with torch.no_grad():
        blocks[2].delay.delay.uniform_(0, 4)
    path = tmp_path / "net.net"
    written = slayer.block.export_network(blocks, path, input_shape=(2, 8, 8))
    net = slayer.auto.SequentialNetwork(path)
    kinds = [f"{type(b).__module__.rsplit('.', 1)[-1]}.{type(b).__name__}" for b in net.blocks]
    assert kinds == ["cuba.Input", "cuba.Conv", "cuba.Pool", "cuba.Flatten", "alif.Dense",
                     "cuba.Recurrent", "cuba.Dense", "cuba.Affine"]
    with torch.no_grad():
        assert torch.equal(net(x), _run(blocks, x))
    again = net.export_hdf5(tmp_path / "again.net")
    assert again == written, again.diff(written)


def test_sigma_delta_round_trip(tmp_path):
    torch.manual_seed(1)
    blocks = torch.nn.ModuleList([
        slayer.block.sigma_delta.Input(SDNN),
        slayer.block.sigma_delta.Conv(SDNN, 3, 4, 3, weight_scale=2),
        slayer.block.sigma_delta.Flatten(),
        slayer.block.sigma_delta.Dense(SDNN, 4 * 4 * 4, 5, weight_scale=2),
        slayer.block.sigma_delta.Output(SDNN, 5, 2),
    ])
    x = torch.rand(2, 3, 6, 6, 10)
    slayer.block.export_network(blocks, tmp_path / "sd.net", input_shape=(3, 6, 6))
    net = slayer.auto.SequentialNetwork(tmp_path / "sd.net")
    assert net.blocks[0].neuron.activation is F.relu
    assert isinstance(net.blocks[-1], slayer.block.sigma_delta.Output)
    with torch.no_grad():
        assert torch.equal(net(x), _run(blocks, x))


def test_input_gain_and_offset_are_descaled(tmp_path):
    """lava-dl 0.6 reloaded an exported input weight of 1.0 as 64 (§15 #41)."""
    block = slayer.block.cuba.Input(CUBA, weight=1.0, bias=0.25)
    slayer.block.export_network([block], tmp_path / "in.net", input_shape=(3,))
    net = slayer.auto.SequentialNetwork(tmp_path / "in.net")
    assert net.blocks[0].weight.tolist() == [1.0]
    assert net.blocks[0].bias.tolist() == [0.25]


def test_bias_reloads_as_a_mean_only_norm(tmp_path):
    torch.manual_seed(2)
    params = dict(CUBA, current_decay=1.0, norm=slayer.neuron.norm.MeanOnlyBatchNorm)
    block = slayer.block.cuba.Dense(params, 6, 4, weight_scale=3)
    block(torch.rand(4, 6, 8) + 0.5)
    block.eval()
    written = slayer.block.export_network([block], tmp_path / "b.net")
    net = slayer.auto.SequentialNetwork(tmp_path / "b.net").eval()
    assert net.export_hdf5(tmp_path / "b2.net") == written
    x = torch.rand(2, 6, 8)
    with torch.no_grad():
        assert torch.equal(net(x), block(x))


def test_options_reduction_count_log_weight_norm_persistent(tmp_path):
    blocks = torch.nn.ModuleList([slayer.block.cuba.Dense(CUBA, 6, 4, weight_scale=5)])
    slayer.block.export_network(blocks, tmp_path / "d.net")
    x = _spikes((2, 6, 12), p=0.6)
    ref = _run(blocks, x).detach()
    net = slayer.auto.SequentialNetwork(tmp_path / "d.net", reduction="sum")
    assert torch.equal(net(x).detach(), ref.sum(-1))
    net = slayer.auto.SequentialNetwork(tmp_path / "d.net", reduction="mean", count_log=True)
    y, counts = net(x)
    assert torch.allclose(y.detach(), ref.mean(-1)) and len(counts) == 1
    assert counts[0].item() == pytest.approx((ref != 0).float().mean().item())
    net = slayer.auto.SequentialNetwork(tmp_path / "d.net", weight_norm=True)
    assert net.blocks[0].synapse.weight_norm_enabled
    assert torch.allclose(net(x), ref)
    net = slayer.auto.SequentialNetwork(tmp_path / "d.net", persistent_state=True)
    assert net.blocks[0].neuron.persistent_state
    with pytest.raises(ValueError, match="reduction"):
        slayer.auto.SequentialNetwork(tmp_path / "d.net", reduction="max")


def test_get_classes_and_neuron_params(tmp_path):
    assert slayer.auto.get_classes()[0] is slayer.neuron.cuba
    assert slayer.auto.get_classes("LOIHI")[1] is slayer.block.cuba
    assert slayer.auto.get_classes("SDNN")[1] is slayer.block.sigma_delta
    assert slayer.auto.get_classes("RF_IZHIKEVICH")[0] is slayer.neuron.rf_iz
    with pytest.raises(ValueError, match="known types"):
        slayer.auto.get_classes("HH")
    block = slayer.block.cuba.Dense(dict(CUBA, graded_spike=True), 3, 2)
    with h5py.File(tmp_path / "n.h5", "w") as f:
        block.export_hdf5(f.create_group("layer/0"))
        params = slayer.auto.get_neuron_params(f["layer/0/neuron"], slayer.neuron.cuba)
    assert params == {"threshold": 1.25, "current_decay": 0.25, "voltage_decay": 123 / 4096,
                      "graded_spike": True}


def test_unknown_layer_type_is_refused(tmp_path):
    net = hdf5_spec.NetworkDescription(layers=[hdf5_spec.GenericLayer(
        type="gated", namespace="acme", shape=(3,))])
    with pytest.raises(ValueError, match="gated"):
        slayer.auto.SequentialNetwork(net)


@pytest.mark.parametrize("name", ["oxford/Trained/network.net",
                                  "netx-tests/gts/pilotnet_sdnn/network.net"])
def test_lava_dl_files_rebuild_and_write_back_identically(name, tmp_path):
    path = _shared() / "reference-nets" / name
    if not path.parent.parent.is_dir():
        pytest.skip(f"shared reference nets absent: {path}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", hdf5_spec.LegacyFormatWarning)
        original = hdf5_spec.read(path)
        net = slayer.auto.SequentialNetwork(path)
    written = net.export_hdf5(tmp_path / "re.net")
    assert len(written.layers) == len(original.layers)
    for i, (a, b) in enumerate(zip(original.layers, written.layers, strict=True)):
        a.extra = {}
        assert a == b, (i, a.diff(b))
    assert np.isfinite(sum(p.sum().item() for p in net.parameters()))


def test_per_channel_parameters_round_trip(tmp_path):
    torch.manual_seed(3)
    params = dict(CUBA, current_decay=(0.1, 0.3), voltage_decay=(0.02, 0.05),
                  shared_param=False)
    block = slayer.block.cuba.Conv(params, 2, 4, 3, weight_scale=5)
    x = _spikes((1, 2, 5, 5, 8), p=0.5)
    y = block(x)
    written = slayer.block.export_network([block], tmp_path / "pc.net", input_shape=(2, 5, 5))
    assert written.layers[0].neuron.params["iDecay"].shape == (4,)
    net = slayer.auto.SequentialNetwork(tmp_path / "pc.net")
    assert not net.blocks[0].neuron.shared_param
    assert torch.equal(net.blocks[0].neuron.current_decay.detach(),
                       torch.round(block.neuron.current_decay.detach()))
    with torch.no_grad():
        assert torch.equal(net(x), y)
    assert net.export_hdf5(tmp_path / "pc2.net") == written
    sd = dict(SDNN, shared_param=False)
    blocks = [slayer.block.sigma_delta.Input(sd), slayer.block.sigma_delta.Dense(sd, 3, 4)]
    x = torch.rand(2, 3, 6)
    _run(blocks, x)
    with torch.no_grad():
        for b in blocks:
            b.neuron.delta.threshold.uniform_(0.05, 0.3)
    written = slayer.block.export_network(blocks, tmp_path / "sd.net", input_shape=(3,))
    net = slayer.auto.SequentialNetwork(tmp_path / "sd.net")
    for b, layer in zip(net.blocks, written.layers, strict=True):
        vth = layer.neuron.params["vThMant"]
        assert torch.equal(b.neuron.delta.threshold.reshape(-1), torch.tensor(vth / 64.0,
                                                                              dtype=torch.float32))
    assert net.export_hdf5(tmp_path / "sd2.net") == written
