"""Subcommands of the `neuromod-evidence` console entry point (one module each)."""

from __future__ import annotations

import argparse
import sys


def add_evidence_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", default=None, help="configuration file (default: config/config.yaml)")
    parser.add_argument("--evidence-dir", default=None, help="override the config's evidence_dir")


def load_config_and_evidence(args: argparse.Namespace):
    """(config, evidence) for the command's arguments, or None after printing why they are invalid."""
    from ..config import DEFAULT_CONFIG_PATH, ConfigError, load_config
    from ..evidence import EvidenceError, load_evidence

    try:
        config = load_config(args.config or DEFAULT_CONFIG_PATH)
        return config, load_evidence(args.evidence_dir or config["evidence_dir"], config)
    except (ConfigError, EvidenceError) as exc:
        print(exc, file=sys.stderr)
        return None
