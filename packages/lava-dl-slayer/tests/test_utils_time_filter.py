"""slayer.utils.time (shift, replicate), utils.filter (conv, corr, FIR, FIRBank) and recurrent."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import lava.lib.dl.slayer as slayer
from lava.lib.dl.slayer.utils import filter as filt
from lava.lib.dl.slayer.utils import recurrent
from lava.lib.dl.slayer.utils import time as time_ops


def _np_shift(x, s):
    out = np.zeros_like(x)
    if s >= 0:
        out[..., s:] = x[..., : x.shape[-1] - s]
    else:
        out[..., :s] = x[..., -s:]
    return out


@pytest.mark.parametrize("s", [10, -10, 0, 250])
def test_global_shift(s):
    x = torch.rand(3, 20, 100)
    assert np.array_equal(time_ops.shift(x, s).numpy(), _np_shift(x.numpy(), s))


def test_per_neuron_shift_divides_sampling_time_once():  # spec §15 #14
    x = torch.rand(2, 4, 30)
    y = time_ops.shift(x, torch.tensor([4.0, -2.0, 5.0, 0.0]), sampling_time=2)
    for c, s in enumerate([2, -1, 2, 0]):
        assert np.array_equal(y[:, c].numpy(), _np_shift(x[:, c].numpy(), s))


def test_shift_size_mismatch():
    with pytest.raises(ValueError, match="shift_val"):
        time_ops.shift(torch.rand(1, 3, 5), torch.tensor([1.0, 2.0]))


def test_replicate_any_rank():
    for shape in [(5,), (2, 3), (2, 3, 4)]:
        x = torch.rand(shape)
        y = time_ops.replicate(x, 7)
        assert y.shape == (*shape, 7)
        assert all(torch.equal(y[..., t], x) for t in range(7))


def test_conv_corr_impulse():
    x = torch.tensor([0, 1.0, 0, 0, 0, 0])
    f = torch.tensor([1, 0.5, 0.25])
    assert filt.conv(x, f).tolist() == [0, 1, 0.5, 0.25, 0, 0]
    assert filt.corr(x, f).tolist() == [0.5, 1, 0, 0, 0, 0]
    assert filt.conv(x, f, sampling_time=2).tolist() == [0, 2, 1, 0.5, 0, 0]


def test_conv_corr_match_numpy():
    g = np.random.default_rng(0)
    x = g.random((20, 300)).astype(np.float32)
    f = g.random(50).astype(np.float32)
    c = filt.conv(torch.from_numpy(x), torch.from_numpy(f)).numpy()
    r = filt.corr(torch.from_numpy(x), torch.from_numpy(f)).numpy()
    c_ref = np.stack([np.convolve(v, f, "full")[:300] for v in x])
    r_ref = np.stack([np.convolve(v, f[::-1], "full")[-300:] for v in x])
    assert np.abs(c - c_ref).max() < 1e-4 and np.abs(r - r_ref).max() < 1e-4


def test_filter_gradient():  # spec §15 #47
    x = torch.rand(2, 3, 20)
    f = torch.rand(5, requires_grad=True)
    g = torch.rand(2, 3, 20)
    (filt.conv(x, f) * g).sum().backward()
    expected = torch.stack([(g[..., k:] * x[..., : 20 - k]).sum() for k in range(5)])
    assert torch.allclose(f.grad, expected, rtol=1e-5)


def test_conv_input_gradient_is_corr():
    x = torch.rand(2, 20, requires_grad=True)
    f = torch.rand(4)
    g = torch.rand(2, 20)
    (filt.conv(x, f) * g).sum().backward()
    assert torch.allclose(x.grad, filt.corr(g, f), atol=1e-6)


def test_fir_default_response():
    fir = filt.FIR(time_constant=2, length=5)
    assert torch.allclose(fir.filter, torch.exp(-torch.arange(5.0) / 2))
    x = torch.zeros(1, 1, 8)
    x[..., 0] = 1
    assert torch.allclose(fir(x)[0, 0, :5], fir.filter)


def test_firbank_shapes_and_impulse_response():
    bank = filt.FIRBank(3, 8, sampling_time=2)
    x = torch.zeros(2, 5, 20)
    x[:, :, 0] = 1
    y = bank(x)
    assert y.shape == (2, 15, 20)
    h = bank.impulse_response
    assert h.shape == (3, 4)
    assert np.allclose(y[0, 0, :4].detach().numpy(), 2 * h[0], atol=1e-6)


def _synapse(n):
    syn = torch.nn.Module()
    syn.weight = torch.nn.Parameter(torch.randn(n, n, 1, 1, 1) * 0.5)
    syn.pre_hook_fx = None
    syn.forward = lambda x: torch.einsum("oi,nit->not", syn.weight.reshape(n, n), x)
    return syn


def test_custom_recurrent_equals_ground_truths():
    torch.manual_seed(298101)
    syn = _synapse(10)
    neuron_kw = dict(threshold=1.25, current_decay=0.25, voltage_decay=0.25,
                     requires_grad=True, persistent_state=True)
    z = torch.rand(2, 10, 40) * 2
    results = []
    for fn in (recurrent.custom_recurrent, recurrent.custom_recurrent_ground_truth_1,
               recurrent.custom_recurrent_ground_truth_2):
        n = slayer.neuron.cuba.Neuron(**neuron_kw)
        n.pre = None
        syn.weight.grad = None
        out = fn(z, n, syn)
        out.sum().backward()
        results.append((out.detach(), syn.weight.grad.clone(), n.current_decay.grad.clone(),
                        n.voltage_decay.grad.clone()))
    assert results[0][0].sum() > 0
    for other in results[1:]:
        for a, b in zip(results[0], other, strict=True):
            assert torch.allclose(a, b, atol=1e-3)


def test_custom_recurrent_requires_persistent_neuron():
    n = slayer.neuron.cuba.Neuron(threshold=1, current_decay=0.25, voltage_decay=0.25)
    with pytest.raises(ValueError, match="persistent_state=True"):
        recurrent.custom_recurrent(torch.rand(1, 3, 4), n, _synapse(3))
