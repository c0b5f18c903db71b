"""Swimmer plot: lanes, best-response colours, event markers and ongoing arrows, on a
hand-built ADaM / CM set whose days are worked out by hand below."""

from __future__ import annotations

import pandas as pd
import pytest
from numpy.testing import assert_allclose

from cartrial.errors import RecordError
from cartrial.report.fig_swimmer import MARKERS, swimmer_data, swimmer_figure
from cartrial.report.figures import RESPONSE_STYLE

D = pd.to_datetime


def _adsl() -> pd.DataFrame:
    return pd.DataFrame({
        "USUBJID": ["S1", "S2", "S3", "S4"],
        "TRT01A": ["DL1 0.1 x10^6/kg", "DL2 0.3 x10^6/kg", "DL2 0.3 x10^6/kg", None],
        "SAFFL": ["Y", "Y", "Y", None],
        "TRTSDT": D(["2024-01-01", "2024-02-01", "2024-03-01", None]),
        "DTHDT": D([None, "2024-05-01", None, None]),
        "LSTALVDT": D(["2024-12-26", "2024-05-01", "2024-06-29", "2024-01-10"]),
        "EOSSTT": ["ONGOING", "DISCONTINUED", "ONGOING", "DISCONTINUED"],
        "DTHFL": ["", "Y", "", ""]})


def _adrs() -> pd.DataFrame:
    rows = [("S1", "COVR", "PR", "2024-01-29"), ("S1", "COVR", "CR", "2024-03-31"),
            ("S1", "MRD", "POSITIVE", "2024-01-29"), ("S1", "MRD", "NEGATIVE", "2024-03-31"),
            ("S1", "CBOR", "CR", "2024-03-31"),
            ("S2", "COVR", "SD", "2024-02-29"), ("S2", "COVR", "PD", "2024-03-30"),
            ("S2", "CBOR", "PD", "2024-03-30")]
    a = pd.DataFrame(rows, columns=["USUBJID", "PARAMCD", "AVALC", "ADT"])
    return a.assign(ADT=D(a["ADT"]), ASEQ=range(1, len(a) + 1))


def _cm() -> pd.DataFrame:
    return pd.DataFrame({"USUBJID": ["S2", "S3", "S1"], "CMSEQ": [5, 6, 7],
                         "CMCAT": ["SUBSEQUENT ANTI-MYELOMA THERAPY"] * 2 + ["SUPPORTIVE CARE"],
                         "CMSTDTC": ["2024-04-05", "2024-06", "2024-02-01"]})


def test_lanes_are_the_infused_with_days_since_infusion_and_best_response():
    """S1 infused 2024-01-01, last alive 2024-12-26: day 360, ongoing; S2 died 2024-05-01 after
    infusion 2024-02-01: day 90; S3: 2024-03-01 -> 2024-06-29 = day 120; S4 not infused."""
    lanes, _, counts = swimmer_data(_adsl(), _adrs(), _cm())
    assert lanes["USUBJID"].tolist() == ["S1", "S2", "S3"]
    assert lanes["END"].tolist() == [360.0, 90.0, 120.0]
    assert lanes["BEST"].tolist() == ["CR", "PD", "NE"]
    assert lanes["ONGOING"].tolist() == [True, False, True]
    assert lanes["GROUP"].tolist() == ["DL1", "DL2", "DL2"]
    assert counts == {"infused": 3, "new_therapy_month_only": 1}


def test_events_are_the_first_of_each_kind_in_days_since_infusion():
    """S1: first PR 2024-01-29 = day 28; first MRD-negative 2024-03-31 = day 90. S2: PD
    2024-03-30 = day 58; new therapy 2024-04-05 = day 64; death day 90. S3's therapy start is
    known to the month only: counted, not drawn. S1's supportive care is not a new therapy."""
    _, ev, _ = swimmer_data(_adsl(), _adrs(), _cm())
    got = {(r.USUBJID, r.EVENT): r.DAY for r in ev.itertuples()}
    assert got == {("S1", "RESPONSE"): 28.0, ("S1", "MRDNEG"): 90.0, ("S2", "PD"): 58.0,
                   ("S2", "NEWTHER"): 64.0, ("S2", "DEATH"): 90.0}


def test_bad_therapy_date_names_the_record():
    cm = _cm()
    cm.loc[0, "CMSTDTC"] = "05APR2024"
    with pytest.raises(RecordError, match="CMSEQ|CMSTDTC") as e:
        swimmer_data(_adsl(), _adrs(), cm)
    assert e.value.finding.usubjid == "S2" and e.value.finding.seq == 5


def test_figure_draws_bars_by_dose_markers_arrows_and_legend():
    lanes, ev, _ = swimmer_data(_adsl(), _adrs(), _cm())
    fig = swimmer_figure(lanes, ev)
    ax = fig.axes[0]
    # DL1 block on top, then DL2 by longest follow-up: S1 (y 2), S3 (y 1), S2 (y 0)
    bars = {p.get_y() + p.get_height() / 2: p for p in ax.patches}
    assert sorted(bars) == [0.0, 1.0, 2.0]
    assert bars[2.0].get_width() == 360.0 and bars[0.0].get_width() == 90.0
    assert bars[2.0].get_facecolor()[:3] == pytest.approx(
        tuple(int(RESPONSE_STYLE["CR"][0][i:i + 2], 16) / 255 for i in (1, 3, 5)))
    assert bars[0.0].get_hatch() == RESPONSE_STYLE["PD"][1]
    lines = {ln.get_label(): ln for ln in ax.lines}
    assert_allclose(lines[MARKERS["DEATH"][2]].get_xdata(), [90.0])
    assert_allclose(lines[MARKERS["DEATH"][2]].get_ydata(), [0.0])
    assert_allclose(lines[MARKERS["MRDNEG"][2]].get_xdata(), [90.0])
    assert_allclose(lines[MARKERS["NEWTHER"][2]].get_xdata(), [64.0])
    arrows = [t for t in ax.texts if hasattr(t, "arrow_patch") and t.arrow_patch is not None]
    assert sorted(a.xy[1] for a in arrows) == [1.0, 2.0]  # S3 and S1 ongoing
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[:3] == ["CR", "PD", "NE"]
    assert {m[2] for m in MARKERS.values()} | {"Ongoing on study"} <= set(legend)
    assert "day 0 = infusion" in ax.get_xlabel()
    assert [t.get_text() for t in ax.texts if not hasattr(t, "arrow_patch")] == [
        "DL1 (n = 1)", "DL2 (n = 2)"]
