"""The clinical rules behind the CSR baseline table, each checked against the paper's own
definition at its boundaries (values written from the papers, not produced by the code):

* ISS: Greipp PR et al., J Clin Oncol 2005;23:3412-20 (stage I: serum beta2-microglobulin
  < 3.5 mg/L and serum albumin >= 3.5 g/dL; stage III: beta2-microglobulin >= 5.5 mg/L;
  stage II: not I or III).
* R-ISS: Palumbo A et al., J Clin Oncol 2015;33:2863-9, Table 1 (I: ISS I and standard-risk
  CA by iFISH and normal LDH; III: ISS III and either high-risk CA [del(17p) and/or t(4;14)
  and/or t(14;16)] or high LDH; II: all others).
* Triple-class and penta-drug: Gandhi UH et al., Leukemia 2019;33:2266-75 (triple-class: an
  IMiD, a PI and a CD38 antibody; penta: a CD38 antibody, 2 PIs and 2 IMiDs).
* Quartiles and SD as R: ``quantile(1:10)`` is 1, 3.25, 5.5, 7.75, 10 (type 7, R's default;
  Hyndman & Fan, Am Stat 1996;50:361-5) and ``sd(1:10)`` is 3.02765.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cartrial.adam.myeloma import (
    cytogenetic_high_risk,
    iss_stage,
    prior_therapy_flags,
    riss_stage,
)
from cartrial.report.csr_stats import continuous, rounded

NAN = float("nan")


@pytest.mark.parametrize(("b2m", "alb", "stage"), [
    (3.49, 35.0, "I"),     # both criteria of stage I met at the albumin boundary (>= 3.5 g/dL)
    (3.5, 35.0, "II"),     # beta2m = 3.5 is not < 3.5
    (3.49, 34.9, "II"),    # albumin below 3.5 g/dL
    (5.49, 20.0, "II"),    # below 5.5: not stage III whatever the albumin
    (5.5, 45.0, "III"),    # beta2m >= 5.5: stage III whatever the albumin
    (5.5, NAN, "III"),     # stage III needs beta2m only
    (4.0, NAN, "II"),      # beta2m 3.5-5.5 is stage II whatever the albumin
    (3.0, NAN, ""),        # could be I or II: not decided
    (NAN, 40.0, ""),       # no beta2m: no stage
])
def test_iss_at_the_boundaries_of_greipp_2005(b2m, alb, stage):
    assert iss_stage([b2m], [alb]).tolist() == [stage]


@pytest.mark.parametrize(("iss", "high", "ldh", "uln", "stage"), [
    ("I", False, 250, 250, "I"),     # LDH at the ULN is not above it: normal
    ("I", False, 251, 250, "II"),    # high LDH: not stage I
    ("I", True, 100, 250, "II"),     # high-risk CA: not stage I
    ("II", True, 900, 250, "II"),    # ISS II is R-ISS II whatever CA and LDH
    ("II", None, NAN, NAN, "II"),    # ... even unknown
    ("III", True, 100, 250, "III"),  # ISS III + high-risk CA
    ("III", False, 251, 250, "III"),  # ISS III + high LDH
    ("III", False, 250, 250, "II"),  # ISS III, standard risk, normal LDH
    ("III", None, 100, 250, ""),     # CA not assessed: III or II
    ("III", None, 300, 250, "III"),  # high LDH decides without CA
    ("I", None, 100, 250, ""),       # CA not assessed: I or II
    ("I", False, NAN, NAN, ""),      # LDH missing: I or II
    ("", False, 100, 250, ""),       # no ISS: no R-ISS
])
def test_riss_follows_palumbo_2015_table_1(iss, high, ldh, uln, stage):
    assert riss_stage([iss], [high], [ldh], [uln]).tolist() == [stage]


def test_high_risk_abnormalities_are_the_three_of_the_riss():
    mh = pd.DataFrame({"USUBJID": ["A", "B", "C", "D", "E"],
                       "MHCAT": ["CYTOGENETICS"] * 4 + ["PRIMARY DIAGNOSIS"],
                       "MHTERM": ["del(17p)", "t(4;14)", "T(14;16)", "1q21 gain", "t(4;14)"]})
    got = cytogenetic_high_risk(pd.Series(["A", "B", "C", "D", "E", "F"]), mh)
    assert got.tolist() == [True, True, True, False, False, False]
    unknown = cytogenetic_high_risk(pd.Series(["A", "F"]), mh, assessed=False)
    assert bool(unknown[0]) and pd.isna(unknown[1])


def _lines(rows):
    return pd.DataFrame(rows, columns=["USUBJID", "CMGRPID", "CMDECOD"])


def test_triple_class_and_penta_drug_definitions_of_gandhi_2019():
    cm = _lines([
        # P1: exactly penta (2 PIs, 2 IMiDs, 1 anti-CD38), refractory to all of it
        ("P1", "LINE 1", "BORTEZOMIB"), ("P1", "LINE 1", "LENALIDOMIDE"),
        ("P1", "LINE 2", "CARFILZOMIB"), ("P1", "LINE 2", "POMALIDOMIDE"),
        ("P1", "LINE 2", "DARATUMUMAB"),
        # P2: one PI only: triple-class, not penta
        ("P2", "LINE 1", "BORTEZOMIB"), ("P2", "LINE 1", "LENALIDOMIDE"),
        ("P2", "LINE 2", "POMALIDOMIDE"), ("P2", "LINE 2", "DARATUMUMAB"),
        ("P2", "LINE 3", "ISATUXIMAB"),
        # P3: no anti-CD38: neither; BCMA-directed line
        ("P3", "LINE 1", "BORTEZOMIB"), ("P3", "LINE 1", "LENALIDOMIDE"),
        ("P3", "LINE 2", "TECLISTAMAB"),
        # P4: the same drug twice is one drug (2 bortezomib lines != 2 PIs)
        ("P4", "LINE 1", "BORTEZOMIB"), ("P4", "LINE 2", "BORTEZOMIB"),
        ("P4", "LINE 2", "LENALIDOMIDE"), ("P4", "LINE 3", "POMALIDOMIDE"),
        ("P4", "LINE 3", "DARATUMUMAB"),
    ])
    ref = pd.DataFrame({"USUBJID": ["P1", "P1", "P2", "P2"],
                        "CMGRPID": ["LINE 1", "LINE 2", "LINE 2", "LINE 3"]})
    f = prior_therapy_flags(cm, ref)
    assert f["PRLINES"].to_dict() == {"P1": 2, "P2": 3, "P3": 2, "P4": 3}
    assert f["TCEXPFL"].to_dict() == {"P1": "Y", "P2": "Y", "P3": "N", "P4": "Y"}
    assert f["PENEXPFL"].to_dict() == {"P1": "Y", "P2": "N", "P3": "N", "P4": "N"}
    assert f["PENREFFL"].to_dict() == {"P1": "Y", "P2": "N", "P3": "N", "P4": "N"}
    # P2 refractory to lines 2-3 (pomalidomide, daratumumab, isatuximab): no PI -> not triple
    assert f["TCREFFL"].to_dict() == {"P1": "Y", "P2": "N", "P3": "N", "P4": "N"}
    assert f["BCMAFL"].to_dict() == {"P1": "N", "P2": "N", "P3": "Y", "P4": "N"}


def test_summary_statistics_equal_r_quantile_and_sd():
    n, mean_sd, med_q, rng = continuous(np.arange(1, 11), digits=2)
    assert (n, med_q, rng) == ("10", "5.50 (3.25, 7.75)", "1.0\u201310.0")
    assert mean_sd == "5.50 (3.028)"
    assert continuous([np.nan, np.nan]) == ["0", "", "", ""]
    assert continuous([4.0]) == ["1", "4.0 (NE)", "4.0 (4.0, 4.0)", "4\u20134"]


def test_halves_round_away_from_zero():
    assert [rounded(x, 1) for x in (0.05, 0.15, 2.25, -2.25)] == ["0.1", "0.2", "2.3", "-2.3"]
