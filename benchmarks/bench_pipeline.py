"""The whole pipeline (`cartrial analyze`: load + validate, safety, efficacy and kinetics engines,
ADaM datasets, tables and figures, writing) on the bundled example and on generated trials of
1,000 and 10,000 infused patients.

Each size runs in a fresh child process so that its peak memory (ru_maxrss) is its own; the study
is generated and written before the clock starts. Figures are reported as ratios against the
bundled example run by the same script, and per patient, to show the growth with patients.

Usage: .venv/bin/python benchmarks/bench_pipeline.py [--sizes example,1000,10000]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path


def one(size: str, root: Path) -> dict:
    from cartrial.example import simulate_trial, write_example
    from cartrial.protocol import load_protocol

    n = None if size == "example" else int(size)
    t0 = time.perf_counter()
    trial = simulate_trial(load_protocol("ct071"), n_patients=n)
    write_example(trial, root / "sdtm")
    t_gen = time.perf_counter() - t0
    t0 = time.perf_counter()
    from cartrial.report.pipeline import run_analysis

    t_import = time.perf_counter() - t0
    stages: dict[str, float] = {}
    last = [time.perf_counter()]

    def step(name: str) -> None:
        now = time.perf_counter()
        stages[name] = round(now - last[0], 2)
        last[0] = now

    t0 = time.perf_counter()
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    s = run_analysis(root / "sdtm", "ct071", root / "out", run_date=datetime(2025, 1, 1),
                     progress=step)
    t_run = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"size": size, "infused": int(s.datasets["ADSL"]), "generate_s": round(t_gen, 1),
            "import_s": round(t_import, 2), "pipeline_s": round(t_run, 2), "cpu_s": round(cpu, 2),
            "stages": stages,
            "peak_mb": round(peak_mb), "omitted": s.omitted, "adlb_rows": s.datasets.get("ADLB")}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="example,1000,10000")
    ap.add_argument("--one", default=None, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.one:
        with tempfile.TemporaryDirectory() as d:
            print(json.dumps(one(a.one, Path(d))))
        return
    rows = []
    for size in a.sizes.split(","):
        r = subprocess.run([sys.executable, __file__, "--one", size], capture_output=True,
                           text=True, check=True)
        rows.append(json.loads(r.stdout.strip().splitlines()[-1]))
        print(json.dumps(rows[-1]), flush=True)
    base = rows[0]
    print("\n| trial | subjects (ADSL) | wall | CPU | CPU x example | CPU per subject |"
          " peak memory |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['size']} | {r['infused']} | {r['pipeline_s']:.1f} s | {r['cpu_s']:.1f} s | "
              f"{r['cpu_s'] / base['cpu_s']:.1f}x | "
              f"{1000 * r['cpu_s'] / r['infused']:.1f} ms | {r['peak_mb']} MB |")


if __name__ == "__main__":
    main()
