"""CRS grading, ASTCT 2019 (Lee DW et al., Biol Blood Marrow Transplant 2019;25:625-38).

Every row of the decision table and every footnote has a hand-worked case; property tests check
that a worse observation never lowers the grade.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cartrial.errors import InputError, RecordError
from cartrial.safety import grade_crs, grade_crs_row


def sheet(rows: list[dict], usubjid: str = "P1") -> pd.DataFrame:
    return pd.DataFrame([{"USUBJID": usubjid, "DAY": float(i + 1), **r} for i, r in
                         enumerate(rows)])


# --- decision table (Lee DW et al. 2019, CRS consensus grading), one case per row -------
@pytest.mark.parametrize(
    ("obs", "grade"),
    [
        # no fever: grade 0 whatever the blood pressure or oxygen need (footnote: fever required)
        ({"TEMP": 37.5, "PRESSORS": 2, "O2_DEVICE": "BIPAP"}, 0),
        # fever alone: grade 1
        ({"TEMP": 38.4}, 1),
        # fever + hypotension on fluids only, room air: grade 2
        ({"TEMP": 38.4, "HYPOTENSION": "Y", "O2_DEVICE": "ROOM AIR"}, 2),
        # fever + nasal cannula 6 L/min: grade 2 (footnote: low flow is <= 6 L/min)
        ({"TEMP": 38.4, "O2_DEVICE": "NASAL CANNULA", "O2_FLOW": 6.0}, 2),
        # fever + nasal cannula 6.5 L/min: grade 3 (high flow is > 6 L/min)
        ({"TEMP": 38.4, "O2_DEVICE": "NASAL CANNULA", "O2_FLOW": 6.5}, 3),
        # fever + 1 pressor + vasopressin + low flow: grade 3 (vasopressin not "multiple")
        ({"TEMP": 38.4, "PRESSORS": 1, "VASOPRESSIN": "Y", "O2_DEVICE": "NC", "O2_FLOW": 2}, 3),
        # footnote example: fever + one vasopressor + low-flow cannula 4 L/min = grade 3
        ({"TEMP": 38.4, "PRESSORS": 1, "O2_DEVICE": "NASAL CANNULA", "O2_FLOW": 4}, 3),
        # fever + two non-vasopressin pressors: grade 4
        ({"TEMP": 38.4, "PRESSORS": 2}, 4),
        # fever + BiPAP / CPAP / intubation: grade 4
        ({"TEMP": 38.4, "O2_DEVICE": "BIPAP"}, 4),
        ({"TEMP": 38.4, "O2_DEVICE": "CPAP"}, 4),
        ({"TEMP": 38.4, "O2_DEVICE": "INTUBATION"}, 4),
        # death from CRS: grade 5
        ({"TEMP": 38.4, "PRESSORS": 2, "CRS_DEATH": "Y"}, 5),
    ],
)
def test_decision_table(obs: dict, grade: int) -> None:
    assert grade_crs_row(**obs) == grade


@pytest.mark.parametrize(
    ("device", "grade"),
    [("BLOW-BY", 2), ("HIGH-FLOW NASAL CANNULA", 3), ("FACE MASK", 3), ("NON-REBREATHER", 3),
     ("VENTURI MASK", 3), ("MECHANICAL VENTILATION", 4)],
)
def test_hypoxia_devices_of_the_table(device: str, grade: int) -> None:
    # ASTCT hypoxia row: blow-by grade 2; high-flow, facemask, non-rebreather, Venturi grade 3
    assert grade_crs_row(TEMP=38.0, O2_DEVICE=device) == grade


def test_fever_threshold_is_38_inclusive() -> None:
    # footnote: fever is a temperature >= 38 C
    assert grade_crs_row(TEMP=38.0) == 1
    assert grade_crs_row(TEMP=37.9) == 0


def test_fever_attributed_to_another_cause_is_not_crs() -> None:
    # footnote: fever not attributable to any other cause
    assert grade_crs_row(TEMP=39.0, FEVER_OTHER_CAUSE="Y", PRESSORS=1) == 0


def test_hypotension_and_hypoxia_due_to_other_cause_excluded() -> None:
    # rule 4: hypotension / hypoxia must not be attributable to another cause
    assert grade_crs_row(TEMP=38.5, PRESSORS=2, HYPOTENSION_OTHER_CAUSE="Y") == 1
    assert grade_crs_row(TEMP=38.5, O2_DEVICE="BIPAP", HYPOXIA_OTHER_CAUSE="Y") == 1
    # rule 7: oxygen for comfort only is not hypoxia
    assert grade_crs_row(TEMP=38.5, O2_DEVICE="NC", O2_FLOW=2, O2_COMFORT_ONLY="Y") == 1


def test_vasopressin_counts_as_one_pressor_but_never_as_multiple() -> None:
    # footnote 6: one vasopressor + vasopressin = 3; vasopressin alone = one vasopressor = 3;
    # two non-vasopressin vasopressors = 4
    assert grade_crs_row(TEMP=38.5, VASOPRESSIN="Y") == 3
    assert grade_crs_row(TEMP=38.5, PRESSORS=1, VASOPRESSIN="Y") == 3
    assert grade_crs_row(TEMP=38.5, PRESSORS=2, VASOPRESSIN="Y") == 4


def test_worst_component_wins_and_driver_named() -> None:
    res = grade_crs(sheet([
        {"TEMP": 38.5, "HYPOTENSION": "Y", "O2_DEVICE": "FACE MASK"},
        {"TEMP": 38.5, "PRESSORS": 2, "O2_DEVICE": "NC", "O2_FLOW": 3},
        {"TEMP": 38.5, "PRESSORS": 1, "O2_DEVICE": "FACE MASK"},
        {"TEMP": 38.5},
    ]))
    tp = res.timepoints
    assert tp["GRADE"].tolist() == [3, 4, 3, 1]
    assert tp["DRIVER"].tolist() == ["HYPOXIA", "HYPOTENSION", "HYPOTENSION+HYPOXIA", "FEVER"]


# --- fever masking (footnote: antipyretic / anticytokine therapy) -----------------------------
def test_masked_fever_after_tocilizumab_graded_by_hypotension() -> None:
    # day 1 fever + hypotension (grade 2) and tocilizumab; day 2 afebrile on one pressor:
    # fever no longer required -> grade 3; day 3 afebrile, nothing -> grade 0, episode ends
    res = grade_crs(sheet([
        {"TEMP": 39.0, "HYPOTENSION": "Y", "TOCILIZUMAB": "Y"},
        {"TEMP": 37.0, "PRESSORS": 1},
        {"TEMP": 36.8},
    ]))
    tp = res.timepoints
    assert tp["GRADE"].tolist() == [2, 3, 0]
    assert tp["MASKED"].tolist() == [False, True, False]
    ep = res.episodes.iloc[0]
    assert (ep["ONSET_DAY"], ep["MAX_GRADE"], ep["RESOLUTION_DAY"]) == (1.0, 3, 3.0)
    assert ep["DURATION_DAYS"] == 2.0 and bool(ep["TOCILIZUMAB"])


def test_no_masking_without_therapy() -> None:
    # the same course without antipyretic/anticytokine therapy: afebrile day 2 is not CRS
    res = grade_crs(sheet([
        {"TEMP": 39.0, "HYPOTENSION": "Y"},
        {"TEMP": 37.0, "PRESSORS": 1},
    ]))
    assert res.timepoints["GRADE"].tolist() == [2, 0]


def test_no_masking_before_any_crs() -> None:
    # masking needs CRS first: therapy and hypotension without a preceding fever are not CRS
    res = grade_crs(sheet([
        {"TEMP": 37.0, "PRESSORS": 1, "ANTIPYRETIC": "Y"},
        {"TEMP": 38.5},
    ]))
    assert res.timepoints["GRADE"].tolist() == [0, 1]


def test_masking_ends_with_the_episode() -> None:
    # episode 1 had steroids; after a grade-0 day a new afebrile hypoxia is not masked
    res = grade_crs(sheet([
        {"TEMP": 38.5, "STEROID": "Y"},
        {"TEMP": 37.0},
        {"TEMP": 37.0, "O2_DEVICE": "FACE MASK"},
    ]))
    assert res.timepoints["GRADE"].tolist() == [1, 0, 0]


def test_therapy_given_at_the_afebrile_time_point_counts() -> None:
    # documented choice: therapy at or before the time point masks it
    res = grade_crs(sheet([
        {"TEMP": 38.5},
        {"TEMP": 37.2, "O2_DEVICE": "NC", "O2_FLOW": 3, "TOCILIZUMAB": "Y"},
    ]))
    assert res.timepoints["GRADE"].tolist() == [1, 2]


def test_open_decision_masked_fever_keeps_grade1() -> None:
    # Lee DW et al. 2019 grade by the most severe of fever, hypotension and hypoxia; open decision:
    # afebrile, normotensive, room air while
    # tocilizumab/steroids are still given -> default grade 0 (episode ends), option grade 1
    rows = [
        {"TEMP": 39.0, "TOCILIZUMAB": "Y"},
        {"TEMP": 37.0, "STEROID": "Y"},
        {"TEMP": 37.0},
    ]
    default = grade_crs(sheet(rows))
    assert default.timepoints["GRADE"].tolist() == [1, 0, 0]
    assert default.method.masked_fever_keeps_grade1 is False
    option = grade_crs(sheet(rows), masked_fever_keeps_grade1=True)
    assert option.timepoints["GRADE"].tolist() == [1, 1, 0]
    assert option.timepoints["DRIVER"].tolist() == ["FEVER", "MASKED_THERAPY", "NONE"]
    assert option.episodes["RESOLUTION_DAY"].tolist() == [3.0]


def test_episode_summary_fields() -> None:
    res = grade_crs(sheet([
        {"TEMP": 37.0},
        {"TEMP": 38.3},                                          # day 2 onset
        {"TEMP": 39.1, "PRESSORS": 1, "TOCILIZUMAB": "Y"},       # day 3 grade 3
        {"TEMP": 37.0, "HYPOTENSION": "Y", "STEROID": "Y"},      # day 4 masked grade 2
        {"TEMP": 37.0},                                          # day 5 resolved
        {"TEMP": 38.2},                                          # day 6 second episode
    ]))
    ep = res.episodes
    assert ep["EPISODE"].tolist() == [1, 2]
    first = ep.iloc[0]
    assert (first["ONSET_DAY"], first["MAX_GRADE"], first["RESOLUTION_DAY"]) == (2.0, 3, 5.0)
    assert first["DURATION_DAYS"] == 3.0
    assert (first["FIRST_G3_DAY"], first["IMPROVED_DAY"]) == (3.0, 4.0)
    assert bool(first["TOCILIZUMAB"]) and bool(first["STEROID"])
    second = ep.iloc[1]
    assert not second["RESOLVED"] and np.isnan(second["DURATION_DAYS"])


def test_hour_column_orders_time_points_within_a_day() -> None:
    df = pd.DataFrame({"USUBJID": "P1", "DAY": [1, 1, 1], "HOUR": [20, 8, 14],
                       "TEMP": [37.0, 38.5, 38.9], "PRESSORS": [0, 0, 1]})
    tp = grade_crs(df).timepoints
    assert np.allclose(tp["DAY"], [1 + 8 / 24, 1 + 14 / 24, 1 + 20 / 24])
    assert tp["GRADE"].tolist() == [1, 3, 0]


def test_time_stamps_instead_of_days() -> None:
    df = pd.DataFrame({"USUBJID": "P1", "ADTM": ["2024-03-11T08:00", "2024-03-12T20:00"],
                       "INFDTM": "2024-03-10T14:00", "TEMP": [38.5, 37.0]})
    tp = grade_crs(df).timepoints
    assert np.allclose(tp["DAY"], [1 + 8 / 24, 2 + 20 / 24])
    with pytest.raises(RecordError, match="ISO 8601"):
        grade_crs(df.assign(ADTM=["2024-03-11T08:00", "yesterday"]))


def test_several_subjects_are_graded_independently() -> None:
    df = pd.concat([sheet([{"TEMP": 39.0, "TOCILIZUMAB": "Y"}], "A"),
                    sheet([{"TEMP": 37.0, "PRESSORS": 1}], "B")])
    tp = grade_crs(df).timepoints
    assert tp.set_index("USUBJID")["GRADE"].to_dict() == {"A": 1, "B": 0}


# --- bad input: an error that names the record ------------------------------------------------
@pytest.mark.parametrize(
    ("obs", "variable", "fragment"),
    [
        ({"TEMP": 50.0}, "TEMP", "impossible temperature"),
        ({"TEMP": 101.0}, "TEMP", "impossible temperature"),
        ({"TEMP": 38.5, "O2_DEVICE": "HELMET"}, "O2_DEVICE", "unknown oxygen device"),
        ({"TEMP": 38.5, "O2_FLOW": 4.0}, "O2_FLOW", "without an oxygen device"),
        ({"TEMP": 38.5, "O2_DEVICE": "NASAL CANNULA"}, "O2_FLOW", "needs the flow"),
        ({"TEMP": 38.5, "O2_DEVICE": "HFNC", "O2_FLOW": 4}, "O2_FLOW", "high-flow"),
        ({"TEMP": 38.5, "O2_DEVICE": "NC", "O2_FLOW": -1}, "O2_FLOW", "plausible"),
        ({"TEMP": 38.5, "PRESSORS": 1.5}, "PRESSORS", "whole number"),
        ({"TEMP": 38.5, "PRESSORS": 1, "HYPOTENSION": "N"}, "HYPOTENSION", "contradiction"),
        ({"TEMP": "hot"}, "TEMP", "must be a number"),
        ({"TEMP": 38.5, "TOCILIZUMAB": "maybe"}, "TOCILIZUMAB", "yes/no"),
    ],
)
def test_bad_input_names_the_record(obs: dict, variable: str, fragment: str) -> None:
    df = sheet([{"TEMP": 37.0}, obs])
    with pytest.raises(RecordError) as exc:
        grade_crs(df)
    f = exc.value.finding
    assert (f.domain, f.usubjid, f.seq, f.variable) == ("CRS", "P1", 2, variable)
    assert fragment in f.rule


def test_record_after_death_is_an_error() -> None:
    df = sheet([{"TEMP": 39.0, "PRESSORS": 2, "CRS_DEATH": "Y"}, {"TEMP": 37.0}])
    df["SEQ"] = [11, 12]
    with pytest.raises(RecordError) as exc:
        grade_crs(df)
    assert exc.value.finding.seq == 12 and "after the subject's death" in exc.value.finding.rule


def test_duplicate_time_points_and_missing_columns() -> None:
    df = pd.DataFrame({"USUBJID": ["A", "A"], "DAY": [1, 1], "TEMP": [38, 39]})
    with pytest.raises(RecordError, match="same subject at the same DAY"):
        grade_crs(df)
    with pytest.raises(InputError, match="missing column"):
        grade_crs(pd.DataFrame({"USUBJID": ["A"], "TEMP": [38.0]}))


# --- properties: a worse observation never lowers a grade -------------------------------------
DEVICES = [("ROOM AIR", None), ("NASAL CANNULA", 2.0), ("NASAL CANNULA", 6.0),
           ("NASAL CANNULA", 8.0), ("FACE MASK", None), ("BIPAP", None)]  # non-decreasing tier

obs_strategy = st.fixed_dictionaries({
    "TEMP": st.floats(35.0, 41.0),
    "HYPOTENSION": st.booleans(),
    "PRESSORS": st.integers(0, 3),
    "VASOPRESSIN": st.booleans(),
    "DEV": st.integers(0, len(DEVICES) - 1),
})


def _row(o: dict) -> dict:
    dev, flow = DEVICES[o["DEV"]]
    hyp = o["HYPOTENSION"] or o["PRESSORS"] > 0 or o["VASOPRESSIN"]
    return {"TEMP": o["TEMP"], "HYPOTENSION": hyp, "PRESSORS": o["PRESSORS"],
            "VASOPRESSIN": o["VASOPRESSIN"], "O2_DEVICE": dev,
            "O2_FLOW": np.nan if flow is None else flow}


@settings(max_examples=30, deadline=None)
@given(o=obs_strategy, field=st.sampled_from(["TEMP", "HYPOTENSION", "PRESSORS", "VASOPRESSIN",
                                              "DEV"]))
def test_grade_is_monotone_in_each_input(o: dict, field: str) -> None:
    worse = dict(o)
    if field == "TEMP":
        worse["TEMP"] = o["TEMP"] + 1.0
    elif field == "DEV":
        worse["DEV"] = min(o["DEV"] + 1, len(DEVICES) - 1)
    elif field == "PRESSORS":
        worse["PRESSORS"] = o["PRESSORS"] + 1
    else:
        worse[field] = True
    df = pd.DataFrame([_row(o), _row(worse)])
    df["USUBJID"] = ["a", "b"]
    df["DAY"] = 1.0
    g = grade_crs(df).timepoints.set_index("USUBJID")["GRADE"]
    assert g["b"] >= g["a"]


@settings(max_examples=25, deadline=None)
@given(seq=st.lists(obs_strategy, min_size=1, max_size=6),
       tx=st.lists(st.booleans(), min_size=6, max_size=6))
def test_therapy_only_ever_raises_grades_through_masking(seq: list[dict], tx: list[bool]) -> None:
    base = pd.DataFrame([_row(o) for o in seq])
    base["USUBJID"] = "P"
    base["DAY"] = np.arange(1.0, len(seq) + 1)
    treated = base.assign(TOCILIZUMAB=tx[: len(seq)])
    g0 = grade_crs(base).timepoints["GRADE"].to_numpy()
    g1 = grade_crs(treated).timepoints["GRADE"].to_numpy()
    assert (g1 >= g0).all()
    # fever-driven grades never depend on therapy
    fever = base["TEMP"].to_numpy() >= 38.0
    assert (g1[fever] == g0[fever]).all()


def test_episode_ongoing_at_last_record_is_unresolved_whatever_its_length() -> None:
    # ASTCT 2019 (Lee et al. BBMT 2019;25:625-638): CRS resolves when the patient returns to
    # grade 0; an episode still graded >= 1 at the last record has not resolved, whether it has
    # one graded time point or several (a skipped-NaN ``groupby().last()`` once took the second
    # time point of the episode as its resolution day).
    for n_graded in (1, 2, 3):
        rows = [{"TEMP": 37.0}] + [{"TEMP": 38.5}] * n_graded
        ep = grade_crs(sheet(rows)).episodes.iloc[0]
        assert not ep["RESOLVED"], n_graded
        assert np.isnan(ep["RESOLUTION_DAY"]) and np.isnan(ep["DURATION_DAYS"])
        assert ep["OBSERVED_DAYS"] == n_graded - 1
    # the same episode followed by a grade-0 record resolves on that record's day
    ep = grade_crs(sheet([{"TEMP": 38.5}, {"TEMP": 38.6}, {"TEMP": 37.0}])).episodes.iloc[0]
    assert bool(ep["RESOLVED"]) and ep["RESOLUTION_DAY"] == 3.0 and ep["DURATION_DAYS"] == 2.0


def test_ongoing_episode_of_one_subject_not_resolved_by_the_next_subject() -> None:
    # two subjects: P1's two-point episode runs to P1's last record; P2 starts at grade 0
    df = pd.concat([sheet([{"TEMP": 38.5}, {"TEMP": 38.9}], "P1"),
                    sheet([{"TEMP": 37.0}, {"TEMP": 38.4}, {"TEMP": 37.0}], "P2")])
    ep = grade_crs(df).episodes.set_index("USUBJID")
    assert not ep.loc["P1", "RESOLVED"] and np.isnan(ep.loc["P1", "RESOLUTION_DAY"])
    assert bool(ep.loc["P2", "RESOLVED"]) and ep.loc["P2", "RESOLUTION_DAY"] == 3.0
