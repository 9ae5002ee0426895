"""Every real lava-dl 0.6 .net file: read, validate, inspect, round trip, legacy-reader view."""

from __future__ import annotations

import warnings

import h5py
import numpy as np
import pytest

import lava.lib.dl.hdf5_spec as hs
from lava.lib.dl.hdf5_spec.testing import legacy_view, reference_net_paths, shared_dir

NETS = reference_net_paths(__file__)
SHARED = shared_dir(__file__)


def _need_shared():
    if SHARED is None:
        pytest.skip("the shared data folder (../shared beside the repository) is absent")


def _id(p):
    return "/".join(p.parts[-3:]) if p is not None else "none"


@pytest.fixture(params=NETS or [None], ids=_id)
def net_path(request):
    _need_shared()
    assert request.param is not None, "shared/ exists but holds no reference-nets/*.net"
    return request.param


def test_all_expected_reference_files_are_found():
    _need_shared()
    names = {"/".join(p.parts[-2:]) for p in NETS}
    for expected in ("netx-tests/tiny.net", "pilotnet_sdnn/network.net",
                     "pilotnet_sdnn/square_network.net", "pilotnet_lif/network.net",
                     "Trained/network.net"):
        assert expected in names


def test_reads_with_one_legacy_warning_and_validates(net_path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        net = hs.read(net_path)
    legacy = [w for w in caught if issubclass(w.category, hs.LegacyFormatWarning)]
    assert len(legacy) == 1
    assert str(net_path) in str(legacy[0].message)
    assert net.format_version is None and net.is_legacy
    hs.validate(net)
    hs.validate(net_path)
    assert len(net.layers) >= 2


def test_inspect_table_lists_every_layer(net_path):
    with pytest.warns(hs.LegacyFormatWarning):
        net = hs.read(net_path)
    text = hs.summarize(net)
    rows = text.splitlines()[-len(net.layers):]
    for i, (row, layer) in enumerate(zip(rows, net.layers, strict=True)):
        cells = row.split()
        assert cells[0] == str(i) and cells[1] == layer.type
        assert cells[2] == "x".join(str(n) for n in layer.shape)


def test_round_trip_is_identical(net_path, tmp_path):
    with pytest.warns(hs.LegacyFormatWarning):
        net = hs.read(net_path)
    out = tmp_path / "rt.net"
    hs.write(net, out)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a 1.0 file raises no legacy warning
        back = hs.read(out)
    assert back.format_version == hs.FORMAT_VERSION
    migrated = hs.upgrade(net)
    assert migrated == back, migrated.diff(back)
    # the second generation is byte-for-byte the same model again
    out2 = tmp_path / "rt2.net"
    hs.write(back, out2)
    assert hs.read(out2) == back


def _datasets(path):
    found = {}
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                found[name] = (obj.dtype, obj.shape, obj[()])
        f.visititems(visit)
    return found


def test_written_file_keeps_layout_values_and_dtypes(net_path, tmp_path):
    with pytest.warns(hs.LegacyFormatWarning):
        net = hs.read(net_path)
    out = tmp_path / "rt.net"
    hs.write(net, out)
    old, new = _datasets(net_path), _datasets(out)
    assert set(old) == set(new)
    for name, (dtype, shape, value) in old.items():
        ndtype, nshape, nvalue = new[name]
        leaf = name.rsplit("/", 1)[-1]
        if leaf == "type" and "neuron" not in name:
            assert ndtype == np.dtype("S10") and nshape == (1,)
            assert nvalue[0] == np.asarray(value).reshape(-1)[0]
            continue
        if leaf == "type" or leaf == "activation":
            assert h5py.check_string_dtype(ndtype) is not None and nshape == ()
            assert nvalue == value
            continue
        if dtype.kind in "iu":
            assert ndtype == np.int64
        elif dtype.kind == "b":
            assert ndtype == np.bool_
        if leaf == "weight":
            assert ndtype == np.float32
        if name in ("layer/0/weight", "layer/0/bias") and net.layers[0].type == "input":
            assert nshape == (1,)
            assert float(nvalue[0]) == float(np.asarray(value).reshape(-1)[0])
            continue
        # legacy layout normalisations: conv kernels lose the trailing time axis, a (in,)
        # single-output dense weight becomes (1, in); values are unchanged
        assert np.array_equal(np.asarray(nvalue).reshape(-1), np.asarray(value).reshape(-1))
        if nshape != shape:
            assert leaf == "weight" and (shape[-1:] == (1,) or len(shape) == 1), (name, shape)


def test_legacy_style_reader_sees_the_same_network(net_path, tmp_path):
    with pytest.warns(hs.LegacyFormatWarning):
        net = hs.read(net_path)
    out = tmp_path / "rt.net"
    hs.write(net, out)
    before, after = legacy_view(net_path), legacy_view(out)
    assert len(before) == len(after)
    for a, b in zip(before, after, strict=True):
        assert a.keys() == b.keys()
        for key in a:
            if key == "neuron":
                assert a[key] == b[key]
            else:
                x, y = np.asarray(a[key]), np.asarray(b[key])
                assert np.array_equal(x.reshape(-1), y.reshape(-1)), key
                if key == "type":
                    assert x == y


def test_known_values_of_tiny_and_oxford():
    _need_shared()
    base = SHARED / "reference-nets"
    with pytest.warns(hs.LegacyFormatWarning):
        tiny = hs.read(base / "netx-tests" / "tiny.net")
    inp, conv1, conv2 = tiny.layers
    assert isinstance(inp, hs.InputLayer) and (inp.weight, inp.bias) == (36.0, 34.0)
    assert inp.shape == (3, 16, 16) and inp.neuron.type == "LOIHI"
    assert inp.neuron.params["vThMant"] == 25 and inp.neuron.params["tauRho"] == 0.5
    assert isinstance(conv1, hs.ConvLayer) and conv1.weight.shape == (24, 3, 5, 5)
    assert conv1.stride == (2, 2) and conv1.shape == (24, 6, 6) and conv2.shape == (36, 1, 1)
    assert conv1.weight.dtype == np.float32
    assert tiny.simulation == hs.Simulation(ts=1, t_sample=64)
    with pytest.warns(hs.LegacyFormatWarning):
        ox = hs.read(base / "oxford" / "Trained" / "network.net")
    assert [layer.neuron.params["vDecay"] for layer in ox.layers] == [415, 409]
    assert (ox.layers[0].in_features, ox.layers[0].out_features) == (200, 256)
    assert ox.layers[0].neuron.params["gradedSpike"] is False
    with pytest.warns(hs.LegacyFormatWarning):
        sd = hs.read(base / "netx-tests" / "gts" / "pilotnet_sdnn" / "network.net")
    assert sd.layers[-1].neuron.params["sigma_output"] is True
    assert sd.layers[0].neuron.params["activation"] == "relu"
    with pytest.warns(hs.LegacyFormatWarning):
        lif = hs.read(base / "netx-tests" / "gts" / "pilotnet_lif" / "network.net")
    last = lif.layers[10]
    assert last.weight.shape == (1, 10) and last.bias.dtype == np.float64
    assert last.neuron.params["vThMant"] == 131071
    assert lif.layers[0].weight == 40.0 and lif.layers[0].bias == 36.0


def test_upgrade_cli_path(net_path, tmp_path):
    out = tmp_path / "up.net"
    net = hs.upgrade(net_path, out)
    assert net.format_version == hs.FORMAT_VERSION
    with h5py.File(out, "r") as f:
        assert f.attrs["format_version"] == b"1.0"
        assert f.attrs["writer"].startswith(b"lava-dl-hdf5-spec ")
        assert list(f.attrs["namespaces"]) == [b"lava-dl"]
        assert len(f.attrs["required_extensions"]) == 0
        assert f["layer/0"].attrs["namespace"] == b"lava-dl"
        assert f["layer/0"].attrs["encoding_version"] == 1
    assert hs.read(out) == net


def test_cli_validate_and_inspect(net_path, capsys):
    from lava.lib.dl.hdf5_spec.__main__ import main

    assert main(["validate", str(net_path)]) == 0
    assert "legacy lava-dl <= 0.6 file" in capsys.readouterr().out
    assert main(["inspect", str(net_path)]) == 0
    out = capsys.readouterr().out
    assert "format legacy" in out and "validation problem" not in out
