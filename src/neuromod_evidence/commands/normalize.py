"""`neuromod-evidence normalize`: validate the evidence and write the analysis-ready tables."""

from __future__ import annotations

import argparse
import sys


def register(subparsers, name: str) -> None:
    parser = subparsers.add_parser(
        name,
        help="validate and normalize the curated evidence",
        description="Validate data/evidence and write trials, arms, outcomes, contrasts and issues CSVs.",
    )
    parser.add_argument("--config", default=None, help="configuration file (default: config/config.yaml)")
    parser.add_argument("--evidence-dir", default=None, help="override the config's evidence_dir")
    parser.add_argument("--out", default="results/normalized", help="output folder (default: %(default)s)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..config import DEFAULT_CONFIG_PATH, ConfigError, load_config
    from ..evidence import EvidenceError, load_evidence
    from ..normalize import normalize, write_normalized

    try:
        config = load_config(args.config or DEFAULT_CONFIG_PATH)
        evidence = load_evidence(args.evidence_dir or config["evidence_dir"], config)
    except (ConfigError, EvidenceError) as exc:
        print(exc, file=sys.stderr)
        return 1
    result = normalize(evidence, config)
    write_normalized(result, args.out)
    n_analyses = result.contrasts["analysis_id"].nunique()
    excluded = int((result.issues["severity"] == "excluded").sum())
    print(
        f"{len(result.contrasts)} study contrasts in {n_analyses} analyses; "
        f"{excluded} curated rows not used (see {args.out}/issues.csv)"
    )
    return 0
