"""slayer.utils: quantize, quantize_hook_fx, int_utils, utils.py helpers."""

from __future__ import annotations

import pytest
import torch

from lava.lib.dl.slayer import utils


def test_quantize_round_floor_and_straight_through():
    x = torch.tensor([-0.3, 0.24, 0.25, 0.76], requires_grad=True)
    y = utils.quantize(x, step=0.5)
    assert y.tolist() == [-0.5, 0.0, 0.0, 1.0]  # round half to even: 0.25/0.5 = 0.5 -> 0
    y.sum().backward()
    assert x.grad.tolist() == [1, 1, 1, 1]
    assert utils.quantize(x, 0.5, utils.QUANTIZE_MODE.FLOOR).tolist() == [-0.5, 0, 0, 0.5]
    with pytest.raises(ValueError, match="mode"):
        utils.quantize(x, 1, mode=7)


def test_quantize_is_callable_as_in_lava_dl():
    import lava.lib.dl.slayer.utils.quantize as qmod

    assert callable(utils.quantize) and callable(qmod)
    assert qmod(torch.tensor([1.4])).tolist() == [1.0]
    assert utils.QUANTIZE_MODE.FLOOR == 1 and utils.QUANTIZE_MODE.ROUND == 0


def test_quantize_hook_fx_range():  # spec §15 #48: [-512, 510] mantissas for num_bits=8
    x = torch.tensor([10.0, -10.0, 0.1])
    assert utils.quantize_hook_fx(x).tolist() == [7.96875, -8.0, 0.09375]
    assert utils.quantize_hook_fx(x, descale=True).tolist() == [510, -512, 6]


def test_right_shift_to_zero():
    x = torch.tensor([-4097, -4096, -1, 0, 1, 4095, 8193], dtype=torch.int64)
    assert utils.right_shift_to_zero(x, 12).tolist() == [-1, -1, 0, 0, 0, 0, 2]
    assert utils.right_shift_to_zero(x.to(torch.int32), 12).dtype == torch.int32
    with pytest.raises(TypeError, match="int32 or int64"):
        utils.right_shift_to_zero(torch.tensor([1.0]), 1)


def test_q2zero():
    x = torch.tensor([-1.7, 1.7], requires_grad=True)
    y = utils.Q2Zero.apply(x)
    assert y.tolist() == [-1, 1]
    y.sum().backward()
    assert x.grad.tolist() == [1, 1]


def test_dotdict_staticproperty():
    d = utils.dotdict(a=1)
    d.b = 2
    assert d.a == 1 and d["b"] == 2
    with pytest.raises(AttributeError):
        _ = d.c

    class K:
        @utils.staticproperty
        def name():  # noqa: N805
            return "k"

    assert K.name == "k"


def test_diagonal_mask():
    m = utils.diagonal_mask(4, 3)
    assert m.tolist() == [[1, 1, 0, 0], [1, 1, 1, 0], [0, 1, 1, 1], [0, 0, 1, 1]]
    assert torch.equal(utils.diagonal_mask(3, 1), torch.eye(3))
    with pytest.raises(ValueError):
        utils.diagonal_mask(3, 0)


def test_event_rate_excludes_first_step():
    x = torch.zeros(1, 2, 5)
    x[..., 0] = 1
    x[0, 0, 3] = 1
    assert utils.event_rate(x) == 1 / 8
    assert utils.event_rate(torch.ones(1, 2, 1)) == 1.0
