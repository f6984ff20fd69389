"""`neuromod-evidence normalize`: validate the evidence and write the analysis-ready tables."""

from __future__ import annotations

import argparse

from . import add_evidence_arguments, load_config_and_evidence


def register(subparsers, name: str) -> None:
    parser = subparsers.add_parser(
        name,
        help="validate and normalize the curated evidence",
        description="Validate data/evidence and write trials, arms, outcomes, contrasts and issues CSVs.",
    )
    add_evidence_arguments(parser)
    parser.add_argument("--out", default="results/normalized", help="output folder (default: %(default)s)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..normalize import normalize, write_normalized

    loaded = load_config_and_evidence(args)
    if loaded is None:
        return 1
    config, evidence = loaded
    result = normalize(evidence, config)
    write_normalized(result, args.out)
    n_analyses = result.contrasts["analysis_id"].nunique()
    excluded = int((result.issues["severity"] == "excluded").sum())
    print(
        f"{len(result.contrasts)} study contrasts in {n_analyses} analyses; "
        f"{excluded} curated rows not used (see {args.out}/issues.csv)"
    )
    return 0
