"""Command line: ``python -m lava.lib.dl.hdf5_spec {inspect,validate,upgrade,example,docs}``."""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

from ._errors import FormatError, LegacyFormatWarning, ValidationError
from ._example import example_network
from ._inspect import summarize
from ._migrate import upgrade
from ._model import FORMAT_VERSION
from ._reader import read
from ._specs import render_field_tables
from ._validate import collect_problems
from ._version import __version__
from ._writer import write

FIELDS_FILE = "fields.md"


def _inspect(args: argparse.Namespace) -> int:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LegacyFormatWarning)
        net = read(args.file, validate=False)
    print(summarize(net, title=str(args.file)), end="")
    problems = collect_problems(net)
    if problems:
        print(f"{len(problems)} validation problem(s); run 'validate' for details")
    return 0


def _validate(args: argparse.Namespace) -> int:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", LegacyFormatWarning)
        try:
            read(args.file, validate=True)
        except ValidationError as exc:
            print(f"INVALID {args.file}: {len(exc.problems)} problem(s)")
            for p in exc.problems:
                print(f"  - {p}")
            return 1
    legacy = any(issubclass(w.category, LegacyFormatWarning) for w in caught)
    note = " (legacy lava-dl <= 0.6 file; convert it with 'upgrade')" if legacy else ""
    print(f"OK {args.file}{note}")
    return 0


def _upgrade(args: argparse.Namespace) -> int:
    if Path(args.new).exists() and not args.force:
        print(f"error: {args.new} exists; pass --force to overwrite", file=sys.stderr)
        return 2
    net = upgrade(args.old, args.new)
    print(f"wrote {args.new} (format {FORMAT_VERSION}, {len(net.layers)} layers)")
    return 0


def _example(args: argparse.Namespace) -> int:
    write(example_network(seed=args.seed), args.out)
    print(f"wrote {args.out}")
    return 0


def _docs(args: argparse.Namespace) -> int:
    out = Path(args.outdir)
    out.mkdir(parents=True, exist_ok=True)
    (out / FIELDS_FILE).write_text(render_field_tables(), encoding="utf-8")
    print(f"wrote {out / FIELDS_FILE}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m lava.lib.dl.hdf5_spec",
        description="Inspect, validate, upgrade and generate lava-dl network description "
                    "(.net) files.")
    parser.add_argument("--version", action="version",
                        version=f"lava-dl-hdf5-spec {__version__} (format {FORMAT_VERSION})")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("inspect", help="print a table of the layers")
    p.add_argument("file")
    p.set_defaults(func=_inspect)
    p = sub.add_parser("validate", help="check a file; exit status 1 when invalid")
    p.add_argument("file")
    p.set_defaults(func=_validate)
    p = sub.add_parser("upgrade", help="convert a legacy file to the current format")
    p.add_argument("old")
    p.add_argument("new")
    p.add_argument("--force", action="store_true", help="overwrite NEW")
    p.set_defaults(func=_upgrade)
    p = sub.add_parser("example", help="write a small example network")
    p.add_argument("out")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=_example)
    p = sub.add_parser("docs", help=f"write the generated field tables ({FIELDS_FILE})")
    p.add_argument("outdir")
    p.set_defaults(func=_docs)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except FormatError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
