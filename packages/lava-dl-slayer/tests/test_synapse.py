"""Synapses: forward against torch references, weight norm, hooks, complex pairs."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from lava.lib.dl.slayer import synapse


def _sum_pool_ref(x, k, s, p, ceil=True):
    """Per-channel sum pooling through avg_pool2d (time folded into the batch)."""
    n, c, h, w, t = x.shape
    y = F.avg_pool2d(
        x.permute(0, 4, 1, 2, 3).reshape(n * t, c, h, w), k, stride=s, padding=p,
        ceil_mode=ceil, divisor_override=1,
    )
    return y.reshape(n, t, c, *y.shape[-2:]).permute(0, 2, 3, 4, 1)


def test_dense_matches_conv3d_and_shapes():
    torch.manual_seed(0)
    d = synapse.Dense(3, 2)
    assert d.weight.shape == (2, 3, 1, 1, 1)
    x = torch.rand(4, 3, 10)
    y = d(x)
    ref = F.conv3d(x.reshape(4, 3, 1, 1, 10), d.weight).reshape(4, 2, 10)
    assert y.shape == (4, 2, 10)
    assert torch.allclose(y, ref, atol=1e-6)
    # spatial input with an int in_neurons is a 1x1 convolution
    xs = torch.rand(2, 3, 4, 5, 6)
    assert torch.allclose(d(xs), F.conv3d(xs, d.weight), atol=1e-6)


def test_dense_tuple_in_neurons_is_w_h_c():
    torch.manual_seed(1)
    d = synapse.Dense((5, 4, 3), 7)  # (W, H, C)
    assert d.weight.shape == (7, 3, 4, 5, 1)
    assert d.in_features == 60
    x = torch.rand(2, 3, 4, 5, 6)
    y = d(x)
    assert y.shape == (2, 7, 1, 1, 6)
    assert torch.allclose(y, F.conv3d(x, d.weight), atol=1e-5)
    d2 = synapse.Dense((5, 4), 2)
    assert d2.weight.shape == (2, 1, 4, 5, 1)


def test_dense_rejects_bad_arguments():
    with pytest.raises(ValueError, match="out_neurons"):
        synapse.Dense(3, 0)
    with pytest.raises(ValueError, match="in_neurons"):
        synapse.Dense((1, 2, 3, 4), 2)
    with pytest.raises(ValueError, match=r"\(N, 3"):
        synapse.Dense(3, 2)(torch.rand(2, 4, 5))


def test_weight_scale_multiplies_default_init():
    torch.manual_seed(3)
    a = synapse.Dense(100, 50).weight.detach().clone()
    torch.manual_seed(3)
    b = synapse.Dense(100, 50, weight_scale=4).weight.detach()
    assert torch.allclose(b, 4 * a)


def test_conv_and_conv_transpose_match_torch():
    torch.manual_seed(2)
    c = synapse.Conv(2, 8, (3, 5), stride=(1, 2), padding=(1, 2), dilation=1, groups=2)
    assert c.weight.shape == (8, 1, 3, 5, 1)
    x = torch.rand(2, 2, 9, 11, 4)
    ref = F.conv3d(x, c.weight, None, (1, 2, 1), (1, 2, 0), 1, 2)
    assert torch.allclose(c(x), ref, atol=1e-6)
    ct = synapse.ConvTranspose(3, 4, 3, stride=2, padding=1)
    assert ct.weight.shape == (3, 4, 3, 3, 1)
    x = torch.rand(2, 3, 4, 4, 3)
    y = ct(x)
    assert y.shape == (2, 4, 7, 7, 3)
    assert torch.allclose(y, F.conv_transpose3d(x, ct.weight, None, (2, 2, 1), (1, 1, 0)),
                          atol=1e-6)
    with pytest.raises(ValueError, match="N, C, H, W, T"):
        c(torch.rand(2, 2, 5))


@pytest.mark.parametrize(
    "k, s, p, hw",
    [(2, None, 0, (16, 16)), (3, None, 0, (7, 7)), (2, None, 0, (7, 5)), (3, 1, 0, (7, 7)),
     (2, 2, 1, (7, 7)), ((2, 3), (2, 3), (1, 0), (8, 10))],
)
def test_pool_is_true_sum_pooling_with_ceil_padding(k, s, p, hw):
    torch.manual_seed(4)
    pool = synapse.Pool(k, stride=s, padding=p, weight_scale=2)
    assert not pool.weight.requires_grad
    x = torch.rand(2, 3, *hw, 5)
    y = pool(x)
    ref = 2 * _sum_pool_ref(x, k, k if s is None else s, p)
    assert y.shape == ref.shape
    assert pool.output_size(*hw) == tuple(ref.shape[2:4])
    assert torch.allclose(y, ref, atol=1e-5)


def test_pool_never_mixes_channels():
    pool = synapse.Pool(3, padding=1)
    x = torch.zeros(1, 4, 6, 6, 2)
    x[:, 2] = 1.0
    y = pool(x)
    assert torch.all(y[:, [0, 1, 3]] == 0)
    assert y[:, 2].sum() > 0


def test_unpool_spreads_each_value():
    u = synapse.Unpool(2, weight_scale=3)
    x = torch.rand(2, 3, 3, 3, 4)
    y = u(x)
    assert y.shape == (2, 3, 6, 6, 4)
    ref = 3 * x.repeat_interleave(2, dim=2).repeat_interleave(2, dim=3)
    assert torch.allclose(y, ref)


def test_weight_norm_reparametrisation_and_state_dict():
    torch.manual_seed(5)
    d = synapse.Dense(6, 4, weight_norm=True)
    assert d.weight_norm_enabled
    assert sorted(d.state_dict()) == ["weight_g", "weight_v"]
    assert d.weight_g.shape == (4, 1, 1, 1, 1)
    x = torch.rand(3, 6, 5)
    w = d.weight_v * d.weight_g / d.weight_v.flatten(1).norm(dim=1).reshape(-1, 1, 1, 1, 1)
    assert torch.allclose(d(x), F.conv3d(x.reshape(3, 6, 1, 1, 5), w).reshape(3, 4, 5),
                          atol=1e-6)
    assert d.grad_norm == 0.0
    d(x).sum().backward()
    g = d.weight_g.grad
    assert d.grad_norm == pytest.approx(float(g.norm() / g.numel()))
    y = d(x)
    d.disable_weight_norm()
    assert sorted(d.state_dict()) == ["weight"]
    assert torch.allclose(d(x), y, atol=1e-6)
    # a weight-norm state dict loads into a plain synapse and vice versa
    plain = synapse.Dense(6, 4)
    plain.load_state_dict(synapse.Dense(6, 4, weight_norm=True).state_dict())
    assert plain.weight_norm_enabled
    normed = synapse.Dense(6, 4, weight_norm=True)
    normed.load_state_dict(d.state_dict())
    assert not normed.weight_norm_enabled
    assert torch.equal(normed.weight, d.weight)


def test_pre_hook_is_applied_and_settable():
    d = synapse.Dense(2, 1)
    with torch.no_grad():
        d.weight.copy_(torch.tensor([0.3, -0.7]).reshape(1, 2, 1, 1, 1))
    d.pre_hook_fx = lambda w, descale=False: torch.round(w)
    x = torch.ones(1, 2, 1)
    assert d(x).item() == pytest.approx(-1.0)
    with pytest.raises(TypeError):
        d.pre_hook_fx = 3


def test_complex_pair():
    torch.manual_seed(6)
    c = synapse.complex.Conv(2, 4, 3, padding=1)
    assert c.complex
    assert sorted(c.state_dict()) == ["imag.weight", "real.weight"]
    # geometry attributes exist (lava-dl 0.6 lacked them, spec §15 #12)
    assert c.in_channels == 2 and c.out_channels == 4 and c.kernel_size[:2] == (3, 3)
    x = torch.rand(1, 2, 5, 5, 3)
    re, im = c(x)
    assert torch.allclose(re, c.real(x)) and torch.allclose(im, c.imag(x))
    # the getter works (lava-dl 0.6 raised AttributeError, spec §15 #11)
    assert c.pre_hook_fx is None
    hook = torch.round
    c.pre_hook_fx = hook
    assert c.pre_hook_fx is hook and c.imag.pre_hook_fx is hook
    c.enable_weight_norm()
    assert c.weight_norm_enabled and c.imag.weight_norm_enabled
    sum(t.sum() for t in c(x)).backward()
    assert c.grad_norm == pytest.approx((c.real.grad_norm ** 2 + c.imag.grad_norm ** 2) ** 0.5)
    for cls in (synapse.complex.Dense, synapse.complex.Pool, synapse.complex.Unpool,
                synapse.complex.ConvTranspose):
        assert cls.complex
    assert synapse.complex.Pool(2)(torch.rand(1, 2, 4, 4, 3))[0].shape == (1, 2, 2, 2, 3)


def test_pool_with_a_non_uniform_or_dilated_kernel_is_a_per_channel_convolution():
    torch.manual_seed(7)
    x = torch.rand(2, 3, 9, 9, 4)
    pool = synapse.Pool(3, stride=2, dilation=2)
    y = pool(x)
    ref = F.conv3d(x.reshape(6, 1, 9, 9, 4), pool.weight, None, (2, 2, 1), 0, (2, 2, 1))
    assert torch.allclose(y, ref.reshape(2, 3, *ref.shape[2:]))
    pool = synapse.Pool(2)
    with torch.no_grad():
        pool.weight.copy_(torch.arange(4.0).reshape(1, 1, 2, 2, 1))
    ref = F.conv3d(F.pad(x, (0, 0, 0, 1, 0, 1)).reshape(6, 1, 10, 10, 4), pool.weight, None,
                   (2, 2, 1))
    assert torch.allclose(pool(x), ref.reshape(2, 3, 5, 5, 4))
