"""CPU of the report's engines and table builders in `analyze`, this tree against an earlier commit.

    python benchmarks/bench_report_items.py --before <commit> [--repeats 3] [--study DIR]

Each run is a child process that runs ``run_analysis`` on the example in one process (the
forked helpers switched off, so all the work is counted in it) and records the CPU seconds
(``time.process_time``) of the two stages ``_engines`` (safety, efficacy and kinetics engines,
escalation history, 14.6) and ``build_sections`` (every table and figure of the report). It
then times the parts this benchmark is about, each the best of 5 calls on the same inputs: the
safety tables from ADaM, the 14.3 table items, the efficacy and kinetics tables from ADaM, the
listings, and the efficacy and kinetics engines called as that tree's ``analyze`` calls them.
Runs alternate before / after so the load of a shared machine falls on both alike; the median
of each figure over the repeats and the ratio before / after are printed, with the 1-minute
load average before and after. CPU seconds, never wall seconds: the machine is shared.

The earlier commit's ``src`` is extracted with ``git archive``; both sides run with this
interpreter and its libraries.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

_CHILD = r"""
import copy, inspect, json, sys, time
from datetime import datetime
import cartrial.report.background as bg, cartrial.report.staged_adam as sa
bg.can_fork = lambda: False; sa.can_fork = lambda: False
import cartrial.report.pipeline as P
out, cap = {}, {}
def timed(name, fn):
    def w(*a, **k):
        if name == "_engines":
            cap["domains"] = dict(a[0].domains)  # the pipeline frees some domains later
        cap[name] = a
        t = time.process_time()
        r = fn(*a, **k)
        out[name] = time.process_time() - t
        return r
    return w
P._engines = timed("_engines", P._engines)
P.build_sections = timed("build_sections", P.build_sections)
P.run_analysis(sys.argv[1], "ct071", sys.argv[2], run_date=datetime(2026, 1, 1))

def best(fn, n=5):
    ts = []
    for _ in range(n):
        t = time.process_time(); fn(); ts.append(time.process_time() - t)
    return min(ts)

from cartrial.efficacy.sdtm import efficacy_from_study
from cartrial.kinetics.analysis import analyse_kinetics
from cartrial.report.listings import listing_items
from cartrial.report.kinetics_items import kinetics_table_items
from cartrial.report.safety_adam import adam_safety_tables
from cartrial.report.section_items import efficacy_tables, safety_table_items
study, protocol, ds, safety, efficacy = cap["build_sections"][:5]
full = copy.copy(study); full.domains = cap["domains"]
lean = lambda f: {"summaries": False} if "summaries" in inspect.signature(f).parameters else {}
tables = adam_safety_tables(ds, protocol)
parts = {
    "safety tables (ADaM)": lambda: adam_safety_tables(ds, protocol),
    "14.3 table items": lambda: safety_table_items(ds["ADSL"], tables, safety.method, protocol),
    "efficacy tables": lambda: efficacy_tables(ds, protocol, efficacy.footnotes),
    "kinetics tables": lambda: kinetics_table_items(ds, protocol),
    "listings": lambda: listing_items(ds, safety),
    "efficacy engine": lambda: efficacy_from_study(full, protocol, **lean(efficacy_from_study)),
    "kinetics engine": lambda: analyse_kinetics(full.domains, protocol,
                                                **lean(analyse_kinetics),
                                                **P._primary_crs(safety, protocol)),
}
for k, fn in parts.items():
    out[k] = best(fn)
print(json.dumps(out))
"""


def main() -> None:
    """The alternating runs and the table of medians are bench_analyze's, with this child."""
    import bench_analyze

    bench_analyze._CHILD = _CHILD
    bench_analyze.main()


if __name__ == "__main__":
    main()
