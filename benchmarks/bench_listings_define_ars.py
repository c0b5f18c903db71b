"""The patient narratives (listing 16.2.5), the define metadata gathered while ADaM is written
and the analysis-results files, this tree against an earlier commit, each function alone on the
inputs a whole analysis gives it (issue #18).

    python benchmarks/bench_listings_define_ars.py --before <commit> [--study DIR]
        [--inputs DIR] [--repeats 3]

First ``run_analysis`` runs once with this tree in one process (the forked writers switched
off) on the study (default: the CT071 example written here; for the figures of BENCHMARKS.md a
3,000-patient study, ``cartrial example ct071 --protocol ct071 --patients 3000``), keeping what
it hands to ``patient_narratives``, to ``DatasetProfile.add`` (every batch of every ADaM
dataset, in order) and to ``write_ars`` in ``--inputs`` (pickles; reused when present). Then
each function is timed ``--repeats`` times on them, the two trees alternating in child
processes back to back so the load of a shared machine falls on both alike (CPU seconds,
``time.process_time``; best, and all of them, printed with the 1-minute load average). Each
side's results are compared: the narratives' listing frame, the metadata of every variable and
the ARS files byte for byte. Both sides run with this interpreter and its libraries; the
earlier commit's ``src`` is extracted with ``git archive``.
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
from bench_startup import _example, _extract, _load  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
FUNCTIONS = ("narratives", "metadata", "ars")

_CAPTURE = r"""
import pickle, sys
from datetime import datetime
from pathlib import Path
import cartrial.report.background as bg, cartrial.report.staged_adam as sa
import cartrial.adam.metadata as meta, cartrial.report.narratives as nar
import cartrial.report.outputs as outputs
from cartrial.report.pipeline import run_analysis
bg.can_fork = sa.can_fork = lambda: False
study, into = sys.argv[1], Path(sys.argv[2])
real_nar, real_add, real_ars = nar.patient_narratives, meta.DatasetProfile.add, outputs.write_ars
def narratives(*args):
    (into / "narratives.pkl").write_bytes(pickle.dumps(args, protocol=5))
    return real_nar(*args)
batches = open(into / "metadata.part", "wb")
def add(self, batch):
    pickle.dump((self.kinds.dataset, batch), batches, protocol=5)
    return real_add(self, batch)
def ars(tables, ds, tdir, **kw):
    held = {k: v for k, v in ds.items() if isinstance(v, __import__("pandas").DataFrame)}
    (into / "ars.pkl").write_bytes(pickle.dumps((tables, held, kw), protocol=5))
    return real_ars(tables, ds, tdir, **kw)
nar.patient_narratives, meta.DatasetProfile.add, outputs.write_ars = narratives, add, ars
run_analysis(study, "ct071", into / "run", run_date=datetime(2026, 1, 1))
batches.close()
(into / "metadata.part").rename(into / "metadata.pkl")
"""

_TIME = r"""
import json, pickle, sys, time
from pathlib import Path
what, into, out, repeats = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4])
if what == "narratives":
    from cartrial.report.narratives import patient_narratives
    args = pickle.loads((into / "narratives.pkl").read_bytes())
    def once(i):
        return patient_narratives(*args).wide()
    def keep(res):
        res.to_csv(out / "narratives.csv")
elif what == "metadata":
    from cartrial.adam.metadata import DatasetProfile
    batches = []
    with open(into / "metadata.pkl", "rb") as f:
        while True:
            try:
                batches.append(pickle.load(f))
            except EOFError:
                break
    def once(i):
        profiles = {}
        for name, batch in batches:
            profiles.setdefault(name, DatasetProfile(name)).add(batch)
        return {n: [p.n_rows, p.variables()] for n, p in profiles.items()}
    def keep(res):
        (out / "metadata.json").write_text(json.dumps(res, sort_keys=True, default=str))
else:
    from cartrial.report.ars import write_ars
    from cartrial.report import ars_clause
    tables, ds, kw = pickle.loads((into / "ars.pkl").read_bytes())
    def once(i):
        getattr(ars_clause.compile_clause, "cache_clear", lambda: None)()
        (out / f"ars{i}").mkdir(parents=True, exist_ok=True)
        write_ars(tables, ds, out / f"ars{i}", **kw)
        return out / f"ars{i}"
    def keep(res):
        res.rename(out / "ars")
cpu = []
for i in range(repeats):
    t = time.process_time()
    res = once(i)
    cpu.append(time.process_time() - t)
keep(res)
print(json.dumps(cpu))
"""


def _child(code: str, src: Path, *args: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(src)}
    res = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True,
                         text=True, check=False)
    if res.returncode != 0:
        raise SystemExit(f"failed ({src}):\n{res.stderr[-3000:]}")
    return res.stdout.strip().splitlines()[-1] if res.stdout.strip() else ""


def _same(a: Path, b: Path) -> bool:
    """The results of both sides byte for byte (files, or every file of a folder)."""
    if a.is_dir():
        names = sorted(p.name for p in a.iterdir())
        return names == sorted(p.name for p in b.iterdir()) and all(
            (a / n).read_bytes() == (b / n).read_bytes() for n in names)
    return a.read_bytes() == b.read_bytes()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", required=True, help="git revision to compare against")
    ap.add_argument("--study", type=Path, help="a study folder (default: the CT071 example)")
    ap.add_argument("--inputs", type=Path, help="where the captured inputs are kept (reused)")
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        into = a.inputs or Path(tmp) / "inputs"
        into.mkdir(parents=True, exist_ok=True)
        if not all((into / f"{f}.pkl").exists() for f in FUNCTIONS):
            _child(_CAPTURE, ROOT / "src", str(_example(a.study, Path(tmp))), str(into))
        before = _extract(a.before, Path(tmp))
        ok = True
        for what in FUNCTIONS:
            load0, runs = _load(), {}
            for side, src in (("before", before), ("after", ROOT / "src")):
                out = Path(tmp) / what / side
                out.mkdir(parents=True)
                runs[side] = json.loads(_child(_TIME, src, what, str(into), str(out),
                                               str(a.repeats)))
            name = {"narratives": "narratives.csv", "metadata": "metadata.json"}.get(what, "ars")
            same = _same(Path(tmp) / what / "before" / name, Path(tmp) / what / "after" / name)
            ok &= same
            b, f = min(runs["before"]), min(runs["after"])
            print(f"{what}: before {b:.3f} s, after {f:.3f} s CPU (best of {a.repeats}; all "
                  f"{[round(x, 3) for x in runs['before']]} -> "
                  f"{[round(x, 3) for x in runs['after']]}), {b / f:.1f}x less; load "
                  f"{load0}-{_load()}; results identical: {same}")
        sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
