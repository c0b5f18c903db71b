"""CTCAE v5.0 lab grading (NCI CTCAE v5.0; admiral ncictcaev5 lab-only rules;
NCI CTCAE v5.0, 2017, and admiral's ncictcaev5 metadata). Values on both sides of every threshold,
written from the
guideline text (not from the YAML)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cartrial.errors import InputError, RecordError
from cartrial.safety import (
    compare_reported_grades,
    ctcae_lab_criteria,
    cytopenia_recovery,
    grade_labs,
    hypogammaglobulinemia,
    worst_lab_grades,
)


def grade_one(paramcd: str, aval: float, lln: float = np.nan, uln: float = np.nan,
              base: float = np.nan, bnrind: str = "NORMAL", direction: str = "L") -> float:
    df = pd.DataFrame([{"USUBJID": "P", "PARAMCD": paramcd, "DAY": 7.0, "AVAL": aval,
                        "LLN": lln, "ULN": uln, "BASE": base, "BNRIND": bnrind}])
    return grade_labs(df)[f"ATOXGR{direction}"].iloc[0]


# (PARAMCD, LLN, ULN, direction, [(value, grade), ...]) - each pair straddles a boundary of the
# CTCAE v5.0 text: "<" for decreases, ">" for increases.
CASES = [
    # Neutrophil count decreased: <LLN-1.5; <1.5-1.0; <1.0-0.5; <0.5 (x10^9/L)
    ("NEUT", 2.0, 7.5, "L", [(2.0, 0), (1.99, 1), (1.5, 1), (1.49, 2), (1.0, 2), (0.99, 3),
                            (0.5, 3), (0.49, 4), (0.3, 4), (0.05, 4)]),
    # Platelet count decreased: <LLN-75; <75-50; <50-25; <25
    ("PLAT", 150, 400, "L", [(150, 0), (149, 1), (75, 1), (74.9, 2), (50, 2), (49.9, 3), (25, 3),
                            (24.9, 4)]),
    # Anemia: <LLN-100 g/L; <100-80; <80; grade 4 never from labs
    ("HGB", 120, 160, "L", [(120, 0), (119, 1), (100, 1), (99.9, 2), (80, 2), (79.9, 3),
                           (30, 3)]),
    # Lymphocyte count decreased: <LLN-0.8; <0.8-0.5; <0.5-0.2; <0.2
    ("LYM", 1.0, 4.0, "L", [(1.0, 0), (0.99, 1), (0.8, 1), (0.79, 2), (0.5, 2), (0.49, 3),
                           (0.2, 3), (0.19, 4)]),
    # White blood cell decreased: <LLN-3.0; <3.0-2.0; <2.0-1.0; <1.0
    ("WBC", 4.0, 10.0, "L", [(4.0, 0), (3.99, 1), (3.0, 1), (2.99, 2), (2.0, 2), (1.99, 3),
                            (1.0, 3), (0.99, 4)]),
    # CD4 lymphocytes decreased: <LLN-0.5; <0.5-0.2; <0.2-0.05; <0.05
    ("CD4", 0.5, 1.5, "L", [(0.5, 0), (0.49, 2), (0.2, 2), (0.19, 3), (0.05, 3), (0.049, 4)]),
    ("CD4", 0.6, 1.5, "L", [(0.6, 0), (0.59, 1), (0.5, 1)]),
    # ALT / AST with a normal baseline: >ULN-3.0xULN; >3.0-5.0; >5.0-20.0; >20.0 x ULN
    ("ALT", 0, 40, "H", [(40, 0), (40.1, 1), (120, 1), (120.1, 2), (200, 2), (200.1, 3),
                        (800, 3), (800.1, 4)]),
    ("AST", 0, 40, "H", [(40, 0), (40.1, 1), (120, 1), (120.1, 2), (200, 2), (200.1, 3),
                        (800, 3), (800.1, 4)]),
    # Blood bilirubin increased: >ULN-1.5; >1.5-3.0; >3.0-10.0; >10.0 x ULN (umol/L)
    ("BILI", 0, 20, "H", [(20, 0), (20.1, 1), (30, 1), (30.1, 2), (60, 2), (60.1, 3), (200, 3),
                         (200.1, 4)]),
    # Alkaline phosphatase / GGT: >ULN-2.5; >2.5-5.0; >5.0-20.0; >20.0 x ULN
    ("ALP", 0, 100, "H", [(100, 0), (100.1, 1), (250, 1), (250.1, 2), (500, 2), (500.1, 3),
                         (2000, 3), (2000.1, 4)]),
    ("GGT", 0, 50, "H", [(50, 0), (50.1, 1), (125, 1), (125.1, 2), (250, 2), (250.1, 3),
                        (1000, 3), (1000.1, 4)]),
    # Creatinine increased (no baseline): >ULN-1.5; >1.5-3.0; >3.0-6.0; >6.0 x ULN
    ("CREAT", 0, 100, "H", [(100, 0), (100.1, 1), (150, 1), (150.1, 2), (300, 2), (300.1, 3),
                           (600, 3), (600.1, 4)]),
    # Fibrinogen decreased (no baseline): <1.0-0.75; <0.75-0.5; <0.5-0.25; <0.25 x LLN; <0.5 g/L
    ("FIBRINO", 2.0, 4.0, "L", [(2.0, 0), (1.99, 1), (1.5, 1), (1.49, 2), (1.0, 2), (0.99, 3),
                               (0.5, 3), (0.49, 4)]),
    ("FIBRINO", 4.0, 6.0, "L", [(1.0, 3), (0.99, 4)]),   # 0.25 x LLN
    # Hypokalemia (lab-only): <LLN -> grade 2 (grade 1 never); <3.0 -> 3; <2.5 -> 4
    ("K", 3.5, 5.1, "L", [(3.5, 0), (3.49, 2), (3.0, 2), (2.99, 3), (2.5, 3), (2.49, 4)]),
    # Hyponatremia (lab-only): <LLN-130 -> 1; 125-129 / 120-124 -> 3 (grade 2 never); <120 -> 4.
    # admiral ncictcaev5.json reads grade 3 as AVAL <= 129: 129.5 and 129.9 stay grade 1.
    ("SODIUM", 135, 145, "L", [(135, 0), (134.9, 1), (130, 1), (129.9, 1), (129.5, 1),
                               (129.0, 3), (125, 3), (124.5, 3), (120, 3), (119.9, 4),
                               (119.5, 4)]),
    # Hypocalcemia (corrected): <LLN-2.0; <2.0-1.75; <1.75-1.5; <1.5 mmol/L
    ("CA", 2.15, 2.55, "L", [(2.15, 0), (2.14, 1), (2.0, 1), (1.99, 2), (1.75, 2), (1.74, 3),
                            (1.5, 3), (1.49, 4)]),
    # Hypercalcemia (corrected): >ULN-2.9; >2.9-3.1; >3.1-3.4; >3.4 mmol/L
    ("CA", 2.15, 2.55, "H", [(2.55, 0), (2.56, 1), (2.9, 1), (2.91, 2), (3.1, 2), (3.11, 3),
                            (3.4, 3), (3.41, 4)]),
    # Hypomagnesemia: <LLN-0.5; <0.5-0.4; <0.4-0.3; <0.3 mmol/L
    ("MG", 0.7, 1.0, "L", [(0.7, 0), (0.69, 1), (0.5, 1), (0.49, 2), (0.4, 2), (0.39, 3),
                          (0.3, 3), (0.29, 4)]),
    # Hypoalbuminemia: <LLN-30; <30-20; <20 g/L; grade 4 clinical only
    ("ALB", 35, 50, "L", [(35, 0), (34.9, 1), (30, 1), (29.9, 2), (20, 2), (19.9, 3), (5, 3)]),
    # INR increased: >1.2-1.5; >1.5-2.5; >2.5
    ("INR", np.nan, np.nan, "H", [(1.2, 0), (1.21, 1), (1.5, 1), (1.51, 2), (2.5, 2),
                                  (2.51, 3), (9.0, 3)]),
    # aPTT prolonged: >ULN-1.5; >1.5-2.5; >2.5 x ULN
    ("APTT", 25, 40, "H", [(40, 0), (40.1, 1), (60, 1), (60.1, 2), (100, 2), (100.1, 3)]),
    # Hyperuricemia (lab-only): >ULN -> 3
    ("URATE", 150, 420, "H", [(420, 0), (420.1, 3)]),
]


@pytest.mark.parametrize(("paramcd", "lln", "uln", "direction", "pairs"), CASES,
                         ids=[f"{c[0]}-{c[3]}-{i}" for i, c in enumerate(CASES)])
def test_both_sides_of_every_threshold(paramcd, lln, uln, direction, pairs) -> None:
    df = pd.DataFrame({"USUBJID": "P", "PARAMCD": paramcd, "DAY": np.arange(1.0, len(pairs) + 1),
                       "AVAL": [v for v, _ in pairs], "LLN": lln, "ULN": uln,
                       "BASE": np.nan, "BNRIND": "NORMAL"})
    got = grade_labs(df)[f"ATOXGR{direction}"].tolist()
    assert got == [float(g) for _, g in pairs]


def test_v6_thresholds_do_not_leak_in() -> None:
    # CTCAE v6 neutrophils: grade 3 <0.5-0.1, grade 4 <0.1. v5: grade 4 is <0.5.
    assert grade_one("NEUT", 0.3, lln=2.0) == 4
    assert grade_one("NEUT", 0.1, lln=2.0) == 4
    assert ctcae_lab_criteria().version == "5.0"
    assert (grade_labs(pd.DataFrame({"USUBJID": ["P"], "PARAMCD": ["NEUT"], "DAY": [1.0],
                                     "AVAL": [1.0], "LLN": [2.0], "ULN": [7.0]}))
            ["CTCAE_VERSION"] == "5.0").all()


def test_baseline_abnormal_uses_multiples_of_baseline() -> None:
    # ALT baseline HIGH (60, ULN 40): grade 1 from 1.5 x BASE (90, inclusive), 2 > 3 x BASE
    assert grade_one("ALT", 89.9, uln=40, base=60, bnrind="HIGH", direction="H") == 0
    assert grade_one("ALT", 90.0, uln=40, base=60, bnrind="HIGH", direction="H") == 1
    assert grade_one("ALT", 180.0, uln=40, base=60, bnrind="HIGH", direction="H") == 1
    assert grade_one("ALT", 180.1, uln=40, base=60, bnrind="HIGH", direction="H") == 2
    assert grade_one("ALT", 1200.1, uln=40, base=60, bnrind="HIGH", direction="H") == 4
    # same value with a normal baseline: multiples of ULN (89.9 > 40 -> grade 1)
    assert grade_one("ALT", 89.9, uln=40, base=30, bnrind="NORMAL", direction="H") == 1
    # the baseline record of a baseline-abnormal patient is always grade 0
    for p in ("ALT", "AST", "ALP", "GGT", "BILI"):
        assert grade_one(p, 60, uln=40, base=60, bnrind="HIGH", direction="H") == 0
    # bilirubin abnormal baseline: > 1.0 x BASE is grade 1
    assert grade_one("BILI", 30.1, uln=20, base=30, bnrind="HIGH", direction="H") == 1
    # ALP abnormal baseline: ">= 2 x BASE" is grade 1; GGT "> 2 x BASE" (admiral ncictcaev5.json
    # GRADE_1_CODE of each row)
    assert grade_one("ALP", 299.9, uln=100, base=150, bnrind="HIGH", direction="H") == 0
    assert grade_one("ALP", 300, uln=100, base=150, bnrind="HIGH", direction="H") == 1
    assert grade_one("GGT", 100, uln=40, base=50, bnrind="HIGH", direction="H") == 0
    assert grade_one("GGT", 100.1, uln=40, base=50, bnrind="HIGH", direction="H") == 1


def test_abnormal_baseline_indicator_counts_as_abnormal() -> None:
    """BNRIND "ABNORMAL" is abnormal for terms graded upward (admiral derive_var_atoxgr_dir:
    ``BNRIND %in% high_indicator``), so multiples of BASE apply, as for "HIGH"."""
    for ind in ("HIGH", "ABNORMAL"):
        # ALT baseline 60 (ULN 40): 89.9 < 1.5 x 60 -> grade 0; 180.1 > 3 x 60 -> grade 2
        assert grade_one("ALT", 89.9, uln=40, base=60, bnrind=ind, direction="H") == 0
        assert grade_one("ALT", 180.1, uln=40, base=60, bnrind=ind, direction="H") == 2
        assert grade_one("BILI", 30.1, uln=20, base=30, bnrind=ind, direction="H") == 1
    # the same value with a baseline graded normal or low: multiples of ULN
    for ind in ("NORMAL", "LOW", ""):
        assert grade_one("ALT", 89.9, uln=40, base=60, bnrind=ind, direction="H") == 1
    # abnormal baseline without a baseline value: not gradable (never silently on ULN)
    assert np.isnan(grade_one("ALT", 89.9, uln=40, base=np.nan, bnrind="ABNORMAL",
                              direction="H"))


def test_creatinine_uses_baseline_and_uln_keeping_the_higher() -> None:
    # >1.5-3.0 x baseline is grade 2 even when < 1.5 x ULN; > 3.0 x baseline is grade 3
    assert grade_one("CREAT", 91, uln=100, base=60, direction="H") == 2
    assert grade_one("CREAT", 90, uln=100, base=60, direction="H") == 0
    assert grade_one("CREAT", 181, uln=100, base=60, direction="H") == 3
    # missing baseline: graded on ULN only
    assert grade_one("CREAT", 181, uln=100, direction="H") == 2


def test_fibrinogen_percent_decrease_from_abnormal_baseline() -> None:
    # lab-only: <LLN with change <= -25 / -50 / -75 % -> 2 / 3 / 4
    assert grade_one("FIBRINO", 1.5, lln=1.6, base=2.0) == 2    # -25%
    assert grade_one("FIBRINO", 1.0, lln=1.6, base=2.0) == 3    # -50%
    assert grade_one("FIBRINO", 0.5, lln=1.6, base=2.0) == 4    # -75%
    assert grade_one("FIBRINO", 1.55, lln=1.6, base=2.0) == 1   # -22.5%, < LLN only


def test_missing_is_not_gradable_never_zero() -> None:
    assert np.isnan(grade_one("NEUT", np.nan, lln=2.0))
    assert np.isnan(grade_one("NEUT", 1.9, lln=np.nan))   # grade 1 needs LLN
    assert np.isnan(grade_one("ALT", 50, uln=np.nan, direction="H"))
    assert np.isnan(grade_one("ALT", 200, uln=40, base=np.nan, bnrind="HIGH", direction="H"))
    # a test without a CTCAE term is left ungraded, not graded 0
    assert np.isnan(grade_one("CRP", 50, lln=0, uln=5, direction="H"))


def test_floating_point_boundaries_use_significant_digits() -> None:
    # 0.1 + 0.2 != 0.3 in binary; 3 x ULN computed as 3 * 0.1 must still be the boundary
    assert grade_one("ALT", 0.1 + 0.2, uln=0.1, direction="H") == 1


def test_baseline_from_ablfl_treatment_emergence_and_worst() -> None:
    labs = pd.DataFrame({
        "USUBJID": "P", "PARAMCD": ["PLAT"] * 5,
        "DAY": [-5.0, 3.0, 10.0, 28.0, 400.0], "AVAL": [60, 40, 20, 80, 10],
        "LLN": 150.0, "ULN": 400.0, "ABLFL": ["Y", "", "", "", ""]})
    g = grade_labs(labs, treatment_emergent_until_day=365)
    assert g["ATOXGRL"].tolist() == [2, 3, 4, 1, 4]
    assert g["BTOXGRL"].tolist() == [2] * 5
    # emergent: post-infusion, within the TE window, worse than baseline
    assert g["TRTEMFL"].tolist() == ["", "Y", "Y", "", ""]
    w = worst_lab_grades(g, treatment_emergent_until_day=365).iloc[0]
    assert (w["TERM"], w["BASE_GRADE"], w["WORST_GRADE"], w["WORST_DAY"], w["TRTEMFL"]) == (
        "Platelet count decreased", 2, 4, 10.0, "Y")


def test_baseline_indicator_derived_from_baseline_record() -> None:
    labs = pd.DataFrame({"USUBJID": "P", "PARAMCD": "ALT", "DAY": [-3.0, 7.0],
                         "AVAL": [60.0, 100.0], "LLN": 0.0, "ULN": 40.0, "ABLFL": ["Y", ""]})
    g = grade_labs(labs)
    assert g["BNRIND"].tolist() == ["HIGH", "HIGH"]
    assert g["ATOXGRH"].tolist() == [0, 1]   # 100 >= 1.5 x 60


def test_cytopenia_recovery_and_prolonged() -> None:
    day = [-5.0, 7.0, 14.0, 21.0, 28.0, 35.0]
    anc = pd.DataFrame({"USUBJID": "A", "PARAMCD": "NEUT", "DAY": day,
                        "AVAL": [2.0, 0.3, 0.4, 1.2, 0.8, 1.6], "LLN": 1.8, "ULN": 7.5})
    plt = pd.DataFrame({"USUBJID": "B", "PARAMCD": "PLAT", "DAY": day,
                        "AVAL": [200, 40, 60, 120, 160, 170], "LLN": 150.0, "ULN": 400.0})
    rec = cytopenia_recovery(grade_labs(pd.concat([anc, plt]))).set_index("USUBJID")
    # A: grade 4, 4, 2, 3 (day 28), 1 -> last severe day 28, recovery day 35, prolonged
    assert (rec.loc["A", "WORST_GRADE"], rec.loc["A", "LAST_SEVERE_DAY"],
            rec.loc["A", "RECOVERY_DAY"]) == (4, 28.0, 35.0)
    assert bool(rec.loc["A", "PROLONGED"]) is True
    # B: grade 3 on day 7 only, recovered day 14, not prolonged
    assert (rec.loc["B", "RECOVERY_DAY"], bool(rec.loc["B", "PROLONGED"])) == (14.0, False)


def test_reported_grades_are_compared_never_overwritten() -> None:
    labs = pd.DataFrame({"USUBJID": ["A", "A", "B"], "PARAMCD": ["NEUT", "PLAT", "NEUT"],
                         "DAY": [7.0, 7.0, 7.0], "AVAL": [0.3, 60.0, 1.2], "LLN": [1.8, 150, 1.8],
                         "ULN": [7.5, 400, 7.5]})
    worst = worst_lab_grades(grade_labs(labs))
    reported = pd.DataFrame({"USUBJID": ["A", "A", "C"],
                             "TERM": ["Neutrophil count decreased", "Platelet count decreased",
                                      "Anemia"], "GRADE": [4, 3, 2]})
    cmp = compare_reported_grades(worst, reported).set_index(["USUBJID", "TERM"])["STATUS"]
    assert cmp[("A", "Neutrophil count decreased")] == "AGREE"
    assert cmp[("A", "Platelet count decreased")] == "DISAGREE"    # derived 2, reported 3
    assert cmp[("B", "Neutrophil count decreased")] == "DERIVED_ONLY"
    assert cmp[("C", "Anemia")] == "REPORTED_ONLY"
    assert reported["GRADE"].tolist() == [4, 3, 2]


def test_reported_terms_match_across_spellings() -> None:
    # MedDRA 'Anaemia' / 'White blood cell count decreased' = CTCAE 'Anemia' / 'White blood
    # cell decreased'
    labs = pd.DataFrame({"USUBJID": "A", "PARAMCD": ["HGB", "WBC"], "DAY": [7.0, 7.0],
                         "AVAL": [75.0, 1.5], "LLN": [120.0, 4.0], "ULN": [160.0, 10.0]})
    worst = worst_lab_grades(grade_labs(labs))
    reported = pd.DataFrame({"USUBJID": "A",
                             "TERM": ["Anaemia", "White blood cell count decreased"],
                             "GRADE": [3, 2]})
    cmp = compare_reported_grades(worst, reported).set_index("TERM")["STATUS"]
    assert cmp["Anemia"] == "AGREE"
    assert cmp["White blood cell decreased"] == "DISAGREE"   # derived grade 3


def test_hypogammaglobulinemia_flag_default_4_g_per_l() -> None:
    labs = pd.DataFrame({"USUBJID": "P", "PARAMCD": "IGG", "DAY": [30.0, 60.0],
                         "AVAL": [4.0, 3.99]})
    assert hypogammaglobulinemia(labs)["HYPOGAM"].tolist() == [False, True]
    assert hypogammaglobulinemia(labs, threshold_g_per_l=5.0)["HYPOGAM"].tolist() == [True, True]


def test_bad_input_names_the_record() -> None:
    base = {"USUBJID": "P", "PARAMCD": "NEUT", "DAY": 1.0, "AVAL": 1.0, "LLN": 2.0, "ULN": 7.0,
            "SEQ": 5}
    with pytest.raises(RecordError) as exc:
        grade_labs(pd.DataFrame([{**base, "UNIT": "cells/uL"}]))
    assert (exc.value.finding.domain, exc.value.finding.seq, exc.value.finding.variable) == (
        "LB", 5, "UNIT")
    with pytest.raises(RecordError, match="cannot be < 0"):
        grade_labs(pd.DataFrame([{**base, "AVAL": -1.0}]))
    with pytest.raises(RecordError, match="above the upper limit"):
        grade_labs(pd.DataFrame([{**base, "LLN": 8.0}]))
    with pytest.raises(RecordError, match="more than one baseline"):
        grade_labs(pd.DataFrame([{**base, "ABLFL": "Y"}, {**base, "DAY": 0.0, "ABLFL": "Y"}]))
    with pytest.raises(InputError, match="missing column"):
        grade_labs(pd.DataFrame([{"USUBJID": "P", "PARAMCD": "NEUT", "AVAL": 1.0}]))


@settings(max_examples=40, deadline=None)
@given(term=st.sampled_from(["NEUT", "PLAT", "HGB", "LYM", "WBC", "K", "SODIUM", "MG", "ALB"]),
       a=st.floats(0.0, 300.0), b=st.floats(0.0, 300.0))
def test_low_direction_grades_are_monotone(term: str, a: float, b: float) -> None:
    lo, hi = sorted((a, b))
    lln = {"NEUT": 1.8, "PLAT": 150, "HGB": 120, "LYM": 1.0, "WBC": 4.0, "K": 3.5,
           "SODIUM": 135, "MG": 0.7, "ALB": 35}[term]
    df = pd.DataFrame({"USUBJID": ["x", "y"], "PARAMCD": term, "DAY": 1.0, "AVAL": [lo, hi],
                       "LLN": lln, "ULN": 1000.0})
    g = grade_labs(df).set_index("USUBJID")["ATOXGRL"]
    assert g["x"] >= g["y"]   # a lower value never has a lower grade


@settings(max_examples=40, deadline=None)
@given(term=st.sampled_from(["ALT", "AST", "ALP", "GGT", "BILI", "CREAT", "APTT"]),
       a=st.floats(0.0, 5000.0), b=st.floats(0.0, 5000.0), abnormal=st.booleans())
def test_high_direction_grades_are_monotone(term: str, a: float, b: float,
                                            abnormal: bool) -> None:
    lo, hi = sorted((a, b))
    df = pd.DataFrame({"USUBJID": ["x", "y"], "PARAMCD": term, "DAY": 1.0, "AVAL": [lo, hi],
                       "LLN": 0.0, "ULN": 40.0, "BASE": 60.0 if abnormal else 30.0,
                       "BNRIND": "HIGH" if abnormal else "NORMAL"})
    g = grade_labs(df).set_index("USUBJID")["ATOXGRH"]
    assert g["y"] >= g["x"]


def test_weight_loss_from_vitals_percent_of_baseline() -> None:
    # CTCAE v5.0 Weight loss: 5 - <10% grade 1; 10 - <20% grade 2; >= 20% grade 3
    pairs = [(95.1, 0), (95.0, 1), (90.1, 1), (90.0, 2), (80.1, 2), (80.0, 3)]
    df = pd.DataFrame({"USUBJID": "P", "PARAMCD": "WEIGHT",
                       "DAY": np.arange(1.0, len(pairs) + 1), "AVAL": [v for v, _ in pairs],
                       "LLN": np.nan, "ULN": np.nan, "BASE": 100.0, "BNRIND": ""})
    assert grade_labs(df)["ATOXGRL"].tolist() == [float(g) for _, g in pairs]
    assert np.isnan(grade_one("WEIGHT", 80.0))   # no baseline weight: not gradable


def test_baseline_indicator_outside_the_terms_names_the_record() -> None:
    """BNRIND is checked per distinct value (issue #18): a value outside the terms is refused
    and named; blank, missing and the four terms in any case pass."""
    base = {"USUBJID": "P", "PARAMCD": "NEUT", "DAY": 1.0, "AVAL": 1.0, "LLN": 2.0,
            "ULN": 7.0, "BASE": 2.5}
    ok = pd.DataFrame([{**base, "SEQ": k, "BNRIND": v}
                       for k, v in enumerate(["", None, "normal", " LOW", "High", "ABNORMAL"])])
    assert grade_labs(ok)["ATOXGRL"].notna().all()
    with pytest.raises(RecordError, match="baseline indicator") as exc:
        grade_labs(pd.concat([ok, pd.DataFrame([{**base, "SEQ": 9, "BNRIND": "ELEVATED"}])]))
    assert (exc.value.finding.seq, exc.value.finding.variable) == (9, "BNRIND")


def test_grading_keys_from_the_sort_codes_equal_factorising_again(monkeypatch) -> None:  # noqa: ANN001
    """Regression: the (subject, test) groups taken from the codes USUBJID and PARAMCD were
    sorted by give the grades factorising the sorted frame again gave (forced here by making
    the exact codes unknown), text with a NUL character (the other way) included."""
    from cartrial.safety import _frames

    rng = np.random.default_rng(20261208)
    n = 400
    subjects = np.array(["S1", "S2", "S10", "S2\x00", "s1 "], dtype=object)
    labs = pd.DataFrame({
        "USUBJID": subjects[rng.integers(0, 4, n)], "PARAMCD": np.array(
            ["PLAT", "plat", "NEUT", "ALT", "IL6"], dtype=object)[rng.integers(0, 5, n)],
        "DAY": rng.integers(-3, 40, n).astype(float), "AVAL": rng.uniform(0.1, 300, n),
        "LLN": 1.5, "ULN": 200.0})
    labs = labs.drop_duplicates(["USUBJID", "PARAMCD", "DAY"]).reset_index(drop=True)
    for frame in (labs, labs[labs["USUBJID"] != "S2\x00"].assign(USUBJID=lambda d: d[
            "USUBJID"].replace({"S10": "s1 "}))):
        got = grade_labs(frame)
        with monkeypatch.context() as m:
            m.setattr(_frames, "exact_sorted_codes", lambda values: None)
            want = grade_labs(frame)
        pd.testing.assert_frame_equal(got, want, check_exact=True)
