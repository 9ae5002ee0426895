"""Assistant: online = one optimizer step per time step after burn-in, batch = one per batch."""

from __future__ import annotations

import pytest
import torch

from lava.lib.dl import decolle
from lava.lib.dl.decolle import testing as decolle_testing


class CountingSGD(torch.optim.SGD):
    def __init__(self, params, lr):
        super().__init__(params, lr=lr)
        self.calls = 0

    def step(self, closure=None):
        self.calls += 1
        return super().step(closure)


def _setup(mode, burnin, neuron="cuba"):
    net = decolle.DecolleNetwork.dense([16, 12, 8], 3, seed=0, weight_scale=3.0, neuron=neuron)
    opt = CountingSGD(net.parameters(), lr=0.01)
    return net, opt, decolle.DecolleAssistant(net, opt, mode=mode, burnin=burnin,
                                              backend="reference")


@pytest.mark.parametrize("neuron", ["cuba", "trace"])
def test_online_steps_every_time_step_after_burnin(neuron):
    net, opt, asst = _setup("online", 3, neuron)
    x, y = decolle_testing.event_patterns(4, num_inputs=16, num_classes=3, steps=10)
    asst.train(x, y)
    assert opt.calls == asst.optimizer_steps == 7
    asst.train(x, y)
    assert opt.calls == 14
    asst.test(x, y)
    asst.valid(x, y)
    assert opt.calls == 14
    assert asst.training.num_samples == 8 and asst.testing.num_samples == 4
    assert len(asst.training.accuracy) == 2


def test_batch_mode_steps_once_per_batch():
    net, opt, asst = _setup("batch", 4)
    x, y = decolle_testing.event_patterns(4, num_inputs=16, num_classes=3, steps=10)
    for k in range(3):
        asst.train(x, y)
        assert opt.calls == k + 1


def test_burnin_makes_no_update():
    net, opt, asst = _setup("online", 5)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    x, y = decolle_testing.event_patterns(2, num_inputs=16, num_classes=3, steps=6)
    asst.train(x, y)
    assert opt.calls == 1
    changed = [k for k, v in net.state_dict().items() if not torch.equal(before[k], v)]
    assert all("readout" not in k for k in changed)
    with pytest.raises(ValueError, match="burnin=5"):
        asst.train(x[..., :5], y)
    with pytest.raises(ValueError, match="unknown DECOLLE mode"):
        decolle.DecolleAssistant(net, opt, mode="offline")


def test_batch_gradient_is_sum_of_online_gradients_at_fixed_weights():
    """Trace neuron (no temporal gradient path): the summed-window loss has the gradient of the
    per-step losses, so batch mode = accumulated online gradients."""
    torch.manual_seed(0)
    net = decolle.DecolleNetwork.dense([16, 8], 3, seed=0, neuron="trace", dropout=0.0)
    x, y = decolle_testing.event_patterns(3, num_inputs=16, num_classes=3, steps=8)
    loss = decolle.DecolleLoss(3, reg=0.1)
    net.reset_state()
    out = net(x)
    loss(out.readouts, out.potentials, y).total.backward()
    g_batch = net.layers[0].core.synapse.weight.grad.clone()
    net.zero_grad()
    net.reset_state()
    acc = torch.zeros_like(g_batch)
    for t in range(8):
        out = net(x[..., t:t + 1])
        net.zero_grad()
        loss(out.readouts, out.potentials, y).total.backward()
        acc += net.layers[0].core.synapse.weight.grad
    torch.testing.assert_close(g_batch, acc, rtol=1e-5, atol=1e-7)


def test_stats_and_slayer_learning_stats():
    import lava.lib.dl.slayer as slayer

    stats = slayer.utils.LearningStats()
    net, opt, _ = _setup("online", 2)
    asst = decolle.DecolleAssistant(net, opt, burnin=2, stats=stats)
    x, y = decolle_testing.event_patterns(4, num_inputs=16, num_classes=3, steps=6)
    preds = asst.train(x, y)
    assert len(preds) == 2 and tuple(preds[0].shape) == (4,)
    assert stats.training.num_samples == 4
    assert stats.training.correct_samples == int((preds[-1] == y).sum())
    assert asst.training.correct[-1] == stats.training.correct_samples


def test_small_network_learns_and_is_deterministic():
    a = decolle_testing.train_small_network(epochs=2)
    b = decolle_testing.train_small_network(epochs=2)
    for la, lb in zip(a.net.layers, b.net.layers, strict=True):
        assert torch.equal(la.core.block.synapse.weight, lb.core.block.synapse.weight)
    assert a.accuracy == b.accuracy
    assert min(a.accuracy) >= 0.75  # chance is 0.25
