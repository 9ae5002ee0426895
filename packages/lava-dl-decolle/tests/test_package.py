"""Packaging facts of lava-dl-decolle: version single-sourced, typed, namespace intact."""

from __future__ import annotations

import importlib.metadata as md
from pathlib import Path

import lava.lib.dl.decolle as pkg


def test_version_matches_distribution_metadata():
    assert pkg.__version__ == md.version("lava-dl-decolle")


def test_package_is_typed_and_namespace_is_pep420():
    here = Path(pkg.__file__).parent
    assert (here / "py.typed").exists()
    import lava
    import lava.lib.dl

    assert getattr(lava, "__file__", None) is None
    assert getattr(lava.lib.dl, "__file__", None) is None
