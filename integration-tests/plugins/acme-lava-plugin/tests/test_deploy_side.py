"""Deploy side of the plugin (no torch): netx finds the acme/gain_dense loader by entry point."""

from __future__ import annotations

import importlib.metadata as md
import subprocess
import sys

import numpy as np
import pytest

from lava.lib.dl import hdf5_spec as H

netx_native = pytest.importorskip("lava.lib.dl.netx.native")

CUBA = dict(iDecay=1024, vDecay=128, vThMant=80, refDelay=1, gradedSpike=False)


def _gain_file(path, weight, gain):
    layer = H.GenericLayer(type="gain_dense", namespace="acme", shape=(weight.shape[0],),
                           neuron=H.Neuron(type="CUBA", params=dict(CUBA)),
                           fields={"weight": weight.astype(np.float32),
                                   "gain": np.asarray([gain]),
                                   "inFeatures": np.asarray([weight.shape[1]]),
                                   "outFeatures": np.asarray([weight.shape[0]])})
    H.write(H.NetworkDescription(layers=[layer]), path)
    return path


def _plain_file(path, weight):
    layer = H.DenseLayer(shape=(weight.shape[0],), in_features=weight.shape[1],
                         out_features=weight.shape[0], weight=weight.astype(np.float32),
                         neuron=H.Neuron(type="CUBA", params=dict(CUBA)))
    H.write(H.NetworkDescription(layers=[layer]), path)
    return path


@pytest.fixture
def weights():
    rng = np.random.default_rng(0)
    return (rng.integers(-20, 40, size=(6, 12)) * 2).astype(np.float32)


@pytest.fixture
def spikes():
    return (np.random.default_rng(1).random((12, 30)) < 0.4).astype(np.int64)


def test_loader_registered_by_entry_point_only():
    eps = [ep for ep in md.entry_points(group="lava.lib.dl.netx.loaders")
           if ep.name == "acme/gain_dense"]
    assert len(eps) == 1 and eps[0].dist.name == "acme-lava-plugin"


def test_gain_dense_runs_as_dense_of_gain_times_weight(tmp_path, weights, spikes):
    got = netx_native.Network(_gain_file(tmp_path / "g.net", weights, 3)).run(spikes)
    ref = netx_native.Network(_plain_file(tmp_path / "d.net", 3 * weights)).run(spikes)
    assert ref.sum() > 0 and np.array_equal(got, ref)
    other = netx_native.Network(_gain_file(tmp_path / "g1.net", weights, 1)).run(spikes)
    assert not np.array_equal(other, got)  # the gain is applied, not ignored


def test_out_of_range_gain_is_refused(tmp_path, weights):
    with pytest.raises(ValueError, match="8-bit range"):
        netx_native.Network(_gain_file(tmp_path / "big.net", weights, 40))


def test_disabled_plugin_gives_clear_error(tmp_path, weights):
    path = _gain_file(tmp_path / "g.net", weights, 2)
    code = ("import sys\nfrom lava.lib.dl.netx.native import Network\n"
            "try:\n    Network(sys.argv[1])\nexcept Exception as e:\n"
            "    print(type(e).__name__, e)\nelse:\n    print('LOADED')\n")
    env_run = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                             text=True, env={**__import__("os").environ,
                                             "LAVA_DL_DISABLE_PLUGINS": "acme-lava-plugin"})
    msg = env_run.stdout + env_run.stderr
    assert "LOADED" not in msg
    assert "acme/gain_dense" in msg, msg


@pytest.mark.skipif(pytest.importorskip("importlib").util.find_spec("lava.magma") is None,
                    reason="Lava (lava-nc, Python 3.10) is not installed")
def test_lava_backend_equals_native(tmp_path, weights, spikes):
    from lava.lib.dl.netx import hdf5
    from lava.lib.dl.netx.native import from_lava_layout, to_lava_layout

    path = _gain_file(tmp_path / "g.net", weights, 2)
    out = hdf5.run_network(hdf5.Network(str(path)), to_lava_layout(spikes, 1))
    nat = netx_native.Network(path).run(spikes)
    assert nat.sum() > 0 and np.array_equal(from_lava_layout(np.asarray(out), 1), nat)
