"""Example trial generator: 1,000 patients in memory, and a large trial written in chunks.

1. ``simulate_trial`` with 1,000 infused patients (default scenario, seed 1) and
   ``write_example`` as CSV; the writer is compared with the foundation's
   ``cartrial.data.write_study`` on the same domains (baseline, same process, identical bytes
   asserted).
2. Scaling: the per-patient cost at 1,000 patients against 100 patients (same process).
3. ``write_large_example`` (chunked, CSV) for ``--large N`` patients (e.g. 100,000): total time
   and per-patient cost against the 1,000-patient in-memory run.
Times are the best of ``--repeat`` runs (default 3; 1 for the large trial).
Run: .venv/bin/python benchmarks/bench_example.py [--large 100000]
"""

from __future__ import annotations

import argparse
import hashlib
import tempfile
import time
from pathlib import Path

from cartrial.data import write_study
from cartrial.example import simulate_trial, write_example, write_large_example
from cartrial.protocol import load_protocol

CPU: dict[str, float] = {}


def best(fn, repeat: int, label: str = "") -> tuple[float, object]:
    """Best wall time of ``repeat`` runs; the best CPU time (process) is kept in CPU[label]."""
    out, times, cpu = None, [], []
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        out = fn()
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    CPU[label] = min(cpu)
    return min(times), out


def digest(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.glob("*.csv"))}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--large", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    p = load_protocol("ct071")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t100, _ = best(lambda: simulate_trial(p, seed=1, n_patients=100), args.repeat, "s100")
        t_sim, trial = best(lambda: simulate_trial(p, seed=1, n_patients=1000), args.repeat,
                            "sim")
        rows = sum(len(v) for v in trial.domains.values())
        t_w, _ = best(lambda: write_example(trial, tmp / "fast"), args.repeat, "write")
        t_ref, _ = best(lambda: write_study(trial.domains, tmp / "ref"), 1, "ref")
        fast = digest(tmp / "fast")
        assert all(fast[k] == v for k, v in digest(tmp / "ref").items())
        print("wall = elapsed seconds (depends on other load); cpu = this process's CPU seconds")
        print(f"simulate_trial 1,000 patients: wall {t_sim:.2f} s, cpu {CPU['sim']:.2f} s "
              f"({rows:,} SDTM records)")
        print(f"write_example CSV: wall {t_w:.2f} s, cpu {CPU['write']:.2f} s; "
              f"cartrial.data.write_study (baseline): wall {t_ref:.2f} s, cpu {CPU['ref']:.2f} s; "
              f"ratio {CPU['ref'] / CPU['write']:.1f}x (cpu)")
        print(f"simulate + write, 1,000 patients: wall {t_sim + t_w:.2f} s, "
              f"cpu {CPU['sim'] + CPU['write']:.2f} s")
        print(f"per patient (cpu): 100 patients {CPU['s100'] / 100 * 1e3:.2f} ms, 1,000 "
              f"patients {CPU['sim'] / 1000 * 1e3:.2f} ms "
              f"(ratio {CPU['s100'] / 100 / (CPU['sim'] / 1000):.2f})")
        if args.large:
            t_l, paths = best(lambda: write_large_example(p, tmp / "large", seed=1,
                                                          n_patients=args.large), 1, "large")
            size = sum(q.stat().st_size for q in paths)
            per_small = (CPU["sim"] + CPU["write"]) / 1000
            per_large = CPU["large"] / args.large
            print(f"write_large_example {args.large:,} patients: wall {t_l:.1f} s, cpu "
                  f"{CPU['large']:.1f} s, {size / 1e9:.2f} GB; per patient (cpu) "
                  f"{per_large * 1e3:.2f} ms ({per_large / per_small:.2f}x the 1,000-patient "
                  "in-memory cost)")


if __name__ == "__main__":
    main()
