"""Optional numba accelerator of the native runtime.

numba is optional (``pip install "lava-dl-netx[fast]"``): when it is importable, neuron models
and conv synapses built afterwards use the jitted kernels of :mod:`._numba_kernels`, which give
bit-identical results to the numpy code path. Set the environment variable
``LAVA_DL_NETX_NUMBA=0`` (or ``false``/``no``/``off``) before building a network to use the numpy
path only. The choice is made when a model is built, so networks built with and without the
accelerator can coexist (as the tests do).
"""

from __future__ import annotations

import os
from types import ModuleType

__all__ = ["ENV_VAR", "kernels"]

#: Environment variable switching the accelerator off (``0``, ``false``, ``no``, ``off``).
ENV_VAR = "LAVA_DL_NETX_NUMBA"

_OFF = ("0", "false", "no", "off")
_cache: dict[str, ModuleType | None] = {}


def kernels() -> ModuleType | None:
    """The kernel module when numba is importable and not disabled by :data:`ENV_VAR`, else
    None (read at each call)."""
    if os.environ.get(ENV_VAR, "").strip().lower() in _OFF:
        return None
    if "k" not in _cache:
        try:
            from . import _numba_kernels
        except ImportError:  # numba missing (or broken for this numpy): numpy path
            _cache["k"] = None
        else:
            _cache["k"] = _numba_kernels
    return _cache["k"]
