"""Corrupt, truncated, inconsistent and hostile files give FormatError naming file/layer/field."""

from __future__ import annotations

import warnings

import h5py
import numpy as np
import pytest

import lava.lib.dl.hdf5_spec as hs
from lava.lib.dl.hdf5_spec.testing import reference_net_paths

NETS = reference_net_paths(__file__)


def _net():
    return hs.example_network()


@pytest.fixture
def good(tmp_path):
    path = tmp_path / "good.net"
    hs.write(_net(), path)
    return path


def _read(path, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", hs.LegacyFormatWarning)
        return hs.read(path, **kw)


def _expect(path, *fragments, cls=hs.FormatError, **kw):
    with pytest.raises(cls) as info:
        _read(path, **kw)
    msg = str(info.value)
    assert str(path) in msg, msg
    for frag in fragments:
        assert frag in msg, (frag, msg)
    return info.value


def test_random_bytes(tmp_path):
    path = tmp_path / "random.net"
    path.write_bytes(np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    err = _expect(path, "not a readable HDF5 file")
    assert err.file == str(path)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.net"
    path.write_bytes(b"")
    _expect(path, "not a readable HDF5 file")


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        hs.read(tmp_path / "nope.net")


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9, 0.999])
def test_truncated_real_file(tmp_path, fraction):
    src = NETS[0] if NETS else None
    path = tmp_path / "trunc.net"
    if src is None:
        hs.write(_net(), tmp_path / "src.net")
        src = tmp_path / "src.net"
    data = src.read_bytes()
    path.write_bytes(data[: int(len(data) * fraction)])
    with pytest.raises(hs.FormatError) as info:
        _read(path)
    assert str(path) in str(info.value)


def test_no_layer_group(tmp_path):
    path = tmp_path / "x.net"
    with h5py.File(path, "w") as f:
        f.create_group("something")
    _expect(path, "no 'layer' group", "'layer'")


def test_missing_type(good):
    with h5py.File(good, "r+") as f:
        del f["layer/2/type"]
    err = _expect(good, "layer /layer/2", "field 'type'", "missing")
    assert (err.layer, err.field) == ("/layer/2", "type")


def test_missing_shape(good):
    with h5py.File(good, "r+") as f:
        del f["layer/1/shape"]
    _expect(good, "/layer/1", "'shape'")


def test_missing_required_field(good):
    with h5py.File(good, "r+") as f:
        del f["layer/4/inFeatures"]
    _expect(good, "/layer/4", "'inFeatures'", "missing required")


def test_mismatched_weight_shape(good):
    with h5py.File(good, "r+") as f:
        del f["layer/4/weight"]
        f["layer/4"].create_dataset("weight", data=np.zeros((10, 35), np.float32))
    err = _expect(good, "/layer/4", "'weight'", "(10, 35)", "(10, 36)", cls=hs.ValidationError)
    assert len(err.problems) == 1 and err.problems[0].field == "weight"


def test_kernel_vs_channels(good):
    with h5py.File(good, "r+") as f:
        f["layer/1/outChannels"][()] = 5
    _expect(good, "/layer/1", "'weight'", "outChannels", cls=hs.ValidationError)


def test_conv_output_size_inconsistent(good):
    with h5py.File(good, "r+") as f:
        f["layer/1/stride"][...] = [2, 2]
    _expect(good, "/layer/1", "'shape'", "gives (3, 3)", cls=hs.ValidationError)


def test_dense_in_features_vs_previous_layer(good):
    with h5py.File(good, "r+") as f:
        f["layer/3/shape"][...] = [35, 1, 1]
    _expect(good, "/layer/4", "'inFeatures'", "35 neurons", cls=hs.ValidationError)


def test_non_contiguous_layer_indices(good):
    with h5py.File(good, "r+") as f:
        f.move("layer/5", "layer/7")
    _expect(good, "contiguous", "missing [5]", "'layer'")


def test_non_decimal_layer_name(good):
    with h5py.File(good, "r+") as f:
        f.move("layer/5", "layer/05")
    _expect(good, "decimal indices", "'05'")


def test_wrong_dtype_weight(good):
    with h5py.File(good, "r+") as f:
        del f["layer/4/weight"]
        f["layer/4"].create_dataset("weight", data=np.zeros((10, 36), np.int32))
    _expect(good, "/layer/4", "'weight'", "wrong dtype int32")


def test_wrong_dtype_shape(good):
    with h5py.File(good, "r+") as f:
        del f["layer/4/shape"]
        f["layer/4"].create_dataset("shape", data=np.array([10.0]))
    _expect(good, "/layer/4", "'shape'", "wrong dtype float64")


def test_string_where_integer_expected(good):
    with h5py.File(good, "r+") as f:
        del f["layer/4/outFeatures"]
        f["layer/4"].create_dataset("outFeatures", data="ten", dtype=h5py.string_dtype())
    _expect(good, "/layer/4", "'outFeatures'", "wrong dtype")


def test_nan_in_weights(good):
    with h5py.File(good, "r+") as f:
        w = f["layer/4/weight"][()]
        w[3, 4] = np.nan
        f["layer/4/weight"][...] = w
    err = _expect(good, "/layer/4", "'weight'", "non-finite", cls=hs.ValidationError)
    # reading without validation still works, the problem stays visible to validate()
    net = _read(good, validate=False)
    assert np.isnan(net.layers[4].weight[3, 4])
    assert err.problems[0].layer == "/layer/4"


def test_negative_sizes(good):
    with h5py.File(good, "r+") as f:
        f["layer/5/shape"][...] = [-3]
        f["layer/5/outFeatures"][()] = -3
    err = _expect(good, "/layer/5", "positive", cls=hs.ValidationError)
    assert {p.field for p in err.problems} >= {"shape"}


def test_negative_delay(good):
    with h5py.File(good, "r+") as f:
        f["layer/4/delay"][0] = -1
    _expect(good, "/layer/4", "'delay'", ">= 0", cls=hs.ValidationError)


def test_hostile_huge_dataset_is_not_allocated(good):
    with h5py.File(good, "r+") as f:
        del f["layer/4/weight"]
        # declared 2**40 float32 elements (4 TiB); chunked and never written, so the file is small
        f["layer/4"].create_dataset("weight", shape=(1 << 20, 1 << 20), dtype=np.float32,
                                    chunks=(1, 16))
    assert good.stat().st_size < 10_000_000
    _expect(good, "/layer/4", "'weight'", "exceeds the limit")


def test_hostile_huge_unknown_field_is_not_allocated(good):
    with h5py.File(good, "r+") as f:
        f["layer/4"].create_dataset("mystery", shape=(1 << 40,), dtype=np.uint8, chunks=(64,))
    _expect(good, "/layer/4", "'mystery'", "exceeds the limit")


def test_hostile_size_fields_do_not_drive_allocation(good):
    with h5py.File(good, "r+") as f:
        f["layer/4/inFeatures"][()] = 1 << 62
        f["layer/4/outFeatures"][()] = 1 << 62
        f["layer/4/shape"][...] = [1 << 62]
    err = _expect(good, "/layer/4", cls=hs.ValidationError)
    assert any(p.field == "weight" for p in err.problems)


def test_hostile_rank(good):
    with h5py.File(good, "r+") as f:
        f["layer/4"].create_dataset("deep", shape=(1,) * 12, dtype=np.float32)
    _expect(good, "/layer/4", "'deep'", "rank 12")


def test_max_elements_is_configurable(good):
    _expect(good, "/layer/4", "'weight'", "exceeds the limit", max_elements=100)
    assert len(_read(good, max_elements=1000).layers) == 6


def test_complex_weight_group_needs_real_and_imag(good):
    with h5py.File(good, "r+") as f:
        w = f["layer/4/weight"][()]
        del f["layer/4/weight"]
        f["layer/4"].create_group("weight").create_dataset("real", data=w)
    _expect(good, "/layer/4", "'weight'", "'real' and 'imag'")


def test_neuron_without_type(good):
    with h5py.File(good, "r+") as f:
        del f["layer/1/neuron/type"]
    _expect(good, "/layer/1", "'neuron/type'")


def test_neuron_missing_required_parameter(good):
    with h5py.File(good, "r+") as f:
        del f["layer/1/neuron/vThMant"]
    _expect(good, "/layer/1", "'neuron/vThMant'", "CUBA", cls=hs.ValidationError)


def test_neuron_parameter_out_of_range_and_wrong_kind(good):
    with h5py.File(good, "r+") as f:
        f["layer/1/neuron/iDecay"][()] = 5000
        del f["layer/2/neuron/vThMant"]
        f["layer/2/neuron"].create_dataset("vThMant", data=1.5)
    err = _expect(good, "outside [0, 4096]", "must be int", cls=hs.ValidationError)
    assert [(p.layer, p.field) for p in err.problems] == [
        ("/layer/1", "neuron/iDecay"), ("/layer/2", "neuron/vThMant")]


def test_unknown_neuron_type(good):
    with h5py.File(good, "r+") as f:
        del f["layer/1/neuron/type"]
        f["layer/1/neuron"].create_dataset("type", data="WEIRD", dtype=h5py.string_dtype())
    _expect(good, "/layer/1", "unknown neuron type 'WEIRD'", cls=hs.ValidationError)


def test_legacy_empty_group_explains_kwta(tmp_path):
    path = tmp_path / "kwta.net"
    with h5py.File(path, "w") as f:
        g = f.create_group("layer/0")
        g.create_dataset("type", data=np.array([b"input"], "S10"))
        g.create_dataset("shape", data=np.array([4]))
        f.create_group("layer/1")
    _expect(path, "/layer/1", "KWTA")


def test_validation_lists_every_problem(good):
    with h5py.File(good, "r+") as f:
        f["layer/1/neuron/iDecay"][()] = -1
        w = f["layer/5/weight"][()]
        w[0, 0] = np.inf
        f["layer/5/weight"][...] = w
    with pytest.raises(hs.ValidationError) as info:
        hs.validate(good)
    layers = [p.layer for p in info.value.problems]
    assert layers == ["/layer/1", "/layer/5"]
    assert "2 validation problems" in str(info.value) and str(good) in str(info.value)


def test_scalar_type_string_is_accepted(good):
    # netx accepts a scalar type string as well as a (1,) array
    with h5py.File(good, "r+") as f:
        del f["layer/3/type"]
        f["layer/3"].create_dataset("type", data=np.bytes_(b"flatten"))
    assert isinstance(_read(good).layers[3], hs.FlattenLayer)
