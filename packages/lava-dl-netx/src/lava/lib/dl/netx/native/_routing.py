"""Native models of the routing blocks: pass-through readouts (population ``average``,
``concat``) and time decimation. Equations on :class:`~lava.lib.dl.netx._plan.IdentityNeuron`
and :class:`~lava.lib.dl.netx._plan.DecimateNeuron`."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._plan import DecimateNeuron
from ._neurons import NeuronModel, State, register_neuron_model

__all__ = ["DecimateModel", "IdentityModel"]


@register_neuron_model("identity")
class IdentityModel(NeuronModel):
    """Sends its input unchanged (int64; binary messages stay 0/1)."""

    def step(self, state: State, a: Any, t: int) -> np.ndarray:  # noqa: D102
        return np.array(a, dtype=np.int64, copy=True)


@register_neuron_model("decimate")
class DecimateModel(NeuronModel):
    """Window sums of ``factor`` steps, sent on each window's last step; state ``acc``."""

    state_names = ("acc",)

    def __init__(self, plan: DecimateNeuron, shape: tuple[int, ...]) -> None:
        super().__init__(plan, shape)
        self.factor = int(plan.factor)
        self.phase = int(plan.phase)

    def step(self, state: State, a: Any, t: int) -> np.ndarray:  # noqa: D102
        acc = state["acc"]
        if t <= self.phase:
            return np.zeros_like(acc)
        acc += np.asarray(a, dtype=np.int64)
        if (t - self.phase) % self.factor:
            return np.zeros_like(acc)
        out = acc.copy()
        acc[...] = 0
        return out
