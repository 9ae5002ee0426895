"""slayer.io: Event, tensor conversion, binary formats (byte-exact on lava-dl files), tonic."""

import os
from pathlib import Path

import matplotlib
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lava.lib.dl.slayer import io

matplotlib.use("Agg")


def _shared() -> Path:
    env = os.environ.get("LAVA_DL_SHARED")
    return Path(env) if env else Path(__file__).resolve().parents[3] / ".." / "shared"


@pytest.fixture(scope="module")
def oxford():
    if not _shared().is_dir():
        pytest.skip("shared folder with reference data is absent")
    return _shared() / "reference-nets" / "oxford"


def test_event_fields_and_channel_normalisation():
    ev = io.Event([1.0, 2.7], None, [1, 2], [0.5, 3.0])
    assert ev.dim == 1 and not ev.graded and len(ev) == 2
    assert ev.x.dtype.kind == "i" and ev.x.tolist() == [1, 2]
    assert ev.c.tolist() == [0, 1]  # lava-dl behaviour: channels start at 0
    kept = io.Event([1, 2], [0, 0], [1, 2], [0, 1], normalize_channels=False)
    assert kept.dim == 2 and kept.c.tolist() == [1, 2]
    with pytest.raises(ValueError, match="one value per event"):
        io.Event([1, 2], None, [0], [0, 1])


def test_to_tensor_and_fill_tensor():
    ev = io.Event([0, 3, 3], None, [0, 0, 1], [0.0, 4.2, 6.0], normalize_channels=False)
    dense = ev.to_tensor(sampling_time=2)
    assert dense.shape == (2, 4, 4)  # T = round(6 / 2) + 1
    assert dense[0, 0, 0] == 0.5 and dense[0, 3, 2] == 0.5 and dense[1, 3, 3] == 0.5
    assert dense.sum() == 1.5
    empty = torch.zeros(2, 1, 4, 4)
    ev.fill_tensor(empty, sampling_time=2)
    np.testing.assert_array_equal(empty.reshape(2, 4, 4).numpy(), dense)
    with pytest.raises(ValueError, match="binning_mode"):
        ev.fill_tensor(np.zeros((2, 1, 4, 4)), binning_mode="MAX")
    with pytest.raises(ValueError, match=r"\(C, 1, X, T\)"):
        ev.fill_tensor(np.zeros((2, 2, 4, 4)))


def test_sum_binning_accumulates_duplicates():
    # lava-dl 0.6 lost duplicates (fancy-index +=, spec 15 #39)
    ev = io.Event([1, 1, 1], [0, 0, 0], [0, 0, 0], [2.0, 2.2, 2.4])
    for empty in (np.zeros((1, 1, 2, 4)), torch.zeros(1, 1, 2, 4)):
        out = ev.fill_tensor(empty, binning_mode="SUM")
        assert float(out[0, 0, 1, 2]) == 3.0
        assert float(out.sum()) == 3.0
    out = ev.fill_tensor(np.zeros((1, 1, 2, 4)), binning_mode="OR")
    assert out.sum() == 1.0


def test_graded_events():
    ev = io.Event([0, 1], None, [0, 0], [1.0, 1.0], payload=[0.25, -2.0])
    assert ev.graded
    dense = ev.to_tensor()
    assert dense[0, 0, 1] == 0.25 and dense[0, 1, 1] == -2.0


def test_random_shift_moves_all_events_together():
    rng = np.random.default_rng(4)
    ev = io.Event([0, 1], [0, 0], [0, 0], [5.0, 9.0])
    starts = set()
    for _ in range(200):
        out = ev.fill_tensor(np.zeros((1, 1, 2, 20)), random_shift=True, rng=rng)
        (b0,), (b1,) = np.nonzero(out[0, 0, 0])[0], np.nonzero(out[0, 0, 1])[0]
        assert out.sum() == 2 and b1 - b0 == 4  # nothing dropped, spacing kept
        starts.add(int(b0))
    assert starts == set(range(16))  # every shift that keeps both events in [0, 20)


def test_tensor_to_event_torch_numpy_and_roundtrip():
    rng = np.random.default_rng(0)
    spikes = (rng.random((2, 3, 5, 30)) > 0.9).astype(np.float32)
    a = io.tensor_to_event(spikes)
    b = io.tensor_to_event(torch.from_numpy(spikes))
    for field in "xyct":
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    assert a.dim == 2 and not a.graded
    np.testing.assert_array_equal(a.to_tensor(dim=spikes.shape), spikes)
    one_d = spikes[:, 0]
    ev = io.tensor_to_event(one_d, sampling_time=0.5)
    assert ev.dim == 1 and ev.p is not None  # value 1 at Ts 0.5 is a graded 0.5
    graded = io.tensor_to_event(one_d * 2, sampling_time=0.5)
    assert not graded.graded  # 2 * 0.5 = a unit spike
    np.testing.assert_array_equal(graded.to_tensor(0.5, dim=one_d.shape), one_d * 2)
    with pytest.raises(ValueError, match=r"\(C, X, T\) or \(C, Y, X, T\)"):
        io.tensor_to_event(np.zeros((2, 3)))


def test_1d_file_byte_exact_on_lava_dl_file(oxford, tmp_path):
    ev = io.read_1d_spikes(oxford / "input.bs1", normalize_channels=False)
    assert len(ev) == 1889 and ev.x.max() == 199 and set(ev.c.tolist()) == {1}
    assert set(io.read_1d_spikes(oxford / "input.bs1").c.tolist()) == {0}
    ref = np.load(oxford / "input.npy")  # [x, c, t in ms]
    np.testing.assert_array_equal(ev.x, ref[:, 0])
    np.testing.assert_allclose(ev.t, ref[:, 2])
    out = tmp_path / "copy.bs1"
    io.encode_1d_spikes(out, ev)
    assert out.read_bytes() == (oxford / "input.bs1").read_bytes()
    assert len(io.read_1d_spikes(oxford / "output.bs1")) == 10361


def test_1d_large_addresses_roundtrip(tmp_path):
    # lava-dl 0.6 wrote 300 as 44 (spec 15 #36)
    ev = io.Event([300, 65535, 0], None, [1, 0, 1], [0.001, 8000.0, 2.5], normalize_channels=False)
    io.encode_1d_spikes(tmp_path / "a.bs1", ev)
    back = io.read_1d_spikes(tmp_path / "a.bs1", normalize_channels=False)
    assert back.x.tolist() == [300, 65535, 0]
    assert back.c.tolist() == [1, 0, 1]
    np.testing.assert_allclose(back.t, ev.t)
    with pytest.raises(ValueError, match="16 bits"):
        io.encode_1d_spikes(tmp_path / "b.bs1", io.Event([70000], None, [0], [1.0]))
    with pytest.raises(ValueError, match="23-bit"):
        io.encode_1d_spikes(tmp_path / "b.bs1", io.Event([1], None, [0], [9000.0]))
    with pytest.raises(ValueError, match="1-D events"):
        io.encode_1d_spikes(tmp_path / "b.bs1", io.Event([1], [1], [0], [1.0]))


def test_2d_file_roundtrip_and_layout(tmp_path):
    ev = io.Event([33, 0, 255], [1, 255, 7], [1, 0, 1], [1.0, 2.5, 8000.123],
                  normalize_channels=False)  # fmt: skip
    io.encode_2d_spikes(tmp_path / "a.bin", ev)
    raw = (tmp_path / "a.bin").read_bytes()
    assert raw[:5] == bytes([33, 1, 0x80, 0x03, 0xE8])  # t = 1000 us, polarity bit 23
    back = io.read_2d_spikes(tmp_path / "a.bin", normalize_channels=False)
    for field in "xyc":
        np.testing.assert_array_equal(getattr(back, field), getattr(ev, field))
    np.testing.assert_allclose(back.t, ev.t)
    with pytest.raises(ValueError, match="8 bits"):
        io.encode_2d_spikes(tmp_path / "b.bin", io.Event([256], [0], [0], [1.0]))
    (tmp_path / "bad.bin").write_bytes(b"\x00" * 7)
    with pytest.raises(ValueError, match="multiple of the 5-byte"):
        io.read_2d_spikes(tmp_path / "bad.bin")


def test_np_files(oxford, tmp_path):
    ev = io.read_np_spikes(oxford / "input.npy")
    assert ev.dim == 1 and len(ev) == 1889
    # time_unit is honoured on write (lava-dl 0.6 ignored it, spec 15 #37)
    ev2 = io.Event([1, 2], [3, 4], [0, 1], [1.5, 2.0])
    io.encode_np_spikes(tmp_path / "us.npy", ev2, time_unit=1e-6)
    np.testing.assert_allclose(np.load(tmp_path / "us.npy")[:, 3], [1500, 2000])
    back = io.read_np_spikes(tmp_path / "us.npy", time_unit=1e-6)
    np.testing.assert_allclose(back.t, ev2.t)
    np.testing.assert_array_equal(back.y, ev2.y)
    with pytest.raises(ValueError, match="xypt"):
        io.read_np_spikes(tmp_path / "us.npy", fmt="txyp")


def test_structured_bridge():
    dtype = [("x", np.int16), ("y", np.int16), ("t", np.int64), ("p", np.int8)]
    events = np.array([(1, 2, 0, 1), (3, 0, 2500, 0), (3, 0, 2600, 0)], dtype=dtype)
    tensor = io.structured_to_tensor(events, sensor_size=(4, 3, 2), sampling_time=1.0)
    assert tensor.shape == (2, 3, 4, 4) and tensor.dtype == torch.float32
    assert tensor[1, 2, 1, 0] == 1 and tensor[0, 0, 3, 2] == 1 and tensor[0, 0, 3, 3] == 1
    assert tensor.sum() == 3
    ev = io.event_from_structured(events)
    np.testing.assert_allclose(ev.t, [0, 2.5, 2.6])
    assert ev.c.tolist() == [1, 0, 0]
    np.testing.assert_array_equal(io.event_to_structured(ev)["t"], events["t"])
    signed = np.array([(0, 5, -1), (1, 7, 1)], dtype=[("x", int), ("t", int), ("p", int)])
    one_d = io.structured_to_tensor(signed, sampling_time=0.005, time_unit=1e-6)
    assert one_d.shape == (2, 2, 2) and one_d[0, 0, 1] == 200 and one_d[1, 1, 1] == 200
    with pytest.raises(ValueError, match="'t' field"):
        io.event_from_structured(np.zeros(2, dtype=[("x", int), ("p", int)]))
    with pytest.raises(ValueError, match="sensor_size"):
        io.structured_to_tensor(events, sensor_size=(1, 2, 3, 4))


def test_anim_builds_for_1d_and_2d():
    ev1 = io.Event([0, 1, 2], None, [0, 0, 0], [0.0, 30.0, 90.0])
    anim = ev1.anim(frame_rate=24)
    assert anim is not None
    ev2 = io.Event([0, 1, 2], [0, 1, 1], [0, 1, 0], [0.0, 30.0, 90.0])
    for pre in (True, False):
        anim = ev2.anim(frame_rate=24, pre_compute_frames=pre)
        anim._init_draw()  # draw the first frame
    graded = io.Event([0, 1], None, [0, 0], [1.0, 2.0], payload=[1.0, 3.0])
    assert graded.anim() is not None


@settings(max_examples=40, deadline=None)
@given(
    data=st.lists(
        st.tuples(
            st.integers(0, 255),
            st.integers(0, 255),
            st.integers(0, 1),
            st.integers(0, (1 << 23) - 1),
        ),
        max_size=30,
    )
)
def test_2d_format_roundtrip_property(tmp_path_factory, data):
    columns = list(zip(*data, strict=True)) if data else [[], [], [], []]
    x, y, c, t_us = (np.array(v, dtype=np.int64) for v in columns)
    ev = io.Event(x, y, c, t_us / 1000, normalize_channels=False)
    path = tmp_path_factory.mktemp("bin") / "ev.bin"
    io.encode_2d_spikes(path, ev)
    assert path.stat().st_size == 5 * len(ev)
    back = io.read_2d_spikes(path, normalize_channels=False)
    for field in "xyc":
        np.testing.assert_array_equal(getattr(back, field), getattr(ev, field))
    np.testing.assert_array_equal(np.round(back.t * 1000).astype(np.int64), t_us)


@settings(max_examples=40, deadline=None)
@given(
    data=st.lists(
        st.tuples(st.integers(0, 65535), st.integers(0, 1), st.integers(0, (1 << 23) - 1)),
        min_size=1,
        max_size=30,
    )
)
def test_1d_format_roundtrip_property(tmp_path_factory, data):
    x, c, t_us = (np.array(v, dtype=np.int64) for v in zip(*data, strict=True))
    ev = io.Event(x, None, c, t_us / 1000, normalize_channels=False)
    path = tmp_path_factory.mktemp("bs1") / "ev.bs1"
    io.encode_1d_spikes(path, ev)
    back = io.read_1d_spikes(path, normalize_channels=False)
    np.testing.assert_array_equal(back.x, x)
    np.testing.assert_array_equal(back.c, c)
    np.testing.assert_array_equal(np.round(back.t * 1000).astype(np.int64), t_us)
