"""``python -m lava.lib.dl.netx run``: Lava-layout files in and out, RingBuffer semantics."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from lava.lib.dl.netx._cli import main


def _shared() -> Path:
    env = os.environ.get("LAVA_DL_SHARED")
    return Path(env) if env else Path(__file__).resolve().parents[3] / ".." / "shared"


REF = _shared() / "reference-nets"
SDNN = REF / "netx-tests" / "gts" / "pilotnet_sdnn"
needs_ref = pytest.mark.skipif(not REF.is_dir(), reason=f"reference nets not found at {REF}")


@needs_ref
def test_run_pilotnet_sdnn_writes_the_sink_contents(tmp_path, capsys):
    x = np.load(SDNN / "input.npy")  # (100, 33, 3, 1): Lava order, time last
    np.save(tmp_path / "in.npy", np.repeat(x, 9, axis=-1))
    rc = main(["run", str(SDNN / "network.net"), "--input", str(tmp_path / "in.npy"),
               "--steps", "9", "--output", str(tmp_path / "out.npy")])
    assert rc == 0
    out = np.load(tmp_path / "out.npy")
    assert out.shape == (1, 9)
    assert np.array_equal(out, np.load(SDNN / "output.npy"))
    text = capsys.readouterr().out
    assert "ms/step" in text and "Conv" in text and "sigma_delta" in text


@needs_ref
def test_input_repeats_like_a_ring_buffer(tmp_path):
    x = np.load(SDNN / "input.npy")
    rng = np.random.default_rng(0)
    seq = np.concatenate([x, x + rng.integers(-5, 5, x.shape), x], axis=-1)
    np.save(tmp_path / "a.npy", seq)
    np.save(tmp_path / "b.npy", np.concatenate([seq, seq], axis=-1))
    for name, steps in (("a", 6), ("b", 6)):
        assert main(["run", str(SDNN / "network.net"), "--input", str(tmp_path / f"{name}.npy"),
                     "--steps", str(steps), "--output", str(tmp_path / f"{name}_out.npy")]) == 0
    assert np.array_equal(np.load(tmp_path / "a_out.npy"), np.load(tmp_path / "b_out.npy"))


@needs_ref
def test_inject_at_net_inp_for_a_dense_first_network(tmp_path, capsys):
    np.save(tmp_path / "in.npy", np.load(REF / "oxford" / "gts" / "in.npy").astype(np.int8))
    args = ["run", str(REF / "oxford" / "Trained" / "network.net"), "--input",
            str(tmp_path / "in.npy"), "--steps", "2000", "--output", str(tmp_path / "o.npy")]
    assert main([*args, "--inject", "inp"]) == 0
    assert int(np.load(tmp_path / "o.npy").sum()) == 9565
    # the default port is net.in_layer.neuron.a_in, whose shape is (256,): refused clearly
    assert main(args) == 1
    assert "expected (256,) + (T,)" in capsys.readouterr().err


@needs_ref
def test_bad_input_files_are_refused(tmp_path, capsys):
    np.save(tmp_path / "f.npy", np.full((100, 33, 3, 2), 0.5))
    rc = main(["run", str(SDNN / "network.net"), "--input", str(tmp_path / "f.npy"),
               "--steps", "2", "--output", str(tmp_path / "o.npy")])
    assert rc == 2 and "non-integer" in capsys.readouterr().err
    rc = main(["run", str(SDNN / "network.net"), "--input", str(tmp_path / "missing.npy"),
               "--steps", "2", "--output", str(tmp_path / "o.npy")])
    assert rc == 2 and "cannot read" in capsys.readouterr().err
    assert not (tmp_path / "o.npy").exists()


def test_lava_backend_explains_what_it_needs(tmp_path):
    try:
        import lava.magma  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("lava-nc is installed: the lava backend is tested in test_lava_*.py")
    np.save(tmp_path / "in.npy", np.zeros((4, 2), dtype=np.int64))
    with pytest.raises(SystemExit, match=r"Python 3\.10.*lava-dl-netx\[lava\]"):
        main(["run", "x.net", "--input", str(tmp_path / "in.npy"), "--steps", "2",
              "--output", str(tmp_path / "o.npy"), "--backend", "lava"])


@needs_ref
def test_lava_backend_gives_the_native_output(tmp_path):
    pytest.importorskip("lava.magma", reason="the lava backend needs lava-nc (Python 3.10)")
    x = np.load(SDNN / "input.npy")
    np.save(tmp_path / "in.npy", np.repeat(x, 9, axis=-1))
    for backend in ("native", "lava"):
        assert main(["run", str(SDNN / "network.net"), "--input", str(tmp_path / "in.npy"),
                     "--steps", "9", "--output", str(tmp_path / f"{backend}.npy"),
                     "--backend", backend]) == 0
    native, lava = np.load(tmp_path / "native.npy"), np.load(tmp_path / "lava.npy")
    assert lava.dtype == np.int64 and np.array_equal(native, lava)


def test_module_entry_point_and_light_import():
    out = subprocess.run([sys.executable, "-m", "lava.lib.dl.netx", "--version"],
                         capture_output=True, text=True, check=True)
    assert out.stdout.startswith("lava-dl-netx ")
    code = ("import sys, lava.lib.dl.netx as n, lava.lib.dl.netx.native, lava.lib.dl.netx._cli; "
            "bad = [m for m in ('torch', 'lava.magma') if m in sys.modules]; "
            "assert not bad, bad; assert 'native' in dir(n)")
    subprocess.run([sys.executable, "-c", code], check=True)


@needs_ref
@pytest.mark.parametrize("backend", ["native", "lava"])
def test_tiny_net_driven_through_the_input_bias(tmp_path, backend):
    if backend == "lava":
        pytest.importorskip("lava.magma", reason="the lava backend needs lava-nc (Python 3.10)")
    gts = REF / "netx-tests" / "gts" / "tinynet"
    np.save(tmp_path / "zero.npy", np.zeros((16, 16, 3, 1), dtype=np.int64))
    rc = main(["run", str(REF / "netx-tests" / "tiny.net"), "--input", str(tmp_path / "zero.npy"),
               "--steps", "17", "--output", str(tmp_path / "o.npy"), "--reset-interval", "17",
               "--bias", str(gts / "input_bias.npy"), "--backend", backend])
    assert rc == 0
    out = np.load(tmp_path / "o.npy")  # (X, Y, C, T) = (1, 1, 36, 17)
    gt = np.load(gts / "output.npy")[0].transpose(2, 1, 0, 3)
    assert np.array_equal(out[..., 2:17], gt[..., 1:])


@needs_ref
def test_bias_file_of_the_wrong_shape_is_refused(tmp_path, capsys):
    np.save(tmp_path / "zero.npy", np.zeros((16, 16, 3, 1), dtype=np.int64))
    np.save(tmp_path / "b.npy", np.zeros((3, 16, 16), dtype=np.int64))
    rc = main(["run", str(REF / "netx-tests" / "tiny.net"), "--input", str(tmp_path / "zero.npy"),
               "--steps", "2", "--output", str(tmp_path / "o.npy"), "--bias",
               str(tmp_path / "b.npy")])
    assert rc == 1 and "(16, 16, 3) (Lava order)" in capsys.readouterr().err
