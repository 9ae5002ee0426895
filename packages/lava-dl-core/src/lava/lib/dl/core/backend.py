"""Backend selection for the core primitives.

Three backends implement the same primitives (:mod:`._backends._interface`):

``"reference"``
    Plain PyTorch with explicit time loops; runs on every device; the oracle.
``"numba"``
    Compiled CPU kernels (numba), parallel over neurons; CPU tensors only.
``"cupy"``
    CUDA kernels compiled at run time by NVRTC through CuPy; CUDA tensors only.

Which backend runs is decided per call, in this order:

1. the ``backend=`` argument of the public function (``"auto"`` or ``None`` = not given);
2. the innermost active :func:`use_backend` context (per thread);
3. the environment variable ``LAVA_DL_BACKEND`` (read at every call);
4. automatic selection: the highest-priority *available* backend registered for the tensors'
   device type (``numba`` then ``reference`` on CPU, ``cupy`` then ``reference`` on CUDA).

An explicitly requested backend that is unknown, unavailable (its real import error is shown)
or unable to process the tensors' device raises; automatic selection falls back to the reference.
:func:`last_backend` tells which backend ran the most recent primitive in this thread.

Examples
--------
>>> import torch
>>> from lava.lib.dl.core import backend, dynamics
>>> with backend.use_backend("reference"):
...     y = dynamics.leaky_integrator(torch.ones(1, 1, 3), decay=1024)
>>> backend.last_backend()
'reference'
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator

import torch

from ._backends import _registry

__all__ = [
    "ENV_VAR",
    "BackendUnavailableError",
    "available_backends",
    "backend_status",
    "use_backend",
    "last_backend",
    "resolve",
    "resolve_fused",
    "resolve_companion",
]

#: Environment variable overriding automatic selection (a backend name or ``"auto"``).
ENV_VAR = "LAVA_DL_BACKEND"

_state = threading.local()


class BackendUnavailableError(RuntimeError):
    """An explicitly requested backend cannot run here (the message carries the real cause)."""


def backend_status() -> dict[str, tuple[bool, str]]:
    """Availability of every registered backend.

    Returns
    -------
    dict
        ``name -> (available, reason)``; ``reason`` is the real error when unavailable.
        Checking imports the backend module (lazily, once).
    """
    out = {}
    for name in _registry.registered():
        mod, reason = _registry.load(name)
        out[name] = (mod is not None, reason)
    return out


def available_backends() -> tuple[str, ...]:
    """Names of the backends usable in this process, e.g. ``("reference", "numba")``."""
    return tuple(name for name, (ok, _) in backend_status().items() if ok)


def _stack() -> list[str]:
    if not hasattr(_state, "stack"):
        _state.stack = []
    return _state.stack


@contextlib.contextmanager
def use_backend(name: str) -> Iterator[None]:
    """Run the enclosed core calls with backend ``name`` (``"auto"`` restores selection).

    Parameters
    ----------
    name : str
        A registered backend name or ``"auto"``.

    Raises
    ------
    ValueError
        ``name`` is not registered.
    """
    _check_name(name)
    _stack().append(name)
    try:
        yield
    finally:
        _stack().pop()


def last_backend() -> str | None:
    """Name of the backend that ran the most recent core primitive in this thread (or None)."""
    return getattr(_state, "last", None)


def _check_name(name: str) -> None:
    if name != "auto" and name not in _registry.registered():
        known = ", ".join(sorted(_registry.registered()))
        raise ValueError(f"unknown core backend {name!r}; choose one of: auto, {known}")


def _requested(backend: str | None) -> tuple[str, str]:
    if backend not in (None, "auto"):
        return backend, "the backend= argument"
    stack = _stack()
    if stack and stack[-1] != "auto":
        return stack[-1], "use_backend()"
    env = os.environ.get(ENV_VAR, "").strip()
    if env and env != "auto":
        return env, f"the environment variable {ENV_VAR}"
    return "auto", ""


def resolve(
    primitive: str, device: torch.device, backend: str | None = None
) -> tuple[str, Callable]:
    """Pick the backend and primitive function for tensors on ``device``.

    Parameters
    ----------
    primitive : str
        A name from :data:`._backends._interface.PRIMITIVES`.
    device : torch.device
        Device of the tensors the primitive will process.
    backend : str or None, optional
        Explicit choice (``None``/``"auto"``: context, environment, then automatic).

    Returns
    -------
    name : str
        The backend that will run; also recorded for :func:`last_backend`.
    fn : callable
        The primitive function.

    Raises
    ------
    ValueError
        Unknown backend name, or the backend cannot process ``device``.
    BackendUnavailableError
        The requested backend cannot be loaded (the real error is included).
    NotImplementedError
        The requested backend does not implement ``primitive``.
    """
    device = torch.device(device)
    name, source = _requested(backend)
    if name != "auto":
        _check_name(name)
        mod, reason = _registry.load(name)
        if mod is None:
            raise BackendUnavailableError(
                f"core backend {name!r} (requested by {source}) is unavailable: {reason}. "
                f"Install its dependency or choose another backend ({ENV_VAR}=auto)."
            )
        if not mod.supports_device(device):
            raise ValueError(
                f"core backend {name!r} (requested by {source}) cannot process tensors on "
                f"{device}; move the tensors or choose another backend"
            )
        fn = getattr(mod, primitive, None)
        if fn is None:
            raise NotImplementedError(f"core backend {name!r} does not implement {primitive}")
        _state.last = name
        return name, fn
    for cand in _registry.auto_candidates(device.type):
        mod, _ = _registry.load(cand)
        if mod is None or not mod.supports_device(device):
            continue
        fn = getattr(mod, primitive, None)
        if fn is not None:
            _state.last = cand
            return cand, fn
    raise RuntimeError(f"no core backend implements {primitive} for {device}")  # unreachable


def resolve_fused(
    primitive: str, device: torch.device, backend: str | None = None
) -> tuple[str, Callable]:
    """Pick an optional fused primitive (:data:`._backends._interface.FUSED_PRIMITIVES`).

    The selection follows :func:`resolve` (argument, :func:`use_backend`, environment, then
    automatic), except that a backend which does not implement the fused primitive is replaced
    by the reference backend's version (equal results, fewer fused passes). Fused elementwise
    primitives do not change :func:`last_backend`, which keeps naming the backend of the last
    dynamics primitive.

    Parameters
    ----------
    primitive : str
        A name from :data:`._backends._interface.FUSED_PRIMITIVES`.
    device : torch.device
        Device of the tensors.
    backend : str or None, optional
        Explicit choice, as for :func:`resolve`.

    Returns
    -------
    name : str
        The backend whose function is returned.
    fn : callable
        The primitive function.
    """
    last = last_backend()
    try:
        return resolve(primitive, device, backend)
    except NotImplementedError:
        mod, _ = _registry.load("reference")
        return "reference", getattr(mod, primitive)
    finally:
        _state.last = last


def resolve_companion(
    primitive: str, companion: str, device: torch.device, backend: str | None = None
) -> tuple[str, Callable, Callable | None]:
    """Resolve ``primitive`` as :func:`resolve` does, plus an optional fused companion.

    Parameters
    ----------
    primitive : str
        A name from :data:`._backends._interface.PRIMITIVES`.
    companion : str
        A name from :data:`._backends._interface.FUSED_PRIMITIVES` that replaces ``primitive``
        (and the work around it) when the selected backend implements it.
    device : torch.device
        Device of the tensors.
    backend : str or None, optional
        Explicit choice, as for :func:`resolve`.

    Returns
    -------
    name : str
        The backend that will run (recorded for :func:`last_backend`).
    fn : callable
        ``primitive`` of that backend.
    fused : callable or None
        ``companion`` of the same backend, or None when it does not implement it.
    """
    name, fn = resolve(primitive, device, backend)
    mod, _ = _registry.load(name)
    return name, fn, getattr(mod, companion, None)
