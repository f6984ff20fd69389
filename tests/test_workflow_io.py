"""workflow_io: how the indications are grouped into fit jobs (fit_parts), and what a stage log keeps."""

from __future__ import annotations

from neuromod_evidence.workflow_io import fit_parts


def test_zero_jobs_means_one_job_per_indication_named_after_it():
    assert fit_parts({"pdn": 3.0, "crps": 1.0}, 0) == {"pdn": ["pdn"], "crps": ["crps"]}


def test_jobs_are_balanced_heaviest_first_and_keep_config_order():
    weights = {"a": 1.0, "b": 9.0, "c": 4.0, "d": 4.0, "e": 2.0}
    parts = fit_parts(weights, 2)
    # b (9) -> part1; c (4), d (4) -> part2 (8); e (2) -> part2 (10); a (1) -> part1 (10)
    assert parts == {"part1": ["a", "b"], "part2": ["c", "d", "e"]}
    assert sorted(i for m in parts.values() for i in m) == sorted(weights)


def test_every_indication_is_in_exactly_one_job_and_no_job_is_empty():
    weights = {f"i{n}": float(n % 4) for n in range(9)}
    for n_jobs in (1, 2, 3, 9, 20):
        parts = fit_parts(weights, n_jobs)
        members = [i for m in parts.values() for i in m]
        assert sorted(members) == sorted(weights) and len(members) == len(set(members))
        assert len(parts) == min(n_jobs, len(weights)) and all(parts.values())


def test_the_log_leaves_out_arviz_preview_notices_but_keeps_its_warnings(tmp_path):
    import logging

    from neuromod_evidence.workflow_io import logged

    log_file = tmp_path / "stage.log"
    with logged(str(log_file)):
        logging.getLogger("arviz.preview").info("arviz_base not installed")
        logging.getLogger("arviz.preview").warning("something that matters")
        logging.getLogger("neuromod_evidence.models").info("analysis 1 of 2")
    text = log_file.read_text(encoding="utf-8")
    assert "not installed" not in text
    assert "something that matters" in text and "analysis 1 of 2" in text
