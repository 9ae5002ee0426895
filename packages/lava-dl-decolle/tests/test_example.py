"""The worked example (rate-coded digits; DECOLLE vs slayer end to end) runs at CI size."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

pytest.importorskip("sklearn")

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "digits.py"


def _load():
    spec = importlib.util.spec_from_file_location("decolle_digits_example", EXAMPLE)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_digits_example_quick(tmp_path, capsys):
    out = tmp_path / "digits.json"
    res = _load().main(["--quick", "--json", str(out)])
    assert json.loads(out.read_text()) == json.loads(json.dumps(res))
    d, e = res["decolle"], res["slayer_end_to_end"]
    # 384 samples / batch 32 = 12 batches x 2 epochs x (12 steps - 4 burn-in)
    assert d["optimizer_steps"] == 12 * 2 * 8
    assert e["optimizer_steps"] == 12 * 2
    assert len(d["test_accuracy_per_layer"]) == 2
    assert min(d["test_accuracy_per_layer"]) > 0.3  # chance is 0.1
    assert 0.0 <= e["test_accuracy"] <= 1.0
    assert "DECOLLE test accuracy per layer" in capsys.readouterr().out
