"""neuron.norm (MeanOnlyBatchNorm, WgtScaleBatchNorm) and neuron.Dropout."""

from __future__ import annotations

import pytest
import torch

import lava.lib.dl.slayer as slayer

norm = slayer.neuron.norm


def test_mean_only_subtracts_channel_mean_and_tracks_running_mean():
    x = torch.arange(2 * 3 * 4, dtype=torch.float32).reshape(2, 3, 4)
    bn = norm.MeanOnlyBatchNorm(num_features=3, momentum=0.5)
    y = bn(x)
    mean = x.mean(dim=(0, 2))
    assert torch.allclose(y, x - mean.reshape(1, 3, 1))
    assert torch.allclose(bn.running_mean, 0.5 * mean)
    bn.eval()
    assert torch.allclose(bn(x), x - 0.5 * mean.reshape(1, 3, 1))


def test_mean_only_gradient_flows_through_batch_mean():
    x = torch.rand(4, 2, 3, 3, 5, requires_grad=True)
    norm.MeanOnlyBatchNorm()(x).sum().backward()
    assert torch.allclose(x.grad, torch.zeros_like(x), atol=1e-6)  # d/dx (x - mean x) sums to 0


def test_mean_only_lazy_channels_and_state_dict():
    bn = norm.MeanOnlyBatchNorm()
    bn(torch.rand(2, 5, 7))
    assert bn.running_mean.shape == (5,)
    other = norm.MeanOnlyBatchNorm()
    other.load_state_dict(bn.state_dict())
    assert torch.equal(other.running_mean, bn.running_mean)


def test_bias_with_default_hook():  # spec §15 #29
    bn = norm.MeanOnlyBatchNorm(num_features=2)
    bn.running_mean = torch.tensor([0.25, -0.5])
    assert bn.bias.tolist() == [-0.25, 0.5]


def test_bias_with_neuron_hook_is_even_integers():
    n = slayer.neuron.cuba.Neuron(threshold=1, current_decay=1, voltage_decay=0.1,
                                  norm=norm.MeanOnlyBatchNorm)
    n.norm.running_mean = torch.tensor([0.19, 0.16, 0.125, 0.15])
    assert n.norm.bias.tolist() == [-12, -10, -8, -10]


def test_wrong_rank_raises():
    with pytest.raises(ValueError, match="2 to 5 dimensions"):
        norm.MeanOnlyBatchNorm()(torch.rand(1, 2, 3, 4, 5, 6))


def test_num_features_mismatch_raises():
    with pytest.raises(ValueError, match="num_features"):
        norm.MeanOnlyBatchNorm(num_features=3)(torch.rand(2, 4, 5))


def test_wgt_scale_power_of_two():
    torch.manual_seed(0)
    x = torch.randn(8, 3, 50) * 5 + 1
    bn = norm.WgtScaleBatchNorm(momentum=1.0)
    y = bn(x)
    mean = x.mean(dim=(0, 2)).reshape(1, 3, 1)
    ratio = (x - mean) / y
    r = ratio[torch.isfinite(ratio)]
    assert torch.allclose(r, r[0].expand_as(r))
    assert float(torch.log2(r[0])) == round(float(torch.log2(r[0])))
    assert abs(float(torch.log2(r[0])) - float(torch.ceil(torch.log2(x.std())))) <= 1
    assert isinstance(bn.weight_exp, int) and -3 <= bn.weight_exp <= 3


def test_dropout_mask_constant_over_time():
    torch.manual_seed(0)
    d = slayer.neuron.Dropout(p=0.5)
    y = d(torch.ones(4, 6, 3, 3, 10))
    assert set(torch.unique(y).tolist()) <= {0.0, 2.0}
    assert torch.equal(y, y[..., :1].expand_as(y))
    d.eval()
    x = torch.rand(2, 3, 4)
    assert torch.equal(d(x), x)


def test_dropout_bad_p():
    with pytest.raises(ValueError, match="p must be"):
        slayer.neuron.Dropout(p=1.5)
