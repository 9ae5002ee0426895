"""Neurons, axon and dendrite modules on CUDA equal the CPU results (skipped without a GPU)."""

from __future__ import annotations

import copy

import pytest
import torch
import torch.nn.functional as F

import lava.lib.dl.slayer as slayer

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")

N = slayer.neuron
CASES = {
    "cuba": (lambda: N.cuba.Neuron(threshold=1.0, current_decay=(0.1, 0.3), voltage_decay=0.05,
                                   shared_param=False, requires_grad=True), False),
    "alif": (lambda: N.alif.Neuron(threshold=1.0, threshold_step=0.25, current_decay=0.2,
                                   voltage_decay=0.05, threshold_decay=0.1,
                                   refractory_decay=0.2, requires_grad=True), False),
    "rf": (lambda: N.rf.Neuron(threshold=0.3, period=10, decay=0.05, requires_grad=True), True),
    "rf_iz": (lambda: N.rf_iz.Neuron(threshold=0.3, period=10, decay=0.05,
                                     requires_grad=True), True),
    "adrf": (lambda: N.adrf.Neuron(threshold=0.3, threshold_step=0.1, period=10, decay=0.05,
                                   threshold_decay=0.1, refractory_decay=0.2,
                                   requires_grad=True), True),
    "adrf_iz": (lambda: N.adrf_iz.Neuron(threshold=0.3, threshold_step=0.1, period=10,
                                         decay=0.05, threshold_decay=0.1, refractory_decay=0.2,
                                         requires_grad=True), True),
    "sigma_delta": (lambda: N.sigma_delta.Neuron(threshold=0.1, activation=F.relu,
                                                 requires_grad=True), False),
}


def _inputs(cplx, device):
    g = torch.Generator().manual_seed(0)
    x = torch.round(torch.rand(4, 8, 3, 3, 60, generator=g) * 64) / 64
    x = x * (torch.rand(1, 1, 1, 1, 60, generator=g) < 0.3)
    xs = (x, torch.roll(x, 2, -1) * 0.5) if cplx else (x,)
    return [v.to(device).requires_grad_() for v in xs]


@pytest.mark.parametrize("name", sorted(CASES))
def test_cuda_equals_cpu(name):
    make, cplx = CASES[name]
    torch.manual_seed(1)
    cpu = make()
    with torch.no_grad():  # draws the per-channel parameters before copying
        x0 = [v.detach() for v in _inputs(cplx, "cpu")]
        cpu(tuple(x0) if cplx else x0[0])
    gpu = copy.deepcopy(cpu).cuda()
    outs, grads = [], []
    for module, device in ((cpu, "cpu"), (gpu, "cuda")):
        xs = _inputs(cplx, device)
        y = module(tuple(xs) if cplx else xs[0])
        (y * torch.linspace(-1, 1, 60, device=device)).sum().backward()
        outs.append(y.detach().cpu())
        grads.append([v.grad.cpu() for v in xs])
        if name != "sigma_delta":
            assert module(tuple(xs) if cplx else xs[0]).device.type == device
    assert torch.equal(outs[0], outs[1])
    for a, b in zip(grads[0], grads[1], strict=True):
        # float32 reverse-time recurrences: summation order differs between the backends
        assert torch.allclose(a, b, rtol=1e-3, atol=1e-5 * float(a.abs().max()))
    for (n0, p0), (_, p1) in zip(cpu.named_parameters(), gpu.named_parameters(), strict=True):
        if p0.grad is not None:
            assert torch.allclose(p0.grad, p1.grad.cpu(), rtol=1e-3, atol=1e-6), n0


def test_cuda_persistent_delay_delta_sigma():
    x = torch.rand(2, 4, 3, 3, 40)
    n_cpu = N.cuba.Neuron(threshold=0.5, current_decay=0.2, voltage_decay=0.1,
                          persistent_state=True)
    n_gpu = N.cuba.Neuron(threshold=0.5, current_decay=0.2, voltage_decay=0.1,
                          persistent_state=True).cuda()
    for a, b in ((0, 15), (15, 40)):
        assert torch.equal(n_cpu(x[..., a:b]), n_gpu(x[..., a:b].cuda()).cpu())
    d = slayer.axon.Delay(max_delay=5)
    d.init_delay(4, torch.tensor([0.0, 1.5, 2.0, 4.9]))
    dg = copy.deepcopy(d).cuda()
    assert torch.equal(d(x), dg(x.cuda()).cpu())
    assert torch.equal(slayer.axon.Delta(0.1)(x), slayer.axon.Delta(0.1).cuda()(x.cuda()).cpu())
    assert torch.allclose(slayer.dendrite.Sigma()(x), slayer.dendrite.Sigma()(x.cuda()).cpu())
