"""Start-up: each verb as a whole process, this tree against an earlier commit, back to back.

    python benchmarks/bench_startup.py --before <commit> [--repeats 5] [--verbs boundaries,...]

Prints, with each verb, the 1-minute load average before and after its runs (``uptime``): on a
shared machine the absolute seconds depend on it, the ratio much less.

The earlier commit's ``src`` is extracted with ``git archive`` into a temporary folder and put
first on ``PYTHONPATH``; both run with this interpreter and its installed libraries, alternating
run by run so that the load of a shared machine falls on both alike. Prints the median wall time
and CPU time (user + system) of each and their ratios (before / after) per verb; on a loaded
machine report the ratio (the CPU ratio is the steadier one).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CT071 = ["--protocol", "ct071"]

#: name -> command line after `cartrial` ({study}: a written example study)
VERBS: dict[str, list[str]] = {
    "help": ["--help"],
    "boundaries": ["design", "boundaries", "--target", "0.3"],
    "table": ["design", "table", "--design", "boin"],
    "protocol-list": ["protocol", "list"],
    "example-list": ["example", "list"],
    "simulate": ["design", "simulate", *CT071, "--true-tox", "0.15,0.3", "--method", "exact"],
    "validate": ["validate", "{study}", *CT071],
    "decide": ["decide", "{study}", *CT071],
    "analyze": ["analyze", "{study}", *CT071, "--out", "{out}", "--run-date", "2026-01-01"],
}


def _extract(ref: str, into: Path) -> Path:
    """``src`` of ``ref`` (any git revision) under ``into``; returns the folder to import from."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "src"], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    # byte-compiled like this tree after `make env`, so that neither side compiles at start-up
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(into / "src")], check=True)
    return into / "src"


def _example(study: Path | None, tmp: Path) -> Path:
    """``study`` when given, else the CT071 example written under ``tmp`` by this tree."""
    if study is not None:
        return study
    out = tmp / "study"
    subprocess.run([sys.executable, "-m", "cartrial", "example", "ct071", "--out", str(out),
                    *CT071], check=True, capture_output=True,
                   env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    return out


def _load() -> str:
    """The 1-minute load average (first field of /proc/loadavg; '?' where there is none)."""
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def _wall(argv: list[str], src: Path) -> tuple[float, float]:
    """Wall and CPU (user + system of the child) seconds of one run."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    res = subprocess.run([sys.executable, "-m", "cartrial", *argv], env=env,
                         capture_output=True, check=False)
    wall = time.perf_counter() - t
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if res.returncode != 0:
        raise SystemExit(f"cartrial {' '.join(argv)} failed ({src}):\n{res.stderr.decode()}")
    return wall, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", required=True, help="git revision to compare against")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--verbs", default=",".join(VERBS), help="comma-separated, of: "
                    + ", ".join(VERBS))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        before = _extract(args.before, Path(tmp))
        study = _example(None, Path(tmp))
        print(f"{'verb':14} {'before s':>9} {'after s':>9} {'ratio':>6} {'CPU before':>10} "
              f"{'CPU after':>9} {'ratio':>6}  load   (median of {args.repeats}, alternating; "
              f"before = {args.before})")
        for name in args.verbs.split(","):
            argv = [a.format(study=study, out=Path(tmp) / "out") for a in VERBS[name]]
            load0 = _load()
            b, a = [], []
            for _ in range(args.repeats):
                b.append(_wall(argv, before))
                a.append(_wall(argv, ROOT / "src"))
            mb, ma = (statistics.median(w for w, _ in x) for x in (b, a))
            cb, ca = (statistics.median(c for _, c in x) for x in (b, a))
            print(f"{name:14} {mb:9.2f} {ma:9.2f} {mb / ma:6.1f} {cb:10.2f} {ca:9.2f} "
                  f"{cb / ca:6.1f}  {load0}-{_load()}", flush=True)


if __name__ == "__main__":
    main()
