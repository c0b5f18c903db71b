"""The escalation patients' safety inputs as known on a date: cut from inputs built once
(``conduct.known_on``) against ``safety_inputs(snapshot(...))`` at each date (issue #18).

For a trial's SDTM folder, every ``--every`` days from the first escalation infusion to 60 days
after the last, both ways are run and timed (process CPU seconds per date) and every frame is
asserted equal (values, types, columns, order). Timing is a benchmark, never a test assertion.
Usage::

    .venv/bin/cartrial example ct071 -p ct071 --out /tmp/ex
    .venv/bin/python benchmarks/bench_known_on.py --data /tmp/ex --protocol /tmp/ex/protocol.yaml
"""

from __future__ import annotations

import argparse
import time

import pandas as pd
from pandas.testing import assert_frame_equal

from cartrial.conduct.from_study import _subset
from cartrial.conduct.known_on import KnownOn
from cartrial.data import load_study, snapshot
from cartrial.protocol import load_protocol
from cartrial.safety.sdtm import safety_inputs

FRAMES = ("subjects", "crs", "icans", "labs", "ae")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, help="the trial's SDTM folder")
    ap.add_argument("--protocol", required=True, help="bundled protocol name or YAML path")
    ap.add_argument("--every", type=int, default=9, help="days between cut-offs")
    a = ap.parse_args()
    proto = load_protocol(a.protocol)
    t = time.process_time()
    k = KnownOn(load_study(a.data), proto)
    study, esc = k.study, k.esc
    assert k.usable, "this study's dates are rebuilt, not cut (see conduct.known_on)"
    built = time.process_time() - t
    inf = esc["INFUSION_DATE"].dropna()
    dates = pd.date_range(inf.min(), inf.max() + pd.Timedelta(days=60), freq=f"{a.every}D")
    cut = rebuilt = 0.0
    for when in dates:
        ids = set(esc.loc[esc["INFUSION_DATE"] <= when, "USUBJID"])
        t = time.process_time()
        new = k.inputs(ids, when)
        cut += time.process_time() - t
        t = time.process_time()
        old = safety_inputs(snapshot(_subset(study, ids), when), proto)
        rebuilt += time.process_time() - t
        for f in FRAMES:
            assert_frame_equal(getattr(new, f), getattr(old, f), obj=f"{f} on {when.date()}")
        assert new.notes == old.notes
    n = len(dates)
    print(f"{a.data}: {n} dates, every frame identical; built once {built:.2f} s CPU; "
          f"cut {cut / n * 1000:.0f} ms per date, rebuilt {rebuilt / n * 1000:.0f} ms per date "
          f"({rebuilt / cut:.1f}x)")


if __name__ == "__main__":
    main()
