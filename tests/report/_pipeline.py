"""One analysed example study shared by the pipeline and browser tests (built once per
session: simulating, validating and analysing the example takes several seconds)."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path

from cartrial.example import simulate_trial, write_example
from cartrial.protocol import load_protocol
from cartrial.report.pipeline import AnalysisSummary, run_analysis

RUN_DATE = datetime(2025, 6, 1, 12, 0, 0)
SEED = 20240228


@cache
def _run(root: str) -> AnalysisSummary:
    base = Path(root)
    trial = simulate_trial(load_protocol("ct071"), seed=SEED)
    write_example(trial, base / "sdtm")
    return run_analysis(base / "sdtm", "ct071", base / "out", run_date=RUN_DATE)


def analysed(tmp_path_factory) -> AnalysisSummary:
    return _run(str(tmp_path_factory.getbasetemp() / "analysed"))
