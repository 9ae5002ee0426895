"""The delay fast paths equal core's time shift bit for bit (values and gradients)."""

import copy

import pytest
import torch

import lava.lib.dl.slayer as slayer
from lava.lib.dl import core
from lava.lib.dl.slayer.axon._delay import _channel_shift
from lava.lib.dl.slayer.block.base import step_delay

CUBA = {"threshold": 1.25, "current_decay": 0.25, "voltage_decay": 0.03, "tau_grad": 0.03,
        "scale_grad": 3, "requires_grad": True}


@pytest.mark.parametrize("shape, sampling_time", [((3, 7, 10), 1.0), ((2, 4, 3, 3, 12), 1.0),
                                                  ((3, 5, 9), 0.5), ((2, 3, 1, 1, 4), 1.0)])
@pytest.mark.parametrize("learn", [True, False])
def test_channel_shift_equals_core_shift(shape, sampling_time, learn):
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(*shape, generator=gen).requires_grad_()
    d = torch.rand(shape[1], generator=gen) * shape[-1] * 1.3  # some beyond the window
    d[0] = 0.0
    d.requires_grad_(learn)
    g = torch.randn(*shape, generator=gen)
    inputs = (x, d) if learn else (x,)
    ref = core.time.shift(x, d, sampling_time)
    out = _channel_shift(x, d, sampling_time)
    assert torch.equal(out, ref)
    assert out.abs().sum() > 0
    grads = torch.autograd.grad(out, inputs, g), torch.autograd.grad(ref, inputs, g)
    for a, b in zip(*grads, strict=True):
        assert torch.equal(a, b)


def test_channel_shift_extra_steps_equals_two_shifts():
    gen = torch.Generator().manual_seed(2)
    x = torch.randn(2, 6, 15, generator=gen).requires_grad_()
    d = (torch.rand(6, generator=gen) * 20).requires_grad_()
    g = torch.randn(2, 6, 15, generator=gen)
    ref = core.time.shift(core.time.shift(x, 1), d)
    out = _channel_shift(x, d, 1.0, 1)
    assert torch.equal(out, ref)
    grads = torch.autograd.grad(out, (x, d), g), torch.autograd.grad(ref, (x, d), g)
    for a, b in zip(*grads, strict=True):
        assert torch.equal(a, b)


def test_step_delay_equals_core_delay():
    x = torch.randn(2, 3, 4, 4, 6).requires_grad_()
    blk = slayer.block.cuba.Pool(dict(CUBA), 2)
    out = step_delay(blk, x)
    ref = core.time.delay(x, 1)
    assert torch.equal(out, ref)
    assert torch.equal(out[..., 1:], x[..., :-1]) and not out[..., 0].any()
    g = torch.randn_like(out)
    assert torch.equal(torch.autograd.grad(out, x, g)[0], torch.autograd.grad(ref, x, g)[0])


def test_block_fused_delays_equal_separate_delays():
    torch.manual_seed(0)
    blk = slayer.block.cuba.Dense(dict(CUBA), 40, 30, weight_norm=True, delay=True)
    x = (torch.rand(4, 40, 50) < 0.3).float()
    blk(x)
    blk.delay.delay.data = torch.rand(30) * 8
    separate = copy.deepcopy(blk)
    separate.delay.register_forward_hook(lambda m, i, o: None)  # a hook disables the fusion
    y1, y2 = blk(x), separate(x)
    assert torch.equal(y1, y2) and y1.sum() > 0
    g = torch.randn_like(y1)
    y1.backward(g)
    y2.backward(g)
    for (name, a), b in zip(blk.named_parameters(), separate.parameters(), strict=True):
        assert torch.equal(a.grad, b.grad), name
    assert blk.delay.delay.grad.abs().sum() > 0


@pytest.mark.parametrize("kernel, shape", [(2, (2, 3, 8, 6, 5)), ((3, 2), (2, 2, 9, 4, 3)),
                                           (1, (1, 2, 3, 3, 4))])
def test_pool_window_sum_equals_avg_pool(kernel, shape):
    gen = torch.Generator().manual_seed(3)
    pool = slayer.synapse.Pool(kernel)
    x = torch.randn(*shape, generator=gen).requires_grad_()
    k = (kernel, kernel) if isinstance(kernel, int) else kernel
    ref = torch.nn.functional.avg_pool3d(x, (*k, 1), (*k, 1), divisor_override=1)
    ref = ref * pool.hooked_weight().reshape(-1)[0]
    out = pool(x)
    assert out.shape == ref.shape and torch.equal(out, ref)
    g = torch.randn(ref.shape, generator=gen)
    assert torch.equal(torch.autograd.grad(out, x, g)[0], torch.autograd.grad(ref, x, g)[0])
