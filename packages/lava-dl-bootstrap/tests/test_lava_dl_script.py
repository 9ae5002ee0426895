"""A lava-dl 0.6 style bootstrap training script runs unchanged (spec §12.6 and §14).

The script below is written against lava-dl 0.6's public API only (module paths, class names,
argument names, the scheduler loop, LearningStats, per-block ``export_hdf5`` into ``layer/<i>``
groups); it is shrunk to random 8x8 images so that it runs in seconds.
"""

from __future__ import annotations

import warnings

import h5py
import pytest
import torch
import torch.nn.functional as F

import lava.lib.dl.bootstrap as bootstrap
import lava.lib.dl.slayer as slayer
from lava.lib.dl import hdf5_spec


class Network(torch.nn.Module):
    def __init__(self):
        super(Network, self).__init__()  # noqa: UP008 - as written in lava-dl scripts
        neuron_params = {
            'threshold': 1.25,
            'current_decay': 1,  # this must be 1 to use batchnorm
            'voltage_decay': 0.03,
            'tau_grad': 1,
            'scale_grad': 1,
        }
        self.blocks = torch.nn.ModuleList([
            bootstrap.block.cuba.Input(neuron_params, weight=1, bias=0),
            bootstrap.block.cuba.Dense(neuron_params, 8 * 8, 32),
            bootstrap.block.cuba.Dense(neuron_params, 32, 32),
            bootstrap.block.cuba.Affine(neuron_params, 32, 10, weight_norm=True, weight_scale=2),
        ])

    def forward(self, x, mode):
        N, C, H, W = x.shape
        if mode.base_mode == bootstrap.routine.Mode.ANN:
            x = x.reshape([N, C * H * W, 1])
        else:
            x = x.reshape(N, C * H * W, 1).repeat([1, 1, 16])
        for block, m in zip(self.blocks, mode):  # noqa: B905
            x = block(x, mode=m)
        return x

    def export_hdf5(self, filename):
        h = h5py.File(filename, 'w')
        simulation = h.create_group('simulation')
        simulation['Ts'] = 1
        simulation['tSample'] = 16
        layer = h.create_group('layer')
        for i, b in enumerate(self.blocks):
            b.export_hdf5(layer.create_group(f'{i}'))
        h.close()


def run_script(folder, epochs=2):
    torch.manual_seed(0)
    images = torch.rand(48, 1, 8, 8) * 2 - 1
    labels = torch.randint(0, 10, (48,))
    dataset = torch.utils.data.TensorDataset(images, labels)
    train_loader = torch.utils.data.DataLoader(dataset, batch_size=16, shuffle=True)
    test_loader = torch.utils.data.DataLoader(dataset, batch_size=16, shuffle=False)

    net = Network()
    optimizer = torch.optim.Adam(net.parameters(), lr=0.001)
    stats = slayer.utils.LearningStats()
    scheduler = bootstrap.routine.Scheduler(num_sample_iter=2, sample_period=2)
    modes, snn_epochs = [], []

    for epoch in range(epochs):
        for i, (input, label) in enumerate(train_loader):
            net.train()
            mode = scheduler.mode(epoch, i, net.training)
            modes.append(str(mode))
            output = net.forward(input, mode)
            rate = torch.mean(output, dim=-1).reshape((input.shape[0], -1))
            loss = F.cross_entropy(rate, label)
            prediction = rate.data.max(1, keepdim=True)[1]
            stats.training.correct_samples += torch.sum(prediction == label.view_as(prediction))
            stats.training.num_samples += len(label)
            stats.training.loss_sum += loss.cpu().data.item() * input.shape[0]
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

        for i, (input, label) in enumerate(test_loader):
            net.eval()
            mode = scheduler.mode(epoch, i, net.training)
            with torch.no_grad():
                output = net.forward(input, mode=mode)
            rate = torch.mean(output, dim=-1).reshape((input.shape[0], -1))
            loss = F.cross_entropy(rate, label)
            prediction = rate.data.max(1, keepdim=True)[1]
            stats.testing.correct_samples += torch.sum(prediction == label.view_as(prediction))
            stats.testing.num_samples += len(label)
            stats.testing.loss_sum += loss.cpu().data.item() * input.shape[0]

        if mode.base_mode == bootstrap.routine.Mode.SNN:
            scheduler.sync_snn_stat(stats.testing)
            print(f'[Epoch {epoch:3d}/{epochs}]\nSNN Testing: {scheduler.snn_stat}')
            snn_epochs.append(epoch)
            if scheduler.snn_stat.best_accuracy:
                torch.save(net.state_dict(), folder / 'network.pt')
            scheduler.update_snn_stat()
        stats.update()
        print(f'[Epoch {epoch:3d}/{epochs}] {stats}')
    net.export_hdf5(folder / 'network.net')
    torch.save(net.state_dict(), folder / 'last.pt')
    return net, stats, scheduler, modes, snn_epochs


def test_bootstrap_tutorial_script_runs_unchanged(tmp_path, capsys):
    net, stats, scheduler, modes, snn_epochs = run_script(tmp_path)
    assert modes == ["Mode: SAMPLE", "Mode: SAMPLE", "Mode: FIT", "Mode: ANN", "Mode: ANN",
                     "Mode: ANN"]
    assert snn_epochs == [0]
    assert len(stats.training.loss_log) == 2 and scheduler.snn_stat.accuracy_log
    assert "SNN Testing" in capsys.readouterr().out
    assert all(b.f.fitted for b in net.blocks[:3])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", hdf5_spec.LegacyFormatWarning)
        desc = hdf5_spec.read(tmp_path / "network.net")
    assert [layer.type for layer in desc.layers] == ["input", "dense", "dense", "dense"]
    assert desc.simulation.t_sample == 16
    assert desc.layers[0].weight == 64 and desc.layers[0].neuron.type == "CUBA"
    # a checkpoint reloads into a fresh network
    fresh = Network()
    fresh.load_state_dict(torch.load(tmp_path / "last.pt"))


def test_issue_block_list_constructs_and_runs_every_mode():
    cuba_params = {'threshold': 0.5, 'current_decay': 1, 'voltage_decay': 0.1}
    sdnn_params = cuba_params  # names as in the issue; bootstrap blocks are CUBA
    alif_params = cuba_params
    blocks = [
        bootstrap.block.cuba.Input(sdnn_params), bootstrap.block.cuba.Conv(sdnn_params, 3, 24, 3),
        bootstrap.block.cuba.Flatten(), bootstrap.block.cuba.Dense(alif_params, 24 * 6 * 6, 100),
        bootstrap.block.cuba.Affine(cuba_params, 100, 10),
    ]
    x = torch.rand(2, 3, 8, 8, 1)
    for mode in bootstrap.Mode:
        y = x.expand(2, 3, 8, 8, 8) if mode in (bootstrap.Mode.SNN, bootstrap.Mode.SAMPLE) else x
        for b in blocks:
            y = b(y, mode)
        assert y.shape[:2] == (2, 10)


def test_state_dict_of_bootstrap_blocks_loads_into_slayer_blocks():
    net = Network()
    plain = torch.nn.ModuleList([
        slayer.block.cuba.Input(dict(threshold=1.25, current_decay=1, voltage_decay=0.03),
                                weight=1, bias=0),
        slayer.block.cuba.Dense(dict(threshold=1.25, current_decay=1, voltage_decay=0.03), 64, 32),
        slayer.block.cuba.Dense(dict(threshold=1.25, current_decay=1, voltage_decay=0.03), 32, 32),
        slayer.block.cuba.Affine(dict(threshold=1.25, current_decay=1, voltage_decay=0.03), 32, 10,
                                 weight_norm=True, weight_scale=2),
    ])
    plain.load_state_dict(net.blocks.state_dict())
    x = (torch.rand(2, 64, 12) < 0.5).float()
    with torch.no_grad():
        assert torch.equal(net.blocks[1](x, bootstrap.Mode.SNN), plain[1](x))


@pytest.mark.parametrize("name", ["Input", "Flatten", "Affine", "Dense", "Conv", "Pool"])
def test_public_names(name):
    assert hasattr(bootstrap.block.cuba, name)
    assert bootstrap.ann_sampler.AnnSampler and bootstrap.routine.Scheduler
