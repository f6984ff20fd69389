"""`neuromod-evidence validate`: check the curated evidence against the schemas and the config."""

from __future__ import annotations

import argparse

from . import add_evidence_arguments, load_config_and_evidence


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

    loaded = load_config_and_evidence(args)
    if loaded is None:
        return 1
    config, evidence = loaded
    print(
        f"ok: {len(evidence.trials)} trials, {len(evidence.arms)} arms, {len(evidence.outcomes)} outcome rows, "
        f"{len(evidence.contrasts)} contrast rows in {len(evidence.files)} files"
    )
    return 0
