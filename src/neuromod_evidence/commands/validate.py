"""`neuromod-evidence validate`: check the curated evidence against the schemas and the config."""

from __future__ import annotations

import argparse
import sys


def register(subparsers, name: str) -> None:
    parser = subparsers.add_parser(
        name,
        help="validate the curated evidence tables",
        description="Validate data/evidence/<indication>/*.csv against the schemas and the configuration. "
        "Prints every problem with file, line and field; exits 1 if there is any.",
    )
    parser.add_argument("--config", default=None, help="configuration file (default: config/config.yaml)")
    parser.add_argument("--evidence-dir", default=None, help="override the config's evidence_dir")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..config import DEFAULT_CONFIG_PATH, ConfigError, load_config
    from ..evidence import EvidenceError, load_evidence

    try:
        config = load_config(args.config or DEFAULT_CONFIG_PATH)
        evidence = load_evidence(args.evidence_dir or config["evidence_dir"], config)
    except (ConfigError, EvidenceError) as exc:
        print(exc, file=sys.stderr)
        return 1
    print(
        f"ok: {len(evidence.trials)} trials, {len(evidence.arms)} arms, {len(evidence.outcomes)} outcome rows, "
        f"{len(evidence.contrasts)} contrast rows in {len(evidence.files)} files"
    )
    return 0
