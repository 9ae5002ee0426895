"""Exporter of ``acme/gain_dense`` (entry point group ``lava.lib.dl.exporters``).

It reuses lava-dl's own dense exporter, found through the same public entry-point group, and
re-labels the result as an ``acme/gain_dense`` layer with the extra ``gain`` field.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lava.lib.dl import hdf5_spec
from lava.lib.dl.hdf5_spec import plugins

from . import NAMESPACE, TYPE


def _first_party(group: str, key: str) -> Any:
    return plugins.PluginRegistry(group).get(key)


def export_gain_dense(block: Any, *, input_shape: tuple[int, ...] | None = None) -> Any:
    """A :class:`GainDense` block as an ``acme/gain_dense`` :class:`hdf5_spec.GenericLayer`."""
    dense = _first_party(plugins.EXPORTERS_GROUP, "lava-dl/dense")(block,
                                                                 input_shape=input_shape)
    if getattr(dense, "delay", None) is not None:
        raise ValueError("acme/gain_dense does not support axonal delays; build the block "
                         "with delay=False")
    fields: dict[str, Any] = {
        "weight": np.asarray(dense.weight, dtype=np.float32),
        "gain": np.asarray([block.gain], dtype=np.int64),
        "inFeatures": np.asarray([dense.in_features], dtype=np.int64),
        "outFeatures": np.asarray([dense.out_features], dtype=np.int64),
    }
    if getattr(dense, "bias", None) is not None:
        fields["bias"] = np.asarray(dense.bias, dtype=np.float32)
    return hdf5_spec.GenericLayer(type=TYPE, namespace=NAMESPACE, shape=tuple(dense.shape),
                                  neuron=dense.neuron, fields=fields)
