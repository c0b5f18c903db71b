"""Loading and validating a study: CPU of ``load_study`` and ``validate_study`` on their own,
this tree against an earlier commit, alternated run by run (issue #18).

    python benchmarks/bench_load_validate.py --data /tmp/MEM10K-3k --before <commit> [--repeats 3]

Each run is a fresh process (``process_time`` of each call, so the other engineers' load on a
shared machine counts as little as it can; compare the ratios) that loads the folder, validates
it against the CT071 protocol and prints the two CPU times and the peak memory (max RSS).
The child sets glibc's allocator as ``cartrial analyze`` does before its read
(``map_large_blocks``). ``--steps MIB``: each side once instead, the loader's and validation's
steps printed with their resident memory (as ``bench_memory_steps.py`` prints the pipeline's).
With ``--before``, that revision's ``src`` (``git archive``) is put first on ``PYTHONPATH``;
both sides use this interpreter and its libraries. The findings of both sides are compared
(``--check``): their number and their text must be the same.
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
from bench_startup import ROOT, _extract, _load  # noqa: E402

CHILD = r"""
import hashlib, json, resource, sys, time
from cartrial._memory import map_large_blocks
map_large_blocks()  # as `cartrial analyze` sets glibc's allocator before it reads the study
from cartrial.data import load_study, validate_study
from cartrial.protocol import load_protocol
proto = load_protocol("ct071")
r0 = resource.getrusage(resource.RUSAGE_SELF)
t = time.process_time(); study = load_study(sys.argv[1]); load = time.process_time() - t
r1 = resource.getrusage(resource.RUSAGE_SELF)
t = time.process_time(); rep = validate_study(study, proto); val = time.process_time() - t
found = rep.findings.to_csv(index=False).encode("utf-8", "surrogatepass")
print(json.dumps({"load": load, "validate": val, "findings": len(rep.findings),
                  "load_sys": r1.ru_stime - r0.ru_stime, "load_faults": r1.ru_minflt - r0.ru_minflt,
                  "sha256": hashlib.sha256(found).hexdigest(),
                  "maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}))
"""

#: ``--steps``: one process, the loader's and validation's steps wrapped as
#: bench_memory_steps.py wraps the pipeline's (resident MiB at entry -> exit, peak)
STEPS_CHILD = r"""
import importlib, sys
sys.path.insert(0, sys.argv[2])
import bench_memory_steps as b
import cartrial.report.pipeline  # what `analyze` has imported when it reads a large study
from cartrial._memory import map_large_blocks
map_large_blocks()
for mod, names in {"cartrial.data.load": b.STEPS["cartrial.data.load"],
                   "cartrial.data.validate": ["validate_study", "structure_findings", "_tests",
                                              "_death", "expected_records",
                                              "consistency_findings"]}.items():
    for n in names:
        b._wrap(importlib.import_module(mod), n, int(sys.argv[3]))
from cartrial.data import load_study, validate_study
from cartrial.protocol import load_protocol
print("before the load", b._status(), file=sys.stderr)
study = load_study(sys.argv[1])
print("after the load", b._status(), file=sys.stderr)
validate_study(study, load_protocol("ct071"))
print("after validation", b._status(), file=sys.stderr)
"""


def _run(src: Path, data: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(src)}
    out = subprocess.run([sys.executable, "-c", CHILD, str(data)], env=env, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, required=True, help="study folder (SDTM CSV / XPT)")
    ap.add_argument("--before", help="git revision to compare with (default: this tree only)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--steps", type=int, metavar="MIB",
                    help="instead: each side once, the steps whose peak passes MIB printed")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if a.steps is not None:
            sides = {"after": ROOT / "src"}
            if a.before:
                sides = {"before": _extract(a.before, Path(tmp)), **sides}
            for side, src in sides.items():
                print(f"{side} (load average {_load()})", flush=True)
                subprocess.run([sys.executable, "-c", STEPS_CHILD, str(a.data),
                                str(Path(__file__).resolve().parent), str(a.steps)],
                               env={**os.environ, "PYTHONPATH": str(src)}, check=True)
            return
        sides = {"after": ROOT / "src"}
        if a.before:
            sides = {"before": _extract(a.before, Path(tmp)), **sides}
        print(f"load average before: {_load()}")
        runs: dict[str, list[dict]] = {s: [] for s in sides}
        for _ in range(a.repeats):
            for side, src in sides.items():
                r = _run(src, a.data)
                runs[side].append(r)
                print(f"{side:6} load_study {r['load']:.2f} s (system {r['load_sys']:.2f} s, "
                      f"{r['load_faults']} faults)  validate_study {r['validate']:.2f} s"
                      f"  findings {r['findings']}  max RSS {r['maxrss_mib']} MiB", flush=True)
        print(f"load average after: {_load()}")
        med = {s: {k: statistics.median(r[k] for r in rs) for k in ("load", "validate")}
               for s, rs in runs.items()}
        for side, m in med.items():
            print(f"median {side:6} load_study {m['load']:.2f} s  validate_study "
                  f"{m['validate']:.2f} s CPU")
        if a.before:
            for k in ("load", "validate"):
                print(f"ratio {k}: {med['before'][k] / med['after'][k]:.2f}x")
            same = {r["sha256"] for rs in runs.values() for r in rs}
            print("findings identical" if len(same) == 1 else "FINDINGS DIFFER")


if __name__ == "__main__":
    main()
