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


def test_a_figure_is_laid_out_once_and_drawn_once_for_each_different_image(monkeypatch):
    """The report's SVG (before the caption), then the PNG and SVG files (with it): three
    drawings of three different images, one layout (``tight_layout``) before them."""
    import pandas as pd
    from matplotlib.figure import Figure

    from cartrial.report.figure_files import file_bytes
    from cartrial.report.figures import cytokine_figure
    from cartrial.report.sections import _fig

    draws, layouts = [], []
    draw, tight = Figure.draw, Figure.tight_layout
    monkeypatch.setattr(Figure, "draw", lambda self, r: (draws.append(type(r).__name__),
                                                         draw(self, r))[1])
    monkeypatch.setattr(Figure, "tight_layout", lambda self, *a, **k: (layouts.append(1),
                                                                       tight(self, *a, **k))[1])
    v = pd.DataFrame({"GROUP": ["DL1"] * 4, "CYTOKINE": ["IL6"] * 4, "NOMDAY": [1, 1, 3, 3],
                      "VALUE": [10.0, 30.0, 5.0, 8.0], "UNIT": "ng/L"})
    figures: dict = {}
    item = _fig("14.5.2", "Serum cytokine profiles", cytokine_figure(v), ["A note."],
                "Infused", figures, "cytokines")
    assert layouts == [1] and len(draws) == 1
    png, svg = file_bytes(figures["cytokines"])
    assert layouts == [1] and len(draws) == 3
    assert len({item.svg.encode("utf-8"), png, svg}) == 3
