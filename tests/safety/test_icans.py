"""ICANS grading, ASTCT 2019 adults (Lee et al. 2019, ICE and ICANS tables;
Lee DW et al., Biol Blood Marrow Transplant 2019;25:625-38, ICE score and adult ICANS grading)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cartrial.errors import InputError, RecordError
from cartrial.safety import grade_icans, ice_score

LEVELS = ["NORMAL", "SPONTANEOUS", "VOICE", "TACTILE", "UNAROUSABLE"]


def one(**values: object) -> pd.DataFrame:
    return pd.DataFrame([{"USUBJID": "P1", "DAY": 1.0, **values}])


def grade(**values: object) -> int:
    return int(grade_icans(one(**values)).timepoints["GRADE"].iloc[0])


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        # ICANS grading cases worked from Lee DW et al. 2019 (adult ICANS grading table)
        ({"ICE_TOTAL": 8, "CONSCIOUSNESS": "SPONTANEOUS"}, 1),
        ({"ICE_TOTAL": 9, "CONSCIOUSNESS": "VOICE"}, 2),
        ({"ICE_TOTAL": 0, "CONSCIOUSNESS": "NORMAL"}, 3),      # awake, global aphasia
        ({"ICE_TOTAL": 0, "CONSCIOUSNESS": "UNAROUSABLE"}, 4),
        ({"ICE_TOTAL": 10, "MOTOR": "HEMIPARESIS"}, 4),
        ({"ICE_TOTAL": 7, "ICP": "FOCAL_EDEMA"}, 3),
        ({"ICE_TOTAL": 7, "ICP": "DIFFUSE_EDEMA"}, 4),
        # rule 1 example: ICE 3 (grade 2) + generalised seizure (grade 3) = grade 3
        ({"ICE_TOTAL": 3, "SEIZURE": "GENERALIZED"}, 3),
        # rule 4: ICE 10, no other domain = grade 0
        ({"ICE_TOTAL": 10}, 0),
    ],
)
def test_reference_cases(values: dict, expected: int) -> None:
    assert grade(**values) == expected


@pytest.mark.parametrize(("ice", "expected"), [(10, 0), (9, 1), (7, 1), (6, 2), (3, 2), (2, 3),
                                               (0, 3)])
def test_ice_bands(ice: int, expected: int) -> None:
    # ICE table: 7-9 grade 1, 3-6 grade 2, 0-2 grade 3 (awake)
    assert grade(ICE_TOTAL=ice) == expected


@pytest.mark.parametrize(("level", "expected"), list(zip(LEVELS, [0, 1, 2, 3, 4], strict=True)))
def test_depressed_consciousness_row(level: str, expected: int) -> None:
    assert grade(ICE_TOTAL=10, CONSCIOUSNESS=level) == expected


@pytest.mark.parametrize(("seizure", "expected"), [("NONE", 0), ("RAPID", 3),
                                                   ("NONCONVULSIVE_EEG", 3), ("PROLONGED", 4),
                                                   ("REPETITIVE", 4)])
def test_seizure_row(seizure: str, expected: int) -> None:
    assert grade(ICE_TOTAL=10, SEIZURE=seizure) == expected


def test_unarousable_without_ice_is_grade_4_and_ice_not_assessed_otherwise() -> None:
    df = pd.DataFrame({"USUBJID": ["a", "b"], "DAY": [1.0, 1.0],
                       "CONSCIOUSNESS": ["UNAROUSABLE", "NORMAL"]})
    tp = grade_icans(df).timepoints
    assert tp["ICE_GRADE"].tolist()[0] == 4 and np.isnan(tp["ICE_GRADE"].tolist()[1])
    assert tp["GRADE"].tolist() == [4, 0]
    assert tp["ICE_ASSESSED"].tolist() == [False, False]


def test_ice_from_items() -> None:
    # ICE table: orientation 4 + naming 3 + commands 1 + writing 1 + attention 1 = 10
    df = pd.DataFrame({"USUBJID": "P", "DAY": [1, 2], "ICE_ORIENT": [4, 2], "ICE_NAMING": [3, 3],
                       "ICE_COMMANDS": [1, 1], "ICE_WRITING": [1, 0], "ICE_ATTENTION": [1, 0]})
    assert ice_score(df).tolist() == [10.0, 6.0]
    assert grade_icans(df).timepoints["GRADE"].tolist() == [0, 2]


@pytest.mark.parametrize(
    ("item", "value"), [("ICE_ORIENT", 5), ("ICE_NAMING", 4), ("ICE_COMMANDS", 2),
                        ("ICE_WRITING", -1), ("ICE_ATTENTION", 0.5)])
def test_ice_item_out_of_range_names_the_record(item: str, value: float) -> None:
    items = {"ICE_ORIENT": 4, "ICE_NAMING": 3, "ICE_COMMANDS": 1, "ICE_WRITING": 1,
             "ICE_ATTENTION": 1, item: value}
    with pytest.raises(RecordError) as exc:
        grade_icans(one(**items, SEQ=7))
    f = exc.value.finding
    assert (f.domain, f.usubjid, f.seq, f.variable, f.value) == ("ICANS", "P1", 7, item, value)


def test_incomplete_items_and_total_mismatch() -> None:
    with pytest.raises(RecordError, match="incomplete ICE"):
        grade_icans(one(ICE_ORIENT=4, ICE_NAMING=3, ICE_COMMANDS=1, ICE_WRITING=1,
                        ICE_ATTENTION=np.nan))
    with pytest.raises(RecordError, match="differs from the sum"):
        grade_icans(one(ICE_ORIENT=4, ICE_NAMING=3, ICE_COMMANDS=1, ICE_WRITING=1,
                        ICE_ATTENTION=1, ICE_TOTAL=9))
    with pytest.raises(InputError, match="missing"):
        grade_icans(one(ICE_ORIENT=4))
    with pytest.raises(RecordError, match="0-10"):
        grade_icans(one(ICE_TOTAL=11))
    with pytest.raises(RecordError, match="unknown SEIZURE"):
        grade_icans(one(ICE_TOTAL=10, SEIZURE="MAYBE"))


def test_children_are_refused() -> None:
    # rule 6: below 12 years ASTCT uses CAPD, not ICE
    with pytest.raises(RecordError, match="CAPD"):
        grade_icans(one(ICE_TOTAL=10, AGE=11))
    assert grade(ICE_TOTAL=10, AGE=12) == 0


def test_findings_due_to_another_cause_do_not_count() -> None:
    # rule 1: e.g. depressed consciousness from sedating medication
    assert grade(ICE_TOTAL=10, CONSCIOUSNESS="TACTILE", CONSCIOUSNESS_OTHER_CAUSE="Y") == 0
    assert grade(ICE_TOTAL=2, ICE_OTHER_CAUSE="Y") == 0


def test_tremor_does_not_count() -> None:
    # rule 3: tremor and myoclonus are CTCAE terms, not ICANS
    assert grade(ICE_TOTAL=10, MOTOR="TREMOR") == 0


def test_death_and_episode_summary() -> None:
    df = pd.DataFrame({"USUBJID": "P", "DAY": [3.0, 4.0, 5.0, 6.0, 9.0],
                       "ICE_TOTAL": [10, 6, 2, 8, 10], "STEROID": ["", "Y", "Y", "", ""]})
    res = grade_icans(df)
    assert res.timepoints["GRADE"].tolist() == [0, 2, 3, 1, 0]
    ep = res.episodes.iloc[0]
    assert (ep["ONSET_DAY"], ep["MAX_GRADE"], ep["RESOLUTION_DAY"], ep["DURATION_DAYS"]) == (
        4.0, 3, 9.0, 5.0)
    assert (ep["FIRST_G3_DAY"], ep["IMPROVED_DAY"]) == (5.0, 6.0) and bool(ep["STEROID"])
    died = pd.DataFrame({"USUBJID": "P", "DAY": [1.0, 2.0], "ICE_TOTAL": [0, np.nan],
                         "CONSCIOUSNESS": ["UNAROUSABLE", "UNAROUSABLE"],
                         "ICANS_DEATH": ["", "Y"]})
    assert grade_icans(died).timepoints["GRADE"].tolist() == [4, 5]
    after = pd.concat([died, pd.DataFrame({"USUBJID": ["P"], "DAY": [3.0], "ICE_TOTAL": [10]})])
    with pytest.raises(RecordError, match="after the subject's death"):
        grade_icans(after)


@settings(max_examples=30, deadline=None)
@given(ice=st.integers(0, 10), loc=st.integers(0, 4), seiz=st.integers(0, 2),
       motor=st.integers(0, 1), icp=st.integers(0, 2),
       field=st.sampled_from(["ice", "loc", "seiz", "motor", "icp"]))
def test_grade_is_monotone_in_each_domain(ice: int, loc: int, seiz: int, motor: int, icp: int,
                                          field: str) -> None:
    seizures = ["NONE", "RAPID", "PROLONGED"]
    motors = ["NONE", "DEEP_FOCAL_WEAKNESS"]
    icps = ["NONE", "FOCAL_EDEMA", "DIFFUSE_EDEMA"]
    a = {"ice": ice, "loc": loc, "seiz": seiz, "motor": motor, "icp": icp}
    b = dict(a)
    caps = {"ice": 0, "loc": 4, "seiz": 2, "motor": 1, "icp": 2}
    b[field] = max(a[field] - 1, 0) if field == "ice" else min(a[field] + 1, caps[field])
    rows = [{"USUBJID": k, "DAY": 1.0, "ICE_TOTAL": v["ice"], "CONSCIOUSNESS": LEVELS[v["loc"]],
             "SEIZURE": seizures[v["seiz"]], "MOTOR": motors[v["motor"]], "ICP": icps[v["icp"]]}
            for k, v in (("a", a), ("b", b))]
    g = grade_icans(pd.DataFrame(rows)).timepoints.set_index("USUBJID")["GRADE"]
    assert g["b"] >= g["a"]


def test_episode_ongoing_at_last_assessment_is_unresolved() -> None:
    # ASTCT 2019 ICANS (Lee et al. BBMT 2019;25:625-638): resolution = return to grade 0; a
    # three-assessment episode still graded at the last assessment is ongoing, not resolved.
    df = pd.DataFrame({"USUBJID": "P", "DAY": [1.0, 2.0, 3.0, 4.0],
                       "ICE_TOTAL": [10, 8, 5, 7]})
    res = grade_icans(df)
    assert res.timepoints["GRADE"].tolist() == [0, 1, 2, 1]
    ep = res.episodes.iloc[0]
    assert not ep["RESOLVED"] and np.isnan(ep["RESOLUTION_DAY"])
    assert np.isnan(ep["DURATION_DAYS"]) and ep["OBSERVED_DAYS"] == 2.0
