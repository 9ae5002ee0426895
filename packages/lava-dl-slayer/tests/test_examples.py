"""The documented examples run (short versions) and learn."""

import importlib.util
import os
from pathlib import Path

import h5py
import pytest
import torch

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _shared() -> Path:
    env = os.environ.get("LAVA_DL_SHARED")
    return Path(env) if env else Path(__file__).resolve().parents[3] / ".." / "shared"


def _load(name):
    spec = importlib.util.spec_from_file_location(f"slayer_example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _check_net(path, num_layers):
    with h5py.File(path, "r") as f:
        assert sorted(f["layer"].keys(), key=int) == [str(i) for i in range(num_layers)]
        assert "format_version" in f.attrs  # a versioned (format 1.x) file


def test_xor_regression(tmp_path):
    result = _load("xor_regression").main(["--quick", "--no-progress", "--out", str(tmp_path)])
    assert result["final_loss"] < 0.25 * result["first_loss"]
    assert result["correct"] >= 3
    assert (tmp_path / "loss.txt").read_bytes().startswith(b"# Train")
    _check_net(tmp_path / "network.net", 4)


def test_oxford_regression(tmp_path):
    if not _shared().is_dir():
        pytest.skip("shared folder with the oxford data is absent")
    result = _load("oxford_regression").main(
        ["--quick", "--epochs", "4", "--steps", "500", "--no-progress", "--out", str(tmp_path)]
    )
    assert result["min_loss"] < result["first_loss"]
    assert (tmp_path / "raster.png").stat().st_size > 0
    _check_net(tmp_path / "network.net", 2)


def test_conv_events(tmp_path):
    result = _load("conv_events").main(
        [
            "--quick",
            "--epochs",
            "1",
            "--train-samples",
            "32",
            "--test-samples",
            "16",
            "--no-progress",
            "--out",
            str(tmp_path),
        ]  # fmt: skip
    )
    assert len(result["test_accuracy"]) == 1 and 0 <= result["test_accuracy"][0] <= 1
    _check_net(tmp_path / "network.net", 6)


def test_event_generator_directions():
    module = _load("conv_events")
    x, y = module.make_dataset(16, 32, seed=3)
    assert x.shape == (16, 2, 16, 16, 32) and set(y.tolist()) <= {0, 1, 2, 3}
    # the square enters pixels (ON) ahead of where it leaves them (OFF): for a rightward move the
    # mean column of ON events lies right of the mean column of OFF events, and so on
    cols = torch.arange(16.0)
    for i, label in enumerate(y.tolist()):
        on, off = x[i, 0].sum(-1), x[i, 1].sum(-1)  # (H, W)
        axis = 0 if label < 2 else 1  # sum over rows -> column profile, or over columns
        centre_on = (on.sum(axis) * cols).sum() / on.sum(axis).sum()
        centre_off = (off.sum(axis) * cols).sum() / off.sum(axis).sum()
        sign = 1 if label in (0, 2) else -1
        assert sign * (centre_on - centre_off) > 1, (label, centre_on, centre_off)


def _docs_dir() -> Path:
    return Path(__file__).resolve().parents[3] / "docs" / "slayer"


def _code_blocks(page: Path) -> list[str]:
    blocks, current = [], None
    for line in page.read_text().splitlines():
        if current is None and line.strip() == "```python":
            current = []
        elif current is not None and line.strip() == "```":
            blocks.append("\n".join(current))
            current = None
        elif current is not None:
            current.append(line)
    return blocks


@pytest.mark.parametrize("page", ["README.md", "index.md", "training.md", "io.md"])
def test_docs_snippets_run(page, tmp_path):
    if page == "README.md":
        path = Path(__file__).resolve().parents[1] / page
    else:
        path = _docs_dir() / page
    if not path.is_file():
        pytest.skip("docs folder not shipped with this distribution")
    blocks = _code_blocks(path)
    assert blocks, f"{page} has no python example"
    namespace = {"tmp_path": tmp_path, "__name__": f"docs_{page}"}
    for code in blocks:  # blocks of one page share a namespace, like a notebook
        exec(compile(code, str(path), "exec"), namespace)
