"""The worked example (examples/digits.py) runs in its quick form and reports every figure."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

pytest.importorskip("sklearn")

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "digits.py"


def load_example():
    spec = importlib.util.spec_from_file_location("bootstrap_digits_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_digits_example_quick(tmp_path, capsys):
    example = load_example()
    out = tmp_path / "r.json"
    result = example.main(["--quick", "--json", str(out)])
    printed = capsys.readouterr().out
    assert "bootstrap: ANN" in printed and "slayer in the same" in printed
    saved = json.loads(out.read_text())
    assert saved["bootstrap"]["epochs"] == 2 and saved["slayer"]["epochs"] == 1
    b = result["bootstrap"]
    for key in ("ann_accuracy", "snn16_accuracy", "snn32_accuracy"):
        assert 0.3 < b[key] <= 1.0, key
    assert len(b["history"]["snn16"]) == 2 and len(b["history"]["ann"]) == 2
    assert result["epochs_to_target"]["bootstrap"] <= 2


def test_example_helpers():
    example = load_example()
    assert example.epochs_to([0.5, 0.8, 0.9], 0.8) == 2
    assert example.epochs_to([0.5], 0.8) is None
    assert example.at_time([1.0, 2.0, 3.0], [0.1, 0.2, 0.3], 2.5) == (0.2, 2)
    assert example.at_time([5.0], [0.4], 1.0) == (0.4, 1)
