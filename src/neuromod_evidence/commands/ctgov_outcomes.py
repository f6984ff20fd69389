"""`neuromod-evidence ctgov-outcomes STUDY.json`: every arm-level cell of a saved ClinicalTrials.gov record.

Prints CSV to stdout: outcome title, type, timepoint, group, statistic, value, dispersion, limits,
denominator, derived events (for percentages of participants), the outcome id it maps to in the configured
vocabulary (empty when none) and, for cells the pipeline cannot use, why. Works on a record from any therapy
area and never crashes on a valid record; a file that is not JSON or not a study gives exit status 2.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from typing import Any


def register(subparsers: argparse._SubParsersAction, name: str) -> None:
    parser = subparsers.add_parser(
        name,
        help="print the arm-level results of a saved ClinicalTrials.gov study record as CSV",
        description=__doc__.split("\n\n")[1] if __doc__ else None,
    )
    parser.add_argument("study", nargs="+", help="study JSON (API v2 /studies/{nctId}, or a search page)")
    parser.add_argument("--config", default=None, help="configuration whose outcome vocabulary to map to")
    parser.add_argument(
        "--usable-only", action="store_true", help="print only cells mapped without a problem"
    )
    parser.set_defaults(run=run)


def _studies(doc: Any) -> list[dict[str, Any]]:
    if isinstance(doc, dict) and isinstance(doc.get("studies"), list):
        return [s for s in doc["studies"] if isinstance(s, dict)]
    if isinstance(doc, dict) and isinstance(doc.get("records"), list):  # one of our snapshots
        return [
            r["study"] for r in doc["records"] if isinstance(r, dict) and isinstance(r.get("study"), dict)
        ]
    if isinstance(doc, dict) and "protocolSection" in doc:
        return [doc]
    if isinstance(doc, list):
        return [s for s in doc if isinstance(s, dict) and "protocolSection" in s]
    return []


def _vocabulary(config_path: str | None):
    """The outcome vocabulary of the given configuration (default: the project's config/config.yaml).

    Without ``--config`` and without a readable default configuration (an installed package outside a
    checkout) every cell is still printed, none mapped: the vocabulary comes only from a configuration.
    """
    from neuromod_evidence.config import DEFAULT_CONFIG_PATH, ConfigError
    from neuromod_evidence.screening.vocabulary import Vocabulary
    from neuromod_evidence.settings import Settings

    try:
        return Vocabulary.from_settings(Settings.load(config_path or DEFAULT_CONFIG_PATH))
    except (ConfigError, OSError) as exc:
        if config_path:
            raise
        print(
            f"warning: default config not readable ({exc}); no outcome is mapped (pass --config)",
            file=sys.stderr,
        )
        return Vocabulary(outcomes={}, scales={})


def run(args: argparse.Namespace) -> int:
    from neuromod_evidence.config import ConfigError
    from neuromod_evidence.screening.registry import COMMAND_COLUMNS, command_rows

    try:
        vocab = _vocabulary(args.config)
    except (ConfigError, OSError) as exc:
        print(f"cannot read the configuration: {exc}", file=sys.stderr)
        return 2
    status, rows = 0, []
    for path in args.study:  # read every file before printing anything: a failure prints no CSV at all
        try:
            with open(path, encoding="utf-8") as fh:
                doc = json.load(fh)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            print(f"{path}: cannot read a JSON document: {exc}", file=sys.stderr)
            status = 2
            continue
        studies = _studies(doc)
        if not studies:
            print(f"{path}: not a ClinicalTrials.gov study record (no protocolSection)", file=sys.stderr)
            status = 2
            continue
        for study in studies:
            found = command_rows(study, vocab)
            if not found:
                nct = study.get("protocolSection", {}).get("identificationModule", {}).get("nctId", "?")
                print(f"{path}: {nct} has no posted outcome measures", file=sys.stderr)
            rows += [r for r in found if not (args.usable_only and (r["reason"] or not r["maps_to"]))]
    if status:
        return status
    writer = csv.DictWriter(sys.stdout, fieldnames=COMMAND_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return 0
