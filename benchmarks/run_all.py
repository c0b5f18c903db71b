"""Run every benchmark script in this folder (``make bench``); each prints its own figures.

    python benchmarks/run_all.py [--before REV]

A script whose argparse usage (``--help``) names options outside brackets needs them: when its
only such option is ``--before`` and ``REV`` is given, it runs against ``REV``; otherwise it is
listed as not run, with the options it needs (run it by hand), so that ``make bench`` runs the
others rather than failing on a missing argument.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path


def required_options(script: Path) -> list[str]:
    """The options argparse prints outside brackets in the script's usage (``--help``); none
    for a script that takes no arguments (neither argparse nor another script's parser)."""
    text = script.read_text(encoding="utf-8")
    if "argparse" not in text and not re.search(r"import bench_\w+", text):
        return []
    out = subprocess.run([sys.executable, str(script), "--help"], capture_output=True,
                         text=True, check=False).stdout
    usage = []
    for line in out.splitlines():
        if usage and not line.strip():
            break
        if usage or line.startswith("usage:"):
            usage.append(line)
    bare = " ".join(usage)
    while re.search(r"\[[^\[\]]*\]", bare):  # nested brackets: innermost first
        bare = re.sub(r"\[[^\[\]]*\]", "", bare)
    return sorted(set(re.findall(r"--[a-z][a-z0-9-]*", bare)))


def main() -> None:
    here = Path(__file__).parent
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", help="git revision for the scripts that compare against one")
    a = ap.parse_args()
    failed, skipped = [], []
    for script in sorted(here.glob("bench_*.py")):
        needs = required_options(script)
        if needs and not (needs == ["--before"] and a.before):
            skipped.append(f"{script.name} ({' '.join(needs)})")
            continue
        args = ["--before", a.before] if needs else []
        print(f"== {script.name}", flush=True)
        if subprocess.call([sys.executable, str(script), *args]) != 0:
            failed.append(script.name)
    if skipped:
        print("not run (they need options; see each script's usage): " + ", ".join(skipped))
    if failed:
        sys.exit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
