"""The Python snippets of docs/bootstrap/*.md run (in page order, one namespace per page)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

pytest.importorskip("sklearn")


def docs_dir() -> Path:
    root = os.environ.get("LAVA_DL_DOCS")
    if root:
        return Path(root) / "bootstrap"
    return Path(__file__).resolve().parents[3] / "docs" / "bootstrap"


@pytest.mark.parametrize("page", ["index.md", "digits.md"])
def test_docs_snippets_run(page, tmp_path):
    path = docs_dir() / page
    if not path.exists():
        pytest.skip("docs folder not shipped with this distribution")
    blocks = re.findall(r"```python\n(.*?)```", path.read_text(), flags=re.S)
    namespace = {"tmp_path": tmp_path, "__name__": f"docs_{page}"}
    for code in blocks:
        exec(compile(code, f"{path}:snippet", "exec"), namespace)  # noqa: S102
