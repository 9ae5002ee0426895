"""``netx.modules``: host-side Quantize / Dequantize / FIFO (numpy only, no Lava needed)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from lava.lib.dl.netx.modules import FIFO, AbstractSeqModule, Dequantize, Quantize


def test_quantize_dequantize_round_trip():
    q, d = Quantize(6), Dequantize(6)
    x = np.array([[0.5, -1.25], [3.0, -0.015625]])
    m = q(x)
    assert m.dtype == np.int64 and m.tolist() == [[32, -80], [192, -1]]
    np.testing.assert_array_equal(d(m), x)
    assert q.time_step == 1 and d.time_step == 1


def test_dequantize_sign_extends_24_bits():
    d = Dequantize(18)
    raw = np.array([(1 << 24) - 3840, 361928, (1 << 24) + 5])  # hardware 24-bit registers
    np.testing.assert_array_equal(d(raw), np.array([-3840, 361928, 5]) / 2**18)
    with pytest.raises(ValueError, match="num_raw_bits"):
        Dequantize(0, num_raw_bits=0)


def test_fifo_delays_by_depth():
    f = FIFO(2)
    outs = [f(np.full(3, t)).tolist() for t in range(1, 5)]
    assert outs == [[0, 0, 0], [0, 0, 0], [1, 1, 1], [2, 2, 2]]
    assert FIFO(0)(np.array([7])).tolist() == [7]
    with pytest.raises(ValueError):
        FIFO(-1)


def test_post_forward_runs_in_background_and_is_joined():
    seen = []
    done = threading.Event()

    class Rec(AbstractSeqModule):
        def forward(self, x):
            return x * 2

        def post_forward(self, x, y):
            seen.append((x, y))
            done.set()

    m = Rec()
    assert m(3) == 6
    m(4)  # joins the first post_forward before running
    m.join()
    assert seen == [(3, 6), (4, 8)] and m.time_step == 2
