"""Version rules: legacy warning, newer major refused, newer minor read, extensions."""

from __future__ import annotations

import warnings

import h5py
import numpy as np
import pytest

import lava.lib.dl.hdf5_spec as hs
from lava.lib.dl.hdf5_spec._specs import _EXTENSIONS


@pytest.fixture
def good(tmp_path):
    path = tmp_path / "good.net"
    hs.write(hs.example_network(), path)
    return path


def test_current_file_reads_without_warning(good):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        net = hs.read(good)
    assert net.format_version == hs.FORMAT_VERSION == "1.0"
    assert net.writer == f"lava-dl-hdf5-spec {hs.__version__}"
    assert net == hs.example_network()


def test_legacy_file_warns_once_per_read(good):
    with h5py.File(good, "r+") as f:
        for obj in [f] + [f["layer"][k] for k in f["layer"]]:
            for name in list(obj.attrs):
                del obj.attrs[name]
    for _ in range(2):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            net = hs.read(good)
        assert [w.category for w in caught] == [hs.LegacyFormatWarning]
        assert "upgrade" in str(caught[0].message)
    assert net.format_version is None
    assert hs.upgrade(net) == hs.example_network()


def test_newer_major_is_refused_naming_version_and_package(good):
    with h5py.File(good, "r+") as f:
        f.attrs["format_version"] = "2.3"
        f.attrs["writer"] = "lava-dl-hdf5-spec 0.7.1"
    with pytest.raises(hs.UnsupportedFormatError) as info:
        hs.read(good)
    msg = str(info.value)
    assert "2.3" in msg and "lava-dl-hdf5-spec>=0.7.1" in msg and "1.x" in msg
    assert str(good) in msg and info.value.field == "@format_version"


def test_newer_major_without_writer_still_names_the_package(good):
    with h5py.File(good, "r+") as f:
        f.attrs["format_version"] = "3.0"
        del f.attrs["writer"]
    with pytest.raises(hs.UnsupportedFormatError, match="pip install -U lava-dl-hdf5-spec"):
        hs.read(good)


def test_malformed_version_is_a_format_error(good):
    with h5py.File(good, "r+") as f:
        f.attrs["format_version"] = "one"
    with pytest.raises(hs.FormatError, match="major.minor"):
        hs.read(good)


def test_newer_minor_is_read_and_unknown_optional_fields_kept(good, tmp_path):
    with h5py.File(good, "r+") as f:
        f.attrs["format_version"] = "1.7"
        f["layer/4"].create_dataset("futureGain", data=np.arange(10, dtype=np.float32))
        f["layer/4"].attrs["future_note"] = "hello"
        f["layer/1/neuron"].create_dataset("futureParam", data=np.int64(3))
        f.create_group("metadata").create_dataset("author", data="me",
                                                  dtype=h5py.string_dtype())
        f.attrs["future_root"] = 5
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        net = hs.read(good)
    assert net.format_version == "1.7"
    dense = net.layers[4]
    assert np.array_equal(dense.extra["futureGain"], np.arange(10, dtype=np.float32))
    assert dense.extra["@attrs"]["future_note"] == "hello"
    assert net.layers[1].neuron.params["futureParam"] == 3
    assert net.extra["metadata"]["author"] == np.array("me", dtype=object)
    # known content is unaffected
    ref = hs.example_network()
    assert np.array_equal(dense.weight, ref.layers[4].weight)
    # round trip: nothing silently lost
    out = tmp_path / "again.net"
    hs.write(net, out)
    back = hs.read(out)
    assert back.format_version == "1.0"
    assert np.array_equal(back.layers[4].extra["futureGain"], dense.extra["futureGain"])
    assert back.layers[4].extra["@attrs"]["future_note"] == "hello"
    assert back.layers[1].neuron.params["futureParam"] == 3
    assert str(back.extra["metadata"]["author"]) == "me"
    assert int(back.extra["@attrs"]["future_root"]) == 5


def test_unknown_required_extension_is_refused(good):
    with h5py.File(good, "r+") as f:
        f.attrs.create("required_extensions", data=["acme-sparse"], dtype=h5py.string_dtype())
    with pytest.raises(hs.UnsupportedExtensionError) as info:
        hs.read(good)
    assert "acme-sparse" in str(info.value) and isinstance(info.value, hs.UnsupportedFormatError)


def test_known_required_extension_is_accepted(good):
    with h5py.File(good, "r+") as f:
        f.attrs.create("required_extensions", data=["acme-sparse"], dtype=h5py.string_dtype())
    hs.register_extension("acme-sparse")
    try:
        net = hs.read(good)
        assert net.required_extensions == ("acme-sparse",)
    finally:
        _EXTENSIONS.discard("acme-sparse")


def test_first_party_namespace_is_always_known():
    assert "lava-dl" in hs.known_extensions()


def test_unknown_namespaced_layer_is_generic_and_round_trips(good, tmp_path):
    with h5py.File(good, "r+") as f:
        g = f["layer/3"]
        for k in list(g):
            del g[k]
        g.attrs["namespace"] = "acme"
        g.create_dataset("type", data=np.array([b"gated"], "S10"))
        g.create_dataset("shape", data=np.array([36, 1, 1]))
        g.create_dataset("gate", data=np.ones((36,), np.float32))
    net = hs.read(good)
    layer = net.layers[3]
    assert isinstance(layer, hs.GenericLayer) and layer.key == "acme/gated"
    assert np.array_equal(layer.fields["gate"], np.ones(36, np.float32))
    out = tmp_path / "gen.net"
    hs.write(net, out)
    back = hs.read(out)
    assert back == net.__class__(**{**vars(net), "format_version": "1.0"})
    with h5py.File(out, "r") as f:
        assert list(f.attrs["namespaces"]) == [b"acme", b"lava-dl"]
        assert f["layer/3"].attrs["namespace"] == b"acme"


def test_version_parsing():
    from lava.lib.dl.hdf5_spec._reader import parse_version

    assert parse_version("1.0") == (1, 0) and parse_version("12.34") == (12, 34)
    for bad in ("1", "1.0.0", "v1.0", "", "1.x"):
        with pytest.raises(hs.FormatError):
            parse_version(bad)
