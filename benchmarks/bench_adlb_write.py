"""ADLB derived and written batch by batch (``write_adam`` of ``adlb_batched``: CSV, XPT,
define.*) on a large study, before and after a change: CPU seconds (``time.process_time``) of
the writer alone, each run a child process, before and after alternating; the files of both
sides compared byte for byte (issue #18).

    .venv/bin/python benchmarks/bench_adlb_write.py --data /tmp/MEM10K-3k --before cde98c6

The study is loaded and ADSL derived once (the inputs pickled to a temporary folder); each
child then derives and writes ADLB from them. ``--before`` is a git revision whose ``src`` is
extracted with ``git archive`` (the after side is this checkout's ``src``).
"""

from __future__ import annotations

import argparse
import filecmp
import os
import pickle
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"


def _prepare(data: str, protocol: str, out: Path) -> None:
    from cartrial.adam.adsl import derive_adsl
    from cartrial.data import load_study
    from cartrial.protocol import load_protocol

    study, p = load_study(data), load_protocol(protocol)
    with open(out, "wb") as f:
        pickle.dump({"LB": study["LB"], "ADSL": derive_adsl(study, p), "protocol": p}, f,
                    protocol=pickle.HIGHEST_PROTOCOL)


def _write(inputs: Path, out: Path) -> None:
    from cartrial.adam.adlb_batched import adlb_batched
    from cartrial.adam.write import write_adam

    with open(inputs, "rb") as f:
        d = pickle.load(f)
    ds = {"ADLB": adlb_batched(d["LB"], d["ADSL"], d["protocol"])}
    t = time.process_time()
    write_adam(ds, out, study="CT071", version="0", protocol_hash="p", data_hash="d",
               run_date=datetime(2026, 1, 1))
    print(f"{time.process_time() - t:.2f}")


def _child(src: Path, *args: str) -> str:
    env = dict(os.environ, PYTHONPATH=str(src))
    res = subprocess.run([str(PYTHON), __file__, *args], env=env, capture_output=True,
                         text=True, check=True)
    return res.stdout.strip()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data")
    ap.add_argument("--protocol", default="ct071")
    ap.add_argument("--before")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    ap.add_argument("--prepare", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.child:
        _write(Path(a.child[0]), Path(a.child[1]))
        return 0
    if a.prepare:
        _prepare(a.data, a.protocol, Path(a.prepare))
        return 0
    if not (a.data and a.before):
        ap.error("--data and --before are needed")
    with tempfile.TemporaryDirectory(prefix="bench-adlb-") as tmp:
        base = Path(tmp)
        before = base / "before"
        before.mkdir()
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", a.before, "src"],
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(before)], input=archive, check=True)
        inputs = base / "inputs.pkl"
        _child(ROOT / "src", "--data", a.data, "--protocol", a.protocol, "--prepare",
               str(inputs))
        cpu: dict[str, list[str]] = {"before": [], "after": []}
        for _ in range(a.repeats):
            for side, src in (("before", before / "src"), ("after", ROOT / "src")):
                cpu[side].append(_child(src, "--child", str(inputs), str(base / side / "out")))
                print(f"{side}: {cpu[side][-1]} s CPU", flush=True)
        files = sorted(p.name for p in (base / "after" / "out").iterdir())
        same = [f for f in files
                if filecmp.cmp(base / "before" / "out" / f, base / "after" / "out" / f,
                               shallow=False)]
        print(f"before {' / '.join(cpu['before'])} s, after {' / '.join(cpu['after'])} s CPU; "
              f"files identical: {len(same)} of {len(files)} ({', '.join(files)})")
        return 0 if len(same) == len(files) else 1


if __name__ == "__main__":
    sys.exit(main())
