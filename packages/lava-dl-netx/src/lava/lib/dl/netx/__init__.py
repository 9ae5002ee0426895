"""NetX: deploy exported lava-dl networks on Lava's simulators and on a native numpy runtime.

Importing this package is light: it imports neither lava nor torch. The Lava backend modules
(``hdf5``, ``blocks``, ``utils``, ``procs``, ``modules``) and the native runtime (``native``) are
loaded on first attribute access, so ``from lava.lib.dl.netx import hdf5`` works as in lava-dl
0.6 and ``import lava.lib.dl.netx`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import Any

from ._version import __version__

__all__ = [
    "LayerPlan",
    "LoadContext",
    "LoaderError",
    "NetworkPlan",
    "__version__",
    "blocks",
    "build_plan",
    "hdf5",
    "modules",
    "native",
    "procs",
    "utils",
]

_LAZY = frozenset({"hdf5", "blocks", "utils", "procs", "modules", "native"})
#: Public names re-exported (lazily) from the private plan and loader modules.
_REEXPORTS = {
    "LayerPlan": "_plan",
    "NetworkPlan": "_plan",
    "LoadContext": "_loaders",
    "LoaderError": "_loaders",
    "build_plan": "_loaders",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    if name in _REEXPORTS:
        value = getattr(importlib.import_module(f"{__name__}.{_REEXPORTS[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _LAZY | set(_REEXPORTS))
