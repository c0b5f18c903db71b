"""`cartrial decide` as a whole process: this checkout against another source tree, back to back.

Each round runs ``cartrial decide DATA --protocol P`` once with the other tree's ``src`` on
``PYTHONPATH`` (BEFORE) and once with this checkout's (AFTER), alternating, and records each
process's wall seconds and CPU seconds (user + system of the child, ``resource.getrusage``);
the best of ``--repeat`` rounds is reported per side, with the ratios. The machine is shared:
quote CPU ratios, not wall seconds alone (BENCHMARKS.md).

With ``--check`` the outputs are compared first, byte for byte: the text and ``--json`` output,
``--history --json``, and ``--as-of`` on each date given (exit 1 on any difference).
Usage::

    git archive BEFORE_COMMIT | tar -x -C /tmp/before
    .venv/bin/cartrial example ct071 --protocol ct071 --out /tmp/ex20
    .venv/bin/python benchmarks/bench_decide.py --data /tmp/ex20 --before-src /tmp/before/src \\
        --check --as-of 2023-09-01 2024-02-01 2024-06-01
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"


def _run(src: Path, *args: str) -> tuple[bytes, float, float]:
    """(stdout, wall s, CPU s) of one ``cartrial`` process with ``src`` first on the path."""
    env = dict(os.environ, PYTHONPATH=str(src), COLUMNS="120")
    cmd = [str(PYTHON), "-c", "from cartrial.cli.main import main; main()", *args]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    res = subprocess.run(cmd, env=env, capture_output=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if res.returncode != 0:
        sys.exit(f"failed ({res.returncode}): {' '.join(args)}\n{res.stderr.decode()[-2000:]}")
    return res.stdout, wall, cpu


def _check(sides: dict[str, Path], base: list[str], dates: list[str]) -> int:
    variants = [[], ["--json"], ["--history", "--json"]] + [["--as-of", d, "--json"]
                                                            for d in dates]
    bad = 0
    for extra in variants:
        out = {k: _run(src, *base, *extra)[0] for k, src in sides.items()}
        same = out["before"] == out["after"]
        bad += not same
        print(f"{'identical' if same else 'DIFFERS  '} decide {' '.join(extra)} "
              f"({len(out['after'])} bytes)", flush=True)
    return bad


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, help="the trial's SDTM folder")
    ap.add_argument("--protocol", default="ct071")
    ap.add_argument("--before-src", required=True, type=Path, help="the other tree's src")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--check", action="store_true", help="compare the outputs first")
    ap.add_argument("--as-of", nargs="*", default=[], help="dates for --as-of (with --check)")
    a = ap.parse_args(argv)
    sides = {"before": a.before_src, "after": ROOT / "src"}
    base = ["decide", a.data, "--protocol", a.protocol]
    if a.check and _check(sides, base, a.as_of):
        return 1
    if a.repeat < 1:  # outputs only
        return 0
    best = {k: [float("inf"), float("inf")] for k in sides}
    for _ in range(a.repeat):
        for k, src in sides.items():
            _, wall, cpu = _run(src, *base)
            best[k] = [min(best[k][0], wall), min(best[k][1], cpu)]
    for k, (wall, cpu) in best.items():
        print(f"{k:6s} best of {a.repeat}: wall {wall:.2f} s, CPU {cpu:.2f} s")
    (bw, bc), (aw, ac) = best["before"], best["after"]
    print(f"ratio before/after: wall {bw / aw:.2f}x, CPU {bc / ac:.2f}x; "
          f"load {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
