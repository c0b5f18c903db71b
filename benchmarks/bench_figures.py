"""The report's figures drawn and rendered, this tree against an earlier commit (issue #18).

    python benchmarks/bench_figures.py [--before main] [--repeats 3] [--study DIR]

For each side (this tree, and the earlier commit's ``src`` extracted with ``git archive``; both
with this interpreter and its libraries) a child process runs ``run_analysis`` on the study in
one process, recording the arguments of every figure the report draws (the figure functions of
``report.fig_items`` and ``report.kinetics_items``), the caption ``report.sections._fig`` gives
it and the data cut-off. Then fresh child processes replay the figure work alone, as
``analyze`` does it for a small trial: each figure function (built and laid out),
``sections._fig`` (the report's SVG; the caption; the files handed to a forked process) and
``outputs._figure_files`` (the PNG and SVG files collected and written). The CPU seconds of the
replaying process and of its forks (``getrusage``) are measured; the sides alternate (before,
after, before, ...) so that a shared machine's load falls on both alike; the best and the
median of ``--repeats`` runs are printed with their ratio. The SHA-256 of every report SVG and
figure file of every run is compared: exit 1 unless both sides made the same bytes.
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

_CAPTURE = r"""
import pickle, sys, tempfile
from datetime import datetime
from pathlib import Path
import cartrial.report.background as bg
bg.can_fork = lambda: False
try:
    import cartrial.report.staged_adam as sa
    sa.can_fork = lambda: False
except ImportError:
    pass
from cartrial.report import figures as F, sections as S
import cartrial.report.fig_items as FI, cartrial.report.kinetics_items as KI
from cartrial.report.pipeline import run_analysis

calls, captions = [], []
def wrap(mod, name):
    fn = getattr(mod, name)
    def rec(*a, **kw):
        calls.append((mod.__name__, name, pickle.dumps((a, kw))))
        return fn(*a, **kw)
    setattr(mod, name, rec)
for name in ("swimmer_figure", "waterfall_figure", "spider_figure", "km_figure",
             "crs_icans_figure", "kinetics_figure"):
    wrap(FI, name)
wrap(KI, "cytokine_figure")
real_fig = S._fig
def fig_rec(number, title, fig, notes=(), population="", figures=None, name=""):
    captions.append((number, title, tuple(notes), population, name, F._CUTOFF.get()))
    return real_fig(number, title, fig, notes, population, figures, name)
S._fig = fig_rec
with tempfile.TemporaryDirectory() as tmp:
    run_analysis(sys.argv[1], "ct071", Path(tmp) / "out", run_date=datetime(2026, 1, 1))
assert len(calls) == len(captions), (len(calls), len(captions))
Path(sys.argv[2]).write_bytes(pickle.dumps((calls, captions)))
"""

_REPLAY = r"""
import hashlib, importlib, json, pickle, resource, sys, tempfile, time
from pathlib import Path
from cartrial.report import figures as F, outputs as O, sections as S
import cartrial.report.fig_items, cartrial.report.kinetics_items
from cartrial.report.figure_files import ForkedFigures

calls, captions = pickle.loads(Path(sys.argv[1]).read_bytes())
args = [pickle.loads(a) for _, _, a in calls]
fns = [getattr(importlib.import_module(m), n) for m, n, _ in calls]

def cpu():
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime

with tempfile.TemporaryDirectory() as tmp:
    t = cpu()
    # as in `analyze` on a small trial: the figure files rendered by forked processes
    # (started as written, or each as its figure is handed on before), collected when written
    figures, svgs = ForkedFigures(), []
    for fn, (a, kw), (number, title, notes, pop, name, cut) in zip(fns, args, captions):
        with F.figure_cutoff(cut):
            svgs.append(S._fig(number, title, fn(*a, **kw), notes, pop, figures, name).svg)
    getattr(figures, "start", lambda: None)()  # where the code starts them in one process
    O._figure_files(figures, Path(tmp))
    used = cpu() - t
    digest = {f"report svg {k}": hashlib.sha256(s.encode()).hexdigest()
              for k, s in enumerate(svgs)}
    digest.update({p.name: hashlib.sha256(p.read_bytes()).hexdigest()
                   for p in sorted(Path(tmp).iterdir())})
print(json.dumps({"cpu": used, "figures": len(calls), "digest": digest}))
"""


def _child(src: Path, code: str, *args: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(src)}
    res = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True,
                         text=True, check=False)
    if res.returncode != 0:
        raise SystemExit(f"figure benchmark failed ({src}):\n{res.stderr[-3000:]}")
    return res.stdout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", default="main", help="git revision to compare against "
                    "(default: main)")
    ap.add_argument("--repeats", type=int, default=3,
                    help="replays of each side, alternating (the best is kept)")
    ap.add_argument("--study", type=Path, help="an example study (default: written here)")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sides = {"before": _extract(a.before, Path(tmp)), "after": ROOT / "src"}
        study = _example(a.study, Path(tmp))
        for side, src in sides.items():
            _child(src, _CAPTURE, str(study), str(Path(tmp) / f"{side}.pickle"))
        load0, runs = _load(), {"before": [], "after": []}
        for _ in range(a.repeats):
            for side, src in sides.items():
                out = _child(src, _REPLAY, str(Path(tmp) / f"{side}.pickle"))
                runs[side].append(json.loads(out.strip().splitlines()[-1]))
        load1 = _load()
    b = [x["cpu"] for x in runs["before"]]
    f = [x["cpu"] for x in runs["after"]]
    digests = [x["digest"] for x in runs["before"] + runs["after"]]
    same = all(d == digests[0] for d in digests)
    print(f"the report's {runs['after'][0]['figures']} figures of the example: built, drawn as "
          "the report's SVG and rendered as PNG and SVG files (forked, as `analyze` does); CPU "
          f"seconds of the process and its forks, {a.repeats} alternating runs; before = "
          f"{a.before}; load {load0}-{load1}")
    for side, xs in (("before", b), ("after", f)):
        print(f"  {side:6} best {min(xs):6.2f} s  median {statistics.median(xs):6.2f} s  "
              f"(all: {', '.join(f'{x:.2f}' for x in xs)})")
    print(f"  ratio  best {min(b) / min(f):.2f}x  median "
          f"{statistics.median(b) / statistics.median(f):.2f}x")
    print(f"  report SVGs and figure files: {len(digests[0])}, "
          f"{'the same bytes on both sides' if same else 'DIFFERENT BYTES between the sides'}")
    if not same:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
