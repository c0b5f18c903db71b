"""Shared figure conventions: deterministic bytes, palettes legible in colour-blind vision and in
greyscale, the title and caption every figure file carries, the cytokine panels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from cartrial.efficacy import kaplan_meier
from cartrial.errors import InputError
from cartrial.report.fig_km import km_figure
from cartrial.report.figures import (
    GRADE_STYLE,
    RESPONSE_ORDER,
    RESPONSE_STYLE,
    _fig,
    cytokine_figure,
    figure_bytes,
    figure_cutoff,
    stamp,
    with_cutoff,
)

# R survival::aml "Maintained" arm (Miller 1981): 9, 13, 13+, 18, 23, 28+, 31, 34, 45+, 48, 161+
AML_T = [9, 13, 13, 18, 23, 28, 31, 34, 45, 48, 161]
AML_E = [1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0]


def test_svg_is_byte_identical_and_dateless():
    km = kaplan_meier(AML_T, np.array(AML_E, bool))
    a = figure_bytes(km_figure({"A": km}), "svg")
    b = figure_bytes(km_figure({"A": km}), "svg")
    assert a == b
    assert b"<dc:date>" not in a
    assert figure_bytes(km_figure({"A": km}), "png")[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("fmt", ["svg", "png"])
def test_one_draw_per_file_gives_matplotlibs_own_bytes(fmt: str) -> None:
    """Regression test (issue #18): a figure laid out by ``tight_layout()`` is saved with one
    draw instead of matplotlib's two (layout pass + drawing); the bytes are those of
    matplotlib's own two-pass ``savefig`` and the figure keeps its layout engine."""
    import io

    import matplotlib.pyplot as plt

    from cartrial.report.figures import _RC

    km = kaplan_meier(AML_T, np.array(AML_E, bool))
    fig = stamp(km_figure({"A": km}), "Figure 1 Test", "Safety (infused)", ["A note."])
    engine = fig.get_layout_engine()
    assert engine is not None  # km_figure calls tight_layout(): the two-pass path
    buf = io.BytesIO()
    meta = {"svg": {"Date": None, "Creator": "cartrial"}, "png": {"Software": "cartrial"}}[fmt]
    with plt.rc_context(_RC):
        fig.savefig(buf, format=fmt, metadata=meta, **({"dpi": 150} if fmt == "png" else {}))
    assert figure_bytes(fig, fmt) == buf.getvalue()
    assert fig.get_layout_engine() is engine


def test_cytokine_panels():
    v = pd.DataFrame({"GROUP": ["DL1"] * 4, "CYTOKINE": ["IL6", "IL6", "IL6", "TNFA"],
                      "NOMDAY": [1, 1, 3, 1], "VALUE": [10.0, 30.0, 5.0, 2.0], "UNIT": "ng/L"})
    fig = cytokine_figure(v)
    assert_allclose(fig.axes[0].lines[0].get_ydata(), [20.0, 5.0])
    assert fig.axes[0].get_title() == "IL-6 (ng/L)"  # the clinical label, not the code


def test_dose_colours_are_the_okabe_ito_palette() -> None:
    """Group colours are the published Okabe-Ito colour-blind-safe palette (Wong B, Nat Methods
    2011;8:441, Figure 2: its RGB values written as hex)."""
    from cartrial.report.figures import PALETTE

    okabe_ito = {"#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7",
                 "#000000"}
    assert set(PALETTE) == okabe_ito and len(PALETTE) == 8


def _luminance(hex_colour: str) -> float:
    """Relative luminance of an sRGB colour (ITU-R BT.709 coefficients on linearised RGB, as
    WCAG 2.1 defines it): what a greyscale print keeps of a colour."""
    rgb = np.array([int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)])
    lin = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    return float(lin @ [0.2126, 0.7152, 0.0722])


def test_response_styles_survive_greyscale() -> None:
    """Responders darken with depth of response (sCR darkest), so their order reads in grey;
    every non-responder category is hatched, and no two categories share (grey, hatch)."""
    resp = [_luminance(RESPONSE_STYLE[r][0]) for r in ("sCR", "CR", "VGPR", "PR")]
    assert resp == sorted(resp) and len(set(np.round(resp, 2))) == 4
    assert all(RESPONSE_STYLE[r][1] for r in ("MR", "SD", "PD", "NE"))
    keys = {(round(_luminance(c), 2), h) for c, h in RESPONSE_STYLE.values()}
    assert len(keys) == len(RESPONSE_ORDER)


def test_grade_styles_darken_with_grade() -> None:
    """Grades 0-4 get darker (greyscale keeps the order); grades >= 3 are also hatched."""
    lum = [_luminance(c) for c, _ in GRADE_STYLE[:5]]
    assert lum == sorted(lum, reverse=True)
    assert GRADE_STYLE[3][1] and GRADE_STYLE[4][1]


def test_stamp_writes_title_population_and_cutoff_and_keeps_axes_size() -> None:
    fig, ax = _fig(6, 3)
    before = ax.get_window_extent().height
    with figure_cutoff("2025-06-01"):
        stamp(fig, "Figure 14.4.1 Swimmer plot", "Safety (infused), N = 18", ["Note one."])
    texts = [t.get_text() for t in fig.texts]
    assert texts[0] == "Figure 14.4.1 Swimmer plot"
    assert "Population: Safety (infused), N = 18. Data cut-off: 2025-06-01." in texts[1]
    assert "Note one." in texts[1]
    assert fig.get_figheight() > 3
    assert ax.get_window_extent().height == pytest.approx(before)


def test_cutoff_is_not_stated_outside_a_report_run() -> None:
    fig, _ = _fig(6, 3)
    stamp(fig, "Figure 1 X", "Infused")
    assert "Data cut-off: not stated." in fig.texts[1].get_text()
    assert with_cutoff("Infused") == "Infused"


def test_missing_columns_are_named():
    with pytest.raises(InputError, match="VALUE"):
        cytokine_figure(pd.DataFrame({"GROUP": [], "CYTOKINE": []}))


def test_every_figure_file_of_the_example_report_carries_title_population_and_cutoff(
        tmp_path_factory):
    """figures/*.svg handed on alone still say what they are: the figure's number and title,
    the population and the data cut-off of the run (the report's provenance)."""
    import re
    from html import unescape

    from tests.report._pipeline import analysed

    s = analysed(tmp_path_factory)
    assert s.cutoff
    files = sorted((s.out / "figures").glob("*.svg"))
    # every figure is a file, the patient-flow diagram (Figure 14.1.1, SVG text) included
    assert len(files) == len(s.figures)
    assert (s.out / "figures" / "patient_flow.svg").exists()
    for f in files:
        text = unescape(" ".join(re.findall(r">([^<]+)<", f.read_text(encoding="utf-8"))))
        assert re.search(r"Figure 14\.\d+\.\d+ ", text), f.name
        assert "Population: " in text and f"Data cut-off: {s.cutoff}." in text, f.name


def test_cytokine_quartiles_are_r_type_7_and_pandas_own():
    """The band's quartiles: R's ``quantile(c(1, 2, 3, 4, 10), c(.25, .75))`` (type 7) is 2, 4;
    and, bit for bit, ``Series.quantile`` (the call they replace: a regression check) on
    seeded samples of 1 to 40 values."""
    from cartrial.report.figures import _quartile_1, _quartile_3

    s = pd.Series([1.0, 2.0, 3.0, 4.0, 10.0])
    assert (_quartile_1(s), _quartile_3(s)) == (2.0, 4.0)
    rng = np.random.default_rng(7)
    for n in range(1, 41):
        v = pd.Series(rng.lognormal(3.0, 1.5, n))
        assert _quartile_1(v) == v.quantile(0.25) and _quartile_3(v) == v.quantile(0.75)
