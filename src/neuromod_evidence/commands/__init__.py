"""Subcommands of the `neuromod-evidence` console entry point (one module each, thin front ends over the
same stage functions the workflow calls)."""

from __future__ import annotations

import argparse
import sys


def add_evidence_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        default=None,
        help="configuration file (default: config/config.yaml in the current folder)",
    )
    parser.add_argument("--evidence-dir", default=None, help="override the config's evidence_dir")


def load_settings(args: argparse.Namespace):
    """The validated Settings of the command's --config, or None after printing one line saying why not."""
    from ..config import DEFAULT_CONFIG_PATH, ConfigError
    from ..settings import Settings

    try:
        return Settings.load(args.config or DEFAULT_CONFIG_PATH)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return None


def load_settings_and_evidence(args: argparse.Namespace):
    """(settings, evidence) for the command's arguments, or None after printing why they are invalid."""
    from ..evidence import EvidenceError, load_evidence

    settings = load_settings(args)
    if settings is None:
        return None
    try:
        return settings, load_evidence(settings, args.evidence_dir)
    except EvidenceError as exc:
        print(exc, file=sys.stderr)
        return None
