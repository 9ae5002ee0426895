"""Generate the API reference pages and copy the hdf5 format spec into the docs tree.

Run before ``mkdocs build`` (the ``docs`` nox session does it). Nothing is imported: the module
list comes from walking the source folders, and mkdocstrings reads the sources statically through
griffe, so the site builds without torch, lava-nc or a GPU.

Output (git-ignored): ``docs/api/<distribution>.md`` and ``docs/format/*.md``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
SOURCES = {
    "lava-dl-hdf5-spec": ROOT / "hdf5-spec" / "src",
    "lava-dl-core": ROOT / "packages" / "lava-dl-core" / "src",
    "lava-dl-slayer": ROOT / "packages" / "lava-dl-slayer" / "src",
    "lava-dl-bootstrap": ROOT / "packages" / "lava-dl-bootstrap" / "src",
    "lava-dl-decolle": ROOT / "packages" / "lava-dl-decolle" / "src",
    "lava-dl-netx": ROOT / "packages" / "lava-dl-netx" / "src",
}


def public_modules(src: Path) -> list[str]:
    """Dotted names of the public modules under ``src`` (no ``_private`` part, no __main__)."""
    names = []
    for f in sorted(src.rglob("*.py")):
        parts = list(f.relative_to(src).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if len(parts) < 4 or any(p.startswith("_") for p in parts):
            continue
        names.append(".".join(parts))
    return names


def main() -> None:
    api = DOCS / "api"
    shutil.rmtree(api, ignore_errors=True)
    api.mkdir(parents=True)
    index = ["# API reference\n", "One page per distribution; generated from the sources.\n"]
    for dist, src in SOURCES.items():
        mods = public_modules(src)
        page = [f"# {dist}\n"]
        for mod in mods:
            page.append(f"## `{mod}`\n\n::: {mod}\n    options:\n      show_submodules: false\n")
        (api / f"{dist}.md").write_text("\n".join(page))
        index.append(f"- [{dist}]({dist}.md): {len(mods)} public module(s)")
    (api / "index.md").write_text("\n".join(index) + "\n")

    fmt = DOCS / "format"
    shutil.rmtree(fmt, ignore_errors=True)
    fmt.mkdir(parents=True)
    spec_dir = ROOT / "hdf5-spec" / "spec"
    pages = [md for md in sorted(spec_dir.glob("*.md")) if md.name != "index.md"]
    for md in pages:
        shutil.copyfile(md, fmt / md.name)
    copied = len(pages)
    listing = "\n".join(f"- [{md.stem}]({md.name})" for md in pages) or "(not written yet)"
    (fmt / "index.md").write_text(
        "# The hdf5 network exchange format\n\nThe normative specification, kept in "
        "`hdf5-spec/spec/` beside the code that validates files:\n\n" + listing + "\n"
    )
    print(f"API pages for {len(SOURCES)} distributions; {copied} format page(s)")


if __name__ == "__main__":
    main()
