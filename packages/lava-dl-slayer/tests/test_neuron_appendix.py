"""Small hand-checkable vectors of spec Appendix A (lava-dl 0.6 outputs)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

import lava.lib.dl.slayer as slayer

X = torch.tensor([0.5, 0.75, 0, 1.0, 0, 0, 0.5, 0.5, 0.5, 0, 0, 0]).reshape(1, 1, -1)


def _ints(t: torch.Tensor) -> list[int]:
    v = (t * 4096).reshape(-1)
    assert torch.equal(v, torch.round(v)), "states must be multiples of 1/4096"
    return [int(a) for a in v]


def test_cuba_vector():
    n = slayer.neuron.cuba.Neuron(threshold=1.25, current_decay=0.25, voltage_decay=0.03)
    u, v = n.dynamics(X)
    assert _ints(u) == [2048, 4608, 3456, 6688, 5016, 3762, 4869, 5699, 6322, 4741, 3555, 2666]
    assert _ints(v) == [2048, 6594, 3456, 10040, 5016, 8627, 4869, 10421, 6322, 4741, 8153, 2666]
    assert n(X).reshape(-1).tolist() == [0, 1, 0, 1, 0, 1, 0, 1, 1, 0, 1, 0]


def test_alif_vector():
    n = slayer.neuron.alif.Neuron(
        threshold=1.0, threshold_step=0.5, current_decay=0.25, voltage_decay=0.03,
        threshold_decay=0.1, refractory_decay=0.2,
    )
    _, v, th, ref = n.dynamics(X)
    assert _ints(v) == [2048, 6594, 9851, 16243, 20771, 23909, 28060, 32916, 38249, 41841,
                        44139, 45479]
    assert _ints(th) == [4096, 4096, 5939, 5754, 7431, 7097, 8639, 8184, 9617, 10907, 10225,
                         11454]
    assert _ints(ref) == [0, 0, 6554, 5243, 13401, 10721, 19933, 15947, 25853, 36071, 28858,
                          39448]
    assert n(X).reshape(-1).tolist() == [0, 1, 0, 1, 0, 1, 0, 1, 1, 0, 1, 0]


RE = torch.tensor([1.0, 0, 0, 0, 0, 0, 0, 0, 0.5, 0, 0, 0]).reshape(1, 1, -1)
IM = torch.zeros_like(RE)


def test_rf_vector():
    n = slayer.neuron.rf.Neuron(threshold=0.5, period=8, decay=0.05)
    assert n.cx_sin_decay == n.cx_cos_decay == 2751
    re, im = n.dynamics((RE, IM))
    assert _ints(re) == [4096, 2751, 0, -2481, -3332, -2237, 0, 2017, 4756, 3194, 0, -2881]
    assert _ints(im) == [0, 2751, 3694, 2481, 0, -2237, -3004, -2017, 0, 3194, 4290, 2881]
    s = n((RE, IM)).reshape(-1)
    assert s.nonzero().reshape(-1).tolist() == [8]


def test_rf_iz_vector():
    n = slayer.neuron.rf_iz.Neuron(threshold=0.5, period=8, decay=0.05)
    re, im = n.dynamics((RE, IM))
    assert _ints(re) == [4096, 2751, -1374, -1844, -1238, 0, 1116, 1498, 3054, 1376, -1374, -1844]
    assert _ints(im) == [0, 2751, 1374, 0, -1238, -1662, -1116, 0, 1006, 2726, 1374, 0]
    s = n((RE, IM)).reshape(-1)
    assert s.nonzero().reshape(-1).tolist() == [1, 9]


def test_delta_and_sigma_vector():
    x = torch.tensor([0, 0.05, 0.12, 0.3, 0.31, 0.2, -0.5, 0]).reshape(1, 1, -1)
    y = slayer.axon.Delta(threshold=0.1, scale=64)(x)
    assert y.reshape(-1).tolist() == [0, 0, 0.109375, 0.171875, 0, -0.109375, -0.703125, 0.5]
    s = slayer.dendrite.Sigma()(y)
    assert s.reshape(-1).tolist() == [0, 0, 0.109375, 0.28125, 0.28125, 0.171875, -0.53125,
                                      -0.03125]


def test_sigma_delta_neuron_vector():
    x = torch.tensor([0, 0.05, 0.12, 0.3, 0.31, 0.2, -0.5, 0]).reshape(1, 1, -1)
    n = slayer.neuron.sigma_delta.Neuron(threshold=0.1, activation=F.relu)
    y = n(x)  # sigma (cumsum) -> relu -> delta at the 1/4096 grid
    expected = [0, 0, 0.169921875, 0.2998046875, 0.309814453125, 0.199951171875, -0.5, 0]
    assert y.reshape(-1).tolist() == expected


def test_li_decay_gradient_is_the_true_gradient():
    # lava-dl returned +5.4375 (spec §15 #1); the true gradient is -5.4375 / 4096
    from lava.lib.dl.slayer.neuron.dynamics import leaky_integrator

    x = torch.tensor([1, 0.5, 0, 0.25]).reshape(1, 1, -1)
    d = torch.tensor([1024.0], requires_grad=True)
    y = leaky_integrator.dynamics(x, d, torch.zeros(1), 4096)
    assert y.reshape(-1).tolist() == [1, 1.25, 0.9375, 0.953125]
    y.sum().backward()
    assert math.isclose(d.grad.item(), -5.4375 / 4096, rel_tol=1e-6)


def test_surrogate_vector():
    n = slayer.neuron.cuba.Neuron(threshold=1.25, current_decay=0.25, voltage_decay=0.03)
    v = torch.tensor([0, 1, 1.25, 2, 10.0]).reshape(1, 1, -1).requires_grad_()
    s = slayer.spike.Spike.apply(
        v, n.threshold + n.threshold_eps, n.tau_rho * 100, n.scale_rho * 0.1, False, None, 1
    )
    s.sum().backward()
    expected = torch.tensor([3.9602e-4, 3.9920e-4, 4.0e-4, 3.9761e-4, 3.7296e-4])
    assert torch.allclose(v.grad.reshape(-1), expected, rtol=1e-4)


def test_quantize_8bit_vector():
    n = slayer.neuron.cuba.Neuron(threshold=1.25, current_decay=0.25, voltage_decay=0.03)
    w = torch.arange(-5, 6, dtype=torch.float32)
    assert n.quantize_8bit(w).tolist() == [-4, -4, -3, -2, -1, 0, 1, 2, 3, 3.96875, 3.96875]
    assert n.quantize_8bit(w, descale=True).tolist() == [
        -256, -256, -192, -128, -64, 0, 64, 128, 192, 254, 254
    ]
