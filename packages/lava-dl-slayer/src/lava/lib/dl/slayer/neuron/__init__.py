"""Spiking neuron models (time last, ``(N, C, [H, W,] T)``).

Modules: :mod:`.cuba`, :mod:`.alif`, :mod:`.rf`, :mod:`.rf_iz`, :mod:`.adrf`, :mod:`.adrf_iz`,
:mod:`.sigma_delta`, :mod:`.norm`, :mod:`.base`, :mod:`.dynamics`; plus :class:`Dropout`.
Each neuron module has ``Neuron`` and ``neuron_params(device_params, scale=64, p_scale=4096)``.
"""

from __future__ import annotations

import importlib
from typing import Any

from .dropout import Dropout

_SUBMODULES = (
    "adrf", "adrf_iz", "alif", "base", "cuba", "dynamics", "norm", "rf", "rf_iz", "sigma_delta",
)

__all__ = ["Dropout", *_SUBMODULES]


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
