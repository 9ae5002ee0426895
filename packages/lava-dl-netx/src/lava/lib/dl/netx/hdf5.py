"""``hdf5.Network``: run a ``.net`` network description on Lava (lava-nc 0.10, Python 3.10).

``from lava.lib.dl.netx import hdf5; net = hdf5.Network(net_config='network.net')`` builds the
network as a hierarchical Lava process (see :class:`lava.lib.dl.netx.blocks.network.Network`).
Without lava-nc (e.g. on Python 3.11) this module still imports, and using ``hdf5.Network``
raises an ImportError that says how to install the Lava backend; the native runtime
(:mod:`lava.lib.dl.netx.native`) needs no Lava.
"""

from __future__ import annotations

from typing import Any

from lava.lib.dl.netx.utils import NetDict, lava_available, require_lava

__all__ = ["NetDict", "Network", "run_network"]

_LAVA_NAMES = frozenset({"Network", "PyNetworkModel", "NEURON_BUILDERS", "BLOCK_BUILDERS",
                         "register_neuron_builder", "register_block_builder",
                         "run_network"})


def __getattr__(name: str) -> Any:
    if name in _LAVA_NAMES:
        require_lava(f"lava.lib.dl.netx.hdf5.{name}")
        from lava.lib.dl.netx.blocks import network

        value = getattr(network, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _LAVA_NAMES)


if lava_available():  # eager when Lava is there: `hdf5.Network` is a plain attribute
    from lava.lib.dl.netx.blocks.network import (  # noqa: F401
        BLOCK_BUILDERS,
        NEURON_BUILDERS,
        Network,
        PyNetworkModel,
        register_block_builder,
        register_neuron_builder,
        run_network,
    )
