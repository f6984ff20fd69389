"""Fixtures of the cluster tests: a real one-node SLURM, copies of the repository, a local reference run.

The SLURM packages come from Debian (.ci/install-slurm). Without them the cluster tests are skipped, unless
NEUROMOD_REQUIRE_SLURM=1 (set by .ci/run) turns the skip into a failure, so CI cannot pass by skipping.
"""

from __future__ import annotations

import importlib.util
import os

import pytest

from tests.cluster.helpers import compared_outputs, copy_repository, run_snakemake
from tests.cluster.slurm import LocalSlurm, slurm_installed


@pytest.fixture(scope="session")
def slurm_cluster(tmp_path_factory):
    message = None
    if not slurm_installed():
        message = "SLURM (slurmctld, slurmd, munge, slurm-client) is not installed: run .ci/install-slurm"
    elif importlib.util.find_spec("snakemake_executor_plugin_slurm") is None:
        message = "the SLURM executor plugin is not installed: pip install -e '.[cluster]'"
    if message:
        if os.environ.get("NEUROMOD_REQUIRE_SLURM") == "1":
            pytest.fail(message)
        pytest.skip(message)
    cluster = LocalSlurm(tmp_path_factory.mktemp("slurm"))
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def local_reference(tmp_path_factory):
    """One local run of the default workflow on the bundled data per session: its results and wall time."""
    work = copy_repository(tmp_path_factory.mktemp("local") / "repo")
    result, seconds = run_snakemake(work, "--profile", "profiles/local")
    assert result.returncode == 0, result.stderr[-4000:]
    return {"results": work / "results", "seconds": seconds, "outputs": compared_outputs(work / "results")}
