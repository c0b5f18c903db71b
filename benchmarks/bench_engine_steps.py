"""CPU of the engines' data steps on one loaded study, a BEFORE commit against this tree.

Times, with ``time.process_time`` (CPU seconds, not wall: the machine is shared), the steps of
the safety and efficacy engines that ``cartrial analyze`` runs on a large trial:
``safety_inputs`` (and its ``followup`` and ``lab_records``), ``analyse_safety`` as analyze
calls it (``keep_labs=False, tables=False``), ``efficacy_from_study`` and the efficacy engine's
LB reading (``lb_long``), the engine with the MRD frame the ADaM build reads (before issue
#18's ONCE change: ``efficacy_from_study`` then ``mrd_from_sdtm``; after: ``efficacy_run``,
which hands it back), and, as analyze calls them, ``validate_study`` and
``analyse_kinetics`` (``summaries=False``). The study is loaded once
(``cartrial.data.load_study``) and handed to each side as a pickle; each side runs in its own
process with its revision's ``src`` first on ``PYTHONPATH`` and this checkout's virtual
environment, BEFORE and AFTER alternated ``--repeats`` times. Each process calls
``safety_inputs`` once before timing (a pipeline has parsed the study's date texts when
validating it; the parse table is per process).

Usage (from the repository root)::

    .venv/bin/python benchmarks/bench_engine_steps.py --data /tmp/MEM10K-3k --before cde98c6

Prints, per step, each run's CPU seconds and the ratio of the medians (BEFORE / AFTER).
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"

CHILD = """
import json, pickle, sys, time
from cartrial.data import validate_study
from cartrial.efficacy.sdtm import efficacy_from_study, mrd_from_sdtm
from cartrial.kinetics.analysis import analyse_kinetics
from cartrial.efficacy.sdtm_disease import lb_long
from cartrial.protocol import load_protocol
from cartrial.safety.analysis import analyse_safety
from cartrial.safety.sdtm import lab_records, safety_inputs
from cartrial.safety.sdtm_subjects import followup
study = pickle.load(open(sys.argv[1], "rb"))
p = load_protocol(sys.argv[2])
inputs = safety_inputs(study, p)
try:  # since issue #18 (ONCE) the engine hands back the MRD frame ADRS reads
    from cartrial.efficacy.study_run import efficacy_run
    eff_adrs = lambda: efficacy_run(study, p, summaries=False).mrd
except ImportError:  # before: the engine, then run_analysis's own mrd_from_sdtm
    eff_adrs = lambda: (efficacy_from_study(study, p, summaries=False),
                        mrd_from_sdtm(study["LB"]))
steps = {
    "validate_study": lambda: validate_study(study, p),
    "safety_inputs": lambda: safety_inputs(study, p),
    "  followup": lambda: followup(study, p),
    "  lab_records": lambda: lab_records(study),
    "analyse_safety": lambda: analyse_safety(inputs, p, keep_labs=False, tables=False),
    "efficacy_from_study": lambda: efficacy_from_study(study, p, summaries=False),
    "  lb_long": lambda: lb_long(study["LB"]),
    "efficacy + ADRS MRD": eff_adrs,
    "  mrd_from_sdtm": lambda: mrd_from_sdtm(study["LB"]),
    "analyse_kinetics": lambda: analyse_kinetics(study.domains, p, summaries=False),
}
out = {}
for name, fn in steps.items():
    t = time.process_time()
    fn()
    out[name] = time.process_time() - t
print(json.dumps(out))
"""


def _run(src: Path, study: Path, protocol: str) -> dict[str, float]:
    env = dict(os.environ, PYTHONPATH=str(src))
    res = subprocess.run([str(PYTHON), "-c", CHILD, str(study), protocol], env=env,
                         capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit(f"failed ({res.returncode}) with {src}:\n{res.stderr[-2000:]}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, help="SDTM folder (e.g. a 3,000-patient example)")
    ap.add_argument("--protocol", default="ct071")
    ap.add_argument("--before", required=True, help="git revision to compare with")
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    from cartrial.data import load_study

    with tempfile.TemporaryDirectory(prefix="cartrial-steps-") as tmp:
        before = Path(tmp) / "before"
        before.mkdir()
        arch = subprocess.run(["git", "-C", str(ROOT), "archive", a.before, "src"],
                              capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(before)], input=arch, check=True)
        study = Path(tmp) / "study.pkl"
        study.write_bytes(pickle.dumps(load_study(a.data), protocol=5))
        runs: dict[str, list[dict[str, float]]] = {"before": [], "after": []}
        for i in range(a.repeats):
            for side, src in (("before", before / "src"), ("after", ROOT / "src")):
                runs[side].append(_run(src, study, a.protocol))
                print(f"run {i + 1} {side} done", file=sys.stderr, flush=True)
    print(f"{'step':22s} {'before (CPU s)':>22s} {'after (CPU s)':>22s} {'ratio':>6s}")
    for step in runs["before"][0]:
        b = [r[step] for r in runs["before"]]
        f = [r[step] for r in runs["after"]]
        print(f"{step:22s} {' '.join(f'{x:6.2f}' for x in b):>22s} "
              f"{' '.join(f'{x:6.2f}' for x in f):>22s} "
              f"{statistics.median(b) / statistics.median(f):5.2f}x")


if __name__ == "__main__":
    main()
