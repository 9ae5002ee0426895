"""Backend implementations of the core primitives (private).

Each backend is a module exposing the functions listed in :mod:`._interface`. The registry in
:mod:`._registry` maps backend names to these modules; the public selection API lives in
:mod:`lava.lib.dl.core.backend`.
"""
