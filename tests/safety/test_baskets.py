"""Event baskets defined in the protocol (safety.baskets) and their tables. No guideline defines
the baskets (sponsor data); the counts below are worked out by hand from the AE rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from cartrial.protocol import load_protocol
from cartrial.protocol.model import EventBasket, SafetySettings
from cartrial.safety import basket_events, basket_summary, basket_table, basket_tables

SUBJECTS = pd.DataFrame({"USUBJID": ["a", "b", "c", "d", "e"],
                         "DOSE_LEVEL": ["DL1", "DL1", "DL1", "DL2", "DL2"]})


def ct071_baskets():
    return load_protocol("ct071").safety.baskets


def cell(t: pd.DataFrame, row: str, column: str) -> pd.Series:
    return t[(t["ROW"] == row) & (t["COLUMN"] == column)].iloc[0]


def test_ct071_defines_its_baskets_as_protocol_data() -> None:
    b = ct071_baskets()
    gprc5d = [x.name for x in b if x.category == "GPRC5D on-target"]
    assert gprc5d == ["Nail", "Skin", "Oral / taste", "Weight loss", "Cerebellar"]
    cats = list(dict.fromkeys(x.category for x in b))
    assert cats == ["GPRC5D on-target", "Infections by pathogen",
                    "Neurotoxicity other than ICANS", "Second primary malignancies"]
    assert {x.name for x in b if x.category == "Infections by pathogen"} == {
        "Bacterial", "Viral", "Fungal", "Pathogen not specified"}


def test_basket_definitions_are_validated() -> None:
    with pytest.raises(ValidationError, match="listed twice"):
        EventBasket(name="Nail", category="G", terms=["Nail disorder", "nail disorder "])
    with pytest.raises(ValidationError, match="in both"):
        SafetySettings(baskets=[{"name": "A", "category": "G", "terms": ["Rash"]},
                                {"name": "B", "category": "G", "terms": ["rash"]}])
    with pytest.raises(ValidationError, match="listed twice"):
        SafetySettings(baskets=[{"name": "A", "category": "G", "terms": ["Rash"]},
                                {"name": "A", "category": "G", "terms": ["Pruritus"]}])
    # the same term in two categories is allowed (e.g. a cerebellar event and a neurotoxicity)
    SafetySettings(baskets=[{"name": "A", "category": "G", "terms": ["Ataxia"]},
                            {"name": "B", "category": "N", "terms": ["Ataxia"]}])


def test_gprc5d_baskets_by_grade_and_dose() -> None:
    ae = pd.DataFrame({"USUBJID": ["a", "b", "d", "e"],
                       "AEDECOD": ["Nail disorder", "Dysgeusia", "Ataxia", "Headache"],
                       "GRADE": [1, 2, 3, 1]})
    t = basket_tables(ae, SUBJECTS, ct071_baskets())["gprc5d"]
    assert cell(t, "Nail: any grade", "DL1")["N"] == 1
    assert cell(t, "Nail: grade 1", "DL1")["VALUE"] == "1 (33.3%)"
    assert cell(t, "Oral / taste: any grade", "Overall")["N"] == 1
    assert cell(t, "Cerebellar: grade >= 3", "DL2")["VALUE"] == "1 (50.0%)"
    assert cell(t, "Weight loss: any grade", "Overall")["N"] == 0
    assert set(t["TABLE"]) == {"GPRC5D on-target"}


def test_onset_resolution_and_matching() -> None:
    # subject a: Dysgeusia day 20-60 (grade 1), Dry mouth day 25-90 (grade 2): Oral basket worst
    # grade 2, onset 20, resolved on 90 -> 70 days; subject b: Dysgeusia from day 30, ongoing
    ae = pd.DataFrame({"USUBJID": ["a", "a", "b", "c"],
                       "AEDECOD": ["DYSGEUSIA", "Dry mouth", "Dysgeusia", "Bacteremia"],
                       "GRADE": [1, 2, 1, 3], "START_DAY": [20.0, 25.5, 30.0, 10.0],
                       "END_DAY": [60.0, 90.0, np.nan, 15.0]})
    s = basket_summary(ae, ct071_baskets()).set_index(["USUBJID", "BASKET"])
    assert s.loc[("a", "Oral / taste"), ["WORST_GRADE", "ONSET_DAY", "DAYS_TO_RESOLUTION"]
                 ].tolist() == [2.0, 20.0, 70.0]
    assert not s.loc[("b", "Oral / taste"), "RESOLVED"]
    assert np.isnan(s.loc[("b", "Oral / taste"), "DAYS_TO_RESOLUTION"])
    assert s.loc[("c", "Bacterial"), "WORST_GRADE"] == 3   # Bacteraemia = Bacteremia
    t = basket_table(ae, SUBJECTS, [b for b in ct071_baskets() if b.name == "Oral / taste"])
    assert cell(t, "Oral / taste: resolved (every event ended)", "DL1")["VALUE"] == "1 (33.3%)"
    assert cell(t, "Oral / taste: days from infusion to first onset", "DL1")["VALUE"] == \
        "25 (20-30)"
    assert cell(t, "Oral / taste: days from onset to resolution (resolved)", "Overall")[
        "VALUE"] == "70 (70-70)"


def test_treatment_emergent_only_and_several_categories() -> None:
    ae = pd.DataFrame({"USUBJID": ["a", "b"], "AEDECOD": ["Rash", "Herpes zoster"],
                       "GRADE": [2, 2], "TRTEMFL": ["", "Y"]})
    ev = basket_events(ae, ct071_baskets())
    assert ev["BASKET"].tolist() == ["Viral"]
    t = basket_table(ae, SUBJECTS, ct071_baskets())
    assert cell(t, "Infections by pathogen / Viral: any grade", "DL1")["N"] == 1
    assert cell(t, "GPRC5D on-target / Skin: any grade", "DL1")["N"] == 0
    keys = list(basket_tables(ae, SUBJECTS, ct071_baskets()))
    assert keys == ["gprc5d", "baskets_infections_by_pathogen",
                    "baskets_neurotoxicity_other_than_icans",
                    "baskets_second_primary_malignancies"]


def _ref_basket_summary_table(summary, subjects, baskets, table):
    """The per-basket loop before issue #18 (boolean filters and a concat of row copies)."""
    from cartrial.safety.baskets import _label
    from cartrial.safety.tables import count_rows, summary_rows

    several, out = len({b.category for b in baskets}) > 1, []
    for i, b in enumerate(baskets):
        s = summary[(summary["CATEGORY"] == b.category) & (summary["BASKET"] == b.name)]
        label, base, g = _label(b, several), 10 * i, s["WORST_GRADE"]
        rows = [(f"{label}: any grade", 0)] + [(f"{label}: grade {k}", 1) for k in range(1, 6)]
        rows += [(f"{label}: grade >= 3", 1), (f"{label}: resolved (every event ended)", 1)]
        parts = [s.assign(ROW=rows[0][0])] + [s[g == k].assign(ROW=rows[k][0])
                                              for k in range(1, 6)]
        parts += [s[g >= 3].assign(ROW=rows[6][0]),
                  s[s["RESOLVED"].astype(bool)].assign(ROW=rows[7][0])]
        counts = count_rows(pd.concat(parts, ignore_index=True)[["USUBJID", "ROW"]], subjects,
                            table=table, rows=rows)
        counts["ROW_ORDER"] += base
        onset = pd.DataFrame({"USUBJID": s["USUBJID"],
                              "VALUE": np.floor(s["ONSET_DAY"].astype(float))})
        out += [counts, summary_rows(onset, subjects, table=table, order=base + 8, digits=0,
                                     row=f"{label}: days from infusion to first onset"),
                summary_rows(s.rename(columns={"DAYS_TO_RESOLUTION": "VALUE"}), subjects,
                             table=table, order=base + 9, digits=0,
                             row=f"{label}: days from onset to resolution (resolved)")]
    return pd.concat(out, ignore_index=True)


@pytest.mark.parametrize("seed", range(6))
def test_basket_summary_table_equals_the_loop_it_replaces(seed) -> None:
    """Regression (issue #18): the table from one grouping of the summary and numpy row flags
    equals the per-basket boolean filters and concatenated copies it replaces, frame and
    dtypes, on seeded summaries over CT071's baskets (some baskets without any patient)."""
    from cartrial.safety.baskets import basket_summary_table

    rng = np.random.default_rng(seed)
    baskets = ct071_baskets()
    n = int(rng.integers(0, 40))
    pick = rng.integers(0, len(baskets) - 2, size=n)  # the last two baskets stay empty
    resolved = rng.random(n) < 0.6
    summary = pd.DataFrame({
        "USUBJID": rng.choice([*SUBJECTS["USUBJID"], "zz"], size=n),
        "CATEGORY": [baskets[i].category for i in pick], "BASKET": [baskets[i].name for i in pick],
        "WORST_GRADE": rng.integers(1, 6, size=n).astype(float),
        "ONSET_DAY": rng.gamma(2.0, 20.0, size=n).round(1), "RESOLVED": resolved,
        "DAYS_TO_RESOLUTION": np.where(resolved, rng.integers(1, 90, size=n), np.nan)})
    summary = summary.drop_duplicates(["USUBJID", "CATEGORY", "BASKET"])
    for cat in dict.fromkeys(b.category for b in baskets):
        of = [b for b in baskets if b.category == cat]
        got = basket_summary_table(summary, SUBJECTS, of, table=cat)
        want = _ref_basket_summary_table(summary, SUBJECTS, of, cat)
        pd.testing.assert_frame_equal(got, want, check_exact=True)
    several = basket_summary_table(summary, SUBJECTS, baskets, table="all")
    pd.testing.assert_frame_equal(several, _ref_basket_summary_table(summary, SUBJECTS,
                                                                     baskets, "all"),
                                  check_exact=True)


@pytest.mark.filterwarnings("error::FutureWarning")
@pytest.mark.parametrize("days", [[None, None], [3.0, None], [None, 7.0], [3.0, 5.0]])
def test_summary_rows_without_values_no_future_warning(days) -> None:
    """Regression: a basket whose summary rows have no value (an object N of missing values)
    is joined without pandas' FutureWarning on the concat of all-NA columns, with the dtypes
    that concat gave: N float when another basket's summary has a value, object (counts and
    missing) when none has."""
    from types import SimpleNamespace as B

    from cartrial.safety.baskets import basket_summary_table

    subjects = pd.DataFrame({"USUBJID": ["P1", "P2", "P3"], "DOSE_LEVEL": ["1", "1", "2"]})
    s = pd.DataFrame({"USUBJID": ["P1", "P3"], "CATEGORY": "G", "BASKET": ["Nail", "Skin"],
                      "WORST_GRADE": [2.0, 3.0], "ONSET_DAY": [20.0, 4.0],
                      "RESOLVED": [False, True], "DAYS_TO_RESOLUTION": pd.Series(days,
                                                                                 dtype=object)})
    baskets = [B(category="G", name="Nail", terms=[]), B(category="G", name="Skin", terms=[]),
               B(category="H", name="Empty", terms=[])]
    t = basket_summary_table(s, subjects, baskets)
    resolved = t[t["ROW"].str.endswith("to resolution (resolved)")]
    assert t["N"].dtype == (object if any(d is not None for d in days) else np.float64)
    assert resolved["VALUE"].eq("-").sum() >= 3  # the empty basket's columns at least
    none = basket_summary_table(s.iloc[:0], subjects, baskets)
    assert none["N"].dtype == object and none["N"].isna().any()
