"""Benchmark (not a test): a 10-treatment, 30-study binary arm-based NMA, warm, with the frequentist check.

Target (issue 9): <= 10 s warm. "Warm" = a later fit in the same process; the first fit also loads the cached
numba density (on a new machine: compiles it, about a minute, once). CPU time (all threads of the process) is
printed beside wall time because the machine may be shared. Run:

    PYTHONPATH=src python benchmarks/bench_nma.py [--repeats 3] [--draws 1000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd


def simulate(n_treatments: int = 10, n_studies: int = 30, seed: int = 7) -> pd.DataFrame:
    """A connected network: every treatment meets the reference or a neighbour; a few three-arm trials."""
    rng = np.random.default_rng(seed)
    names = [f"T{k:02d}" for k in range(n_treatments)]
    effect = np.concatenate([[0.0], rng.normal(0.3, 0.4, n_treatments - 1)])
    rows = []
    for s in range(n_studies):
        if s < n_treatments - 1:  # spanning tree first: T0-T1, T0-T2 / T1-T2, ...
            arms = [int(rng.integers(0, s + 1)), s + 1]
        else:
            k = 3 if s % 6 == 0 else 2
            arms = list(rng.choice(n_treatments, size=k, replace=False))
        base = rng.normal(-1.2, 0.5)
        delta = rng.normal(0, 0.2)
        for a in arms:
            n = int(rng.integers(40, 300))
            p = 1 / (1 + np.exp(-(base + effect[a] - effect[arms[0]] + (delta if a != arms[0] else 0.0))))
            rows.append(
                {"study": f"S{s:02d}", "treatment": names[a], "events": int(rng.binomial(n, p)), "n": n}
            )
    return pd.DataFrame(rows)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--draws", type=int, default=1000)
    args = ap.parse_args()
    t0, c0 = time.perf_counter(), time.process_time()
    from neuromod_evidence.nma import bayes
    from neuromod_evidence.nma import frequentist as freq
    from neuromod_evidence.nma.network import from_dataframe

    t_import, c_import = time.perf_counter() - t0, time.process_time() - c0
    sampler = {"draws": args.draws, "tune": args.draws, "chains": 4}

    def one(seed):
        t, c = time.perf_counter(), time.process_time()
        net = from_dataframe(simulate().astype(str), "OR", "T00")
        f = freq.fit(net, "random")
        b = bayes.fit(net, "random", seed=seed, sampler=sampler)
        league = b.pairwise()
        b.ranks()
        return (time.perf_counter() - t, time.process_time() - c), net, f, b, league

    (cold, cold_cpu), net, f, b, _ = one(1)
    print(f"import {t_import:.1f} s (CPU {c_import:.1f} s); first fit in the process (loads or compiles the "
          f"density) {cold:.1f} s (CPU {cold_cpu:.1f} s); {len(net.studies)} studies, "
          f"{len(net.treatments)} treatments, {sum(s.arms > 2 for s in net.studies)} three-arm")  # fmt: skip
    warm = []
    for r in range(args.repeats):
        (t, c), net, f, b, league = one(100 + r)
        warm.append(t)
        d = b.diagnostics
        print(f"warm run {r + 1}: {t:.2f} s, CPU {c:.2f} s (converged {d.converged}, attempts {d.attempts}, R-hat {d.rhat_max:.3f}, "
              f"ESS {min(d.ess_bulk_min, d.ess_tail_min):.0f}, {len(league)} league rows, REML tau2 {f.tau2:.3f})")  # fmt: skip
    print(f"warm median {np.median(warm):.2f} s (target <= 10 s)")


if __name__ == "__main__":
    main()
