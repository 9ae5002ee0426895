"""``netx.utils``: the Loihi dense weight representation (bugs B1-B3) and ``NetDict`` (B10, B14).

These tests need no Lava except where marked: Lava's own weight clipping and truncation
(``lava.utils.weightutils``) is then used as the oracle of what its ``Dense`` model does.
"""

from __future__ import annotations

import warnings

import h5py
import numpy as np
import pytest

from lava.lib.dl.netx.utils import NetDict, SignMode, optimize_weight_bits


def _lava_like_synapse(opt, s: np.ndarray) -> np.ndarray:
    """What Lava's fixed-point Dense delivers (netx.md §2.4): sign mode from W', clip to 8 bits
    (+ sign), zero the ``8 - bits + mixed`` low bits, accumulate, shift by the exponent."""
    w = opt.weight.astype(np.int64)
    if w.min() >= 0:
        lo, hi, mixed, neg = 0, 255, 0, False
    elif w.max() <= 0:
        lo, hi, mixed, neg = 0, 255, 0, True
    else:
        lo, hi, mixed, neg = -256, 255, 1, False
    m = -w if neg else w
    m = np.clip(m, lo, hi)
    n = 8 - opt.num_weight_bits + mixed
    m = (m >> n) << n
    w = -m if neg else m
    acc = w @ s
    e = opt.weight_exponent
    return acc << e if e > 0 else acc >> -e


CASES = {
    "mixed_even": np.array([[-256, 254, 2], [0, -8, 6]]),
    "all_negative_b1": np.array([[-2, -4, -6, -8]]),
    "all_positive_above_255_b2": np.array([[300, 2, 64], [10, 0, 12]]),
    "small_positive": np.array([[2, 4], [6, 0]]),
    "odd_mixed": np.array([[-3, 5, 7], [1, -1, 0]]),
    "single_large_negative": np.array([[-1000, -24]]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_optimized_weights_are_lossless(name):
    w = CASES[name]
    opt = optimize_weight_bits(w)
    rng = np.random.default_rng(0)
    for _ in range(5):
        s = rng.integers(0, 2, size=w.shape[1])
        np.testing.assert_array_equal(_lava_like_synapse(opt, s), w @ s)
    assert opt.weight.dtype == np.int32 and 1 <= opt.num_weight_bits <= 8


def test_b1_all_negative_weights_are_exact_and_legacy_reproduces_the_bug():
    w = np.array([[-2, -4, -6, -8]])
    s = np.ones(4, dtype=int)
    assert _lava_like_synapse(optimize_weight_bits(w), s)[0] == -20
    legacy = optimize_weight_bits(w, legacy=True)
    # lava-dl 0.6: -8 acts as -6 (the total is -18 instead of -20 at this scale)
    assert _lava_like_synapse(legacy, s)[0] != -20
    assert optimize_weight_bits(w).sign_mode is SignMode.INHIBITORY


def test_b2_all_positive_above_255_is_not_zeroed():
    w = np.array([[300, 2, 64]])
    opt = optimize_weight_bits(w)
    assert opt.weight.any()
    assert _lava_like_synapse(opt, np.ones(3, dtype=int))[0] == 366
    assert not optimize_weight_bits(w, legacy=True).weight.any()  # the lava-dl 0.6 bug


def test_b3_all_zero_matrix():
    opt = optimize_weight_bits(np.zeros((3, 4)))
    assert not opt.weight.any() and opt.weight.shape == (3, 4)
    with pytest.raises(OverflowError):
        optimize_weight_bits(np.zeros((3, 4)), legacy=True)


def test_unrepresentable_weights_warn():
    with pytest.warns(UserWarning, match="8 bits"):
        optimize_weight_bits(np.array([[1001, -3]]))


def test_legacy_matches_spec_example_for_writer_weights():
    w = np.array([[-256, 254, 2]])
    new, old = optimize_weight_bits(w), optimize_weight_bits(w, legacy=True)
    s = np.array([1, 1, 1])
    assert _lava_like_synapse(new, s)[0] == _lava_like_synapse(old, s)[0] == 0


def test_against_lava_weightutils():
    wu = pytest.importorskip("lava.utils.weightutils", reason="needs lava-nc")
    rng = np.random.default_rng(3)
    checked = 0
    for _ in range(80):
        shape = (int(rng.integers(1, 6)), int(rng.integers(1, 6)))
        lo, hi = sorted(rng.integers(-130, 130, size=2) * 2)
        w = rng.integers(lo, hi + 1, size=shape) * int(rng.choice([1, 2, 4]))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            opt = optimize_weight_bits(w)
        if caught:  # not representable in 8 bits: lossy by design (and said so)
            continue
        checked += 1
        mode = wu.determine_sign_mode(opt.weight)
        got = wu.truncate_weights(wu.clip_weights(opt.weight, mode, num_bits=8), mode,
                                  opt.num_weight_bits)
        np.testing.assert_array_equal(got, opt.weight)
        s = rng.integers(0, 2, size=shape[1])
        e = opt.weight_exponent
        acc = got.astype(np.int64) @ s
        np.testing.assert_array_equal(acc << e if e > 0 else acc >> -e, w @ s)
    assert checked > 30


@pytest.fixture
def h5file(tmp_path):
    path = tmp_path / "n.net"
    with h5py.File(path, "w") as f:
        g = f.create_group("layer/0")
        g.create_dataset("type", data=np.array([b"dense"], dtype="S10"))
        g.create_dataset("weight", data=np.array([[1.7, -2.9]], dtype=np.float32))
        n = g.create_group("neuron")
        n.create_dataset("messageBits", data=np.int64(16))
        n.create_dataset("sigma_output", data=True)
        n.create_dataset("type", data="SDNN", dtype=h5py.string_dtype())
    return path


def test_netdict_values_and_closing(h5file):
    with NetDict(h5file) as d:
        layer = d["layer"][0]
        assert layer["type"] == "dense"
        np.testing.assert_array_equal(layer["weight"], [[1, -2]])  # truncation toward zero
        assert layer["neuron"]["messageBits"] == 16  # B10: a value, not a wrapper
        assert layer["neuron"]["sigma_output"] is np.True_ or layer["neuron"]["sigma_output"]
        assert layer["neuron"]["type"] == "SDNN"
        assert "neuron" in layer and len(d["layer"]) == 1
        with pytest.raises(NotImplementedError):
            d["x"] = 1
        f = d.f
    assert not f.id.valid  # B14: the file is closed
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        d = NetDict(h5file)
        d.close()
        d.close()


def test_netdict_errors(tmp_path):
    bad = tmp_path / "bad.net"
    bad.write_bytes(b"not an hdf5 file")
    with pytest.raises(OSError, match="bad.net"):
        NetDict(bad)
    with pytest.raises(ValueError, match="read-only"):
        NetDict(bad, mode="w")
