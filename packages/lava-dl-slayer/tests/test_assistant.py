"""Assistant: train/test/valid, statistics, classifier, count_log, lam, reduce_lr."""

import pytest
import torch

from lava.lib.dl.slayer.utils import Assistant, LearningStats


class _Net(torch.nn.Module):
    def __init__(self, returns=()):
        super().__init__()
        self.linear = torch.nn.Linear(3, 2, bias=False)
        torch.nn.init.constant_(self.linear.weight, 0.5)
        self.returns = returns

    def forward(self, x):
        out = self.linear(x)
        extra = []
        if "loss" in self.returns:
            extra.append((self.linear.weight**2).sum())
        if "count" in self.returns:
            extra.append(torch.tensor([1.0, 2.0]))
        return (out, *extra) if extra else out


def _data():
    x = torch.tensor([[1.0, 0.0, 0.0], [0.0, 2.0, 0.0], [0.0, 0.0, 1.0], [1.0, 1.0, 1.0]])
    target = torch.tensor([0, 1, 1, 0])
    return x, target


def _error(out, target):
    return torch.nn.functional.cross_entropy(out, target)


def test_train_updates_stats_and_parameters():
    net = _Net()
    stats = LearningStats()
    opt = torch.optim.SGD(net.parameters(), lr=0.5)
    assistant = Assistant(net, _error, opt, stats, classifier=lambda o: o.argmax(1))
    x, target = _data()
    before = net.linear.weight.detach().clone()
    expected_loss = _error(net(x), target).item()
    out = assistant.train(x, target)
    assert out.shape == (4, 2) and net.training
    assert stats.training.num_samples == 4
    assert stats.training.loss_sum == pytest.approx(expected_loss * 4, rel=1e-6)
    # all outputs are tied at first -> argmax 0 -> two correct (targets 0)
    assert stats.training.correct_samples == 2
    assert not torch.equal(before, net.linear.weight)


def test_test_and_valid_do_not_update():
    net = _Net()
    stats = LearningStats()
    opt = torch.optim.SGD(net.parameters(), lr=0.5)
    assistant = Assistant(net, _error, opt, stats, classifier=lambda o: o.argmax(1))
    x, target = _data()
    before = net.linear.weight.detach().clone()
    assistant.test(x, target)
    assistant.valid(x, target)  # lava-dl 0.6 raised AttributeError (spec 15 #40)
    assert torch.equal(before, net.linear.weight) and not net.training
    assert stats.testing.num_samples == 4 and stats.validation.num_samples == 4
    assert stats.training.num_samples == 0
    assert stats.validation.loss_sum == pytest.approx(stats.testing.loss_sum)


def test_lam_adds_net_loss_to_gradient_but_not_stats():
    x, target = _data()
    grads = {}
    for lam in (None, 2.0):
        net = _Net(returns=("loss",) if lam is not None else ())
        stats = LearningStats()
        opt = torch.optim.SGD(net.parameters(), lr=0.0)
        Assistant(net, _error, opt, stats, lam=lam).train(x, target)
        grads[lam] = net.linear.weight.grad.clone()
        base = _error(_Net()(x), target).item()
        assert stats.training.loss_sum == pytest.approx(base * 4, rel=1e-6)
    # d(lam * sum w^2)/dw = 2 * lam * w = 2 * 2 * 0.5
    torch.testing.assert_close(grads[2.0] - grads[None], torch.full((2, 3), 2.0))


def test_count_log_returns_count():
    x, target = _data()
    net = _Net(returns=("loss", "count"))
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    out, count = Assistant(net, _error, opt, count_log=True, lam=0.1).train(x, target)
    assert out.shape == (4, 2) and count.tolist() == [1.0, 2.0]
    out, count = Assistant(net, _error, opt, count_log=True, lam=0.1).test(x, target)
    assert count.tolist() == [1.0, 2.0]


def test_wrong_return_arity_is_explained():
    x, target = _data()
    net = _Net()
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="must return 2 values"):
        Assistant(net, _error, opt, count_log=True).train(x, target)


def test_reduce_lr(capsys):
    net = _Net()
    opt = torch.optim.SGD(net.parameters(), lr=1.0)
    Assistant(net, _error, opt).reduce_lr(factor=4)
    assert opt.param_groups[0]["lr"] == 0.25
    assert "Learning rate reduction from 1.0" in capsys.readouterr().out
