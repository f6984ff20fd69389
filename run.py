#!/usr/bin/env python3
"""Quick start for a fresh machine with Python 3.11+ (no conda needed).

    python3 run.py report   # builds the report from the bundled data (no network besides installing)
    python3 run.py test     # runs the whole test suite (installs test tools, the SLURM executor plugin and
                            # headless Chromium; the SLURM tests also need Debian's SLURM: .ci/install-slurm)

Both create ./.venv on first use and install the project into it (again only when pyproject.toml
changes). Extra arguments are passed on: `python3 run.py report --forceall`, `python3 run.py test -k plots`.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")


def _stamp(extra: str) -> Path:
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extra.encode()).hexdigest()[:16]
    return VENV / f".installed-{extra}-{digest}"


def ensure_venv(extra: str) -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 -- run.py may be started by an older python3
        sys.exit(f"Python 3.11 or newer is needed; this is {sys.version.split()[0]}")
    if not (BIN / "python").exists():
        print(f"creating virtual environment in {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp = _stamp(extra)
    if stamp.exists():
        return
    target = "." if extra == "base" else f".[{extra}]"
    what = "neuromod-evidence" + ("" if extra == "base" else f"[{extra}]")
    print(f"installing {what} and its pinned dependencies (PyMC, nutpie, numba, pandas, Snakemake, ...) into "
          f"{VENV}; the first time this downloads about 400 MB and takes 2-5 minutes", flush=True)  # fmt: skip
    subprocess.run(
        [BIN / "python", "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True, cwd=ROOT
    )
    subprocess.run([BIN / "python", "-m", "pip", "install", "--quiet", "-e", target], check=True, cwd=ROOT)
    for old in VENV.glob(f".installed-{extra}-*"):
        old.unlink()
    stamp.touch()


def environment() -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    # PyTensor compiles C code on first use; keep the cache inside the project so later runs are warm.
    cache = ROOT / ".cache" / "pytensor"
    cache.mkdir(parents=True, exist_ok=True)
    env.setdefault(
        "PYTENSOR_FLAGS", f"compiledir={cache},blas__ldflags="
    )  # no BLAS warning (see compiled.py)
    env.setdefault("MPLBACKEND", "Agg")
    return env


def ensure_chromium() -> None:
    """Browser tests need Debian's Chromium; install it when we can (root + apt-get), else say how."""
    if any(Path(p).exists() for p in CHROMIUM_CANDIDATES):
        return
    if shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        print("installing Debian's chromium for the browser tests", flush=True)
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=True,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})  # fmt: skip
        return
    print("warning: /usr/bin/chromium not found; the browser tests will fail. "
          "Install it with: sudo apt-get install chromium", file=sys.stderr)  # fmt: skip


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"report", "test"}:
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    if command == "report":
        ensure_venv("base")
        cmd = [str(BIN / "snakemake"), "--cores", str(min(2, os.cpu_count() or 1)), *rest]
        print("running the workflow (the very first run compiles the models once, about 10 s more; "
              "later runs take about half a minute)", flush=True)  # fmt: skip
        code = subprocess.run(cmd, cwd=ROOT, env=environment()).returncode
        index = ROOT / "results" / "report" / "index.html"
        if code == 0:
            print(f"report: {index}" if index.exists() else f"outputs: {ROOT / 'results'}")
        return code
    ensure_venv("test,cluster")  # cluster: the SLURM executor plugin that tests/cluster drives
    ensure_chromium()
    # two workers: the suite is mostly waiting on separate processes (Snakemake, Chromium, sampling)
    workers = (
        []
        if any(a == "-n" or a.startswith("-n") or a.startswith("--numprocesses") for a in rest)
        else ["-n", "2"]
    )
    return subprocess.run(
        [str(BIN / "python"), "-m", "pytest", *workers, *rest], cwd=ROOT, env=environment()
    ).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
