"""Plugin discovery through Python entry points.

lava-dl is extended, by its own distributions and by third parties alike, through two entry-point
groups (DESIGN.md §5):

``lava.lib.dl.exporters``
    training side: a module class -> an hdf5 layer writer.
``lava.lib.dl.netx.loaders``
    deployment side: a layer type -> a netx builder.

Every entry point's *name* is a key of the form ``"<namespace>/<type>"``. The first-party
namespace is ``lava-dl``; a third-party distribution uses its own namespace (for example
``acme/gated_dense``). The same key offered by two distributions is a conflict: it is refused
with an error naming both distributions, never resolved silently by load order.

A plugin can be switched off without uninstalling it through the environment variable
``LAVA_DL_DISABLE_PLUGINS``: a comma-separated list of distribution names (``acme-lava-plugin``)
or keys (``acme/gated_dense``).

Only the standard library (:mod:`importlib.metadata`) is used; nothing is imported until a key is
asked for, so a broken plugin cannot break unrelated work.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

__all__ = [
    "DISABLE_ENV",
    "EXPORTERS_GROUP",
    "FIRST_PARTY_NAMESPACE",
    "NETX_LOADERS_GROUP",
    "PluginConflictError",
    "PluginError",
    "PluginLoadError",
    "PluginNotFoundError",
    "PluginRegistry",
    "PluginSpec",
    "discover",
    "disabled_plugins",
    "load_entry_points",
    "split_key",
]

EXPORTERS_GROUP = "lava.lib.dl.exporters"
NETX_LOADERS_GROUP = "lava.lib.dl.netx.loaders"
FIRST_PARTY_NAMESPACE = "lava-dl"
DISABLE_ENV = "LAVA_DL_DISABLE_PLUGINS"

_KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*/[A-Za-z0-9_.\-]+$")


class PluginError(RuntimeError):
    """Base class of every plugin discovery error."""


class PluginConflictError(PluginError):
    """Two installed distributions register the same key in the same group."""


class PluginLoadError(PluginError):
    """A registered entry point could not be imported or is malformed."""


class PluginNotFoundError(PluginError, KeyError):
    """No installed (and enabled) distribution provides the requested key."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class PluginSpec:
    """One discovered, not yet loaded, entry point.

    Attributes
    ----------
    group : str
        The entry-point group.
    key : str
        ``"<namespace>/<type>"``.
    value : str
        The ``module:attribute`` target.
    distribution : str
        Name of the distribution that declares it (``"<unknown>"`` when metadata lacks it).
    version : str
        Version of that distribution.
    """

    group: str
    key: str
    value: str
    distribution: str
    version: str
    entry_point: Any = field(default=None, compare=False, repr=False)

    @property
    def namespace(self) -> str:
        """The namespace part of the key."""
        return split_key(self.key)[0]

    @property
    def type(self) -> str:
        """The type part of the key."""
        return split_key(self.key)[1]

    def describe(self) -> str:
        """Human-readable origin, used in error messages."""
        return f"{self.distribution} {self.version} ({self.key} = {self.value})"

    def load(self) -> Any:
        """Import and return the target object.

        Raises
        ------
        PluginLoadError
            When the import fails, naming the distribution, the target and the cause.
        """
        try:
            return self.entry_point.load()
        except Exception as exc:  # a plugin may raise anything on import
            raise PluginLoadError(
                f"plugin {self.key!r} of distribution {self.distribution} {self.version} "
                f"(entry point {self.value!r} in group {self.group!r}) failed to load: "
                f"{type(exc).__name__}: {exc}. Fix or upgrade {self.distribution}, uninstall it, "
                f"or disable it with {DISABLE_ENV}={self.distribution}."
            ) from exc


def split_key(key: str) -> tuple[str, str]:
    """Split ``"<namespace>/<type>"`` into its two parts.

    Raises
    ------
    ValueError
        When ``key`` is not of that form.
    """
    if not isinstance(key, str) or not _KEY_RE.match(key):
        raise ValueError(
            f"plugin key {key!r} is not of the form '<namespace>/<type>' "
            f"(for example '{FIRST_PARTY_NAMESPACE}/dense')"
        )
    namespace, _, type_ = key.partition("/")
    return namespace, type_


def disabled_plugins(environ: Mapping[str, str] | None = None) -> frozenset[str]:
    """Distribution names and keys switched off through ``LAVA_DL_DISABLE_PLUGINS``."""
    env = os.environ if environ is None else environ
    raw = env.get(DISABLE_ENV, "")
    return frozenset(item.strip() for item in raw.split(",") if item.strip())


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _entry_points(group: str) -> Iterator[Any]:
    yield from metadata.entry_points(group=group)


def discover(
    group: str,
    *,
    entry_points: Iterable[Any] | None = None,
    disabled: Iterable[str] | None = None,
) -> dict[str, PluginSpec]:
    """Find every entry point of ``group`` without importing anything.

    Parameters
    ----------
    group : str
        Entry-point group, e.g. :data:`NETX_LOADERS_GROUP`.
    entry_points : iterable, optional
        Entry points to use instead of the installed ones (for tests).
    disabled : iterable of str, optional
        Distribution names or keys to skip; defaults to ``LAVA_DL_DISABLE_PLUGINS``.

    Returns
    -------
    dict
        key -> :class:`PluginSpec`.

    Raises
    ------
    PluginLoadError
        An entry point has a malformed key.
    PluginConflictError
        Two distributions declare the same key.
    """
    off = {_normalise(x) for x in (disabled_plugins() if disabled is None else disabled)}
    eps = _entry_points(group) if entry_points is None else entry_points
    found: dict[str, PluginSpec] = {}
    for ep in eps:
        dist = getattr(ep, "dist", None)
        dist_name = getattr(dist, "name", None) or "<unknown>"
        dist_version = getattr(dist, "version", None) or "?"
        spec = PluginSpec(group, ep.name, ep.value, dist_name, dist_version, ep)
        try:
            split_key(ep.name)
        except ValueError as exc:
            raise PluginLoadError(
                f"distribution {dist_name} {dist_version} registers entry point {ep.name!r} in "
                f"group {group!r}: {exc}. The distribution must be fixed."
            ) from None
        if _normalise(dist_name) in off or _normalise(ep.name) in off:
            continue
        previous = found.get(ep.name)
        if previous is not None:
            if (previous.distribution, previous.value) == (dist_name, ep.value):
                continue  # the same distribution seen twice on sys.path
            raise PluginConflictError(
                f"plugin key {ep.name!r} in group {group!r} is registered twice: by "
                f"{previous.describe()} and by {spec.describe()}. Uninstall one of the two "
                f"distributions, or disable one with {DISABLE_ENV}=<distribution name>."
            )
        found[ep.name] = spec
    return found


def load_entry_points(
    group: str,
    *,
    entry_points: Iterable[Any] | None = None,
    disabled: Iterable[str] | None = None,
) -> dict[str, Any]:
    """Discover and import every entry point of ``group``.

    Returns
    -------
    dict
        key -> loaded object.

    Raises
    ------
    PluginConflictError, PluginLoadError
        As :func:`discover` and :meth:`PluginSpec.load`.
    """
    specs = discover(group, entry_points=entry_points, disabled=disabled)
    return {key: spec.load() for key, spec in specs.items()}


class PluginRegistry:
    """A lazily discovered, lazily loaded view of one entry-point group.

    Objects registered in code (:meth:`register`) and through entry points share one key space;
    a clash between the two is a conflict as well.

    Parameters
    ----------
    group : str
        The entry-point group.
    what : str
        What the group's objects are, for error messages (``"netx loader"``).
    entry_points, disabled
        As :func:`discover`; ``None`` means the installed entry points and the environment.
    """

    def __init__(
        self,
        group: str,
        *,
        what: str = "plugin",
        entry_points: Iterable[Any] | None = None,
        disabled: Iterable[str] | None = None,
    ) -> None:
        self.group = group
        self.what = what
        self._entry_points = None if entry_points is None else list(entry_points)
        self._disabled = None if disabled is None else list(disabled)
        self._specs: dict[str, PluginSpec] | None = None
        self._loaded: dict[str, Any] = {}
        self._manual: dict[str, tuple[Any, str]] = {}

    def _discover(self) -> dict[str, PluginSpec]:
        if self._specs is None:
            specs = discover(
                self.group, entry_points=self._entry_points, disabled=self._disabled
            )
            for key, (_, origin) in self._manual.items():
                if key in specs:
                    raise PluginConflictError(
                        f"{self.what} {key!r} is registered in code by {origin} and through an "
                        f"entry point by {specs[key].describe()}. Remove one of the two."
                    )
            self._specs = specs
        return self._specs

    def refresh(self) -> None:
        """Forget what was discovered (after installing or disabling a plugin)."""
        self._specs = None
        self._loaded.clear()

    def register(self, key: str, obj: Any, *, origin: str = "<code>") -> None:
        """Register ``obj`` under ``key`` in code (tests, notebooks, plugins under development)."""
        split_key(key)
        if key in self._manual and self._manual[key][0] is not obj:
            raise PluginConflictError(
                f"{self.what} {key!r} is already registered in code by {self._manual[key][1]}"
            )
        if self._specs is not None and key in self._specs:
            raise PluginConflictError(
                f"{self.what} {key!r} is already provided by {self._specs[key].describe()}"
            )
        self._manual[key] = (obj, origin)

    def unregister(self, key: str) -> None:
        """Remove a key registered with :meth:`register`."""
        self._manual.pop(key, None)

    def keys(self) -> list[str]:
        """Every known key, sorted."""
        return sorted(set(self._discover()) | set(self._manual))

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and (key in self._manual or key in self._discover())

    def origin(self, key: str) -> str:
        """The distribution (or code origin) that provides ``key``."""
        if key in self._manual:
            return self._manual[key][1]
        spec = self._discover().get(key)
        if spec is None:
            raise self._missing(key)
        return spec.describe()

    def get(self, key: str) -> Any:
        """Load and return the object registered under ``key``.

        Raises
        ------
        PluginNotFoundError
            When no enabled distribution provides ``key``; the message lists the known keys and
            says which distribution to install or enable.
        PluginLoadError
            When the providing plugin fails to import.
        """
        if key in self._manual:
            return self._manual[key][0]
        if key not in self._loaded:
            spec = self._discover().get(key)
            if spec is None:
                raise self._missing(key)
            self._loaded[key] = spec.load()
        return self._loaded[key]

    __getitem__ = get

    def _missing(self, key: str) -> PluginNotFoundError:
        try:
            namespace, _ = split_key(key)
        except ValueError as exc:
            return PluginNotFoundError(str(exc))
        known = ", ".join(self.keys()) or "none"
        off = disabled_plugins() if self._disabled is None else set(self._disabled)
        if namespace == FIRST_PARTY_NAMESPACE:
            hint = (
                "it belongs to lava-dl itself: install or upgrade the lava-dl distribution that "
                "provides it"
            )
        else:
            hint = (
                f"install the third-party distribution that provides the namespace "
                f"{namespace!r}"
            )
        if off:
            hint += f", and check {DISABLE_ENV} (now {','.join(sorted(off))})"
        return PluginNotFoundError(
            f"no {self.what} is registered for {key!r} in group {self.group!r}: {hint}. "
            f"Known keys: {known}."
        )
