"""The metapackage installs no code and declares the documented extras."""

from __future__ import annotations

import importlib.metadata as md
import importlib.util
import re

import pytest

EXPECTED = {
    "train": {"lava-dl-slayer", "lava-dl-bootstrap", "lava-dl-decolle"},
    "deploy": {"lava-dl-netx"},
}


def _requirements():
    try:
        reqs = md.requires("lava-dl") or []
    except md.PackageNotFoundError:
        pytest.skip("lava-dl is not installed in this environment (run through nox)")
    out: dict[str, set[str]] = {}
    for req in reqs:
        name = re.split(r"[\s\[<>=!~;]", req, maxsplit=1)[0]
        m = re.search(r"extra\s*==\s*['\"]([^'\"]+)['\"]", req)
        out.setdefault(m.group(1) if m else "", set()).add(name)
    return out


def test_extras_list_the_split_distributions():
    reqs = _requirements()
    assert reqs.get("", set()) == set(), "the bare metapackage must pull in nothing"
    for extra, dists in EXPECTED.items():
        assert reqs[extra] == dists
    assert reqs["all"] == set().union(*EXPECTED.values())


def test_sibling_pins_are_ranges_not_exact():
    for req in md.requires("lava-dl") or []:
        spec = req.split(";")[0]
        if spec.startswith("lava-dl-"):
            assert "==" not in spec and "<" in spec and ">=" in spec, req


def test_metapackage_has_no_code():
    dist = md.distribution("lava-dl")
    files = [str(f) for f in dist.files or []]
    assert not [f for f in files if f.endswith(".py")], files
    assert importlib.util.find_spec("lava_dl") is None
