"""`write_ars` (the analysis-results files of every report table), this tree against an earlier
commit, on the same tables and ADaM datasets (issue #18).

    python benchmarks/bench_ars.py --before <commit> [--repeats 3] [--study DIR] [--profile F]

Each side runs in a child process: ``run_analysis`` on the study in one process (the forked
writers switched off), with ``write_ars`` wrapped to keep the tables and datasets it is given;
then ``write_ars`` alone is timed ``--repeats`` times on them into a scratch folder, each time
with the where-clause caches emptied, and the best CPU seconds (``time.process_time``) kept.
The children alternate before / after back to back, so the load of a shared machine falls on
both alike; the ratio (before / after) of the best CPU seconds is printed with the 1-minute
load average before and after, and the largest peak resident memory above the resident size
at the call's start (VmHWM, reset by writing 5 to ``/proc/self/clear_refs``, minus VmRSS;
Linux only). The ARS files of both sides are compared byte for byte (the speed-up must not
change them). ``--profile F`` writes a cProfile of one ``write_ars`` call
of this tree to ``F``.

The earlier commit's ``src`` is extracted with ``git archive`` (as ``bench_startup.py``); both
sides run with this interpreter and its libraries.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_startup import _example, _extract, _load  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

_CHILD = r"""
import json, sys, time
from datetime import datetime
from pathlib import Path
import cartrial.report.background as bg, cartrial.report.staged_adam as sa
import cartrial.report.outputs as outputs
from cartrial.report.pipeline import run_analysis
bg.can_fork = sa.can_fork = lambda: False
kept, real = [], outputs.write_ars
def keep(tables, ds, tdir, **kw):
    kept.append((tables, ds, kw))
    return real(tables, ds, tdir, **kw)
outputs.write_ars = keep
study, out, repeats, prof = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
run_analysis(study, "ct071", out / "run", run_date=datetime(2026, 1, 1))
def clear():
    import cartrial.report.ars_query as q
    for name in ("_MEMO", "_CACHE"):
        getattr(q, name, {}).clear()
    for name in ("_names", "compile_clause", "_compiled"):
        f = getattr(q, name, None)
        if hasattr(f, "cache_clear"):
            f.cache_clear()
def status(key):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
def once(dest):
    clear()
    dest.mkdir(parents=True, exist_ok=True)
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS
    rss = status("VmRSS")
    t = time.process_time()
    for tables, ds, kw in kept:
        real(tables, ds, dest, **kw)
    return time.process_time() - t, status("VmHWM") - rss
runs = [once(out / f"ars{i}") for i in range(repeats)]
cpu, above = [c for c, _ in runs], [m for _, m in runs]
if prof:
    import cProfile
    clear()
    (out / "prof").mkdir(parents=True, exist_ok=True)
    cProfile.run("[real(t, d, out / 'prof', **k) for t, d, k in kept]", prof)
print(json.dumps({"cpu": cpu, "above": above, "files": str(out / "ars0")}))
"""


def _run(src: Path, study: Path, out: Path, repeats: int, prof: str = "") -> dict:
    env = {**os.environ, "PYTHONPATH": str(src)}
    res = subprocess.run([sys.executable, "-c", _CHILD, str(study), str(out), str(repeats),
                          prof], env=env, capture_output=True, text=True, check=False)
    if res.returncode != 0:
        raise SystemExit(f"write_ars failed ({src}):\n{res.stderr[-3000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def _same(a: Path, b: Path) -> bool:
    names = sorted(p.name for p in a.iterdir())
    if names != sorted(p.name for p in b.iterdir()):
        return False
    _, mismatch, errors = filecmp.cmpfiles(a, b, names, shallow=False)
    return not mismatch and not errors


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", required=True, help="git revision to compare against")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--study", type=Path, help="an example study (default: written here)")
    ap.add_argument("--profile", default="", help="cProfile file of this tree's write_ars")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        before = _extract(a.before, Path(tmp))
        study = _example(a.study, Path(tmp))
        load0 = _load()
        b = _run(before, study, Path(tmp) / "b", a.repeats)
        f = _run(ROOT / "src", study, Path(tmp) / "a", a.repeats, a.profile)
        same = _same(Path(b["files"]), Path(f["files"]))
        print(f"write_ars on {study.name}, best of {a.repeats} CPU seconds (process_time); "
              f"before = {a.before}; load {load0}-{_load()}")
        print(f"before {min(b['cpu']):.2f} s, after {min(f['cpu']):.2f} s, ratio "
              f"{min(b['cpu']) / min(f['cpu']):.1f}x; ARS files identical: {same}")
        print(f"peak resident memory above the start of write_ars (VmHWM - VmRSS, MiB, "
              f"largest): before {max(b['above']):.0f}, after {max(f['above']):.0f}")
        sys.exit(0 if same else 1)


if __name__ == "__main__":
    main()
