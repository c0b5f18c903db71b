"""Are the outputs byte-identical before and after a change? (issues #18 point 3, #19 point 6)

For each of two git revisions, checks the revision out into a temporary worktree, runs the same
commands with this checkout's virtual environment (``PYTHONPATH`` points at the revision's
``src``), and compares every file written, by SHA-256:

1. the bundled example (``cartrial example ct071``, seed 1) and its report (``cartrial analyze``
   with a fixed ``--run-date``);
2. a 1,000-patient trial (``--patients 1000``) and its report.

Usage (from the repository root)::

    .venv/bin/python benchmarks/compare_outputs.py BEFORE [AFTER] [--patients N] [--keep DIR]

``AFTER`` defaults to the working tree (uncommitted changes included). Exit code 0 when every
file is identical, 1 when any differs or exists on one side only (each listed), 2 on bad usage.
The report's PDF is not compared (Chromium stamps its creation time); nothing else is excluded.
The outputs are removed when every file is identical, unless ``--keep DIR`` names where to keep
them; when any differs they are kept (the path is printed) for a look.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
RUN_DATE = "2026-01-01T00:00:00"


def _cartrial(src: Path, *args: str) -> None:
    env = dict(os.environ, PYTHONPATH=str(src))
    cmd = [str(PYTHON), "-c", "from cartrial.cli.main import main; main()", *args]
    res = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit(f"failed ({res.returncode}): cartrial {' '.join(args)}\n{res.stderr[-2000:]}")


def _produce(src: Path, out: Path, patients: int) -> None:
    for name, extra in (("example", []), (f"trial{patients}", ["--patients", str(patients)])):
        sdtm = out / name / "sdtm"
        print(f"  {name}: example", flush=True)
        _cartrial(src, "example", "ct071", "--protocol", "ct071", "--seed", "1",
                  "--out", str(sdtm), *extra)
        print(f"  {name}: analyze", flush=True)
        _cartrial(src, "analyze", str(sdtm), "--protocol", "ct071", "--out",
                  str(out / name / "report"), "--run-date", RUN_DATE)


def _digests(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and p.suffix != ".pdf"}


def _checkout(rev: str | None, where: Path) -> Path:
    """The ``src`` folder of ``rev`` (None: the working tree as it is)."""
    if rev is None:
        return ROOT / "src"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(where), rev],
                   check=True)
    return where / "src"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("before")
    ap.add_argument("after", nargs="?")
    ap.add_argument("--patients", type=int, default=1000)
    ap.add_argument("--keep", type=Path, help="keep the outputs in this folder")
    a = ap.parse_args(argv)
    base = a.keep or Path(tempfile.mkdtemp(prefix="cartrial-compare-"))
    trees = []
    try:
        sides = {}
        for label, rev in (("before", a.before), ("after", a.after)):
            print(f"{label}: {rev or 'working tree'}", flush=True)
            tree = base / f"tree-{label}"
            src = _checkout(rev, tree)
            if rev is not None:
                trees.append(tree)
            # both sides write to the same folder (the report records its input's path)
            _produce(src, base / "run", a.patients)
            (base / "run").rename(base / label)
            sides[label] = _digests(base / label)
    finally:
        for t in trees:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(t)],
                           check=False)
    before, after = sides["before"], sides["after"]
    differ = sorted(k for k in before.keys() & after.keys() if before[k] != after[k])
    only = sorted(before.keys() ^ after.keys())
    for k in differ:
        print(f"DIFFERS   {k}")
    for k in only:
        print(f"ONE SIDE  {k} ({'before' if k in before else 'after'} only)")
    same = len(before.keys() & after.keys()) - len(differ)
    kept = a.keep is not None or differ or only  # the files to look at, or asked for
    if not kept:
        shutil.rmtree(base, ignore_errors=True)
    print(f"{same} identical, {len(differ)} differ, {len(only)} on one side only"
          + (f" (outputs in {base})" if kept else ""))
    return 0 if not differ and not only else 1


if __name__ == "__main__":
    sys.exit(main())
