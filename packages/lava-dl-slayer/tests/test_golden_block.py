"""Blocks built as in lava-dl 0.6, loaded with its state dicts, give its outputs exactly.

The golden cases store lava-dl 0.6 ``state_dict``s (``sd.``, ``input_sd.``, ``conv_sd.``
prefixes): loading them strictly also proves the parameter names and shapes are compatible.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import lava.lib.dl.slayer as slayer


def _shared() -> Path:
    env = os.environ.get("LAVA_DL_SHARED")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3] / ".." / "shared"


GOLDEN = _shared() / "golden" / "lava-dl-0.6"
if not GOLDEN.is_dir():
    pytest.skip(f"shared golden folder absent: {GOLDEN}", allow_module_level=True)

CUBA = {"threshold": 1.25, "current_decay": 0.25, "voltage_decay": 0.03, "tau_grad": 0.03,
        "scale_grad": 3}
ALIF = {"threshold": 1.0, "threshold_step": 0.2, "current_decay": 0.25, "voltage_decay": 0.03,
        "threshold_decay": 0.1, "refractory_decay": 0.1}
SDNN = {"threshold": 0.1, "tau_grad": 0.5, "scale_grad": 1, "activation": F.relu}


def _load(case: str) -> dict[str, np.ndarray]:
    with np.load(GOLDEN / f"{case}.npz") as d:
        return {k: d[k] for k in d.files}


def _state(data: dict[str, np.ndarray], prefix: str) -> dict[str, torch.Tensor]:
    return {k[len(prefix):]: torch.from_numpy(v) for k, v in data.items() if k.startswith(prefix)}


def _check(block: torch.nn.Module, data: dict[str, np.ndarray], prefix: str) -> None:
    state = _state(data, prefix)
    result = block.load_state_dict(state, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    # every parameter of the block comes from the lava-dl state dict (same names and shapes)
    assert set(block.state_dict()) == set(state)
    for key, value in block.state_dict().items():
        assert tuple(value.shape) == tuple(state[key].shape), key


def _eq(out: torch.Tensor, ref: np.ndarray) -> None:
    out = out.detach().numpy()
    assert out.shape == ref.shape
    assert np.array_equal(out, ref), f"max |diff| = {np.abs(out - ref).max()}"


def test_manifest_calls_match_the_cases_built_here():
    manifest = json.loads((GOLDEN / "manifest.json").read_text())["cases"]
    assert "cuba.Dense" in manifest["block_cuba_dense_delay"]["call"]
    assert "delay=True" in manifest["block_cuba_dense_delay"]["call"]
    assert "Pool(p, 2, weight_scale=4)" in manifest["block_cuba_pool"]["call"]
    assert "alif.Dense" in manifest["block_alif_dense"]["call"]
    assert "sigma_delta.Conv(sd, 3, 8, 3, weight_scale=2)" in manifest[
        "block_sdnn_input_conv"]["call"]


def test_cuba_dense_delay():
    data = _load("block_cuba_dense_delay")
    block = slayer.block.cuba.Dense(CUBA, 64, 32, weight_scale=4, delay=True)
    _check(block, data, "sd.")
    _eq(block(torch.from_numpy(data["x"])), data["y"])


def test_cuba_conv():
    data = _load("block_cuba_conv")
    block = slayer.block.cuba.Conv(CUBA, 2, 8, 3, padding=1, weight_scale=4)
    _check(block, data, "sd.")
    _eq(block(torch.from_numpy(data["x"])), data["y"])


def test_cuba_pool():
    data = _load("block_cuba_pool")
    block = slayer.block.cuba.Pool(CUBA, 2, weight_scale=4)
    _check(block, data, "sd.")
    _eq(block(torch.from_numpy(data["x"])), data["y"])


def test_alif_dense():
    data = _load("block_alif_dense")
    block = slayer.block.alif.Dense(ALIF, 64, 32, weight_scale=4)
    _check(block, data, "sd.")
    _eq(block(torch.from_numpy(data["x"])), data["y"])


def test_sigma_delta_input_conv():
    data = _load("block_sdnn_input_conv")
    inp = slayer.block.sigma_delta.Input(SDNN)
    conv = slayer.block.sigma_delta.Conv(SDNN, 3, 8, 3, weight_scale=2)
    _check(inp, data, "input_sd.")
    _check(conv, data, "conv_sd.")
    y0 = inp(torch.from_numpy(data["x"]))
    _eq(y0, data["y0"])
    _eq(conv(y0), data["y1"])


def test_golden_blocks_export_before_and_after_forward_identically(tmp_path):
    """Export needs no forward pass: the description is the same before and after one."""
    data = _load("block_cuba_dense_delay")
    block = slayer.block.cuba.Dense(CUBA, 64, 32, weight_scale=4, delay=True)
    block.load_state_dict(_state(data, "sd."))
    before = block.export_layer()
    block(torch.from_numpy(data["x"]))
    after = block.export_layer()
    assert before == after, before.diff(after)
    assert np.array_equal(before.delay, np.floor(data["sd.delay.delay"]).astype(np.float32))
