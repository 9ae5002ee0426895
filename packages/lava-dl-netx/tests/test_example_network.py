"""The example network that lava-dl-hdf5-spec generates deploys on the native runtime."""

from __future__ import annotations

import numpy as np

import lava.lib.dl.hdf5_spec as hs
from lava.lib.dl.netx import native


def test_example_network_runs_natively(tmp_path):
    path = tmp_path / "example.net"
    hs.write(hs.example_network(), path)
    net = native.Network(net_config=str(path))
    rng = np.random.default_rng(1)
    steps = 12
    x = (rng.random((1, 2, 8, 8, steps)) < 0.5).astype(np.int64)
    out = np.asarray(net.run(x))
    assert out.shape[-1] == steps
    assert out.size == 3 * steps
    assert np.all(np.isfinite(out))
    # deterministic: the same input gives the same output after a reset
    net.reset()
    again = np.asarray(net.run(x))
    np.testing.assert_array_equal(out, again)
