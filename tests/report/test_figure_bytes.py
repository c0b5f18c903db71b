"""The report's figures are the bytes they were before the figure work of issue #18.

Regression test: the SHA-256 of every figure file and of every drawing embedded in the HTML
report of the shared analysed example, against the table recorded from the code before that
work (provenance in ``tests/report/data/figure_digests.json``). A change meant to alter a
figure records the table again (``python -m tests.report._figure_digests OUT``) and says why.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.report._figure_digests import figure_digests
from tests.report._pipeline import analysed

RECORDED = Path(__file__).parent / "data" / "figure_digests.json"


def test_report_images_and_figure_files_are_the_bytes_recorded_before(tmp_path_factory):
    """Regression: same names, same bytes (the report's SVG, the PNG and SVG files)."""
    want = json.loads(RECORDED.read_text(encoding="utf-8"))["sha256"]
    got = figure_digests(analysed(tmp_path_factory).out)
    assert sorted(got) == sorted(want)
    differ = [name for name in want if got[name] != want[name]]
    assert not differ, f"figures whose bytes changed: {differ}"
