"""`cartrial analyze` on the example, stage by stage, this tree against an earlier commit.

    python benchmarks/bench_analyze.py --before <commit> [--repeats 3] [--study DIR]

Each run is a child process (``run_analysis`` with a progress callback) that prints the wall
seconds of each stage, the CPU seconds of the whole run (user + system of the process and of
the writers it forks) and the import time. Runs alternate before / after so that the load of a
shared machine falls on both alike; the median of each figure and the ratio (before / after)
are printed with the 1-minute load average before and after. On a loaded machine report the
CPU ratio; the wall ratio includes the writers that run side by side, which only an idle
machine with two free cores shows.

The earlier commit's ``src`` is extracted with ``git archive`` (as ``bench_startup.py``); both
sides run with this interpreter and its libraries.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_startup import _example, _extract, _load  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

_CHILD = r"""
import json, resource, sys, time
t0, w0 = time.process_time(), time.perf_counter()
from datetime import datetime
from cartrial.report.pipeline import run_analysis
out = {"import": time.perf_counter() - w0}
last = [time.perf_counter()]
def step(stage):
    now = time.perf_counter(); out[stage] = now - last[0]; last[0] = now
run_analysis(sys.argv[1], "ct071", sys.argv[2], run_date=datetime(2026, 1, 1), progress=step)
out["write outputs"] = time.perf_counter() - last[0]
out["wall"] = time.perf_counter() - w0
me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
out["CPU"] = me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime
print(json.dumps(out))
"""


def _run(src: Path, study: Path, out: Path) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    res = subprocess.run([sys.executable, "-c", _CHILD, str(study), str(out)], env=env,
                         capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise SystemExit(f"analyze failed ({src}):\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", required=True, help="git revision to compare against")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--study", type=Path, help="an example study (default: written here)")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        before = _extract(a.before, Path(tmp))
        study = _example(a.study, Path(tmp))
        load0, b, f = _load(), [], []
        for i in range(a.repeats):
            b.append(_run(before, study, Path(tmp) / f"b{i}"))
            f.append(_run(ROOT / "src", study, Path(tmp) / f"a{i}"))
        print(f"analyze on the example, median of {a.repeats} alternating runs; before = "
              f"{a.before}; load {load0}-{_load()}")
        print(f"{'seconds':22} {'before':>8} {'after':>8} {'ratio':>6}")
        for key in b[0]:
            mb, ma = statistics.median(r[key] for r in b), statistics.median(r[key] for r in f)
            print(f"{key:22} {mb:8.2f} {ma:8.2f} {mb / ma if ma else float('nan'):6.2f}")


if __name__ == "__main__":
    main()
