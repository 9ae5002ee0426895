"""Command line, generated docs, migration registry, fuzzed corruption."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import h5py
import numpy as np
import pytest

import lava.lib.dl.hdf5_spec as hs
from lava.lib.dl.hdf5_spec.__main__ import main
from lava.lib.dl.hdf5_spec.testing import reference_net_paths

PKG_ROOT = Path(__file__).resolve().parents[1]
NETS = reference_net_paths(__file__)


def test_committed_field_tables_match_the_code():
    committed = (PKG_ROOT / "spec" / "fields.md").read_text(encoding="utf-8")
    assert committed == hs.render_field_tables(), (
        "spec/fields.md is stale: run 'python -m lava.lib.dl.hdf5_spec docs spec/' in hdf5-spec/")


def test_field_tables_cover_every_spec():
    text = hs.render_field_tables()
    for spec in hs.LAYER_SPECS.values():
        assert f"### `{spec.type}` ({spec.namespace})" in text
        for f in spec.fields:
            assert f"| `{f.name}` |" in text
    for name, spec in hs.NEURON_SPECS.items():
        assert f"### `{name}`" in text
        for f in spec.fields:
            assert f"| `{f.name}` |" in text


def test_docs_command(tmp_path, capsys):
    assert main(["docs", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "fields.md").read_text() == hs.render_field_tables()


def test_example_inspect_validate(tmp_path, capsys):
    out = tmp_path / "ex.net"
    assert main(["example", str(out)]) == 0
    assert hs.read(out) == hs.example_network()
    assert main(["inspect", str(out)]) == 0
    text = capsys.readouterr().out
    assert "format 1.0, 6 layers" in text
    row = [line for line in text.splitlines() if line.startswith("4 ")][0].split()
    assert row[:4] == ["4", "dense", "10", "CUBA"] and "yes" in row
    assert main(["validate", str(out)]) == 0
    assert capsys.readouterr().out.startswith("OK ")


def test_validate_reports_problems_with_nonzero_exit(tmp_path, capsys):
    out = tmp_path / "bad.net"
    hs.write(hs.example_network(), out)
    with h5py.File(out, "r+") as f:
        f["layer/4/inFeatures"][()] = 7
    assert main(["validate", str(out)]) == 1
    text = capsys.readouterr().out
    assert "INVALID" in text and "/layer/4" in text and "'weight'" in text and "(10, 7)" in text
    assert main(["inspect", str(out)]) == 0  # inspect still shows an invalid file
    assert "validation problem" in capsys.readouterr().out


def test_cli_errors_on_unreadable_file(tmp_path, capsys):
    junk = tmp_path / "junk.net"
    junk.write_bytes(b"not hdf5 at all")
    assert main(["validate", str(junk)]) == 1
    assert "not a readable HDF5 file" in capsys.readouterr().err
    assert main(["inspect", str(tmp_path / "missing.net")]) == 2


def test_upgrade_command(tmp_path, capsys):
    old = tmp_path / "old.net"
    hs.write(hs.example_network(), old)
    with h5py.File(old, "r+") as f:
        for obj in [f] + [f["layer"][k] for k in f["layer"]]:
            for name in list(obj.attrs):
                del obj.attrs[name]
    new = tmp_path / "new.net"
    assert main(["upgrade", str(old), str(new)]) == 0
    assert main(["upgrade", str(old), str(new)]) == 2  # refuses to overwrite
    assert main(["upgrade", "--force", str(old), str(new)]) == 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert hs.read(new) == hs.example_network()


def test_version_flag_and_module_entry():
    proc = subprocess.run([sys.executable, "-m", "lava.lib.dl.hdf5_spec", "--version"],
                          capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == f"lava-dl-hdf5-spec {hs.__version__} (format 1.0)"


def test_package_imports_neither_torch_nor_lava_runtime():
    code = ("import sys, lava.lib.dl.hdf5_spec as m; m.read; "
            "bad = [k for k in sys.modules if k == 'torch' or k.startswith('lava.magma') "
            "or k.startswith('lava.proc') or k.startswith('lava.lib.dl.slayer')]; "
            "print(bad); assert not bad")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_migration_chain_registry():
    assert hs.MIGRATIONS[None].target == "1.0"
    with pytest.raises(ValueError, match="already registered"):
        hs.register_migration(hs.MigrationStep(None, "1.0", lambda n: n))
    legacy = hs.example_network()
    legacy.format_version = None
    for layer in legacy.layers:
        layer.encoding_version = 7
    up = hs.upgrade(legacy)
    assert up.format_version == "1.0" and all(x.encoding_version == 1 for x in up.layers)
    assert legacy.format_version is None  # the input is not mutated
    newer = hs.example_network()
    newer.format_version = "1.4"
    assert hs.upgrade(newer) is newer  # a newer minor needs no migration
    odd = hs.example_network()
    odd.format_version = "0.9"
    with pytest.raises(hs.FormatError, match="no migration path"):
        hs.upgrade(odd)


def test_migration_chain_follows_registered_steps():
    """A later step (here 0.5 -> legacy-free 1.0) plugs into the same chain."""
    calls = []

    def step(net):
        calls.append(net.format_version)
        out = hs.NetworkDescription(layers=net.layers, format_version="1.0")
        return out

    hs.register_migration(hs.MigrationStep("0.5", "1.0", step))
    try:
        old = hs.example_network()
        old.format_version = "0.5"
        assert hs.upgrade(old).format_version == "1.0" and calls == ["0.5"]
    finally:
        del hs.MIGRATIONS["0.5"]


@pytest.mark.parametrize("seed", range(12))
def test_fuzzed_bytes_give_format_error_or_valid_result(tmp_path, seed):
    src = tmp_path / "src.net"
    hs.write(hs.example_network(), src)
    data = bytearray(src.read_bytes())
    rng = np.random.default_rng(seed)
    for start in rng.integers(0, len(data) - 64, size=4):
        data[start:start + 16] = rng.integers(0, 256, 16, dtype=np.uint8).tobytes()
    path = tmp_path / "fuzz.net"
    path.write_bytes(bytes(data))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            net = hs.read(path, max_elements=1 << 16)
    except hs.FormatError as exc:
        assert str(path) in str(exc)
    else:
        hs.validate(net)


def _readme_blocks(lang):
    text = (PKG_ROOT / "README.md").read_text(encoding="utf-8")
    parts = text.split("```" + lang + "\n")[1:]
    return [p.split("```", 1)[0] for p in parts]


def test_readme_python_example_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    blocks = _readme_blocks("python")
    assert blocks
    for code in blocks:
        exec(compile(code, "README.md", "exec"), {})
    assert "dense (10,) 36 10" in capsys.readouterr().out


def test_readme_inspect_output_is_current(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["example", "example.net"]) == 0
    capsys.readouterr()
    assert main(["inspect", "example.net"]) == 0
    shown = _readme_blocks("text")[0]
    assert capsys.readouterr().out == shown
