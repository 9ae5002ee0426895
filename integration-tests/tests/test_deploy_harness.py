"""The deploy harness itself (no torch): manifest errors, offsets, first-difference reports."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from lava.lib.dl import hdf5_spec as H

native = pytest.importorskip("lava.lib.dl.netx.native")

_spec = importlib.util.spec_from_file_location(
    "deploy_cases", Path(__file__).resolve().parents[1] / "deploy_cases.py")
deploy = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(deploy)

T = 30


def _case(folder: Path, *, offset: int = 0, flip: tuple[int, int] | None = None,
          shift: int = 0) -> None:
    """One dense CUBA case whose 'training output' is the native output shifted by ``shift``."""
    rng = np.random.default_rng(0)
    w = (rng.integers(-10, 40, size=(6, 12)) * 2).astype(np.float32)
    layer = H.DenseLayer(shape=(6,), in_features=12, out_features=6, weight=w,
                         neuron=H.Neuron(type="CUBA", params=dict(
                             iDecay=1024, vDecay=128, vThMant=80, refDelay=1,
                             gradedSpike=False)))
    H.write(H.NetworkDescription(layers=[layer]), folder / "c.net")
    x = (rng.random((12, T)) < 0.4).astype(np.int64)
    out = np.asarray(native.Network(folder / "c.net").run(x)).astype(np.int64)
    expected = np.zeros_like(out)
    expected[..., :T - shift] = out[..., shift:]
    if flip is not None:
        expected[flip] = 1 - expected[flip]
    np.savez(folder / "c.npz", input=x, layer0=expected)
    manifest = {"manifest_version": 1, "cases": [
        {"name": "c", "source": "test", "net": "c.net", "data": "c.npz", "graded": False,
         "steps": T, "input_shape": None,
         "layers": [{"index": 0, "key": "layer0", "offset": offset}]}]}
    (folder / "manifest.json").write_text(json.dumps(manifest))


def test_missing_manifest_fails(tmp_path, capsys):
    assert deploy.main([str(tmp_path), "--no-lava"]) == 2
    assert "no manifest" in capsys.readouterr().out


def test_zero_cases_fail(tmp_path, capsys):
    (tmp_path / "manifest.json").write_text(json.dumps({"manifest_version": 1, "cases": []}))
    assert deploy.main([str(tmp_path), "--no-lava"]) == 2
    assert "zero cases" in capsys.readouterr().out


def test_unknown_manifest_version_fails(tmp_path):
    (tmp_path / "manifest.json").write_text(json.dumps({"manifest_version": 99, "cases": []}))
    assert deploy.main([str(tmp_path), "--no-lava"]) == 2


def test_equal_case_passes(tmp_path):
    _case(tmp_path)
    assert deploy.main([str(tmp_path), "--no-lava"]) == 0


def test_mismatch_names_block_neuron_and_step(tmp_path, capsys):
    _case(tmp_path, flip=(3, 7))
    assert deploy.main([str(tmp_path), "--no-lava"]) == 1
    out = capsys.readouterr().out
    assert "block 0 on native" in out and "neuron (3,)" in out and "netx step 7" in out


def test_offset_is_applied(tmp_path):
    # netx step t + 1 == training step t: the 'training' output leads netx by one step
    _case(tmp_path, shift=1, offset=1)
    assert deploy.main([str(tmp_path), "--no-lava"]) == 0
    _case(tmp_path, shift=1, offset=0)
    assert deploy.main([str(tmp_path), "--no-lava"]) == 1


def test_first_difference_and_aligned():
    a = np.zeros((2, 3, 5), int)
    b = a.copy()
    assert deploy.first_difference(a, b) is None
    b[1, 2, 3] = 1
    b[0, 0, 4] = 1
    assert deploy.first_difference(a, b) == ((1, 2), 3)
    n, t, t0 = deploy.aligned(np.arange(5), np.arange(5) + 2, -2)
    assert np.array_equal(n, [0, 1, 2]) and np.array_equal(t, [4, 5, 6]) and t0 == 0
