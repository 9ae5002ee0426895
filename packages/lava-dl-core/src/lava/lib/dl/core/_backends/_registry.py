"""Registry of core backends (private; the public API is :mod:`lava.lib.dl.core.backend`).

A backend is registered by name with the dotted path of the module implementing
:class:`._interface.CoreBackend`, the device types it is preferred for, and a priority. Modules
are imported lazily, on first use, so a broken optional dependency (numba, CuPy) never breaks
``import lava.lib.dl.core``; its real error is reported when the backend is asked for.
"""

from __future__ import annotations

import importlib
import threading
from dataclasses import dataclass, field
from types import ModuleType

__all__ = [
    "BackendEntry",
    "register_backend",
    "unregister_backend",
    "registered",
    "load",
    "auto_candidates",
]


@dataclass
class BackendEntry:
    """One registered backend.

    Attributes
    ----------
    name : str
        Registry name.
    module : str
        Dotted path of the implementing module.
    device_types : tuple of str
        ``torch.device.type`` values the backend is automatically selected for.
    priority : int
        Higher wins in automatic selection among available backends for a device type.
    """

    name: str
    module: str
    device_types: tuple[str, ...]
    priority: int
    _loaded: ModuleType | None = field(default=None, repr=False)
    _error: str | None = field(default=None, repr=False)


_REGISTRY: dict[str, BackendEntry] = {}
_LOCK = threading.Lock()


def register_backend(
    name: str, module: str, *, device_types: tuple[str, ...], priority: int = 0
) -> None:
    """Register (or replace) a backend under ``name``.

    Parameters
    ----------
    name : str
        Registry name, e.g. ``"numba"``.
    module : str
        Dotted import path of a module implementing the primitives.
    device_types : tuple of str
        Device types (``"cpu"``, ``"cuda"``) for which the backend takes part in automatic
        selection.
    priority : int, optional
        Automatic selection picks the available backend with the highest priority.
    """
    with _LOCK:
        _REGISTRY[name] = BackendEntry(name, module, tuple(device_types), int(priority))


def unregister_backend(name: str) -> None:
    """Remove backend ``name`` (the reference backend cannot be removed)."""
    if name == "reference":
        raise ValueError("the reference backend is the oracle and cannot be unregistered")
    with _LOCK:
        _REGISTRY.pop(name, None)


def registered() -> dict[str, BackendEntry]:
    """A copy of the registry (name -> entry)."""
    return dict(_REGISTRY)


def load(name: str) -> tuple[ModuleType | None, str]:
    """Import backend ``name`` once and check it.

    Returns
    -------
    module : module or None
        The backend module when usable, else ``None``.
    reason : str
        Empty when usable, else the real import or availability error.

    Raises
    ------
    KeyError
        ``name`` is not registered.
    """
    entry = _REGISTRY[name]
    with _LOCK:
        if entry._loaded is None and entry._error is None:
            try:
                mod = importlib.import_module(entry.module)
            except Exception as exc:  # the real error is surfaced to the user
                entry._error = f"importing {entry.module} failed: {type(exc).__name__}: {exc}"
            else:
                try:
                    ok, reason = mod.is_available()
                except Exception as exc:
                    ok, reason = False, f"{type(exc).__name__}: {exc}"
                if ok:
                    entry._loaded = mod
                else:
                    entry._error = reason or "backend reports itself unavailable"
    return entry._loaded, entry._error or ""


def auto_candidates(device_type: str) -> list[str]:
    """Registered backends preferred for ``device_type``, best first (availability unchecked)."""
    entries = [e for e in _REGISTRY.values() if device_type in e.device_types]
    entries.sort(key=lambda e: -e.priority)
    names = [e.name for e in entries]
    if "reference" not in names:
        names.append("reference")
    return names


register_backend(
    "reference",
    "lava.lib.dl.core._backends.reference",
    device_types=("cpu", "cuda", "mps", "xpu", "meta"),
    priority=0,
)
register_backend(
    "numba", "lava.lib.dl.core._backends.numba_cpu", device_types=("cpu",), priority=10
)
register_backend(
    "cupy", "lava.lib.dl.core._backends.cupy_cuda", device_types=("cuda",), priority=10
)
