"""NaNGuard names the block whose output or gradient first becomes non-finite."""

import pytest
import torch

import lava.lib.dl.slayer as slayer
from lava.lib.dl.slayer.utils.guard import NaNGuard, NonFiniteError

PARAMS = {"threshold": 0.5, "current_decay": 0.25, "voltage_decay": 0.1}


class Chain(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.blocks = torch.nn.ModuleList([
            slayer.block.cuba.Dense(PARAMS, 4, 6, weight_scale=4),
            slayer.block.cuba.Dense(PARAMS, 6, 5, weight_scale=4),
            slayer.block.cuba.Dense(PARAMS, 5, 3, weight_scale=4),
        ])

    def forward(self, x):
        for b in self.blocks:
            x = b(x)
        return x


def _input():
    g = torch.Generator().manual_seed(3)
    return (torch.rand(2, 4, 12, generator=g) < 0.5).float()


def test_clean_network_passes_and_hooks_are_removed():
    torch.manual_seed(0)
    net = Chain()
    with NaNGuard(net) as guard:
        assert [n for n, _ in guard.blocks] == ["blocks.0", "blocks.1", "blocks.2"]
        net(_input()).sum().backward()
    assert all(not b._forward_hooks for b in net.blocks)


def test_forward_names_the_block_with_nan_weights():
    torch.manual_seed(0)
    net = Chain()
    with torch.no_grad():
        net.blocks[1].synapse.weight[0, 0] = float("nan")
    with NaNGuard(net), pytest.raises(NonFiniteError, match=r"synapse in block 'blocks\.1'.*input "
                                                            "was finite") as e:
        net(_input())
    assert e.value.block == "blocks.1"
    assert e.value.kind == "output"


def test_forward_blames_the_data_when_the_input_is_not_finite():
    torch.manual_seed(0)
    net = Chain()
    x = _input()
    x[0, 0, 0] = float("inf")
    with NaNGuard(net), pytest.raises(NonFiniteError, match="input was already not finite") as e:
        net(x)
    assert e.value.block == "blocks.0"


class _Sqrt(torch.nn.Module):
    def forward(self, x):
        return torch.sqrt(x)  # gradient Inf where x == 0


def test_backward_names_the_block_that_produced_the_nan_gradient():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(3, 4), _Sqrt(), torch.nn.Linear(4, 2))
    with torch.no_grad():
        net[0].weight.zero_()
        net[0].bias.zero_()  # sqrt input is exactly 0: forward finite, backward Inf
    out = net(torch.ones(2, 3))
    assert torch.isfinite(out).all()
    with NaNGuard(net) as guard:
        out = net(torch.ones(2, 3))
        with pytest.raises(NonFiniteError, match=r"backward of block '1'") as e:
            out.sum().backward()
        assert [n for n, _ in guard.blocks] == ["0", "1", "2"]
    assert e.value.block == "1"
    assert e.value.kind == "gradient"


def test_backward_names_a_slayer_block_with_a_nan_parameter_gradient():
    torch.manual_seed(0)
    net = Chain()
    x = _input()
    # a NaN surrogate-gradient scale in the middle block's neuron poisons its backward
    net.blocks[1].neuron.scale_rho = float("nan")
    assert torch.isfinite(net(x)).all()
    with NaNGuard(net), pytest.raises(NonFiniteError, match=r"'blocks\.1'") as e:
        net(x).sum().backward()
    assert e.value.block == "blocks.1"


def test_loss_gradient_and_disabled_guard():
    torch.manual_seed(0)
    net = Chain()
    guard = NaNGuard(net)
    with pytest.raises(NonFiniteError, match="the loss gives") as e:
        (net(_input()) * float("nan")).sum().backward()
    assert e.value.kind == "loss gradient"
    guard.enabled = False
    (net(_input()) * float("nan")).sum().backward()  # no check when disabled
    guard.remove()
