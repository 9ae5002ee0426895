"""Ceil-mode pool layers (slayer pools sizes that are not a multiple of the stride by padding the
input with zeros at the bottom and right up to whole windows; hdf5 format rule)."""

import numpy as np
import pytest

from lava.lib.dl import hdf5_spec as H
from lava.lib.dl.netx import _loaders as L
from lava.lib.dl.netx.native import Network

SDNN_IN = H.Neuron(type="SDNN", params={"vThMant": 0})
SIGMA = H.Neuron(type="SDNN", params={"sigma_output": True})


def pool_net(hw=(7, 5), out=(4, 3), kernel=(2, 2), stride=None, padding=(0, 0)):
    return H.NetworkDescription(layers=[
        H.InputLayer(shape=(2, *hw), neuron=SDNN_IN),
        H.PoolLayer(shape=(2, *out), neuron=SIGMA, kernel_size=kernel,
                    stride=kernel if stride is None else stride, padding=padding,
                    dilation=(1, 1), weight=np.array(3.0, np.float32)),
    ])


def test_ceil_mode_size_sets_the_end_padding():
    syn = L.build_plan(pool_net()).layers[1].synapse
    assert syn.pad_end == (1, 1) and syn.out_shape == (2, 4, 3)
    floor = L.build_plan(pool_net(hw=(8, 6), out=(4, 3))).layers[1].synapse
    assert floor.pad_end == (0, 0)


def test_a_size_neither_floor_nor_ceil_is_refused():
    with pytest.raises(L.LoaderError, match=r"layer 1 .*computed output shape \(2, 3, 2\)"):
        L.build_plan(pool_net(out=(5, 3)))


def _expected(x, kernel=2):
    """Sum pooling of the zero-padded input, weight 3, Sigma readout (accumulates)."""
    c, h, w, t = x.shape
    ho, wo = -(-h // kernel), -(-w // kernel)
    xp = np.zeros((c, ho * kernel, wo * kernel, t), np.int64)
    xp[:, :h, :w] = x
    pooled = 3 * xp.reshape(c, ho, kernel, wo, kernel, t).sum((2, 4))
    a = np.zeros_like(pooled)
    a[..., 1:] = pooled[..., :-1]  # one step of latency
    return np.cumsum(a, axis=-1)


def test_native_ceil_pool_equals_zero_padded_sum_pooling():
    rng = np.random.default_rng(0)
    x = rng.integers(-50, 50, (2, 7, 5, 6))
    net = Network(pool_net())
    _, pr = net.run(x, target="neuron", probes={"s": (0, "s")})
    want = _expected(pr["s"])
    got = Network(pool_net()).run(x, target="neuron")
    assert np.abs(pr["s"]).sum() > 0 and np.array_equal(got, want)
    assert np.array_equal(Network(pool_net()).run(x, target="neuron", stepwise=True), want)


def test_lava_ceil_pool_equals_native():
    pytest.importorskip("lava.magma", reason="the Lava backend needs lava-nc (Python 3.10)")
    from lava.lib.dl.netx import hdf5
    from lava.lib.dl.netx.native import to_lava_layout

    rng = np.random.default_rng(1)
    x = rng.integers(-50, 50, (2, 7, 5, 5))
    native = Network(pool_net()).run(x, target="neuron")
    lava = hdf5.run_network(hdf5.Network(pool_net()), to_lava_layout(x, 3), target="neuron")
    assert np.array_equal(lava, to_lava_layout(native, 3))
