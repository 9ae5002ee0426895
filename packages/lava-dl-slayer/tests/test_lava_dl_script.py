"""A script written for lava-dl 0.6 (the issue's block list and the N-MNIST tutorial's network
class, scaled down) runs unchanged."""

from __future__ import annotations

import warnings

import h5py
import torch
import torch.nn.functional as F

import lava.lib.dl.slayer as slayer
from lava.lib.dl import hdf5_spec


def test_issue_block_list_runs_unchanged(tmp_path):
    torch.manual_seed(0)
    sdnn_params = {'threshold': 0.1, 'tau_grad': 0.5, 'scale_grad': 1, 'requires_grad': True,
                   'shared_param': True, 'activation': F.relu}
    rf_params = {'threshold': 1.0, 'period': (15, 30), 'decay': (0.05, 0.1),
                 'shared_param': False, 'requires_grad': False}
    alif_params = {'threshold': 1.0, 'threshold_step': 0.2, 'current_decay': 0.25,
                   'voltage_decay': 0.03, 'threshold_decay': 0.1, 'refractory_decay': 0.1}
    cuba_params = {'threshold': 1.25, 'current_decay': 0.25, 'voltage_decay': 0.03,
                   'tau_grad': 0.03, 'scale_grad': 3, 'requires_grad': True}

    sdnn = torch.nn.ModuleList([
        slayer.block.sigma_delta.Input(sdnn_params),
        slayer.block.sigma_delta.Conv(sdnn_params, 3, 24, 3),
    ])
    spiking = torch.nn.ModuleList([
        slayer.block.rf_iz.Conv(rf_params, 36, 64, 3, delay=True),
        slayer.block.rf_iz.Flatten(),
        slayer.block.alif.Dense(alif_params, 64 * 40, 100, delay=True),
        slayer.block.cuba.Recurrent(cuba_params, 100, 50),
        slayer.block.cuba.KWTA(cuba_params, 50, 50, num_winners=5),
    ])
    x = torch.rand(2, 3, 8, 8, 6)
    for block in sdnn:
        x = block(x)
    assert x.shape == (2, 24, 6, 6, 6)

    s = (torch.rand(2, 36, 7, 10, 6) < 0.3).float()
    for block in spiking:
        s = block(s)
    assert s.shape == (2, 50, 6)
    s.sum().backward()

    # the tutorials' export loop
    filename = tmp_path / "network.net"
    h = h5py.File(filename, 'w')
    layer = h.create_group('layer')
    for i, b in enumerate(spiking):
        b.export_hdf5(layer.create_group(f'{i}'))
    h.close()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", hdf5_spec.LegacyFormatWarning)
        net = hdf5_spec.read(filename)
    assert [layer.type for layer in net.layers] == ["conv", "flatten", "dense", "dense_rec",
                                                   "kwta"]
    assert net.layers[0].neuron.type == "RF_IZHIKEVICH"
    assert net.layers[0].weight_imag is not None
    assert net.layers[2].neuron.type == "ALIF"


class Network(torch.nn.Module):
    """The N-MNIST tutorial's network, with 2x8x8 inputs instead of 2x34x34."""

    def __init__(self):
        super(Network, self).__init__()  # noqa: UP008 - the tutorial is copied unchanged

        neuron_params = {
            'threshold': 1.25,
            'current_decay': 0.25,
            'voltage_decay': 0.03,
            'tau_grad': 0.03,
            'scale_grad': 3,
            'requires_grad': True,
        }
        neuron_params_drop = {**neuron_params, 'dropout': slayer.neuron.Dropout(p=0.05), }

        self.blocks = torch.nn.ModuleList([
            slayer.block.cuba.Dense(neuron_params_drop, 8 * 8 * 2, 32, weight_norm=True,
                                    delay=True),
            slayer.block.cuba.Dense(neuron_params_drop, 32, 32, weight_norm=True, delay=True),
            slayer.block.cuba.Dense(neuron_params, 32, 10, weight_norm=True),
        ])

    def forward(self, spike):
        for block in self.blocks:
            spike = block(spike)
        return spike

    def grad_flow(self):
        return [b.synapse.grad_norm for b in self.blocks if hasattr(b, 'synapse')]

    def export_hdf5(self, filename):
        h = h5py.File(filename, 'w')
        layer = h.create_group('layer')
        for i, b in enumerate(self.blocks):
            b.export_hdf5(layer.create_group(f'{i}'))


def test_nmnist_tutorial_network_trains_and_exports(tmp_path):
    torch.manual_seed(1)
    net = Network()
    optimizer = torch.optim.Adam(net.parameters(), lr=0.001)
    error = slayer.loss.SpikeRate(true_rate=0.2, false_rate=0.03, reduction='sum')
    x = (torch.rand(4, 8 * 8 * 2, 30) < 0.2).float()
    label = torch.tensor([0, 3, 5, 9])
    before = [p.detach().clone() for p in net.parameters()]
    for _ in range(2):
        output = net(x)
        loss = error(output, label)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert torch.isfinite(loss)
    assert all(g > 0 for g in net.grad_flow())
    assert any(not torch.equal(a, b) for a, b in zip(before, net.parameters(), strict=True))
    assert slayer.classifier.Rate.predict(output).shape == (4,)
    net.export_hdf5(tmp_path / "network.net")
    # weight norm is still on after export (lava-dl 0.6 removed it)
    assert all(b.synapse.weight_norm_enabled for b in net.blocks)
    reloaded = slayer.auto.SequentialNetwork(str(tmp_path / "network.net"))
    net.eval()
    with torch.no_grad():
        assert torch.equal(reloaded(x), net(x))
