"""Training side of the plugin: GainDense forward, export through the entry point, errors."""

from __future__ import annotations

import importlib.metadata as md
import os
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")
slayer = pytest.importorskip("lava.lib.dl.slayer")

from acme_lava_plugin.block import GainDense  # noqa: E402

from lava.lib.dl import hdf5_spec as H  # noqa: E402

CUBA = {"threshold": 1.0, "current_decay": 0.25, "voltage_decay": 0.03}


def _blocks(gain=2):
    torch.manual_seed(0)
    return [slayer.block.cuba.Dense(CUBA, 24, 16), GainDense(CUBA, 16, 8, gain=gain,
                                                             weight_scale=0.5)]


def test_exporter_registered_by_entry_point_only():
    eps = [ep for ep in md.entry_points(group="lava.lib.dl.exporters")
           if ep.name == "acme/gain_dense"]
    assert len(eps) == 1 and eps[0].dist.name == "acme-lava-plugin"


def test_gain_scales_the_synaptic_input():
    torch.manual_seed(0)  # the weights: unseeded, some draws leave both blocks silent
    g1 = GainDense(CUBA, 4, 3, gain=1, delay_shift=False)
    g3 = GainDense(CUBA, 4, 3, gain=3, delay_shift=False)
    g3.load_state_dict(g1.state_dict())
    x = (torch.rand(1, 4, 30, generator=torch.Generator().manual_seed(0)) < 0.5).float()
    with torch.no_grad():
        ref = g1.neuron(3 * g1.synapse(x))
        y1, y3 = g1(x), g3(x)
    assert torch.equal(y3, ref) and y3.sum() > y1.sum()
    with pytest.raises(ValueError, match="positive integer"):
        GainDense(CUBA, 4, 3, gain=0)


def test_export_writes_acme_layer(tmp_path):
    blocks = _blocks()
    x = (torch.rand(1, 24, 20) < 0.3).float()
    with torch.no_grad():
        blocks[1](blocks[0](x))
    path = tmp_path / "p.net"
    slayer.block.export_network(blocks, path, input_shape=(24,))
    back = H.read(path)
    layer = back.layers[1]
    assert layer.key == "acme/gain_dense"
    assert "acme" in back.namespaces
    assert int(np.asarray(layer.fields["gain"]).reshape(-1)[0]) == 2
    w = blocks[1].synapse.pre_hook_fx(blocks[1].synapse.weight, descale=True)
    np.testing.assert_array_equal(np.asarray(layer.fields["weight"]).reshape(8, 16),
                                  w.detach().reshape(8, 16).numpy())


def test_export_without_plugin_names_the_key(tmp_path):
    code = ("import sys, torch\nfrom lava.lib.dl import slayer\n"
            "from acme_lava_plugin.block import GainDense\n"
            "b=GainDense({'threshold':1.0,'current_decay':0.25,'voltage_decay':0.03},4,3)\n"
            "try:\n    slayer.block.export_network([b], sys.argv[1], input_shape=(4,))\n"
            "except Exception as e:\n    print(type(e).__name__, e)\nelse:\n    print('WROTE')\n")
    run = subprocess.run([sys.executable, "-c", code, str(tmp_path / "x.net")],
                         capture_output=True, text=True,
                         env={**os.environ, "LAVA_DL_DISABLE_PLUGINS": "acme-lava-plugin"})
    msg = run.stdout + run.stderr
    assert "WROTE" not in msg
    assert "acme/gain_dense" in msg, msg
