"""Fixed-point helpers: values from lava-dl 0.6 (spec Appendix A) and error handling."""

from __future__ import annotations

import pytest
import torch

from lava.lib.dl.core import fixed_point as fp


def test_scales():
    assert (fp.W_SCALE, fp.P_SCALE, fp.S_SCALE) == (64, 4096, 4096)


def test_quantize_round_half_even_and_straight_through():
    x = torch.tensor([0.5, 1.5, 2.5, -0.5, -1.25, 0.74], requires_grad=True)
    q = fp.quantize(x, 0.5)
    assert q.tolist() == [0.5, 1.5, 2.5, -0.5, -1.0, 0.5]
    r = fp.quantize(x, 1.0)
    assert r.tolist() == [0.0, 2.0, 2.0, -0.0, -1.0, 1.0]
    (r * torch.arange(6.0)).sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]


def test_quantize_floor_and_errors():
    x = torch.tensor([-0.1, 0.1, 0.99])
    assert fp.quantize(x, 1 / 64, mode="floor").tolist() == [-7 / 64, 6 / 64, 63 / 64]
    with pytest.raises(ValueError, match="unknown quantize mode"):
        fp.quantize(x, mode="ceil")
    with pytest.raises(ValueError, match="step must be > 0"):
        fp.quantize(x, 0)


def test_right_shift_to_zero():
    x = torch.tensor([-8193, -4096, -4095, -1, 0, 1, 4095, 4096, 8193], dtype=torch.int64)
    assert fp.right_shift_to_zero(x, 12).tolist() == [-2, -1, 0, 0, 0, 0, 0, 1, 2]
    assert fp.right_shift_to_zero(x.to(torch.int32), 12).dtype == torch.int32
    with pytest.raises(TypeError, match="int32 or int64"):
        fp.right_shift_to_zero(x.float(), 12)


def test_quantize_8bit_spec_values():
    w = torch.arange(-5.0, 6.0)
    assert fp.quantize_8bit(w).tolist() == [
        -4, -4, -3, -2, -1, 0, 1, 2, 3, 3.96875, 3.96875
    ]
    m = fp.quantize_8bit(w, descale=True)
    assert m.tolist() == [-256, -256, -192, -128, -64, 0, 64, 128, 192, 254, 254]
    fine = fp.quantize_8bit(torch.linspace(-4, 4, 1001), descale=True)
    assert bool((fine % 2 == 0).all())


def test_quantize_hook_quirk_range():
    x = torch.tensor([10.0, -10.0, 0.03])
    assert fp.quantize_hook(x).tolist() == [7.96875, -8.0, 0.03125]
    assert fp.quantize_hook(x, descale=True).tolist() == [510.0, -512.0, 2.0]


def test_threshold_quantization():
    assert fp.quantize_threshold(0.1) == 0.09375
    assert fp.quantize_threshold(1.25) * 64 == 80
    assert fp.quantize_threshold(-0.1) == -0.09375  # truncation toward zero


def test_to_from_fixed_truncate_toward_zero():
    x = torch.tensor([0.5, -0.5, 1 / 8192, -1 / 8192, 1.0001])
    assert fp.to_fixed(x).tolist() == [2048, -2048, 0, 0, 4096]
    assert fp.from_fixed(torch.tensor([2048, -1]), 4096).tolist() == [0.5, -1 / 4096]
