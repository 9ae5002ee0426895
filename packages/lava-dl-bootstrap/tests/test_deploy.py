"""A bootstrap-trained digits network, exported and run by netx's native runtime, gives the
training-time SNN's spikes step for step (skipped where lava-dl-netx is not installed)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

pytest.importorskip("sklearn")
native = pytest.importorskip("lava.lib.dl.netx.native")

from lava.lib.dl.bootstrap.testing import train_digits_network  # noqa: E402


@pytest.fixture(scope="module")
def trained():
    return train_digits_network(epochs=2, hidden=(32,))


def test_quick_training_learns(trained):
    assert trained.snn_accuracy > 0.6 and trained.ann_accuracy > 0.6
    assert len(trained.history.snn16) == 2


def test_native_runtime_reproduces_the_snn(trained, tmp_path):
    path = tmp_path / "digits.net"
    trained.export(path)
    x = trained.snn_input(trained.data.x_test[:40])
    hidden, readout = trained.reference_outputs(x)
    assert hidden.sum() > 0
    # one extra zero step flushes the last readout input through netx's synaptic latency
    xin = torch.cat([x, torch.zeros_like(x[..., :1])], -1).numpy().astype(np.int64)
    net = native.Network(str(path))
    _, rec = net.run(xin, probes=[(0, "s"), (1, "v")])
    # hidden spikes: identical (the blocks' delay_shift is netx's one-step synaptic latency)
    np.testing.assert_array_equal(rec[(0, "s")][..., :-1], hidden.numpy())
    # readout: its never-firing, non-leaky neuron integrates the training-time readout exactly
    v_end = rec[(1, "v")][..., -1]
    np.testing.assert_array_equal(v_end, (readout.sum(-1) * 4096).numpy().astype(np.int64))
    assert np.array_equal(v_end.argmax(1), readout.mean(-1).argmax(1).numpy())


def test_train_slayer_needs_a_stopping_rule(trained):
    from lava.lib.dl.bootstrap.testing import SlayerDigitsNetwork, train_slayer

    with pytest.raises(ValueError, match="epochs or time_budget"):
        train_slayer(SlayerDigitsNetwork((8,)), trained.data)


def test_encoder_gives_exact_spike_counts():
    from lava.lib.dl.bootstrap.testing import encode

    x = torch.arange(17, dtype=torch.float32).reshape(1, 17) / 16
    for steps in (16, 32):
        s = encode(x, steps)
        assert set(s.unique().tolist()) <= {0.0, 1.0}
        torch.testing.assert_close(s.sum(-1), x * steps)
    assert torch.equal(encode(x, 1), x.unsqueeze(-1))
