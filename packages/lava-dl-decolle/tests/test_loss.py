"""DECOLLE loss and the reference regulariser on known inputs."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lava.lib.dl import decolle


def _smooth_l1(x):
    a = np.abs(x)
    return np.where(a < 1, 0.5 * x**2, a - 0.5)


def test_regularizer_known_values():
    # one step, 2 neurons x 2 samples
    u = torch.tensor([[[0.5], [-3.0]], [[-0.005], [-1.0]]])
    got = float(decolle.regularizer(u, 2.0))
    uu = np.array([0.5, -3.0, -0.005, -1.0])
    high = np.maximum(uu + 0.01, 0).mean()  # (0.51 + 0.005) / 4
    low = max((0.1 - 1 / (1 + np.exp(-uu))).mean(), 0.0)
    assert high == pytest.approx(0.12875)
    assert got == pytest.approx(2.0 * (high + 3e-3 * low), rel=1e-6)
    # all strongly negative: the firing-probability term is active, the relu is outside the mean
    u2 = torch.full((1, 3, 1), -5.0)
    s = 1 / (1 + np.exp(5.0))
    assert float(decolle.regularizer(u2, 1.0)) == pytest.approx(3e-3 * (0.1 - s), rel=1e-5)
    # mixed: per-neuron relu(0.1 - sigmoid) would be > 0, the canonical mean form is 0
    u3 = torch.tensor([[[-5.0], [-0.02]]])
    assert float(decolle.regularizer(u3, 1.0)) == pytest.approx(0.0, abs=1e-9)


def test_regularizer_sums_over_time():
    u = torch.randn(3, 4, 5)
    total = decolle.regularizer(u, 0.7)
    steps = sum(decolle.regularizer(u[..., t:t + 1], 0.7) for t in range(5))
    torch.testing.assert_close(total, steps)


def test_loss_known_values():
    loss = decolle.DecolleLoss(3, reg=[0.0, 0.5])
    y0 = torch.tensor([[[0.2, 0.4], [1.5, 0.0], [-0.3, 2.5]]])  # (1, 3, 2)
    y1 = torch.zeros(1, 3, 2)
    u0 = torch.zeros(1, 4, 2)
    u1 = torch.full((1, 2, 2), 0.09)
    value = loss([y0, y1], [u0, u1], torch.tensor([1]))
    t = np.array([0.0, 1.0, 0.0])
    ref0 = sum(_smooth_l1(y0[0, :, k].numpy() - t).mean() for k in range(2))
    ref1 = 2 * 0.5 / 3
    reg1 = 0.5 * 2 * (0.1 + 3e-3 * max(0.1 - 1 / (1 + np.exp(-0.09)), 0))
    assert float(value.per_layer[0]) == pytest.approx(ref0, rel=1e-6)
    assert float(value.per_layer[1]) == pytest.approx(ref1 + reg1, rel=1e-6)
    assert float(value.total) == pytest.approx(ref0 + ref1 + reg1, rel=1e-6)
    # one-hot targets give the same value as labels
    same = loss([y0, y1], [u0, u1], torch.tensor([[0, 1, 0]]))
    assert float(same.total) == pytest.approx(float(value.total))


def test_loss_registry_and_errors():
    y = torch.tensor([[[2.0], [0.0]]])
    mse = decolle.DecolleLoss(2, loss="mse")([y], [torch.zeros(1, 1, 1)], torch.tensor([0]))
    assert float(mse.total) == pytest.approx(0.5)
    ce = decolle.DecolleLoss(2, loss="cross_entropy")([y], [torch.zeros(1, 1, 1)],
                                                      torch.tensor([0]))
    assert float(ce.total) == pytest.approx(float(np.log(1 + np.exp(-2.0))), rel=1e-6)
    with pytest.raises(ValueError, match="unknown DECOLLE layer loss 'l3'"):
        decolle.DecolleLoss(2, loss="l3")
    with pytest.raises(ValueError, match="one per layer"):
        decolle.DecolleLoss(2, reg=[0.1, 0.2, 0.3])([y], [y], torch.tensor([0]))
    with pytest.raises(ValueError, match="expected 2 classes"):
        decolle.DecolleLoss(2).one_hot(torch.zeros(1, 3))
