"""Constructor signatures of synapses and blocks are lava-dl 0.6's (spec §17)."""

from __future__ import annotations

import inspect

import pytest

import lava.lib.dl.slayer as slayer
from lava.lib.dl.slayer.block.base import DEFAULT_HOOK

E = inspect.Parameter.empty
HOOK = "hook"  # lava-dl: None meaning "the neuron's quantize_8bit"; here DEFAULT_HOOK

SYNAPSES = {
    "Dense": [("in_neurons", E), ("out_neurons", E), ("weight_scale", 1),
              ("weight_norm", False), ("pre_hook_fx", None)],
    "Conv": [("in_features", E), ("out_features", E), ("kernel_size", E), ("stride", 1),
             ("padding", 0), ("dilation", 1), ("groups", 1), ("weight_scale", 1),
             ("weight_norm", False), ("pre_hook_fx", None)],
    "Pool": [("kernel_size", E), ("stride", None), ("padding", 0), ("dilation", 1),
             ("weight_scale", 1), ("weight_norm", False), ("pre_hook_fx", None)],
}
SYNAPSES["ConvTranspose"] = SYNAPSES["Conv"]
SYNAPSES["Unpool"] = SYNAPSES["Pool"]

DENSE = [("neuron_params", E), ("in_neurons", E), ("out_neurons", E), ("weight_scale", 1),
         ("weight_norm", False), ("pre_hook_fx", HOOK), ("delay", False), ("delay_shift", True),
         ("mask", None), ("count_log", False)]
CONV = [("neuron_params", E), ("in_features", E), ("out_features", E), ("kernel_size", E),
        ("stride", 1), ("padding", 0), ("dilation", 1), ("groups", 1), ("weight_scale", 1),
        ("weight_norm", False), ("pre_hook_fx", HOOK), ("delay", False), ("delay_shift", True),
        ("count_log", False)]
POOL = [("neuron_params", E), ("kernel_size", E), ("stride", None), ("padding", 0),
        ("dilation", 1), ("weight_scale", 1), ("weight_norm", False), ("pre_hook_fx", HOOK),
        ("delay", False), ("delay_shift", True), ("count_log", False)]
BLOCKS = {
    "Input": [("neuron_params", None), ("weight", None), ("bias", None), ("delay_shift", True),
              ("count_log", False)],
    "Flatten": [("count_log", False)],
    "Average": [("num_outputs", E), ("count_log", False)],
    "TimeDecimation": [("factor", E), ("count_log", False)],
    "Affine": [("neuron_params", E), ("in_neurons", E), ("out_neurons", E), ("weight_scale", 1),
               ("weight_norm", False), ("pre_hook_fx", HOOK), ("dynamics", True), ("mask", None),
               ("count_log", False)],
    "Dense": DENSE, "Conv": CONV, "ConvT": CONV, "Pool": POOL, "Unpool": POOL,
    "KWTA": [("neuron_params", E), ("in_neurons", E), ("out_neurons", E), ("num_winners", E),
             ("self_excitation", 0.5), ("weight_scale", 1), ("weight_norm", False),
             ("pre_hook_fx", HOOK), ("delay_shift", True), ("requires_grad", True),
             ("count_log", False)],
    "Recurrent": [("neuron_params", E), ("in_neurons", E), ("out_neurons", E),
                  ("weight_scale", 1), ("weight_norm", False), ("pre_hook_fx", HOOK),
                  ("requires_grad", True), ("delay", False), ("delay_shift", True),
                  ("count_log", False)],
    "Output": [("neuron_params", E), ("in_neurons", E), ("out_neurons", E), ("weight_scale", 1),
               ("weight_norm", False), ("count_log", False)],
}


def _params(cls):
    return [(p.name, p.default) for p in inspect.signature(cls).parameters.values()]


def _expected(spec, sigma_delta=False):
    out = []
    for name, default in spec:
        if default == HOOK:
            default = DEFAULT_HOOK
        if sigma_delta and name == "delay_shift":
            default = False
        out.append((name, default))
    return out


@pytest.mark.parametrize("name", sorted(SYNAPSES))
def test_synapse_signatures(name):
    assert _params(getattr(slayer.synapse, name)) == SYNAPSES[name]


@pytest.mark.parametrize("family", ["cuba", "alif", "rf", "rf_iz", "adrf", "adrf_iz",
                                    "sigma_delta"])
def test_block_signatures(family):
    module = getattr(slayer.block, family)
    for name in module.__all__:
        expected = _expected(BLOCKS[name], sigma_delta=family == "sigma_delta")
        assert _params(getattr(module, name)) == expected, f"{family}.{name}"


def test_default_hook_is_documented_in_signatures():
    assert repr(DEFAULT_HOOK) == "neuron.quantize_8bit"
    assert "neuron.quantize_8bit" in str(inspect.signature(slayer.block.cuba.Dense))
