"""netx loader of ``acme/gain_dense`` (entry point group ``lava.lib.dl.netx.loaders``).

The layer becomes netx's dense block with weight ``gain * weight``: the loader builds a dense view
of the layer and hands it to lava-dl's own ``lava-dl/dense`` loader, found through the same public
entry-point group. No torch here.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lava.lib.dl.hdf5_spec import plugins

#: Largest weight mantissa magnitude of an 8-bit Loihi weight.
MAX_MANTISSA = 256


class _DenseView:
    """Attributes netx's dense loader reads, computed from an ``acme/gain_dense`` layer."""

    def __init__(self, layer: Any, weight: np.ndarray, in_features: int,
                 out_features: int) -> None:
        self.type = layer.type
        self.namespace = layer.namespace
        self.shape = tuple(layer.shape)
        self.neuron = layer.neuron
        self.weight = weight
        self.in_features = in_features
        self.out_features = out_features
        self.bias = layer.fields.get("bias")
        self.delay = None


def load_gain_dense(layer: Any, ctx: Any) -> Any:
    """Plan of an ``acme/gain_dense`` layer (``ctx`` is netx's load context)."""
    f = layer.fields
    for name in ("weight", "gain"):
        if name not in f:
            raise ctx.error(layer, f"acme/gain_dense needs a '{name}' dataset (re-export the "
                                   "network with acme-lava-plugin)")
    gain = int(np.asarray(f["gain"]).reshape(-1)[0])
    if gain < 1:
        raise ctx.error(layer, f"gain must be a positive integer, found {gain}")
    weight = np.asarray(f["weight"], dtype=np.float64) * gain
    if np.abs(weight).max(initial=0) > MAX_MANTISSA:
        raise ctx.error(layer, f"gain * weight reaches {np.abs(weight).max():.0f}, beyond the "
                               f"8-bit range +-{MAX_MANTISSA}; train with a smaller gain")
    out_features = int(np.asarray(f.get("outFeatures", [weight.shape[0]])).reshape(-1)[0])
    in_features = int(np.asarray(f.get("inFeatures", [weight.size // out_features]))
                      .reshape(-1)[0])
    view = _DenseView(layer, weight.astype(np.float32), in_features, out_features)
    dense = plugins.PluginRegistry(plugins.NETX_LOADERS_GROUP).get("lava-dl/dense")
    return dense(view, ctx)
