"""DLT adjudication over crafted histories: every rule of the bundled CT071 DLT definition
(the protocol's DLT definition: an assumption of the synthetic example, CT071 registration
NCT05838131), both sides of each duration boundary, pending and evaluability."""

from __future__ import annotations

import pandas as pd
import pytest

from cartrial.errors import InputError, RecordError
from cartrial.protocol import load_protocol
from cartrial.protocol.model import DltDefinition, DltRule
from cartrial.safety import adjudicate_dlt, crs_events, grade_crs, grade_labs, lab_events
from cartrial.safety.ctcae import lab_grades_long

CT071 = load_protocol("ct071")
WINDOW = CT071.design.dlt_window_days   # 28


def ev(usubjid: str, event_id: str, category: str, term: str, rows: list[tuple[float, int]],
       end_day: float | None = None, related: bool = True) -> pd.DataFrame:
    df = pd.DataFrame([{"USUBJID": usubjid, "EVENT_ID": event_id, "CATEGORY": category,
                        "TERM": term, "DAY": d, "GRADE": g, "RELATED": related} for d, g in rows])
    df["END_DAY"] = float("nan")
    if end_day is not None:
        df.loc[df.index[-1], "END_DAY"] = end_day
    return df


def run(events: list[pd.DataFrame], followup: dict[str, float], **fu_cols) -> pd.DataFrame:
    fu = pd.DataFrame({"USUBJID": list(followup), "FOLLOWUP_DAY": list(followup.values()),
                       **fu_cols})
    e = pd.concat(events, ignore_index=True) if events else pd.DataFrame(
        columns=["USUBJID", "EVENT_ID", "CATEGORY", "TERM", "DAY", "GRADE"])
    return adjudicate_dlt(e, fu, CT071.dlt, window_days=WINDOW).patients.set_index("USUBJID")


CRS = ("CRS", "Cytokine release syndrome")
ICANS = ("ICANS", "Immune effector cell-associated neurotoxicity syndrome")


def test_grade4_crs_is_a_dlt() -> None:
    p = run([ev("A", "c", *CRS, [(2, 2), (3, 4), (5, 1), (7, 0)])], {"A": 40})
    assert (p.loc["A", "DLT"], p.loc["A", "DLT_RULE"], p.loc["A", "DLT_ONSET_DAY"]) == (
        "yes", "CRS4", 3.0)


@pytest.mark.parametrize(("improve_day", "dlt"), [(5.0, "no"), (5.0 + 1 / 24, "yes")])
def test_grade3_crs_72_hours_boundary(improve_day: float, dlt: str) -> None:
    # grade 3 from day 2; improving to grade 2 exactly 72 h later is within 72 h (no DLT);
    # one hour later is not
    p = run([ev("A", "c", *CRS, [(2, 3), (improve_day, 2), (8, 0)])], {"A": 40})
    assert p.loc["A", "DLT"] == dlt
    if dlt == "yes":
        assert p.loc["A", "DLT_RULE"] == "CRS3_72H"


def test_grade3_crs_ongoing_before_72_hours_is_pending() -> None:
    p = run([ev("A", "c", *CRS, [(2, 3)])], {"A": 4})
    assert p.loc["A", "DLT"] == "pending" and not p.loc["A", "DLT_EVALUABLE"]


def test_icans_rules() -> None:
    p = run([ev("A", "i", *ICANS, [(5, 4), (6, 1)], end_day=8),
             ev("B", "i", *ICANS, [(5, 3), (9, 2)], end_day=10),
             ev("C", "i", *ICANS, [(5, 3), (7, 1)], end_day=9)], {"A": 40, "B": 40, "C": 40})
    assert p.loc["A", "DLT_RULE"] == "ICANS4"
    assert p.loc["B", "DLT_RULE"] == "ICANS3_72H"   # 4 days at grade 3
    assert p.loc["C", "DLT"] == "no"                # improved after 2 days


def test_grade4_cytopenia_persisting_beyond_day_28() -> None:
    anc = ("HEMATOLOGIC", "Neutrophil count decreased")
    p = run([
        ev("A", "n", *anc, [(5, 4), (29, 4), (35, 2)]),     # still grade 4 after day 28
        ev("B", "n", *anc, [(5, 4), (27, 2)]),              # recovered before day 28
        ev("C", "n", *anc, [(5, 4)]),                       # ongoing, follow-up to day 20
        ev("D", "p", "HEMATOLOGIC", "Platelet count decreased", [(10, 4), (28, 4), (42, 1)]),
        ev("E", "h", "HEMATOLOGIC", "Anemia", [(5, 4), (40, 4)]),   # not a rule term
    ], {"A": 60, "B": 60, "C": 20, "D": 60, "E": 60})
    assert p.loc["A", "DLT_RULE"] == "CYTO4_D28"
    assert p.loc["B", "DLT"] == "no"
    assert p.loc["C", "DLT"] == "pending"
    # grade 4 observed on day 28 and carried to the next assessment (day 42): persists
    assert p.loc["D", "DLT_RULE"] == "CYTO4_D28"
    assert p.loc["E", "DLT"] == "no"


def test_persistence_from_point_assessments_needs_an_assessment_after_the_day() -> None:
    """Labs are points: a sampling gap (grade 4 on day 22, grade 2 on day 29) is not
    persistence beyond day 28; an AE interval with the same days is."""
    anc = ("HEMATOLOGIC", "Neutrophil count decreased")

    def lab(u, rows):
        return ev(u, "n", *anc, rows).assign(POINT=True)

    p = run([
        lab("P1", [(5, 4), (22, 4), (29, 2)]),      # recovered by the next lab: no
        lab("P2", [(5, 4), (22, 4), (29, 4), (35, 2)]),   # still grade 4 on day 29: DLT
        lab("P3", [(5, 4), (22, 4)]),               # no lab after day 28 yet: pending
        ev("P4", "n", *anc, [(5, 4), (22, 4), (29, 2)]),  # interval record: persists to 29
    ], {"P1": 60, "P2": 60, "P3": 35, "P4": 60})
    assert p.loc["P1", "DLT"] == "no"
    assert p.loc["P2", "DLT_RULE"] == "CYTO4_D28"
    assert p.loc["P3", "DLT"] == "pending"
    assert p.loc["P4", "DLT_RULE"] == "CYTO4_D28"


def test_related_non_haematological_grade3_lasting_more_than_7_days() -> None:
    term = ("NON_HEMATOLOGIC", "Alanine aminotransferase increased")
    p = run([
        ev("A", "x", *term, [(5, 3)], end_day=12),           # exactly 7 days: not > 7
        ev("B", "x", *term, [(5, 3)], end_day=12.5),         # > 7 days
        ev("C", "x", *term, [(5, 3)], end_day=20, related=False),
        ev("D", "x", *term, [(5, 3), (8, 2)], end_day=20),   # grade 3 only 3 days
        ev("E", "x", *term, [(5, 3)]),                       # ongoing, follow-up day 10
    ], {"A": 40, "B": 40, "C": 40, "D": 40, "E": 10})
    assert p.loc["A", "DLT"] == "no"
    assert p.loc["B", "DLT_RULE"] == "NONHEM3_7D"
    assert p.loc["C", "DLT"] == "no"
    assert p.loc["D", "DLT"] == "no"
    assert p.loc["E", "DLT"] == "pending"


def test_treatment_related_death() -> None:
    p = run([
        ev("A", "d", "NON_HEMATOLOGIC", "Sepsis", [(10, 5)], end_day=10),
        ev("B", "d", "NON_HEMATOLOGIC", "Plasma cell myeloma", [(10, 5)], end_day=10,
           related=False),
    ], {"A": 10, "B": 10}, DEATH_DAY=[10.0, 10.0])
    assert (p.loc["A", "DLT"], p.loc["A", "DLT_RULE"]) == ("yes", "DEATH")
    # unrelated death before the end of the window: no DLT, not evaluable
    assert (p.loc["B", "DLT"], bool(p.loc["B", "DLT_EVALUABLE"])) == ("no", False)
    assert p.loc["B", "EVALUABILITY"] == "left before end of window"


def test_events_outside_the_window_do_not_count() -> None:
    p = run([ev("A", "c", *CRS, [(30, 4), (31, 0)])], {"A": 60})
    assert (p.loc["A", "DLT"], bool(p.loc["A", "DLT_EVALUABLE"])) == ("no", True)


def test_the_last_protocol_day_of_the_window_is_inside() -> None:
    # DAY 28.5 = protocol day 28 (12:00): inside a 28-day window; DAY 29.0 is day 29
    p = run([ev("A", "c", *CRS, [(28.5, 4), (30, 0)]),
             ev("B", "c", *CRS, [(29.0, 4), (30, 0)])], {"A": 60, "B": 60})
    assert (p.loc["A", "DLT"], p.loc["B", "DLT"]) == ("yes", "no")


def test_earliest_dlt_is_reported_and_evaluability() -> None:
    p = run([ev("A", "c", *CRS, [(6, 4), (8, 0)]),
             ev("A", "i", *ICANS, [(3, 4), (4, 0)])], {"A": 40, "B": 40, "C": 12},
            WITHDRAWN=["", "", "Y"])
    assert (p.loc["A", "DLT_RULE"], p.loc["A", "DLT_ONSET_DAY"]) == ("ICANS4", 3.0)
    assert (p.loc["B", "DLT"], bool(p.loc["B", "DLT_EVALUABLE"])) == ("no", True)
    assert (p.loc["C", "DLT"], bool(p.loc["C", "DLT_EVALUABLE"])) == ("no", False)


def test_rule_options_exact_grade_terms_exclusions_and_window() -> None:
    rules = DltDefinition(rules=[
        DltRule(id="G3_EXACT", description="exact grade 3 rash", category="NON_HEMATOLOGIC",
                terms=["Rash maculo-papular"], min_grade=3, exact_grade=True),
        DltRule(id="ANY4", description="grade 4 anything but nail", category="ANY",
                exclude_terms=["Nail disorder"], min_grade=4, window_start_day=1,
                window_end_day=10),
    ])
    e = pd.concat([
        ev("A", "r", "NON_HEMATOLOGIC", "Rash maculo-papular", [(3, 4)], end_day=5),
        ev("B", "n", "NON_HEMATOLOGIC", "Nail disorder", [(3, 4)], end_day=5),
        ev("C", "r", "NON_HEMATOLOGIC", "Rash maculo-papular", [(3, 3)], end_day=5),
        ev("D", "x", "NON_HEMATOLOGIC", "Fatigue", [(12, 4)], end_day=13),
    ])
    fu = pd.DataFrame({"USUBJID": list("ABCD"), "FOLLOWUP_DAY": 40.0})
    p = adjudicate_dlt(e, fu, rules, window_days=28).patients.set_index("USUBJID")
    assert p.loc["A", "DLT_RULE"] == "ANY4"          # grade 4 rash: not exactly 3
    assert p.loc["B", "DLT"] == "no"                 # excluded term
    assert p.loc["C", "DLT_RULE"] == "G3_EXACT"
    assert p.loc["D", "DLT"] == "no"                 # after the rule's own window end (10)


def test_from_graders_to_dlt() -> None:
    # CRS flow sheet: grade 3 on day 2 to day 6 (improves after 4 days) -> CRS3_72H
    obs = pd.DataFrame({"USUBJID": "A", "DAY": [1.0, 2.0, 4.0, 6.0, 7.0],
                        "TEMP": [38.5, 39.0, 38.8, 38.2, 37.0], "PRESSORS": [0, 1, 1, 0, 0],
                        "HYPOTENSION": ["", "", "", "Y", ""]})
    crs = crs_events(grade_crs(obs).timepoints)
    assert crs["GRADE"].tolist() == [1, 3, 3, 2, 0]
    labs = pd.DataFrame({"USUBJID": "A", "PARAMCD": "NEUT", "DAY": [-5.0, 7.0, 21.0, 35.0],
                         "AVAL": [2.0, 0.2, 0.3, 0.4], "LLN": 1.8, "ULN": 7.5})
    anc = lab_events(lab_grades_long(grade_labs(labs)))
    fu = pd.DataFrame({"USUBJID": ["A"], "FOLLOWUP_DAY": [60.0], "DOSE_LEVEL": ["DL1"]})
    res = adjudicate_dlt(pd.concat([crs, anc]), fu, CT071.dlt, window_days=WINDOW)
    assert res.patients["DLT_RULE"].tolist() == ["CRS3_72H"]
    assert set(res.evaluations["RULE"]) == {"CRS3_72H", "CYTO4_D28"}


def test_bad_input() -> None:
    fu = pd.DataFrame({"USUBJID": ["A"], "FOLLOWUP_DAY": [20.0], "DEATH_DAY": [20.0]})
    late = ev("A", "x", "NON_HEMATOLOGIC", "Fatigue", [(25, 2)])
    with pytest.raises(RecordError, match="after the patient's death"):
        adjudicate_dlt(late, fu, CT071.dlt, window_days=28)
    with pytest.raises(RecordError, match="category"):
        adjudicate_dlt(ev("A", "x", "OTHER", "Fatigue", [(5, 2)]), fu, CT071.dlt, window_days=28)
    with pytest.raises(RecordError, match="without a follow-up row"):
        adjudicate_dlt(ev("Z", "x", *CRS, [(5, 2)]), fu, CT071.dlt, window_days=28)
    with pytest.raises(RecordError, match="whole number 0-5"):
        adjudicate_dlt(ev("A", "x", *CRS, [(5, 6)]), fu, CT071.dlt, window_days=28)
    with pytest.raises(RecordError, match="ends before it starts"):
        adjudicate_dlt(ev("A", "x", *CRS, [(5, 2)], end_day=3), fu, CT071.dlt, window_days=28)
    with pytest.raises(InputError):
        adjudicate_dlt(late, fu, CT071.dlt, window_days=0)


def test_events_are_told_apart_by_patient_and_id_not_by_joined_text() -> None:
    """Events were keyed by USUBJID + "\\x1f" + EVENT_ID: a patient "A" with event "B\\x1fX"
    and a patient "A\\x1fB" with event "X" shared one key, adjacent once sorted, and their rows
    of day 5 were refused as "two rows of the same event at the same DAY". Keyed by the pair,
    they are two events of 2 days, neither a DLT (grade 3 CRS must last more than 72 hours)."""
    p = run([ev("A", "B\x1fX", *CRS, [(3.0, 3), (5.0, 1)]),
             ev("A\x1fB", "X", *CRS, [(5.0, 3), (7.0, 1)])], {"A": 40.0, "A\x1fB": 40.0})
    assert p.loc["A", "DLT"] == "no" and p.loc["A\x1fB", "DLT"] == "no"


@pytest.mark.parametrize("rows, end_day, category, message", [
    ([(5, 2), (6, 1)], None, " other ", "DLTSEQ=2 CATEGORY='OTHER': event category must be one "
     "of ['CRS', 'ICANS', 'HEMATOLOGIC', 'NON_HEMATOLOGIC'] (2 record(s) affected)"),
    ([(5, 2), (6, 2.5)], None, "CRS", "DLTSEQ=3 GRADE=2.5: grade must be a whole number 0-5"),
    ([(5, 2), (5, 3)], None, "CRS", "DLTSEQ=2 DAY=5.0: two rows of the same event at the same "
     "DAY"),
    ([(5, 2)], 3.0, "CRS", "DLTSEQ=1 END_DAY=3.0: event ends before it starts"),
])
def test_bad_events_named_as_before(rows, end_day, category, message) -> None:
    """Regression (messages of the code before the events were sorted by taking each column
    once): checks before the sort name the input row, checks after it the sorted row, each with
    the value as read (upper-cased category, numeric grade and days)."""
    fu = pd.DataFrame({"USUBJID": ["A", "B"], "FOLLOWUP_DAY": [20.0, 20.0]})
    e = pd.concat([ev("B", "y", *CRS, [(1, 2)]),
                   ev("A", "x", category, CRS[1], rows, end_day=end_day)], ignore_index=True)
    with pytest.raises(RecordError) as err:
        adjudicate_dlt(e, fu, CT071.dlt, window_days=WINDOW)
    assert str(err.value) == f"ERROR DLT USUBJID=A {message}"
