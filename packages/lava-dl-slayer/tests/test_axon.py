"""slayer.axon: fixed delay, learnable Delay and the Delta encoder."""

from __future__ import annotations

import pytest
import torch

import lava.lib.dl.slayer as slayer


def test_fixed_delay_and_its_gradient():
    x = torch.arange(1.0, 7.0).reshape(1, 1, -1).requires_grad_()
    y = slayer.axon.delay(x, 2)
    assert y.reshape(-1).tolist() == [0, 0, 1, 2, 3, 4]
    w = torch.arange(6.0).reshape(1, 1, -1)
    (y * w).sum().backward()
    assert x.grad.reshape(-1).tolist() == [2, 3, 4, 5, 0, 0]


def test_learnable_delay_init_clamp_and_shift():
    torch.manual_seed(0)
    d = slayer.axon.Delay(max_delay=3)
    x = torch.zeros(2, 4, 10)
    x[..., 1] = 1
    d(x)
    assert d.delay.shape == (4,)
    assert torch.all((d.delay >= 0) & (d.delay < 1))
    d.delay.data = torch.tensor([0.5, 1.7, 2.2, 9.0])
    y = d(x)
    assert d.delay.tolist()[3] == 3  # clamped to max_delay
    assert [int(y[0, c].argmax()) for c in range(4)] == [1, 2, 3, 4]


def test_learnable_delay_on_4d_and_5d_input():  # spec §15 #15
    d = slayer.axon.Delay()
    d.init_delay(3, torch.tensor([0.0, 1.0, 2.0]))
    for shape in [(2, 3, 5, 8), (2, 3, 2, 2, 8)]:
        d.shape = None
        x = torch.rand(shape)
        y = d(x)
        for c in range(3):
            assert torch.equal(y[:, c], slayer.axon.delay(x[:, c:c + 1], c)[:, 0])


def test_learnable_delay_gradient_is_finite_difference():
    d = slayer.axon.Delay(grad_scale=2.0)
    d.init_delay(2, torch.tensor([1.0, 2.0]))
    x = torch.rand(3, 2, 12, requires_grad=True)
    y = d(x)
    g = torch.rand_like(y)
    (y * g).sum().backward()
    yd = y.detach()
    prev = torch.cat([torch.zeros_like(yd[..., :1]), yd[..., :-1]], -1)
    expected = 2.0 * (g * (prev - yd)).sum(dim=(0, 2))
    assert torch.allclose(d.delay.grad, expected, atol=1e-5)
    assert torch.equal(x.grad, slayer.utils.time.shift(g, torch.tensor([-1.0, -2.0])))


def test_delay_state_dict_loads_before_first_forward():
    a = slayer.axon.Delay(max_delay=62)
    a.init_delay(5)
    b = slayer.axon.Delay(max_delay=62)
    b.load_state_dict(a.state_dict())
    assert torch.equal(a.delay, b.delay)


def test_delta_backward_difference_operator_and_threshold_grad():
    x = torch.rand(2, 3, 15, requires_grad=True)
    delta = slayer.axon.Delta(threshold=0.2, requires_grad=True)
    y = delta(x)
    g = torch.rand_like(y)
    (y * g).sum().backward()
    expected = g.clone()
    expected[..., :-1] -= g[..., 1:]
    assert torch.allclose(x.grad, expected)
    assert delta.threshold.grad is not None and delta.threshold.grad.shape == (1,)


def test_delta_threshold_clamped():
    assert slayer.axon.Delta(threshold=0.0, scale=64).threshold.item() == 1 / 64


def test_delta_persistent_split_equals_full():
    x = torch.rand(2, 3, 40)
    full = slayer.axon.Delta(threshold=0.1)(x)
    d = slayer.axon.Delta(threshold=0.1, persistent_state=True)
    split = torch.cat([d(x[..., :13]), d(x[..., 13:])], -1)
    assert torch.equal(split, full)


def test_delta_cum_error_runs_and_gates():  # spec §15 #16
    x = torch.tensor([0.0, 0.06, 0.12, 0.18, 0.24]).reshape(1, 1, -1)
    cum = slayer.axon.Delta(threshold=0.1, cum_error=True)(x)
    # 0.06 per step: the error reaches the threshold every second step
    assert cum.reshape(-1).tolist() == [0, 0, 0.109375, 0, 0.109375]


def test_delta_per_channel_threshold():
    d = slayer.axon.Delta(threshold=0.1, shared_param=False, requires_grad=True)
    x = torch.rand(2, 3, 4, 4, 6)
    d(x).sum().backward()
    assert d.threshold.shape == (3, 1, 1)
    assert d.threshold.grad.shape == (3, 1, 1)


def test_delta_shape_mismatch():
    d = slayer.axon.Delta(threshold=0.1)
    d(torch.zeros(1, 3, 4))
    with pytest.raises(ValueError, match="differs"):
        d(torch.zeros(1, 2, 4))
