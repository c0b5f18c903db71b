"""BOIN Monte Carlo cost per simulated trial on one core, this tree against an earlier commit.

    python benchmarks/bench_boin_per_trial.py --before <commit> [--trials 100000] [--repeats 3]

Setting of issue #3 (5 doses, 10 cohorts of 3, target 0.3, p = (0.05, 0.12, 0.30, 0.45, 0.60),
MTD selection included). Each revision runs in its own child process pinned to one CPU
(``sched_setaffinity``) with BLAS threads = 1; the figure is the best of ``repeats`` process CPU
times after a warm-up, divided by the number of trials. The two revisions alternate; the
1-minute load average is printed beside each (the machine may be shared).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_startup import ROOT, _extract, _load  # noqa: E402

_CHILD = """
import json, os, sys, time
os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
from cartrial.design.simulate_oc import simulate_oc
spec = {"name": "boin", "target": 0.3, "cohort_size": 3, "max_sample_size": 30,
        "dlt_window_days": 28}
p, n, reps = [0.05, 0.12, 0.30, 0.45, 0.60], int(sys.argv[1]), int(sys.argv[2])
simulate_oc(spec, p, n, seed=1)
best = float("inf")
for _ in range(reps):
    t = time.process_time()
    simulate_oc(spec, p, n, seed=1)
    best = min(best, time.process_time() - t)
print(json.dumps({"us_per_trial": best / n * 1e6}))
"""


def _per_trial(src: Path, trials: int, repeats: int) -> float:
    env = {**os.environ, "PYTHONPATH": str(src), "OMP_NUM_THREADS": "1",
           "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, "-c", _CHILD, str(trials), str(repeats)], env=env,
                         check=True, capture_output=True, text=True).stdout
    return float(json.loads(out.strip().splitlines()[-1])["us_per_trial"])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", required=True, help="git revision to compare against")
    ap.add_argument("--trials", type=int, default=100_000)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        before = _extract(args.before, Path(tmp))
        for label, src in (("before", before), ("after", ROOT / "src")) * 2:
            load0 = _load()
            us = _per_trial(src, args.trials, args.repeats)
            print(f"{label:7} {us:7.2f} us per trial  load {load0}-{_load()}", flush=True)


if __name__ == "__main__":
    main()
