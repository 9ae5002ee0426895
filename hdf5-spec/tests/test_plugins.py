"""Entry-point discovery: conflicts, load errors, disabling, lookups."""

from __future__ import annotations

import json
from dataclasses import dataclass
from types import SimpleNamespace

import pytest

from lava.lib.dl.hdf5_spec import plugins


@dataclass
class FakeEntryPoint:
    name: str
    value: str
    dist: SimpleNamespace | None
    group: str = plugins.NETX_LOADERS_GROUP

    def load(self):
        module, _, attr = self.value.partition(":")
        mod = __import__(module, fromlist=[attr])
        return getattr(mod, attr)


def ep(name, value, dist="acme-plugin", version="1.2"):
    return FakeEntryPoint(name, value, SimpleNamespace(name=dist, version=version))


def test_discover_returns_specs_without_loading():
    found = plugins.discover(
        plugins.NETX_LOADERS_GROUP,
        entry_points=[ep("acme/gated", "no_such_module_xyz:thing")],
        disabled=[],
    )
    assert list(found) == ["acme/gated"]
    spec = found["acme/gated"]
    assert (spec.namespace, spec.type, spec.distribution, spec.version) == (
        "acme", "gated", "acme-plugin", "1.2")


def test_load_entry_points_imports_targets():
    loaded = plugins.load_entry_points(
        plugins.EXPORTERS_GROUP, entry_points=[ep("acme/dumps", "json:dumps")], disabled=[]
    )
    assert loaded == {"acme/dumps": json.dumps}


def test_conflict_names_both_distributions():
    eps = [ep("acme/gated", "json:dumps", dist="acme-one"),
           ep("acme/gated", "json:loads", dist="acme-two")]
    with pytest.raises(plugins.PluginConflictError) as info:
        plugins.discover(plugins.NETX_LOADERS_GROUP, entry_points=eps, disabled=[])
    msg = str(info.value)
    assert "acme-one" in msg and "acme-two" in msg and plugins.DISABLE_ENV in msg


def test_same_distribution_twice_is_not_a_conflict():
    eps = [ep("acme/gated", "json:dumps"), ep("acme/gated", "json:dumps")]
    found = plugins.discover(plugins.NETX_LOADERS_GROUP, entry_points=eps, disabled=[])
    assert list(found) == ["acme/gated"]


def test_disabled_distribution_resolves_conflict():
    eps = [ep("acme/gated", "json:dumps", dist="acme-one"),
           ep("acme/gated", "json:loads", dist="acme_two")]
    found = plugins.discover(
        plugins.NETX_LOADERS_GROUP, entry_points=eps, disabled=["acme-two"]
    )
    assert found["acme/gated"].distribution == "acme-one"


def test_disable_from_environment(monkeypatch):
    monkeypatch.setenv(plugins.DISABLE_ENV, " acme/gated , other ")
    assert plugins.disabled_plugins() == {"acme/gated", "other"}
    found = plugins.discover(
        plugins.NETX_LOADERS_GROUP, entry_points=[ep("acme/gated", "json:dumps")]
    )
    assert found == {}


def test_broken_plugin_load_error_names_distribution():
    reg = plugins.PluginRegistry(
        plugins.NETX_LOADERS_GROUP,
        what="netx loader",
        entry_points=[ep("acme/broken", "no_such_module_xyz:thing", dist="acme-broken")],
        disabled=[],
    )
    assert "acme/broken" in reg  # discovery alone does not import
    with pytest.raises(plugins.PluginLoadError) as info:
        reg.get("acme/broken")
    msg = str(info.value)
    assert "acme-broken" in msg and "no_such_module_xyz" in msg
    assert isinstance(info.value.__cause__, ModuleNotFoundError)


def test_malformed_key_is_refused():
    with pytest.raises(plugins.PluginLoadError, match="namespace"):
        plugins.discover(
            plugins.NETX_LOADERS_GROUP, entry_points=[ep("gated", "json:dumps")], disabled=[]
        )
    with pytest.raises(ValueError):
        plugins.split_key("a/b/c")


def test_missing_key_message_lists_known_and_hint():
    reg = plugins.PluginRegistry(
        plugins.NETX_LOADERS_GROUP, what="netx loader",
        entry_points=[ep("acme/gated", "json:dumps")], disabled=["someone-else"],
    )
    with pytest.raises(plugins.PluginNotFoundError) as info:
        reg.get("zeta/thing")
    msg = str(info.value)
    assert "'zeta/thing'" in msg and "acme/gated" in msg and "zeta" in msg
    assert plugins.DISABLE_ENV in msg
    with pytest.raises(KeyError):
        reg["lava-dl/nothing"]


def test_registry_manual_registration_and_conflicts():
    reg = plugins.PluginRegistry(
        plugins.EXPORTERS_GROUP, entry_points=[ep("acme/gated", "json:dumps")], disabled=[]
    )
    reg.register("mine/thing", len, origin="test")
    assert reg.get("mine/thing") is len
    assert reg.keys() == ["acme/gated", "mine/thing"]
    assert reg.get("acme/gated") is json.dumps
    assert reg.origin("acme/gated").startswith("acme-plugin 1.2")
    with pytest.raises(plugins.PluginConflictError):
        reg.register("acme/gated", len)
    with pytest.raises(plugins.PluginConflictError):
        reg.register("mine/thing", max)
    reg.unregister("mine/thing")
    assert "mine/thing" not in reg


def test_manual_registration_before_discovery_conflict():
    reg = plugins.PluginRegistry(
        plugins.EXPORTERS_GROUP, entry_points=[ep("acme/gated", "json:dumps")], disabled=[]
    )
    reg.register("acme/gated", len, origin="notebook")
    with pytest.raises(plugins.PluginConflictError, match="notebook"):
        reg.keys()


def test_installed_groups_are_well_formed():
    # Whatever is installed in this environment must discover cleanly (no conflicts).
    for group in (plugins.EXPORTERS_GROUP, plugins.NETX_LOADERS_GROUP):
        for key, spec in plugins.discover(group, disabled=[]).items():
            assert spec.key == key and "/" in key
