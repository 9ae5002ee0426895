"""Utilities of slayer: quantization, integer arithmetic, time and filter operations, recurrence,
training assistant and learning statistics.

Names are resolved on first access (``from lava.lib.dl.slayer.utils import Assistant``), so
importing ``slayer.utils`` does not pull in matplotlib or tqdm.
"""

from __future__ import annotations

import importlib
from typing import Any

# public name -> submodule that defines it
_EXPORTS = {
    "quantize": "quantize",
    "quantize_hook_fx": "quantize",
    "QUANTIZE_MODE": "quantize",
    "Q2Zero": "int_utils",
    "right_shift_to_zero": "int_utils",
    "dotdict": "utils",
    "staticproperty": "utils",
    "diagonal_mask": "utils",
    "event_rate": "utils",
    "LearningStat": "stats",
    "LearningStats": "stats",
    "Assistant": "assistant",
    "wrap_ddp": "distributed",
    "save_checkpoint": "checkpoint",
    "load_checkpoint": "checkpoint",
    "latest_checkpoint": "checkpoint",
    "CheckpointError": "checkpoint",
    "NaNGuard": "guard",
    "NonFiniteError": "guard",
}
_SUBMODULES = (
    "assistant",
    "checkpoint",
    "distributed",
    "filter",
    "guard",
    "int_utils",
    "recurrent",
    "stats",
    "time",
    "utils",
)

# ``quantize`` is both a function (lava-dl's public name) and the module defining it: the name
# resolves to the function; the module stays importable as ``slayer.utils.quantize`` and is
# itself callable, so either binding behaves as lava-dl's function.
__all__ = sorted(set(_EXPORTS) | set(_SUBMODULES))


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        value: Any = importlib.import_module(f"{__name__}.{name}")
    elif name in _EXPORTS:
        value = getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
