"""Public plugin discovery API (entry-point groups of DESIGN.md §5).

See :mod:`lava.lib.dl.hdf5_spec._plugins` for the rules: keys are ``"<namespace>/<type>"``,
conflicts between distributions are errors naming both, broken plugins raise
:class:`PluginLoadError` naming the distribution, and ``LAVA_DL_DISABLE_PLUGINS`` switches
plugins off by distribution name or key.
"""

from ._plugins import (
    DISABLE_ENV,
    EXPORTERS_GROUP,
    FIRST_PARTY_NAMESPACE,
    NETX_LOADERS_GROUP,
    PluginConflictError,
    PluginError,
    PluginLoadError,
    PluginNotFoundError,
    PluginRegistry,
    PluginSpec,
    disabled_plugins,
    discover,
    load_entry_points,
    split_key,
)

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
