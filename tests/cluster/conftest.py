"""The fixture of the cluster tests: a real one-node SLURM (tests/cluster/slurm.py) for the session.

The SLURM packages come from Debian (.ci/install-slurm, which .ci/run calls). Without them, or without the
`cluster` extra, the cluster tests are skipped on a workstation, but fail in CI (CI=true, or
NEUROMOD_REQUIRE_SLURM=1 which .ci/run sets), so CI cannot pass by skipping. A cluster that is installed
but does not start is an error everywhere.
"""

from __future__ import annotations

import importlib.util
import os

import pytest

from tests.cluster.slurm import LocalSlurm, slurm_installed


def slurm_required() -> bool:
    return os.environ.get("NEUROMOD_REQUIRE_SLURM") == "1" or os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="session")
def slurm_cluster(tmp_path_factory):
    message = None
    if not slurm_installed():
        message = "SLURM (slurmctld, slurmd, munge, slurm-client) is not installed: run .ci/install-slurm"
    elif importlib.util.find_spec("snakemake_executor_plugin_slurm") is None:
        message = "the SLURM executor plugin is not installed: pip install -e '.[cluster]'"
    if message:
        if slurm_required():
            pytest.fail(message)
        pytest.skip(message)
    cluster = LocalSlurm(tmp_path_factory.mktemp("slurm"))
    try:  # stop() also when start() fails half-way: no daemon outlives the session
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
