"""`neuromod-evidence validate`: check the curated evidence against the schemas and the config."""

from __future__ import annotations

import argparse

from . import add_evidence_arguments, load_settings_and_evidence


def register(subparsers, name: str) -> None:
    parser = subparsers.add_parser(
        name,
        help="validate the curated evidence tables",
        description="Validate data/evidence/<indication>/*.csv against the schemas and the configuration. "
        "Prints every problem with file, line and field; exits 1 if there is any.",
    )
    add_evidence_arguments(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    loaded = load_settings_and_evidence(args)
    if loaded is None:
        return 1
    from ..evidence import evidence_counts

    _, evidence = loaded
    print(f"ok: {evidence_counts(evidence)}")
    return 0
