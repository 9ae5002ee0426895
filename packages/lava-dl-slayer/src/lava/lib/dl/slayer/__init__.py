"""SLAYER 2.0: direct training of spiking neural networks.

The public API mirrors lava-dl 0.6 (``import lava.lib.dl.slayer as slayer``, then
``slayer.block.cuba.Dense(...)``, ``slayer.loss.SpikeRate(...)``, ...). Submodules are imported on
first access, so ``import lava.lib.dl.slayer`` stays cheap.

Submodules
----------
neuron, synapse, axon, dendrite, spike, block, loss, classifier, io, auto, utils
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._version import __version__

_SUBMODULES = (
    "auto",
    "axon",
    "block",
    "classifier",
    "dendrite",
    "io",
    "loss",
    "neuron",
    "spike",
    "synapse",
    "utils",
)

__all__ = ["__version__", *_SUBMODULES]

if TYPE_CHECKING:  # pragma: no cover - static analysers see the real modules
    from . import (  # noqa: F401
        auto,
        axon,
        block,
        classifier,
        dendrite,
        io,
        loss,
        neuron,
        spike,
        synapse,
        utils,
    )


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        module = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_SUBMODULES))
