"""decolle imports nothing private from the other lava-dl distributions (parsed from the AST)."""

from __future__ import annotations

import ast
from pathlib import Path

import lava.lib.dl.decolle as pkg

OWN = "lava.lib.dl.decolle"


def _modules():
    root = Path(pkg.__file__).parent
    return sorted(root.rglob("*.py"))


def _private(dotted: str) -> bool:
    return any(part.startswith("_") for part in dotted.split("."))


def _problems(source: str, name: str) -> list[str]:
    tree = ast.parse(source)
    out = []
    external_aliases = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("lava.") and not alias.name.startswith(OWN):
                    if _private(alias.name):
                        out.append(f"{name}: import {alias.name}")
                    external_aliases.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            mod = node.module
            if mod.startswith("lava.") and not mod.startswith(OWN):
                if _private(mod):
                    out.append(f"{name}: from {mod} import ...")
                for alias in node.names:
                    if alias.name.startswith("_"):
                        out.append(f"{name}: from {mod} import {alias.name}")
                    external_aliases.add(alias.asname or alias.name)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            chain = []
            cur = node
            while isinstance(cur, ast.Attribute):
                chain.append(cur.attr)
                cur = cur.value
            if isinstance(cur, ast.Name) and cur.id in external_aliases:
                bad = [a for a in chain if a.startswith("_")]
                if bad:
                    out.append(f"{name}:{node.lineno}: {cur.id}.{'.'.join(reversed(chain))}")
    return out


def test_checker_catches_private_use():
    src = (
        "import lava.lib.dl.slayer as slayer\n"
        "from lava.lib.dl.slayer._export import write_layer\n"
        "from lava.lib.dl.hdf5_spec import _plugins\n"
        "x = slayer.block._something\n"
    )
    assert len(_problems(src, "demo")) == 3


def test_no_private_imports_from_other_distributions():
    problems = []
    mods = _modules()
    assert len(mods) >= 8
    for path in mods:
        problems += _problems(path.read_text(), path.name)
    assert problems == []
