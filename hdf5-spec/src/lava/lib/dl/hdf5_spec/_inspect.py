"""Human-readable summary of a network description (the ``inspect`` command)."""

from __future__ import annotations

import numpy as np

from ._model import GenericLayer, Layer, NetworkDescription

__all__ = ["layer_row", "summarize"]

# neuron parameters shown in the table, in order, when present
_KEY_PARAMS = ("iDecay", "vDecay", "vThMant", "sinDecay", "cosDecay", "thDecay", "refDecay",
               "vThStep", "activation", "sigma_output")
_HEADER = ("#", "type", "shape", "neuron", "neuron parameters", "weight", "range", "delay")


def _weight(layer: Layer) -> tuple[str, str]:
    w = getattr(layer, "weight", None)
    if isinstance(layer, GenericLayer):
        w = layer.fields.get("weight")
    if isinstance(w, float):
        return "scalar", f"{w:g}"
    if not isinstance(w, np.ndarray):
        return "-", "-"
    shape = "x".join(str(n) for n in w.shape) or "scalar"
    if getattr(layer, "weight_imag", None) is not None:
        shape += " complex"
    if w.size == 0 or w.dtype.kind not in "biuf":
        return shape, "-"
    return shape, f"[{float(np.min(w)):g}, {float(np.max(w)):g}]"


def layer_row(index: int, layer: Layer) -> tuple[str, ...]:
    """One table row: index, type, shape, neuron type, key parameters, weight, range, delay."""
    ltype = layer.type if layer.namespace == "lava-dl" else f"{layer.namespace}/{layer.type}"
    shape = "x".join(str(n) for n in layer.shape) or "-"
    if layer.neuron is None:
        ntype, params = "-", "-"
    else:
        ntype = layer.neuron.type
        params = " ".join(f"{k}={layer.neuron.params[k]}" for k in _KEY_PARAMS
                          if k in layer.neuron.params) or "-"
    wshape, wrange = _weight(layer)
    delay = getattr(layer, "delay", None)
    if isinstance(layer, GenericLayer):
        delay = layer.fields.get("delay")
    if isinstance(delay, np.ndarray) and delay.size:
        dtext = f"yes (max {float(np.max(delay)):g})"
    else:
        dtext = "no"
    return (str(index), ltype, shape, ntype, params, wshape, wrange, dtext)


def summarize(net: NetworkDescription, *, title: str | None = None) -> str:
    """Render ``net`` as a fixed-width text table, one row per layer."""
    rows = [_HEADER] + [layer_row(i, layer) for i, layer in enumerate(net.layers)]
    widths = [max(len(r[c]) for r in rows) for c in range(len(_HEADER))]
    lines = []
    version = net.format_version or "legacy (lava-dl <= 0.6)"
    lines.append(f"{title + ': ' if title else ''}format {version}, {len(net.layers)} layers")
    if net.simulation is not None:
        lines.append(f"simulation: Ts={net.simulation.ts} tSample={net.simulation.t_sample}")
    if net.required_extensions:
        lines.append(f"required extensions: {', '.join(net.required_extensions)}")
    for k, row in enumerate(rows):
        cells = (cell.ljust(w) for cell, w in zip(row, widths, strict=True))
        lines.append("  ".join(cells).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"
