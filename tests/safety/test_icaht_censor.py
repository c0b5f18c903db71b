"""What stops the ICAHT day count: "censoring at the time of disease progression, subsequent
line of therapy, or death" (Rejeski K et al., Blood 2023;142:865-77; the rule as restated in
the footnote of Table 1 of the thrombocytopenic ICAHT grading, Rejeski K et al., Blood
2025). Hand-worked SDTM cases: the days are counted by hand from the dates in each case."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cartrial.errors import RecordError
from cartrial.safety import grade_icaht
from cartrial.safety.icaht_censor import icaht_censoring

DM = pd.DataFrame({"USUBJID": ["A", "B", "C", "D"], "RFSTDTC": ["2026-01-01"] * 4})
RS = pd.DataFrame({"USUBJID": ["A", "A", "B", "C"], "RSSEQ": [1, 2, 1, 1],
                   "RSTESTCD": ["OVRLRESP"] * 4, "RSSTRESC": ["SD", "PD", "PR", "PD"],
                   "RSDTC": ["2026-01-11", "2026-01-21", "2026-01-29", "2026-03-02"]})
CM = pd.DataFrame({"USUBJID": ["B", "C", "D"], "CMSEQ": [1, 1, 1],
                   "CMCAT": ["SUBSEQUENT ANTI-MYELOMA THERAPY", "SUBSEQUENT ANTI-MYELOMA THERAPY",
                             "CRS/ICANS MANAGEMENT"],
                   "CMSTDTC": ["2026-01-16", "2026-02-10", "2026-01-03"]})
SUBJ = pd.DataFrame({"USUBJID": ["A", "B", "C", "D"], "DEATH_DAY": [np.nan, 40.5, 20.9, np.nan]})


def test_first_of_progression_therapy_and_death() -> None:
    c = icaht_censoring({"DM": DM, "RS": RS, "CM": CM}, SUBJ).set_index("USUBJID")
    # A: PD on 21 Jan = day 20 (the SD on day 10 does not stop the count)
    assert c.loc["A", "CENSOR_DAY"] == 20 and c.loc["A", "CENSOR_REASON"] == "progression"
    # B: next therapy 16 Jan = day 15, before death on day 40.5; a PR is no progression
    assert c.loc["B", "CENSOR_DAY"] == 15 and c.loc["B", "CENSOR_REASON"] == "subsequent therapy"
    assert np.isnan(c.loc["B", "PROGRESSION_DAY"])
    # C: death (day 20.9) before next therapy (day 40) and PD (day 60)
    assert c.loc["C", "CENSOR_DAY"] == 20.9 and c.loc["C", "CENSOR_REASON"] == "death"
    assert (c.loc["C", "NEXT_THERAPY_DAY"], c.loc["C", "PROGRESSION_DAY"]) == (40, 60)
    # D: tocilizumab for CRS is not a subsequent line of therapy: not censored
    assert np.isnan(c.loc["D", "CENSOR_DAY"]) and c.loc["D", "CENSOR_REASON"] == ""


def test_progression_stops_the_count_of_a_subject() -> None:
    # A progresses on day 20 with ANC 0.3 from day 0 to day 40: days 0-19 counted (20) ->
    # grade 3 (>= 14 days), a lower bound (the window is not observed through day 30)
    c = icaht_censoring({"DM": DM, "RS": RS}, SUBJ.iloc[:1])
    labs = pd.DataFrame({"USUBJID": "A", "PARAMCD": "NEUT", "DAY": [0, 10, 40],
                         "AVAL": [0.3, 0.3, 0.3]})
    r = grade_icaht(labs, censor=c).iloc[0]
    assert r["EARLY_DAYS_ANC_LE500"] == 20 and r["EARLY_GRADE"] == 3
    assert not r["EARLY_COMPLETE"] and np.isnan(r["LATE_GRADE"])


def test_incomplete_date_names_the_record() -> None:
    rs = RS.assign(RSDTC=["2026-01-11", "2026-01", "2026-01-29", "2026-03-02"])
    with pytest.raises(RecordError) as e:
        icaht_censoring({"DM": DM, "RS": rs}, SUBJ)
    f = e.value.finding
    assert (f.domain, f.usubjid, f.seq, f.variable) == ("RS", "A", 2, "RSDTC")
