"""Helpers for tests of this and the sibling distributions (no pytest needed to import).

- :func:`shared_dir` finds the ``shared/`` data folder beside the repository (or the folder named
  by ``LAVA_DL_SHARED``).
- :func:`reference_net_paths` lists the lava-dl 0.6 ``.net`` files under ``reference-nets/``.
- :func:`legacy_view` reads a file the way lava-dl 0.6's netx reader (``NetDict``) does, with raw
  h5py: layers by ``str(i)``, ``type`` decoded from element 0 of its array, weights and biases
  truncated to integers. It is used to prove that files written by :func:`write` stay loadable by
  lava-dl 0.6.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import h5py
import numpy as np

__all__ = ["SHARED_ENV", "legacy_view", "reference_net_paths", "shared_dir"]

#: Environment variable overriding the location of the shared data folder.
SHARED_ENV = "LAVA_DL_SHARED"


def shared_dir(anchor: str | os.PathLike | None = None) -> Path | None:
    """The shared data folder, or ``None`` when it is absent.

    Parameters
    ----------
    anchor : path, optional
        A file inside the repository (a test's ``__file__``); the repository root is the first
        parent that holds ``noxfile.py``, and the folder is ``<root>/../shared``.
    """
    env = os.environ.get(SHARED_ENV)
    if env:
        path = Path(env)
        return path if path.is_dir() else None
    start = Path(anchor).resolve() if anchor is not None else Path(__file__).resolve()
    for parent in [start, *start.parents]:
        if (parent / "noxfile.py").is_file():
            path = (parent / ".." / "shared").resolve()
            return path if path.is_dir() else None
    return None


def reference_net_paths(anchor: str | os.PathLike | None = None) -> list[Path]:
    """Every ``*.net`` under ``<shared>/reference-nets`` (sorted), or ``[]`` when absent."""
    root = shared_dir(anchor)
    if root is None or not (root / "reference-nets").is_dir():
        return []
    return sorted((root / "reference-nets").rglob("*.net"))


_INT_KEYS = ("weight", "weight_rec", "bias", "weight/real", "weight/imag")


def _decode(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("ascii")
    return value


def legacy_view(path: str | os.PathLike) -> list[dict[str, Any]]:
    """Read ``path`` the way lava-dl 0.6's netx does; one dict per layer.

    Each dict maps ``'type'`` to the decoded string, weight-like keys to integer arrays
    (``astype(int)``, truncating), ``'neuron'`` to a dict of raw values (strings decoded), and
    every other dataset to its raw value. HDF5 attributes are ignored, as netx ignores them.
    """
    out = []
    with h5py.File(path, "r") as f:
        layers = f["layer"]
        for i in range(len(layers)):
            g = layers[str(i)]
            entry: dict[str, Any] = {}
            t = g["type"][()]
            entry["type"] = _decode(t[0] if np.ndim(t) else t)
            for key in g:
                if key == "type":
                    continue
                obj = g[key]
                if key == "neuron":
                    entry["neuron"] = {k: _decode(obj[k][()]) for k in obj}
                elif isinstance(obj, h5py.Group):
                    for sub in obj:
                        entry[f"{key}/{sub}"] = obj[sub][()].astype(int).copy()
                elif key in _INT_KEYS:
                    entry[key] = obj[()].astype(int).copy()
                else:
                    entry[key] = obj[()]
            out.append(entry)
    return out
