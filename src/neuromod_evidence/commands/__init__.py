"""Subcommands of the `neuromod-evidence` console entry point (one module each)."""
