"""Time shift, replicate and causal filters: values, adjoints and gradients."""

from __future__ import annotations

import pytest
import torch

from lava.lib.dl.core import filter as flt
from lava.lib.dl.core import time as tm
from lava.lib.dl.core.testing import random_input

F64 = torch.float64


def test_shift_global_and_per_neuron_values():
    x = torch.arange(1.0, 7.0).reshape(1, 1, 6)
    assert tm.shift(x, 2).reshape(-1).tolist() == [0, 0, 1, 2, 3, 4]
    assert tm.shift(x, -2).reshape(-1).tolist() == [3, 4, 5, 6, 0, 0]
    assert tm.shift(x, 2.9).reshape(-1).tolist() == [0, 0, 1, 2, 3, 4]  # truncation
    x2 = torch.arange(12.0).reshape(1, 2, 6)
    y = tm.shift(x2, torch.tensor([1.0, -1.0]))
    assert y[0, 0].tolist() == [0, 0, 1, 2, 3, 4] and y[0, 1].tolist() == [7, 8, 9, 10, 11, 0]


def test_per_neuron_shift_divides_sampling_time_once():
    """lava-dl 0.6 divided by sampling_time twice on CPU (spec §15 #14)."""
    x = torch.arange(1.0, 7.0).reshape(1, 1, 1, 6).expand(1, 2, 1, 6)
    y = tm.shift(x, torch.tensor([4.0, 2.0]), sampling_time=2)
    assert y[0, 0, 0].tolist() == [0, 0, 1, 2, 3, 4] and y[0, 1, 0].tolist() == [0, 1, 2, 3, 4, 5]


def test_shift_input_gradient_is_the_transpose():
    x = random_input((2, 3, 2, 9), seed=1, dtype=F64).requires_grad_(True)
    s = torch.tensor([3.0, -2.0, 0.0])
    g = torch.randn(2, 3, 2, 9, dtype=F64, generator=torch.Generator().manual_seed(2))
    (gx,) = torch.autograd.grad(tm.shift(x, s), [x], g)
    torch.testing.assert_close(gx, tm.shift(g, -s))


def test_truncate_shift_gradient_is_finite_difference():
    x = random_input((2, 2, 10), seed=3, dtype=F64)
    s = torch.tensor([1.0, 3.0], dtype=F64, requires_grad=True)
    y = tm.shift(x, s)
    g = torch.randn(y.shape, dtype=F64, generator=torch.Generator().manual_seed(4))
    (gs,) = torch.autograd.grad(y, [s], g)
    yd = y.detach()
    prev = torch.cat([torch.zeros_like(yd[..., :1]), yd[..., :-1]], -1)
    torch.testing.assert_close(gs, (g * (prev - yd)).sum(dim=(0, 2)))


def test_linear_shift_values_and_gradcheck():
    x = torch.arange(1.0, 6.0, dtype=F64).reshape(1, 1, 5)
    assert tm.shift(x, 1.25, mode="linear").reshape(-1).tolist() == [0, 0.75, 1.75, 2.75, 3.75]
    assert torch.equal(tm.shift(x, 2.0, mode="linear"), tm.shift(x, 2.0))
    xs = random_input((1, 3, 7), seed=5, dtype=F64).requires_grad_(True)
    s = torch.tensor([0.3, 1.6, -1.2], dtype=F64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda a, b: tm.shift(a, b, mode="linear"), (xs, s))


def test_shift_errors():
    x = torch.zeros(1, 2, 5)
    with pytest.raises(ValueError, match="unknown shift mode"):
        tm.shift(x, 1, mode="cubic")
    with pytest.raises(ValueError, match="does not fit neurons"):
        tm.shift(x, torch.ones(3))
    with pytest.raises(ValueError, match="sampling_time"):
        tm.shift(x, 1, sampling_time=0)


def test_replicate_any_rank():
    assert tm.replicate(torch.tensor([1.0, 2.0]), 3).tolist() == [[1, 1, 1], [2, 2, 2]]
    assert tm.replicate(torch.tensor(5.0), 2).tolist() == [5.0, 5.0]  # 1-D labels work (§15 #33)
    x = torch.ones(2, 3, requires_grad=True)
    tm.replicate(x, 4).sum().backward()
    assert bool((x.grad == 4).all())
    with pytest.raises(ValueError, match="num_steps"):
        tm.replicate(x, 0)


def test_conv_corr_impulse_spec_values():
    x = torch.tensor([0.0, 1.0, 0, 0, 0, 0])
    f = torch.tensor([1.0, 0.5, 0.25])
    assert flt.conv(x, f).tolist() == [0, 1, 0.5, 0.25, 0, 0]
    assert flt.corr(x, f).tolist() == [0.5, 1, 0, 0, 0, 0]
    assert flt.conv(x, f, sampling_time=2).tolist() == [0, 2, 1, 0.5, 0, 0]


def test_conv_corr_adjoint_and_filter_gradient():
    x = random_input((2, 3, 11), seed=6, dtype=F64, density=1.0)
    y = random_input((2, 3, 11), seed=7, dtype=F64, density=1.0)
    f = torch.tensor([0.3, -0.2, 0.7, 0.1], dtype=F64)
    torch.testing.assert_close((flt.conv(x, f) * y).sum(), (x * flt.corr(y, f)).sum())
    xs, fs = x[:1, :2].clone().requires_grad_(True), f.clone().requires_grad_(True)
    assert torch.autograd.gradcheck(lambda a, b: flt.conv(a, b, 0.5), (xs, fs))
    assert torch.autograd.gradcheck(lambda a, b: flt.corr(a, b), (xs, fs))
