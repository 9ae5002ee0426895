"""Fixed-point operations of the native runtime against their definitions."""

import numpy as np
import pytest

from lava.lib.dl.netx.native import _ops as ops


def naive_conv2d(x, w, stride, padding, dilation, groups):
    """Direct definition of torch's conv2d (correlation) with Python loops."""
    b, c_in, h, wd = x.shape
    c_out, c_in_g, kh, kw = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    xp = np.zeros((b, c_in, h + 2 * ph, wd + 2 * pw), dtype=np.int64)
    xp[:, :, ph:ph + h, pw:pw + wd] = x
    ho = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    wo = (wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((b, c_out, ho, wo), dtype=np.int64)
    per = c_out // groups
    for o in range(c_out):
        g = o // per
        for i in range(c_in_g):
            ci = g * c_in_g + i
            for y in range(ho):
                for z in range(wo):
                    for p in range(kh):
                        for q in range(kw):
                            out[:, o, y, z] += (
                                w[o, i, p, q] * xp[:, ci, y * sh + p * dh, z * sw + q * dw]
                            )
    return out


def naive_conv_transpose2d(x, w, stride, padding, dilation, groups):
    """Direct scatter definition of torch's conv_transpose2d (output padding 0)."""
    b, c_in, h, wd = x.shape
    _, c_out_g, kh, kw = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    ho = (h - 1) * sh + dh * (kh - 1) + 1
    wo = (wd - 1) * sw + dw * (kw - 1) + 1
    full = np.zeros((b, c_out_g * groups, ho, wo), dtype=np.int64)
    per_in = c_in // groups
    for ci in range(c_in):
        g = ci // per_in
        for j in range(c_out_g):
            co = g * c_out_g + j
            for y in range(h):
                for z in range(wd):
                    for p in range(kh):
                        for q in range(kw):
                            full[:, co, y * sh + p * dh, z * sw + q * dw] += (
                                w[ci, j, p, q] * x[:, ci, y, z]
                            )
    return full[:, :, ph:ho - ph, pw:wo - pw]


def test_rtz_shift_matches_sign_magnitude_definition():
    rng = np.random.default_rng(0)
    x = rng.integers(-(1 << 40), 1 << 40, 10_000)
    x[:4] = [-1, 1, -4096, -4097]
    for k in (1, 6, 12):
        expect = np.sign(x) * (np.abs(x) >> k)
        assert np.array_equal(ops.rtz_shift(x, k), expect)
    assert ops.rtz_shift(np.array([-1]), 12)[0] == 0  # toward zero, not floor (-1)


@pytest.mark.parametrize("d", [0, 1, 415, 4095, 4096])
def test_decay_definition_and_special_cases(d):
    x = np.arange(-5000, 5000, 7, dtype=np.int64)
    expect = np.sign(x * (4096 - d)) * (np.abs(x * (4096 - d)) >> 12)
    got = ops.decay(x, d)
    assert np.array_equal(got, expect)
    got[0] = 12345  # never aliases the input
    assert x[0] == -5000


def test_wrap_current_is_lavas_single_wrap():
    m = 1 << 23
    x = np.array([m, m + 1, m + 5, -m, -m + 1, -m - 3, 0, 3 * m], dtype=np.int64)
    got = ops.wrap_current(x)
    # -2**23 itself is wrapped to +2**23 by the second test (as Lava does)
    assert got.tolist() == [m, -m + 1, -m + 5, m, -m + 1, m - 3, 0, m]


def test_clip_and_signed_wrap():
    lim = (1 << 23) - 1
    x = np.array([lim + 1, -lim - 1, 5, -5], dtype=np.int64)
    assert ops.clip_state(x).tolist() == [lim, -lim, 5, -5]
    y = np.array([1 << 23, -(1 << 23) - 1, (1 << 23) - 1, 7], dtype=np.int64)
    assert ops.wrap_signed(y, 24).tolist() == [-(1 << 23), (1 << 23) - 1, (1 << 23) - 1, 7]


def test_shift_both_directions():
    x = np.array([-5, 5], dtype=np.int64)
    assert ops.shift(x, 2).tolist() == [-20, 20]
    assert ops.shift(x, -1).tolist() == [-3, 2]  # arithmetic (floor)


@pytest.mark.parametrize("scale", [1, 1 << 20, 1 << 45])
def test_matmul_exact_in_every_dtype_regime(scale):
    rng = np.random.default_rng(1)
    w = rng.integers(-256, 255, (30, 50))
    x = rng.integers(-scale, scale + 1, (4, 50))
    ew = ops.ExactWeights(w)
    expected_dtype = {1: np.float32, 1 << 20: np.float64, 1 << 45: np.int64}[scale]
    assert ew.dtype_for(int(np.abs(x).max())) is expected_dtype
    assert np.array_equal(ops.matmul_exact(x, ew), x @ w.T)


def test_matmul_exact_is_exact_where_float32_would_round():
    w = np.array([[1 << 20, 1]], dtype=np.int64)
    x = np.array([[16, 1]], dtype=np.int64)  # 2**24 + 1 is not a float32
    assert ops.matmul_exact(x, ops.ExactWeights(w))[0, 0] == (1 << 24) + 1


@pytest.mark.parametrize("seed", range(12))
def test_conv2d_and_transpose_match_naive_loops(seed):
    rng = np.random.default_rng(seed)
    groups = int(rng.choice([1, 2]))
    c_in, c_out = groups * int(rng.integers(1, 3)), groups * int(rng.integers(1, 3))
    kh, kw = (int(v) for v in rng.integers(1, 4, 2))
    stride = tuple(int(v) for v in rng.integers(1, 3, 2))
    dilation = tuple(int(v) for v in rng.integers(1, 3, 2))
    padding = tuple(int(v) for v in rng.integers(0, 2, 2))
    x = rng.integers(-300, 300, (2, c_in, 7, 8))
    w = rng.integers(-256, 255, (c_out, c_in // groups, kh, kw))
    got = ops.conv2d(x, ops.ConvKernel(w, groups), stride, padding, dilation)
    assert np.array_equal(got, naive_conv2d(x, w, stride, padding, dilation, groups))
    wt = rng.integers(-256, 255, (c_in, c_out // groups, kh, kw))
    pad_t = tuple(min(p, d * (k - 1)) for p, d, k in zip(padding, dilation, (kh, kw),
                                                         strict=True))
    kt = ops.ConvKernel(ops.transpose_kernel(wt, groups), groups)
    got = ops.conv_transpose2d(x, kt, stride, pad_t, dilation)
    assert np.array_equal(got, naive_conv_transpose2d(x, wt, stride, pad_t, dilation, groups))


def test_conv2d_rejects_channel_mismatch():
    k = ops.ConvKernel(np.ones((2, 3, 1, 1), dtype=np.int64))
    with pytest.raises(ValueError, match="channels"):
        ops.conv2d(np.zeros((1, 4, 3, 3), dtype=np.int64), k)


@pytest.mark.parametrize("shape", [(3, 1), (1, 7), (5, 4, 3, 9), (2, 300, 700)])
def test_time_first_is_a_contiguous_moveaxis(shape):
    x = np.random.default_rng(1).integers(-9, 9, shape)
    for src in (x, x[..., ::-1], np.asfortranarray(x)):
        got = ops.time_first(src)
        assert got.flags.c_contiguous and got.dtype == src.dtype
        assert np.array_equal(got, np.moveaxis(src, -1, 0))


@pytest.mark.parametrize("seed", range(6))
def test_conv2d_plan_equals_conv2d(seed):
    rng = np.random.default_rng(seed)
    groups = int(rng.choice([1, 2]))
    c_in, c_out = 2 * groups, 3 * groups
    k = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    s, p = (int(rng.integers(1, 3)), 2), (int(rng.integers(0, 2)), 1)
    d = (1, int(rng.integers(1, 3)))
    w = rng.integers(-255, 256, (c_out, c_in // groups, *k))
    kern = ops.ConvKernel(w, groups)
    for x, absmax in ((rng.integers(0, 2, (2, c_in, 9, 11)).astype(bool), 1),
                      (rng.integers(-(1 << 20), 1 << 20, (3, c_in, 9, 11)), 1 << 20),
                      (rng.integers(-(1 << 40), 1 << 40, (1, c_in, 9, 11)), 1 << 40)):
        plan = ops.Conv2dPlan(x.shape, kern, s, p, d, absmax)
        want = naive_conv2d(x.astype(np.int64), w, s, p, d, groups)
        assert np.array_equal(plan(x), want)
        assert np.array_equal(plan(x), ops.conv2d(x, kern, s, p, d))
