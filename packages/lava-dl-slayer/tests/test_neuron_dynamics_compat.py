"""slayer.neuron.dynamics: lava-dl 0.6 signatures over core, consistent with the neurons."""

from __future__ import annotations

import torch

import lava.lib.dl.slayer as slayer
from lava.lib.dl.slayer.neuron.dynamics import (
    adaptive_phase_th,
    adaptive_resonator,
    adaptive_threshold,
    leaky_integrator,
    resonator,
)
from lava.lib.dl.slayer.utils import quantize

N = slayer.neuron


def _x(seed=0, shape=(2, 3, 50)):
    g = torch.Generator().manual_seed(seed)
    return torch.round(torch.rand(shape, generator=g) * 64) / 64 * (
        torch.rand(shape, generator=g) < 0.3)


def test_leaky_integrator_per_channel_decay_and_state():
    x = _x(shape=(2, 3, 4, 4, 20))
    decay = torch.tensor([100.0, 2000.0, 4096.0])
    y = leaky_integrator.dynamics(x, decay, torch.zeros(1), 4096)
    for c in range(3):
        yc = leaky_integrator.dynamics(x[:, c:c + 1], decay[c:c + 1], torch.zeros(1), 4096)
        assert torch.equal(y[:, c:c + 1], yc)
    # full decay: the state is exactly the (truncated) input
    assert torch.equal(y[:, 2], torch.trunc(x[:, 2] * 4096) / 4096)


def test_leaky_integrator_reset_and_persistent_helper():
    x = torch.tensor([0.625, 0.625, 0.625, 0.0]).reshape(1, 1, -1)
    y = leaky_integrator.dynamics(x, torch.tensor([0.0]), torch.zeros(1), 4096, threshold=1.0)
    assert y.reshape(-1).tolist() == [0.625, 1.25, 0.625, 0.625]  # reset after 1.25 >= 1
    s = torch.tensor([[1.0, 0.0]])
    assert leaky_integrator.persistent_state(torch.tensor([[0.5, 0.5]]), s).tolist() == [
        [0.0, 0.5]]


def test_cuba_neuron_equals_two_leaky_integrators():
    x = _x(1)
    n = N.cuba.Neuron(threshold=0.5, current_decay=0.3, voltage_decay=0.1)
    current, voltage = n.dynamics(x)
    c = leaky_integrator.dynamics(x, quantize(n.current_decay), torch.zeros(1), 4096)
    v = leaky_integrator.dynamics(c, quantize(n.voltage_decay), torch.zeros(1), 4096,
                                  threshold=n.threshold + n.threshold_eps)
    assert torch.equal(current, c) and torch.equal(voltage, v)


def test_resonator_and_rf_iz_neuron():
    xr, xi = _x(2), _x(3)
    n = N.rf_iz.Neuron(threshold=0.4, period=9, decay=0.05)
    re, im = n.dynamics((xr, xi))
    re2, im2 = resonator.dynamics(xr, xi, quantize(n.sin_decay), quantize(n.cos_decay),
                                  torch.zeros(1), torch.zeros(1), 4096, threshold=n.threshold)
    assert torch.equal(re, re2) and torch.equal(im, im2)
    spike = torch.tensor([1.0])
    assert resonator.persistent_real_state(torch.tensor([0.3]), spike).tolist() == [0.0]
    assert resonator.persistent_imag_state(torch.tensor([0.3]), spike, 0.5, 64).tolist() == [
        0.5 - 1 / 64]


def test_alif_neuron_equals_adaptive_threshold():
    x = _x(4)
    n = N.alif.Neuron(threshold=0.5, threshold_step=0.25, current_decay=0.3, voltage_decay=0.1,
                      threshold_decay=0.2, refractory_decay=0.3)
    _, v, th, ref = n.dynamics(x)
    th2, ref2 = adaptive_threshold.dynamics(
        v, torch.zeros(1), quantize(n.refractory_decay), torch.tensor([0.5]),
        quantize(n.threshold_decay), 0.25, 0.5, 4096)
    assert torch.equal(th, th2) and torch.equal(ref, ref2)
    assert adaptive_threshold.persistent_ref_state(
        torch.tensor([0.0]), torch.tensor([1.0]), torch.tensor([0.5])).tolist() == [1.0]
    assert adaptive_threshold.persistent_th_state(
        torch.tensor([0.5]), torch.tensor([1.0]), 0.25).tolist() == [0.75]


def test_adrf_neurons_equal_phase_threshold_and_adaptive_resonator():
    xr, xi = _x(5), _x(6)
    kw = dict(threshold=0.3, threshold_step=0.1, period=9, decay=0.05, threshold_decay=0.1,
              refractory_decay=0.2)
    n = N.adrf.Neuron(**kw)
    re, im, th, ref = n.dynamics((xr, xi))
    th2, ref2 = adaptive_phase_th.dynamics(
        re, im, torch.zeros(1), torch.zeros(1), quantize(n.refractory_decay),
        torch.tensor([n.threshold]), quantize(n.threshold_decay), n.threshold_step, n.threshold,
        4096)
    assert torch.equal(th, th2) and torch.equal(ref, ref2)
    m = N.adrf_iz.Neuron(**kw)
    out = m.dynamics((xr, xi))
    out2 = adaptive_resonator.dynamics(
        xr, xi, quantize(m.sin_decay), quantize(m.cos_decay), quantize(m.refractory_decay),
        quantize(m.threshold_decay), torch.zeros(1), torch.zeros(1), torch.zeros(1),
        torch.tensor([m.threshold]), m.threshold_step, m.threshold, 4096)
    assert all(torch.equal(a, b) for a, b in zip(out, out2, strict=True))
