"""Console entry point `neuromod-evidence`.

Each subcommand lives in its own module under `neuromod_evidence.commands`, exposing
`register(subparsers)` and `run(args) -> int`. Modules are imported lazily inside `run`-paths only as
needed, so `neuromod-evidence validate` does not pay for importing PyMC.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# subcommand name -> module implementing it
SUBCOMMANDS = {
    "validate": "neuromod_evidence.commands.validate",
    "normalize": "neuromod_evidence.commands.normalize",
    "fit": "neuromod_evidence.commands.fit",
    "ctgov-outcomes": "neuromod_evidence.commands.ctgov_outcomes",
    "nma": "neuromod_evidence.commands.nma",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="neuromod-evidence",
        description="Living evidence synthesis of neuromodulation trials.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, module_name in SUBCOMMANDS.items():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        module.register(subparsers, name)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return int(args.run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
