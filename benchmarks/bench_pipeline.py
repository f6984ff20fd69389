"""Benchmark of the whole workflow on the bundled data: per-stage times, warm / cold / no-change runs, the cost
of the model in a fresh process with and without the on-disk cache, and the ratio to PyMC's default sampler.

    .venv/bin/python benchmarks/bench_pipeline.py [--skip-pymc] [--skip-cold]

It works in a scratch copy of the checkout (git archive of HEAD plus the working tree's changes is not needed:
the copy is made with `git ls-files`), so the checkout's own results are untouched. Targets (issue 8, 2-core
machine, idle): warm --forceall ≤ 30 s, cold ≤ 90 s, cached model ≤ 3 s, no-change rerun ≤ 5 s, normalize and
report stages ≤ 5 s each. Timings on a shared machine are noisy: look at `uptime` first, run twice.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def copy_checkout(dest: Path) -> None:
    files = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    for name in files:
        src = ROOT / name
        if src.is_symlink():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            os.symlink(os.readlink(src), dest / name)
        elif src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)


def keep_indications(config_path: Path, keep: list[str]) -> None:
    import yaml

    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    config["indications"] = {i: config["indications"][i] for i in keep}
    config["claims"] = [c for c in config.get("claims", []) if all(b.get("indication", keep[0]) in keep
                                                                  for b in c["bears_on"])]  # fmt: skip
    config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    print(f"indications: {', '.join(keep)}")


def snakemake(work: Path, env: dict, *args: str) -> float:
    t = time.perf_counter()
    subprocess.run([str(BIN / "snakemake"), "--cores", "2", "--quiet", *args], cwd=work, env=env, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    return time.perf_counter() - t


def stage_times(work: Path) -> dict[str, float]:
    out: dict[str, float] = {}
    for tsv in sorted((work / "benchmarks").rglob("*.tsv")):
        with open(tsv, encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh, delimiter="\t"))
        if rows:
            out[str(tsv.relative_to(work / "benchmarks"))] = float(rows[-1]["s"])
    return out


def fresh_process_model_cost(env: dict) -> float:
    """Seconds from a fresh interpreter (imports done) to the first posterior draw of a k = 3 binary analysis."""
    code = (
        "import time, numpy as np, nutpie\n"
        "from neuromod_evidence.models.compiled import Engine, ModelData\n"
        "from neuromod_evidence.models.priors import TauPrior, EffectPrior\n"
        "t = time.perf_counter()\n"
        "d = ModelData('binomial', TauPrior('half_normal', 0.5), EffectPrior(0, 2.82), events_t=np.array([9., 5, 12]),"
        " n_t=np.array([20., 20, 30]), events_c=np.array([4., 3, 6]), n_c=np.array([20., 21, 30]))\n"
        "Engine('nutpie').sample(d, draws=200, tune=200, chains=2, target_accept=0.9, seed=1)\n"
        "print(time.perf_counter() - t)\n"
    )
    res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return float(res.stdout.strip().splitlines()[-1])


def pymc_ratio(env: dict, work: Path) -> str:
    """Both samplers on the bundled analyses in one process (the pipeline's own fit function)."""
    code = (
        "import time, tempfile\n"
        "from neuromod_evidence.settings import Settings\n"
        "from neuromod_evidence.models.pipeline import fit_all\n"
        "from neuromod_evidence.models.compiled import Engine\n"
        "s = Settings.load('config/config.yaml')\n"
        "out = {}\n"
        "for backend in ('nutpie', 'pymc'):\n"
        "    t = time.perf_counter()\n"
        "    df = fit_all('results/normalized/contrasts.csv', s, tempfile.mkdtemp(), engine=Engine(backend))\n"
        "    out[backend] = (time.perf_counter() - t, int(df['converged'].sum()), len(df))\n"
        "print(out['nutpie'][0], out['pymc'][0], out['nutpie'][1], out['pymc'][1], out['nutpie'][2])\n"
    )
    res = subprocess.run(
        [sys.executable, "-c", code], cwd=work, env=env, capture_output=True, text=True, check=True
    )
    t_nut, t_pymc, c_nut, c_pymc, n = res.stdout.strip().splitlines()[-1].split()
    return (f"{n} analyses: nutpie (cached density) {float(t_nut):.1f} s ({c_nut} converged), PyMC default NUTS "
            f"{float(t_pymc):.1f} s ({c_pymc} converged): ratio {float(t_pymc) / float(t_nut):.1f}x")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--skip-pymc", action="store_true", help="skip the comparison with PyMC's default sampler"
    )
    ap.add_argument("--skip-cold", action="store_true", help="skip the run with empty caches")
    ap.add_argument("--indications", help="comma-separated indication ids to keep in the copy's config "
                    "(e.g. fbss,crps,pdn: the three of the issue's baseline); default: all")  # fmt: skip
    args = ap.parse_args()
    print(f"machine: {os.cpu_count()} cores; load {os.getloadavg()[0]:.2f} (1-min average)")
    with tempfile.TemporaryDirectory(prefix="bench-pipeline-") as tmp:
        work = Path(tmp) / "repo"
        copy_checkout(work)
        if args.indications:
            keep_indications(work / "config" / "config.yaml", args.indications.split(","))
        env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", MPLBACKEND="Agg")
        cold_env = dict(env, NUMBA_CACHE_DIR=str(Path(tmp) / "numba-cold"))
        rows = []
        if not args.skip_cold:
            rows.append(
                ("cold run (empty numba cache, first run in a fresh copy)", snakemake(work, cold_env))
            )
            cold_stages = stage_times(work)
        warm = snakemake(work, env, "--forceall")  # fills the default cache
        warm = snakemake(work, env, "--forceall")
        rows.append(("warm run, snakemake --cores 2 --forceall", warm))
        stages = stage_times(work)
        no_figure_cache = dict(env, NEUROMOD_FIGURE_CACHE="off")
        rows.append(("warm run without the figure cache (every figure drawn)",
                     snakemake(work, no_figure_cache, "--forceall")))  # fmt: skip
        uncached_stages = stage_times(work)
        rows.append(("no-change rerun, snakemake --cores 2", snakemake(work, env)))
        rows.append(("model in a fresh process, cache warm (to first draws)", fresh_process_model_cost(env)))
        rows.append(("model in a fresh process, empty cache (compiles)", fresh_process_model_cost(
            dict(env, NUMBA_CACHE_DIR=str(Path(tmp) / "numba-empty")))))  # fmt: skip
        print("\n| what | seconds |\n|---|---|")
        for label, seconds in rows:
            print(f"| {label} | {seconds:.1f} |")
        print("\n| stage (warm run; Snakemake benchmark files) | seconds |\n|---|---|")
        for name, seconds in stages.items():
            print(f"| {name} | {seconds:.1f} |")
        print("\n| stage (warm run without the figure cache) | seconds |\n|---|---|")
        for name, seconds in uncached_stages.items():
            print(f"| {name} | {seconds:.1f} |")
        if not args.skip_cold:
            print("\n| stage (cold run) | seconds |\n|---|---|")
            for name, seconds in cold_stages.items():
                print(f"| {name} | {seconds:.1f} |")
        if not args.skip_pymc:
            print("\n" + pymc_ratio(env, work))


if __name__ == "__main__":
    main()
