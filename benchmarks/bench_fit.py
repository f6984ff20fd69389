"""Benchmark of the fit engine: cold/warm k = 8, k = 500, a pipeline-sized batch, PyMC's default sampler.

    .venv/bin/python benchmarks/bench_fit.py [--quick]

Everything runs in this one process, like a fit job does. "cold" is the first analysis of the process: the
model's density comes from numba's on-disk cache (models/density.py), so it costs only the first sampling
call once the cache exists (run benchmarks/bench_pipeline.py for the cost with an empty cache); "warm" reuses it.
Timings on a shared 2-core machine are noisy: run twice and read the second.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

T0 = time.perf_counter()


def synthetic_rows(k: int, rng, binary: bool = False) -> pd.DataFrame:
    if binary:
        nt = rng.integers(20, 120, k)
        nc = rng.integers(20, 120, k)
        et = rng.binomial(nt, 0.45)
        ec = rng.binomial(nc, 0.25)
        return pd.DataFrame({"trial_id": [f"s{i}" for i in range(k)], "study_label": [f"S{i}" for i in range(k)],
                             "data_type": "arm_binary", "events_t": et, "n_t": nt, "events_c": ec, "n_c": nc})  # fmt: skip
    se = rng.uniform(0.25, 0.7, k)
    y = rng.normal(-1.5, 0.6, k) + rng.normal(0, se)
    return pd.DataFrame({"trial_id": [f"s{i}" for i in range(k)], "study_label": [f"S{i}" for i in range(k)],
                         "data_type": "contrast", "estimate": y, "se": se, "n_t": 50, "n_c": 50})  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="skip the PyMC default sampler and k = 500")
    args = ap.parse_args()
    t = time.perf_counter()
    import pymc  # noqa: F401

    from neuromod_evidence.models.analysis import AnalysisSettings, run_analysis
    from neuromod_evidence.models.compiled import Engine
    from neuromod_evidence.models.priors import parse_effect_prior, parse_tau_prior

    t_import = time.perf_counter() - t
    rng = np.random.default_rng(1)
    md = dict(measure="MD", direction="lower_is_better", mcid=2.0, tau_prior=parse_tau_prior("half-normal:2"),
              effect_prior=parse_effect_prior("normal:0,10"),
              sensitivity_tau_priors=[parse_tau_prior("half-cauchy:2"), parse_tau_prior("half-normal:4")])  # fmt: skip
    orr = dict(measure="OR", direction="higher_is_better", mcid=1.5, tau_prior=parse_tau_prior("turner:pain", "OR"),
               effect_prior=parse_effect_prior("normal:0,2.82"),
               sensitivity_tau_priors=[parse_tau_prior("half-cauchy:0.5"), parse_tau_prior("half-normal:0.5")])  # fmt: skip
    rows8 = synthetic_rows(8, rng)
    results = []

    def timed(label, fn, note=""):
        t = time.perf_counter()
        r = fn()
        dt = time.perf_counter() - t
        conv = r.summary["converged"] if r is not None else ""
        results.append((label, dt, conv, note))
        print(f"{label:58s} {dt:8.2f} s  {conv}", flush=True)
        return r

    eng = Engine("nutpie")
    timed(
        "nutpie k=8, cold (includes compile)",
        lambda: run_analysis(rows8, AnalysisSettings(**md), eng, {"analysis_id": "k8"}),
    )
    warm = [
        timed(
            f"nutpie k=8, warm #{i + 1}",
            lambda i=i: run_analysis(rows8, AnalysisSettings(**md), eng, {"analysis_id": f"k8w{i}"}),
        )
        for i in range(3)
    ]  # noqa: B023
    t = time.perf_counter()
    for i in range(3):
        eng.sample(__import__("neuromod_evidence.models.compiled", fromlist=["ModelData"]).ModelData(
            "normal", md["tau_prior"], md["effect_prior"], rows8["estimate"].to_numpy(), rows8["se"].to_numpy()),
            draws=1000, tune=1000, chains=4, target_accept=0.95, seed=i)  # fmt: skip
    t_sample_only = (time.perf_counter() - t) / 3
    results.append(("nutpie k=8, sampling only (mean of 3)", t_sample_only, "", ""))
    print(f"{'nutpie k=8, sampling only (mean of 3)':58s} {t_sample_only:8.2f} s", flush=True)
    # a pipeline-sized batch: 30 analyses (k 1..16, 1/3 binary), each with its sensitivity analyses
    batch = [
        (synthetic_rows(int(rng.integers(1, 17)), rng, binary=(i % 3 == 0)), i % 3 == 0) for i in range(30)
    ]
    t = time.perf_counter()
    n_conv = 0
    for i, (rows, binary) in enumerate(batch):
        r = run_analysis(rows, AnalysisSettings(**(orr if binary else md)), eng, {"analysis_id": f"b{i}"})
        n_conv += bool(r.summary["converged"])
    dt = time.perf_counter() - t
    results.append(("batch of 30 analyses + sensitivity, warm", dt, f"{n_conv}/30", ""))
    print(f"{'batch of 30 analyses + sensitivity, warm':58s} {dt:8.2f} s  {n_conv}/30 converged", flush=True)
    if not args.quick:
        rows500 = synthetic_rows(500, rng)
        timed(
            "nutpie k=500, cold (compiles the 1024-slot model)",
            lambda: run_analysis(rows500, AnalysisSettings(**md), eng, {"analysis_id": "k500"}),
        )
        timed(
            "nutpie k=500, warm",
            lambda: run_analysis(rows500, AnalysisSettings(**md), eng, {"analysis_id": "k500w"}),
        )
        pm_eng = Engine("pymc")
        default = {"chains": 4, "draws": 1000, "tune": 1000, "target_accept": 0.8, "retry_target_accept": 0.99,
                   "retry_tune": 3000}  # fmt: skip
        p1 = timed(
            "PyMC default NUTS k=8 (target_accept 0.8), first",
            lambda: run_analysis(
                rows8, AnalysisSettings(**md, sampler=default), pm_eng, {"analysis_id": "pm1"}
            ),
        )
        p2 = timed(
            "PyMC default NUTS k=8, second",
            lambda: run_analysis(
                rows8, AnalysisSettings(**md, sampler=default), pm_eng, {"analysis_id": "pm2"}
            ),
        )
        warm_mean = float(np.mean([x[1] for x in results if x[0].startswith("nutpie k=8, warm")]))
        pm_t = results[-1][1]
        print(f"\nratio PyMC default / nutpie (k=8 warm, whole analysis incl. retries and sensitivity): "
              f"{pm_t / warm_mean:.1f}x  (attempts: pymc {p2.summary['attempts']}, {p1.summary['attempts']})")  # fmt: skip
    print(
        f"\nimport pymc + engine: {t_import:.2f} s; nutpie compile total: {eng.compile_seconds:.1f} s; "
        f"process total: {time.perf_counter() - T0:.1f} s"
    )
    print(f"warm k=8 converged: {[w.summary['converged'] for w in warm]}")


if __name__ == "__main__":
    main()
