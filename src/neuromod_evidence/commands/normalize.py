"""`neuromod-evidence normalize`: validate the evidence and write the analysis-ready tables."""

from __future__ import annotations

import argparse
import sys

from . import add_evidence_arguments, load_settings


def register(subparsers, name: str) -> None:
    parser = subparsers.add_parser(
        name,
        help="validate and normalize the curated evidence",
        description="Validate data/evidence and write trials, arms, outcomes, contrasts and issues CSVs.",
    )
    add_evidence_arguments(parser)
    parser.add_argument("--out", default="results/normalized", help="output folder (default: %(default)s)")
    parser.add_argument(
        "--registry-outcomes",
        default=None,
        help="posted registry results to add as evidence (results/screening/registry_outcomes.csv; "
        "precedence: config normalize.registry_results)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ..evidence import EvidenceError
    from ..normalize import normalize_stage

    settings = load_settings(args)
    if settings is None:
        return 1
    try:
        result = normalize_stage(
            settings,
            args.out,
            args.evidence_dir,
            registry_outcomes=args.registry_outcomes,
            decisions_file=settings.fetch.decisions_file if args.registry_outcomes else None,
        )
    except EvidenceError as exc:
        print(exc, file=sys.stderr)
        return 1
    n_analyses = result.contrasts["analysis_id"].nunique()
    excluded = int((result.issues["severity"] == "excluded").sum())
    print(
        f"{len(result.contrasts)} study contrasts in {n_analyses} analyses; "
        f"{excluded} curated rows not used (see {args.out}/issues.csv)"
    )
    return 0
