"""Blocks: synapse, neuron and delays bundled as one network layer, with hdf5 export.

Family modules: :mod:`.cuba`, :mod:`.alif`, :mod:`.rf`, :mod:`.rf_iz`, :mod:`.adrf`,
:mod:`.adrf_iz`, :mod:`.sigma_delta`; the abstract blocks are in :mod:`.base`. Family modules are
imported on first access.
"""

from __future__ import annotations

import importlib
from typing import Any

_SUBMODULES = ("adrf", "adrf_iz", "alif", "base", "cuba", "rf", "rf_iz", "sigma_delta")

__all__ = [*_SUBMODULES, "export_network"]


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


def export_network(blocks: Any, filename: Any, *, input_shape: Any = None,
                   simulation: Any = None) -> Any:
    """Write blocks as a network file; see :func:`lava.lib.dl.slayer._export.export_network`."""
    from .._export import export_network as _export_network

    return _export_network(blocks, filename, input_shape=input_shape, simulation=simulation)
