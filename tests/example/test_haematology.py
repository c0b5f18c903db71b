"""The safety engines against the example trial's haematotoxicity and basket truth
(cartrial.example.haematology, cartrial.example.baskets): biphasic and late neutropenia graded
by ICAHT (Rejeski K et al., Blood 2023;142:865-77, Table 1), the IEC-HS case found by the
laboratory screen and reported (Hines MR et al., Transplant Cell Ther 2023;29:438.e1-16), and
every planned basket event in its protocol basket. The truth is what the generator planned,
not what the engines computed."""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pytest

from cartrial.data import load_study
from cartrial.example import write_example
from cartrial.safety import basket_events, grade_crs, grade_icaht, identify_iec_hs
from cartrial.safety.sdtm import safety_inputs
from tests.example.conftest import protocol, trial

SEED, N = 3, 60


@cache
def _run(tmp: str):
    t = trial("default", SEED, N)
    write_example(t, tmp)
    inputs = safety_inputs(load_study(tmp), protocol())
    icaht = grade_icaht(inputs.labs, censor=inputs.subjects[["USUBJID", "CENSOR_DAY"]])
    return t, inputs, icaht.set_index("USUBJID")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return _run(str(tmp_path_factory.mktemp("haem")))


def test_every_phenotype_is_planned(run) -> None:
    t, _, _ = run
    h = t.truth["haematology"]
    assert set(h["PHENOTYPE"]) == {"biphasic", "late", "iec-hs"}
    assert (h["PHENOTYPE"] == "iec-hs").sum() == 1


def test_biphasic_courses_are_two_phases(run) -> None:
    """ICAHT counts the days of both phases cumulatively; a recovery of >= 3 days separates
    them (Table 1: days of non-stable recovery, < 3 days, count towards the total)."""
    t, _, icaht = run
    b = t.truth["haematology"].query("PHENOTYPE == 'biphasic'").set_index("USUBJID")
    r = icaht.loc[b.index]
    assert r["BIPHASIC"].all() and (r["NEUTROPENIC_PHASES"] >= 2).all()
    # the second dip alone lasts DAYS days at <= 0.45 x10^9/L, inside day 0-30
    assert (r["EARLY_DAYS_ANC_LE500"] >= b["DAYS"] + 1).all()
    assert (r["EARLY_GRADE"] >= 1).all()


def test_late_neutropenia_reaches_its_late_grade(run) -> None:
    """Late ICAHT (after day +30): ANC <= 1500 / 1000 / 500 / 100 per uL on at least two
    measurements gives grade 1 / 2 / 3 / 4; the plan holds the ANC at or below its ceiling for
    three weekly counts (a floor on the grade, the example's own course may go deeper)."""
    t, inputs, icaht = run
    late = t.truth["haematology"].query("PHENOTYPE == 'late'").set_index("USUBJID")
    cens = inputs.subjects.set_index("USUBJID")["CENSOR_DAY"].reindex(late.index)
    seen = late[~(cens <= late["START_DAY"] + 14)]     # not censored before the third count
    assert len(seen)
    r = icaht.loc[seen.index]
    assert (r["LATE_GRADE"] >= seen["LATE_ICAHT_GRADE_MIN"]).all()


def test_iec_hs_case_is_screened_and_reported(run) -> None:
    """ASTCT IEC-HS: ferritin rise with cytopenias, transaminases, fibrinogen and LDH after CRS
    resolution; the screen lists the case and the investigator's report carries its grade."""
    t, inputs, _ = run
    case = t.truth["haematology"].query("PHENOTYPE == 'iec-hs'").iloc[0]
    crs = grade_crs(inputs.crs)
    iec = identify_iec_hs(inputs.labs, crs_episodes=crs.episodes, ae=inputs.ae).set_index(
        "USUBJID")
    row = iec.loc[case["USUBJID"]]
    assert bool(row["SCREEN"]) and bool(row["REPORTED"]) and row["REPORTED_GRADE"] == 3
    assert row["REPORTED_DAY"] == case["START_DAY"] + 1 > case["CRS_END_DAY"]
    assert row["N_OTHER_CORE"] >= 2
    # the picture is complete after the CRS resolved, as the framework describes IEC-HS
    assert row["SCREEN_DAY"] >= case["START_DAY"] and row["CRS_TIMING"] == "after CRS resolution"
    assert iec["REPORTED"].astype(bool).sum() == 1


def test_every_planned_basket_event_is_in_its_basket(run) -> None:
    t, inputs, _ = run
    truth = t.truth["basket_events"]
    ev = basket_events(inputs.ae, protocol().safety.baskets)
    got = set(zip(ev["USUBJID"], ev["AEDECOD"], ev["GRADE"].astype(int), strict=True))
    want = set(zip(truth["USUBJID"], truth["AEDECOD"], truth["GRADE"], strict=True))
    assert want <= got
    cats = ev.drop_duplicates(["CATEGORY", "BASKET"])
    assert {"Infections by pathogen", "Neurotoxicity other than ICANS",
            "Second primary malignancies", "GPRC5D on-target"} <= set(cats["CATEGORY"])
    tcell = ev[ev["BASKET"] == "T-cell malignancies"]
    assert len(tcell) == 1 and np.isnan(tcell["END_DAY"].iloc[0])   # not resolved
    assert isinstance(truth, pd.DataFrame)
