"""The report's RTF and DOCX tables and the ADaM files, written by this tree and an earlier commit.

    python benchmarks/bench_render.py --before <commit> --study DIR [--pairs 2] [--repeats 2]

One analysis of ``DIR`` (this tree, one process) captures the inputs of every
``table_to_rtf`` call (table and running header) and of ``write_adam`` (datasets and
arguments); then child processes, alternating before / after, write the same tables and
datasets with each tree's code and print their CPU seconds (``time.process_time``): the first
pass (what ``analyze`` does once) and the mean of ``--repeats`` passes after it. Libraries are
imported before the timing. The earlier commit's ``src`` is extracted with ``git archive``;
both sides run with this interpreter and its libraries. The inputs are pickled objects of this
tree's classes, so the commit must have the same ``ReportTable`` and ``RunningHeader``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_startup import _extract, _load  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

_CAPTURE = r"""
import pickle, sys
from datetime import datetime
import cartrial.report.background as bg, cartrial.report.staged_adam as sa
bg.can_fork = lambda: False
sa.can_fork = lambda: False
import cartrial.report.outputs as outputs
tables, adams = [], []
rtf, wa = outputs.table_to_rtf, sa.write_adam
outputs.table_to_rtf = lambda t, p, header=None: (tables.append((t, header)),
                                                   rtf(t, p, header=header))[1]
sa.write_adam = lambda ds, folder, **kw: (adams.append((dict(ds), kw)), wa(ds, folder, **kw))[1]
from cartrial.report.pipeline import run_analysis
run_analysis(sys.argv[1], sys.argv[2], sys.argv[3] + "/out", run_date=datetime(2026, 1, 1))
pickle.dump((tables, adams), open(sys.argv[3] + "/inputs.pkl", "wb"))
"""

_CHILD = r"""
import pickle, sys, tempfile, time
from datetime import datetime
from pathlib import Path
import docx, polars, rtflite, rtflite.pagination.core
from cartrial.report.render import table_to_docx, table_to_rtf
from cartrial.adam.write import write_adam
tables, adams = pickle.load(open(sys.argv[1], "rb"))
what, reps, d = sys.argv[2], int(sys.argv[3]), Path(tempfile.mkdtemp())
def run():
    for i, (t, h) in enumerate(tables if what != "adam" else []):
        if what == "rtf":
            table_to_rtf(t, d / f"{i}.rtf", header=h)
        else:
            table_to_docx(t, d / f"{i}.docx", run_date=datetime(2026, 1, 1), header=h)
    for ds, kw in adams if what == "adam" else []:
        write_adam(ds, d / "adam", **kw)
t0 = time.process_time(); run(); first = time.process_time() - t0
t0 = time.process_time()
for _ in range(reps):
    run()
print(f"{first:.3f} {(time.process_time() - t0) / reps:.3f}")
"""


def _child(src: Path, inputs: Path, what: str, reps: int) -> list[float]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    out = subprocess.run([sys.executable, "-c", _CHILD, str(inputs), what, str(reps)], env=env,
                         check=True, capture_output=True, text=True).stdout
    return [float(x) for x in out.split()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--before", required=True)
    ap.add_argument("--study", required=True, help="an example study (cartrial example)")
    ap.add_argument("--protocol", default="ct071")
    ap.add_argument("--pairs", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=2)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        subprocess.run([sys.executable, "-c", _CAPTURE, a.study, a.protocol, str(t)],
                       check=True, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
        before = _extract(a.before, t)
        print(f"CPU seconds, before = {a.before}, after = this tree; load {_load()}")
        print("what  pair  before first/repeat  after first/repeat")
        for what in ("rtf", "docx", "adam"):
            for k in range(a.pairs):
                b = _child(before, t / "inputs.pkl", what, a.repeats)
                f = _child(ROOT / "src", t / "inputs.pkl", what, a.repeats)
                print(f"{what:5} {k + 1:4}  {b[0]:6.3f} / {b[1]:6.3f}      "
                      f"{f[0]:6.3f} / {f[1]:6.3f}")
        print(f"load {_load()}")


if __name__ == "__main__":
    main()
