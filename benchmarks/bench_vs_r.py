"""cartrial ``simulate_oc`` against R BOIN ``get.oc``, measured side by side in one run.

Setting of BENCHMARKS.md "Dose-escalation designs": BOIN, 5 doses, 10 cohorts of 3, target 0.3,
p = (0.05, 0.12, 0.30, 0.45, 0.60), 10,000 trials, MTD selection included. Both sides report
process CPU seconds of the simulation alone, best of 3 after a warm-up run: R's
``system.time()`` user + system of ``get.oc(..., ntrial = 10000)`` in one Rscript process, and
cartrial's ``time.process_time()`` around ``simulate_oc`` with BLAS threads = 1. Prints the
machine, the git commit and the ratio. Exits 0 with a message when Rscript or BOIN is absent.

Run: .venv/bin/python benchmarks/bench_vs_r.py [R_LIBRARY]
     (R_LIBRARY: where BOIN is installed, when it is not in R's default library)
"""

from __future__ import annotations

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import platform  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from cartrial.design.simulate_oc import simulate_oc  # noqa: E402

P5 = [0.05, 0.12, 0.30, 0.45, 0.60]
SPEC = {
    "name": "boin",
    "target": 0.3,
    "cohort_size": 3,
    "max_sample_size": 30,
    "dlt_window_days": 28,
}
N_TRIALS = 10_000
R_CODE = """
lib <- commandArgs(TRUE)[1]
suppressPackageStartupMessages(if (nzchar(lib)) library(BOIN, lib.loc = lib) else library(BOIN))
p <- c({p})
invisible(get.oc(target = 0.3, p.true = p, ncohort = 10, cohortsize = 3, ntrial = 200, seed = 1))
best <- Inf
for (i in 1:3) {{
  st <- system.time(get.oc(target = 0.3, p.true = p, ncohort = 10, cohortsize = 3,
                           ntrial = {n}, seed = i))
  best <- min(best, st[["user.self"]] + st[["sys.self"]])
}}
cat(best, as.character(packageVersion("BOIN")), R.version$major, R.version$minor, "\\n")
"""


def r_seconds(lib: str) -> tuple[float, str] | None:
    """Best-of-3 CPU seconds of R get.oc (10,000 trials) and the versions, or None."""
    if shutil.which("Rscript") is None:
        return None
    code = R_CODE.format(p=", ".join(map(str, P5)), n=N_TRIALS)
    run = subprocess.run(["Rscript", "-e", code, lib], capture_output=True, text=True)
    if run.returncode != 0:
        print(f"R get.oc failed: {run.stderr.strip()[:300]}")
        return None
    sec, boin, major, minor = run.stdout.split()
    return float(sec), f"R {major}.{minor}, BOIN {boin}"


def py_seconds() -> float:
    """Best-of-3 process CPU seconds of cartrial simulate_oc (10,000 trials) after a warm-up."""
    simulate_oc(SPEC, P5, n_trials=200, seed=1)
    best = float("inf")
    for i in range(3):
        t = time.process_time()
        simulate_oc(SPEC, P5, n_trials=N_TRIALS, seed=i)
        best = min(best, time.process_time() - t)
    return best


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    info = Path("/proc/cpuinfo")
    if info.exists():
        names = [
            ln.split(":", 1)[1].strip()
            for ln in info.read_text().splitlines()
            if ln.startswith("model name")
        ]
        cpu = names[0] if names else cpu
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def main(lib: str) -> int:
    r = r_seconds(lib)
    if r is None:
        print("bench_vs_r: Rscript or the BOIN package is not available; skipped")
        return 0
    r_sec, versions = r
    py = py_seconds()
    root = Path(__file__).resolve().parents[1]
    commit = subprocess.run(
        ["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    print(f"machine: {machine()}; cartrial commit {commit}; {versions}")
    print(f"BOIN, 5 doses x 10 cohorts of 3, {N_TRIALS:,} trials, CPU seconds, best of 3")
    print(f"  R get.oc             {r_sec:8.3f} s  ({1000 * r_sec / N_TRIALS:.3f} ms per trial)")
    print(f"  cartrial simulate_oc {py:8.3f} s  ({1e6 * py / N_TRIALS:.2f} us per trial)")
    print(f"  ratio                {r_sec / py:8.0f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else ""))
