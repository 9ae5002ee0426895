"""Task runner of the lava-dl monorepo (DESIGN.md §6).

Sessions are generated from the package table :data:`PACKAGES`:

- ``test-<pkg>``: installs the distribution *as built* (a wheel, non-editable) with only its
  declared dependencies (plus its ``test`` dependency group) on its Python, imports every module,
  checks that forbidden modules (torch in the netx and hdf5-spec environments) were not imported,
  and runs its tests.
- ``spec``: the hdf5-spec package alone on Python 3.10 (oldest supported numpy) and 3.11 (newest
  numpy): no torch, no lava-nc installed; ``inspect`` prints every reference network.
- ``namespace``: builds every wheel and fails on namespace ``__init__.py`` files or a top-level
  ``tests`` package.
- ``lint`` (ruff), ``docs`` (mkdocs, strict; API pages extracted statically by griffe).
- ``gpu`` (CuPy kernels against the reference, GPU benchmark; needs CUDA), ``bench`` (CPU
  benchmarks, tables and JSON under ``out/bench``).

``nox`` with no argument runs the default (CI) sessions. Missing interpreters are errors.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import nox
import tomllib
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent
WHEELS = ROOT / ".nox" / "_wheels"
SHARED = Path(os.environ.get("LAVA_DL_SHARED", ROOT.parent / "shared")).resolve()
TORCH = "torch==2.13.0"  # the CPU wheel; a bare "torch" would pull a multi-GB CUDA build

nox.options.error_on_missing_interpreters = True
nox.options.reuse_existing_virtualenvs = False
nox.needs_version = ">=2024.3.2"


@dataclass(frozen=True)
class Package:
    """One distribution of the monorepo."""

    name: str  # short name used in session names
    path: str  # folder, relative to the repository root
    dist: str  # distribution name
    module: str | None  # import name (None for the code-free metapackage)
    pythons: tuple[str, ...]
    needs_torch: bool = False
    forbidden: tuple[str, ...] = ()  # modules that must not be imported by importing the package
    extras: dict[str, tuple[str, ...]] = field(default_factory=dict)  # python -> extras to install
    optional: tuple[str, ...] = ()  # top-level modules whose absence may skip a submodule import


PACKAGES: tuple[Package, ...] = (
    Package("hdf5-spec", "hdf5-spec", "lava-dl-hdf5-spec", "lava.lib.dl.hdf5_spec", ("3.11",),
            forbidden=("torch", "lava.magma", "numba", "cupy")),
    Package("core", "packages/lava-dl-core", "lava-dl-core", "lava.lib.dl.core", ("3.11",),
            needs_torch=True, forbidden=("lava.magma",), optional=("cupy",)),
    Package("slayer", "packages/lava-dl-slayer", "lava-dl-slayer", "lava.lib.dl.slayer",
            ("3.11",), needs_torch=True, forbidden=("lava.magma",), optional=("cupy",)),
    Package("bootstrap", "packages/lava-dl-bootstrap", "lava-dl-bootstrap",
            "lava.lib.dl.bootstrap", ("3.11",), needs_torch=True, forbidden=("lava.magma",),
            optional=("cupy",)),
    Package("decolle", "packages/lava-dl-decolle", "lava-dl-decolle", "lava.lib.dl.decolle",
            ("3.11",), needs_torch=True, forbidden=("lava.magma",), optional=("cupy",)),
    Package("netx", "packages/lava-dl-netx", "lava-dl-netx", "lava.lib.dl.netx",
            ("3.10", "3.11"), forbidden=("torch",),
            # 3.11 runs the numba kernels (extra `fast`), 3.10 the plain numpy path beside Lava
            extras={"3.10": ("lava",), "3.11": ("fast",)},
            optional=("lava.magma", "lava.proc", "lava.lib.dl.netx._lava", "numba")),
    Package("lava-dl", "packages/lava-dl", "lava-dl", None, ("3.11",)),
)
BY_NAME = {p.name: p for p in PACKAGES}


# --------------------------------------------------------------------------- helpers
def _tree_digest(folder: Path) -> str:
    h = hashlib.sha256()
    for f in sorted(folder.rglob("*")):
        rel = f.relative_to(folder)
        if f.is_dir() or any(part in {"__pycache__", ".pytest_cache", "tests"} for part in
                             rel.parts):
            continue
        h.update(str(rel).encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


def build_wheels(session: nox.Session, names: list[str] | None = None) -> Path:
    """Build (or reuse, when the sources did not change) the wheels of the given packages."""
    WHEELS.mkdir(parents=True, exist_ok=True)
    stamp_file = WHEELS / "stamps.json"
    stamps = json.loads(stamp_file.read_text()) if stamp_file.exists() else {}
    tool_ready = False
    for pkg in PACKAGES if names is None else [BY_NAME[n] for n in names]:
        digest = _tree_digest(ROOT / pkg.path)
        norm = pkg.dist.replace("-", "_")
        if stamps.get(pkg.dist) == digest and list(WHEELS.glob(f"{norm}-*.whl")):
            continue
        for old in WHEELS.glob(f"{norm}-*.whl"):
            old.unlink()
        if not tool_ready:
            session.install("hatchling>=1.18", "pip")
            tool_ready = True
        session.run("python", "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(WHEELS), str(ROOT / pkg.path))
        stamps[pkg.dist] = digest
        stamp_file.write_text(json.dumps(stamps, indent=1))
    return WHEELS


def _local_closure(pkg: Package) -> list[str]:
    """Local packages ``pkg`` may install (transitively, through dependencies, extras and the
    ``test`` group), itself included: their wheels must be built before pip resolves."""
    local = {canonicalize_name(p.dist): p.name for p in PACKAGES}
    out: list[str] = []
    seen: set[str] = set()

    def visit(name: str) -> None:
        if name in seen:
            return
        seen.add(name)
        meta = tomllib.loads((ROOT / BY_NAME[name].path / "pyproject.toml").read_text())
        deps = list(meta["project"].get("dependencies", []))
        for extra in meta["project"].get("optional-dependencies", {}).values():
            deps += extra
        deps += [d for d in meta.get("dependency-groups", {}).get("test", [])
                 if isinstance(d, str)]
        for dep in deps:
            dist = canonicalize_name(Requirement(dep).name)
            if dist in local:
                visit(local[dist])
        out.append(name)

    visit(pkg.name)
    return out


def _test_group(pkg: Package) -> list[str]:
    meta = tomllib.loads((ROOT / pkg.path / "pyproject.toml").read_text())
    return list(meta.get("dependency-groups", {}).get("test", []))


def install_package(session: nox.Session, pkg: Package, *, extras: tuple[str, ...] = ()) -> None:
    """Install ``pkg`` from its wheel, with only its declared dependencies and its test group."""
    wheels = build_wheels(session, _local_closure(pkg))
    if pkg.needs_torch:
        session.install(TORCH)
    (wheel,) = wheels.glob(f"{pkg.dist.replace('-', '_')}-*.whl")
    req = str(wheel) + (f"[{','.join(extras)}]" if extras else "")
    session.install("--find-links", str(wheels), req, *_test_group(pkg))




def check_imports(session: nox.Session, pkg: Package) -> None:
    """Import every module of ``pkg`` and assert forbidden modules stay out."""
    if pkg.module is None:
        return
    session.run("python", str(ROOT / "tools" / "check_imports.py"), pkg.module,
                ",".join(pkg.forbidden), ",".join(pkg.optional))


def run_pytest(session: nox.Session, pkg: Package, *args: str) -> None:
    tests = ROOT / pkg.path / "tests"
    if not any(tests.glob("test_*.py")):
        session.error(f"{pkg.dist} has no tests under {tests}")
    session.run("python", "-m", "pytest", "-p", "no:cacheprovider", "--import-mode=importlib",
                "-q", str(tests), *args, *session.posargs,
                env={"LAVA_DL_SHARED": str(SHARED)})


# --------------------------------------------------------------------------- test-<pkg>
def _make_test_session(pkg: Package) -> None:
    def _test(session: nox.Session) -> None:
        extras = pkg.extras.get(session.python or "", ())
        install_package(session, pkg, extras=extras)
        check_imports(session, pkg)
        run_pytest(session, pkg)

    _test.__doc__ = f"Install {pkg.dist} as built, import every module, run its tests."
    nox.session(name=f"test-{pkg.name}", python=list(pkg.pythons))(_test)


for _pkg in PACKAGES:
    _make_test_session(_pkg)


# --------------------------------------------------------------------------- spec
@nox.session(python=["3.10", "3.11"])
def spec(session: nox.Session) -> None:
    """hdf5-spec alone (oldest numpy on 3.10, newest on 3.11): no torch/lava; inspect ref nets."""
    pkg = BY_NAME["hdf5-spec"]
    if session.python == "3.10":
        session.install("numpy==1.24.*")
    install_package(session, pkg)
    installed = session.run("python", "-m", "pip", "list", "--format=freeze", silent=True)
    for banned in ("torch", "lava-nc", "numba"):
        if any(line.lower().startswith(banned + "==") for line in installed.splitlines()):
            session.error(f"installing lava-dl-hdf5-spec pulled in {banned}")
    check_imports(session, pkg)
    nets = sorted((SHARED / "reference-nets").rglob("*.net")) if SHARED.exists() else []
    if not nets:
        session.warn(f"no reference networks under {SHARED}; skipping inspect")
    for net in nets:
        session.run("python", "-m", "lava.lib.dl.hdf5_spec", "inspect", str(net))
    run_pytest(session, pkg)


# --------------------------------------------------------------------------- namespace
NAMESPACE_INITS = {"lava/__init__.py", "lava/lib/__init__.py", "lava/lib/dl/__init__.py"}


@nox.session(python="3.11")
def namespace(session: nox.Session) -> None:
    """Build every wheel; fail on namespace __init__.py files or a top-level tests package."""
    wheels = build_wheels(session)
    problems = []
    for pkg in PACKAGES:
        norm = pkg.dist.replace("-", "_")
        found = sorted(wheels.glob(f"{norm}-*.whl"))
        if len(found) != 1:
            problems.append(f"{pkg.dist}: expected one wheel, found {found}")
            continue
        names = zipfile.ZipFile(found[0]).namelist()
        for n in names:
            if n in NAMESPACE_INITS:
                problems.append(f"{found[0].name}: namespace package file {n}")
            if n.split("/")[0] in {"tests", "test"}:
                problems.append(f"{found[0].name}: top-level tests package ({n})")
        if pkg.module is not None:
            base = pkg.module.replace(".", "/")
            for required in ("__init__.py", "_version.py", "py.typed"):
                if f"{base}/{required}" not in names:
                    problems.append(f"{found[0].name}: missing {base}/{required}")
            foreign = [n for n in names if n.startswith("lava/") and not n.startswith(base + "/")]
            if foreign:
                problems.append(f"{found[0].name}: files outside {base}: {foreign[:5]}")
        elif any(n.endswith(".py") for n in names):
            problems.append(f"{found[0].name}: the metapackage must hold no code")
    for p in problems:
        session.log(p)
    if problems:
        session.error(f"{len(problems)} wheel layout problem(s)")
    session.log(f"{len(PACKAGES)} wheels checked")


# --------------------------------------------------------------------------- lint, docs
@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    """ruff over the whole repository."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", str(ROOT))


@nox.session(python="3.11")
def docs(session: nox.Session) -> None:
    """Build the documentation site (strict: any warning fails). API pages need no import."""
    session.install("mkdocs>=1.6", "mkdocstrings[python]>=0.26", "griffe>=1.0")
    session.run("python", str(ROOT / "docs" / "_gen_api.py"))
    session.run("mkdocs", "build", "--strict", "-f", str(ROOT / "mkdocs.yml"),
                "-d", str(ROOT / "site"))


# --------------------------------------------------------------------------- demo
@nox.session(python="3.10", default=False, requires=["demo-train"])
def demo(session: nox.Session) -> None:
    """The README's main command: train on digits (3.11), deploy on native and Lava (3.10)."""
    _install_deploy_side(session)
    session.install("matplotlib>=3.5")
    session.run("python", str(INTEGRATION / "demo" / "deploy.py"), str(DEMO_OUT),
                *session.posargs)


# --------------------------------------------------------------------------- gpu, bench
@nox.session(python="3.11", default=False)
def gpu(session: nox.Session) -> None:
    """CuPy kernels against the reference and the GPU benchmark (needs a CUDA GPU)."""
    pkg = BY_NAME["core"]
    install_package(session, pkg, extras=(os.environ.get("LAVA_DL_CUDA_EXTRA", "cuda12"),))
    session.install("hypothesis")
    session.run("python", "-c", "import cupy; print('CuPy', cupy.__version__, "
                "cupy.cuda.runtime.getDeviceProperties(0)['name'])")
    run_pytest(session, pkg, "-m", "cuda")
    out = ROOT / "out" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    session.run("python", str(ROOT / pkg.path / "benchmarks" / "bench_core.py"),
                "--device", "cuda", "--json", str(out / "core-cuda.json"))


BENCH_ARGS = {  # extra arguments per benchmark script, to keep `nox -s bench` within minutes
    "bench_core": ["--reference-max-steps", "5e6"],
}


@nox.session(python=["3.11", "3.10"], default=False)
def bench(session: nox.Session) -> None:
    """Benchmarks: core and slayer on 3.11 (torch); netx native vs Lava on 3.10 (lava-nc).

    Tables are printed; JSON goes to ``out/bench/<script>-<python>.json``.
    """
    out = ROOT / "out" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    lava_side = session.python == "3.10"
    ran = 0
    for pkg in PACKAGES:
        scripts = sorted((ROOT / pkg.path / "benchmarks").glob("bench_*.py"))
        if not scripts or (pkg.name == "netx") != lava_side:
            continue
        extras = pkg.extras.get(session.python or "", ())
        if pkg.name == "netx":  # measure what users get with the accelerator installed
            extras = (*extras, "fast")
        install_package(session, pkg, extras=extras)
        for script in scripts:
            args = list(BENCH_ARGS.get(script.stem, []))
            if lava_side:
                args.append("--lava")
            session.run("python", str(script), "--json",
                        str(out / f"{script.stem}-{session.python}.json"), *args,
                        *session.posargs, env={"LAVA_DL_SHARED": str(SHARED)})
            ran += 1
    if not ran:
        session.error("no benchmark scripts found")


if __name__ == "__main__":  # pragma: no cover - convenience
    sys.exit("run this file with nox")


# --------------------------------------------------------------------------- integration
# (sessions of the integration issue; owned by integration-tests, see integration-tests/README.md)
INTEGRATION = ROOT / "integration-tests"
PLUGIN = INTEGRATION / "plugins" / "acme-lava-plugin"
INTEGRATION_OUT = ROOT / "out" / "integration"
DEMO_OUT = ROOT / "out" / "demo"


def _install_plugin(session: nox.Session, extra: str) -> None:
    """Build the test plugin's wheel (beside the others) and install it with ``extra``."""
    wheels = build_wheels(session, ["hdf5-spec"])
    for old in wheels.glob("acme_lava_plugin-*.whl"):
        old.unlink()
    session.install("hatchling>=1.18", "pip")
    session.run("python", "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                "-w", str(wheels), str(PLUGIN))
    (wheel,) = wheels.glob("acme_lava_plugin-*.whl")
    session.install("--find-links", str(wheels), f"{wheel}[{extra}]")


def _install_training_side(session: nox.Session) -> None:
    for name in ("slayer", "bootstrap", "decolle"):
        install_package(session, BY_NAME[name])
    session.install("scikit-learn>=1.3")  # the digits of the bootstrap case
    _install_plugin(session, "train")


def _install_deploy_side(session: nox.Session) -> None:
    install_package(session, BY_NAME["netx"], extras=("lava",))
    _install_plugin(session, "deploy")
    installed = session.run("python", "-m", "pip", "list", "--format=freeze", silent=True)
    if any(line.lower().startswith("torch==") for line in installed.splitlines()):
        session.error("the deploy environment must not contain torch")


@nox.session(name="integration-export", python="3.11")
def integration_export(session: nox.Session) -> None:
    """Integration, training side (3.11): build/train every case, export, write the manifest."""
    _install_training_side(session)
    session.run("python", str(INTEGRATION / "export_cases.py"), str(INTEGRATION_OUT),
                *session.posargs, env={"LAVA_DL_SHARED": str(SHARED)})


@nox.session(python="3.10", requires=["integration-export"])
def integration(session: nox.Session) -> None:
    """Integration, deploy side (3.10, lava-nc, no torch): netx on Lava fixed_pt and native."""
    _install_deploy_side(session)
    session.install("pytest>=8")
    session.run("python", "-m", "pytest", "-p", "no:cacheprovider", "--import-mode=importlib",
                "-q", str(INTEGRATION / "tests"))
    session.run("python", str(INTEGRATION / "deploy_cases.py"), str(INTEGRATION_OUT),
                "--loihi1", *session.posargs)


@nox.session(python=["3.11", "3.10"])
def plugins(session: nox.Session) -> None:
    """The fake third-party plugin: training side on 3.11, deploy side (Lava) on 3.10."""
    if session.python == "3.11":
        install_package(session, BY_NAME["slayer"])
        install_package(session, BY_NAME["netx"])
        _install_plugin(session, "train")
    else:
        _install_deploy_side(session)
    session.install("pytest>=8")
    session.run("python", "-m", "pytest", "-p", "no:cacheprovider", "--import-mode=importlib",
                "-q", str(PLUGIN / "tests"), *session.posargs)


@nox.session(name="demo-train", python="3.11", default=False)
def demo_train(session: nox.Session) -> None:
    """Demo, training side: train on digits with slayer, export (run by ``nox -s demo``)."""
    install_package(session, BY_NAME["slayer"])
    session.install("scikit-learn>=1.3")
    session.run("python", str(INTEGRATION / "demo" / "train.py"), str(DEMO_OUT),
                *session.posargs)
