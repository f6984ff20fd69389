"""`neuromod-evidence nma INPUT.csv --measure M --reference NAME --model random --out DIR`: one network
meta-analysis (Bayesian, with the frequentist cross-check, inconsistency checks and a network plot).

Input layouts (detected from the columns):

- contrast level: ``study, treatment_1, treatment_2, estimate, se`` (estimate = treatment_1 minus
  treatment_2, log scale for OR/RR); a multi-arm trial gives every pairwise contrast, or its contrasts
  against one common arm plus ``se_common`` (the common arm's SE);
- arm-level binary: ``study, treatment, events, n`` (OR: binomial likelihood; RR: log RR contrasts);
- arm-level continuous: ``study, treatment, mean, sd, n`` (MD, or SMD as Hedges' g).

Writes DIR/league.csv, ranks.csv, splits.csv, network.csv, summary.json, network.png, posterior.nc and,
for binary outcomes, absolute.csv (risks at the pooled reference-arm risk). Bad input exits with status 2
and a message naming the row or the disconnected parts. PyMC is imported only when fitting.

Default priors: tau half-normal(0.5) for log OR, log RR and SMD; for MD half-normal with the pooled
within-arm SD (half the unit-information SD of a mean difference, Röver et al. 2021; contrast-level MD
needs --tau-prior). Effects Normal(0, 2.82^2) on log ratios, Normal(0, 2^2) for SMD, Normal(0, 10^2)
for MD/GENERIC (as ``fit``).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

MEASURES = ("MD", "SMD", "OR", "RR", "GENERIC")
DEFAULT_TAU = {
    "OR": "half-normal:0.5",
    "RR": "half-normal:0.5",
    "SMD": "half-normal:0.5",
    "GENERIC": "half-normal:0.5",
}
DEFAULT_EFFECT = {"MD": "normal:0,10", "SMD": "normal:0,2", "OR": "normal:0,2.82", "RR": "normal:0,2.82", "GENERIC": "normal:0,10"}  # fmt: skip


def register(subparsers, name: str) -> None:
    p = subparsers.add_parser(
        name,
        help="network meta-analysis of several treatments from a CSV file",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("input", type=Path, help="CSV in one of the layouts above")
    p.add_argument("--measure", required=True, choices=MEASURES)
    p.add_argument("--reference", help="reference treatment (default: the first name in sorted order)")
    p.add_argument("--model", choices=("random", "common"), default="random")
    p.add_argument("--out", required=True, type=Path, help="output directory")
    p.add_argument(
        "--tau-prior",
        help="half-normal:SCALE | half-cauchy:SCALE | turner:TYPE[:COMPARISON] | rhodes:TYPE[:COMPARISON]",
    )
    p.add_argument("--effect-prior", help="normal:MEAN,SD on the analysis scale (default by measure)")
    p.add_argument(
        "--baseline-prior", default="normal:0,10", help="normal:MEAN,SD for study baselines (logit)"
    )
    p.add_argument(
        "--benefit", choices=("lower", "higher"), default="lower", help="which direction is a benefit"
    )
    p.add_argument("--seed", type=int, default=20261202)
    p.add_argument("--draws", type=int, default=1000)
    p.add_argument("--chains", type=int, default=4)
    p.add_argument("--tune", type=int, default=1000)
    p.add_argument("--no-inconsistency", action="store_true", help="skip node-splitting and the UME model")
    p.set_defaults(run=run)


def load_network(path: Path, measure: str, reference: str | None):
    import pandas as pd

    from ..nma.network import NetworkError, from_dataframe

    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise NetworkError(f"{path}: no such file") from None
    except Exception as exc:
        raise NetworkError(f"{path}: not a readable CSV file: {exc}") from None
    return from_dataframe(df, measure, reference)


def priors_for(args, net):
    from ..models.priors import EffectPrior, PriorError, parse_effect_prior, parse_tau_prior

    spec = args.tau_prior or DEFAULT_TAU.get(args.measure)
    if spec is None:
        if net.kind != "continuous":
            raise PriorError("--measure MD with contrast-level input needs --tau-prior")
        num = sum((m - 1) * sd**2 for s in net.studies for m, sd in zip(s.n, s.sd, strict=True))
        den = sum(float(m) - 1 for s in net.studies for m in s.n)
        spec = f"half-normal:{math.sqrt(num / den):.4g}"
    tau = parse_tau_prior(spec, args.measure)
    effect = parse_effect_prior(args.effect_prior or DEFAULT_EFFECT[args.measure])
    baseline = parse_effect_prior(args.baseline_prior)
    return {"tau": tau, "effect": effect, "baseline": EffectPrior(baseline.mean, baseline.sd, baseline.spec)}


def run(args) -> int:
    from ..models.priors import PriorError
    from ..nma.network import NetworkError

    try:
        net = load_network(args.input, args.measure, args.reference)
        priors = priors_for(args, net)
    except (NetworkError, PriorError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for w in net.warnings:
        print(f"note: {w}", file=sys.stderr)
    return analyse(net, args, priors)


def analyse(net, args, priors) -> int:
    from ..nma import bayes, inconsistency, results
    from ..nma import frequentist as freq

    t0 = time.perf_counter()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    sampler = {"draws": args.draws, "tune": args.tune, "chains": args.chains}
    freq_fit = freq.fit(net, args.model)
    fit = bayes.fit(net, args.model, priors, args.seed, args.benefit, sampler)
    assessment = (
        {"loops": net.has_loops(), "message": "skipped (--no-inconsistency)", "splits": []}
        if args.no_inconsistency
        else inconsistency.assess(net, fit, args.model, priors, args.seed, freq_fit, sampler)
    )
    results.write_csv(results.league(fit, freq_fit), out / "league.csv")
    results.write_csv(results.ranks(fit), out / "ranks.csv")
    results.write_csv(results.splits_table(assessment), out / "splits.csv")
    results.write_csv(results.network_table(net), out / "network.csv")
    extra = {}
    risk = bayes.pooled_reference_risk(net)
    if risk is not None:
        import pandas as pd

        absolute = pd.DataFrame(fit.absolute(risk), columns=list(results.ABSOLUTE_COLUMNS))
        results.write_csv(absolute, out / "absolute.csv")
        extra["reference_risk"] = risk
        extra["absolute"] = absolute.to_dict(orient="records")
    results.network_plot(net, out / "network.png")
    results.write_netcdf(fit.to_inference_data(), out / "posterior.nc")
    extra["seconds"] = time.perf_counter() - t0
    results.write_json(results.summary(fit, freq_fit, assessment, args.measure, extra), out / "summary.json")
    if not fit.diagnostics.converged:
        print(
            f"warning: the sampler did not pass the convergence gate: {fit.diagnostics.reasons}",
            file=sys.stderr,
        )
    print(f"wrote {out}/league.csv, ranks.csv, splits.csv, network.csv, summary.json, network.png")
    return 0
