"""example/ae.py: the adverse events the example simulates and how they are written.

Checked against hand-worked grade runs, the truth the module writes (each event's AESEQ), the
CRS/ICANS episode truth, the deaths of the subject truth and the MedDRA system organ classes
of the terms (MedDRA v26.0 primary SOC).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.example.ae import AE_SOC, ON_TARGET, runs
from tests.example.conftest import trial


def test_runs_of_grade_3_or_more_split_by_patient_and_test():
    g = pd.DataFrame({"pat": [0, 0, 0, 0, 1, 1], "test": ["NEUT", "NEUT", "NEUT", "PLAT",
                                                           "NEUT", "NEUT"],
                      "day": [1, 4, 8, 4, 2, 9], "grade": [3, 3, 2, 4, 4, 4]})
    r = runs(g).sort_values(["pat", "test"]).reset_index(drop=True)
    # patient 0: NEUT grade 3 from day 1 until day 8 (grade 2); PLAT grade 4 from day 4, never
    # seen to change; patient 1: NEUT grade 4 from day 2, never seen to change
    assert r[["pat", "test", "grade", "start"]].values.tolist() == [
        [0, "NEUT", 3, 1], [0, "PLAT", 4, 4], [1, "NEUT", 4, 2]]
    assert r["end"].iloc[0] == 8 and r["end"].iloc[1:].isna().all()


def test_every_event_is_written_once_under_the_aeseq_its_truth_names():
    for scenario, seed in (("default", 1), ("toxic-dose", 2)):
        t = trial(scenario, seed)
        ae = t.domains["AE"].set_index(["USUBJID", "AESEQ"])
        ep = t.truth["episodes"]
        rec = ae.loc[list(zip(ep["USUBJID"], ep["AESEQ"], strict=True))]
        term = np.where(ep["syndrome"] == "CRS", "Cytokine release syndrome",
                        "Immune effector cell-associated neurotoxicity syndrome")
        assert (rec["AEDECOD"].to_numpy() == term).all()
        assert (rec["AETOXGR"].astype(int).to_numpy() == ep["investigator_grade"]).all()
        assert (rec["AESTDTC"].to_numpy() == ep["start_dtc"].to_numpy()).all()
        # the investigator disagrees by one grade at most, and only on grades 1-2
        diff = ep["investigator_grade"] != ep["max_grade"]
        assert (ep.loc[diff, "max_grade"] <= 2).all()
        assert (abs(ep["investigator_grade"] - ep["max_grade"]) <= 1).all()


def test_non_relapse_deaths_are_fatal_sepsis_and_nothing_else_is_fatal():
    t = trial("default", 20240228, 300)
    ae = t.domains["AE"]
    subj = t.truth["subjects"]
    sepsis = subj.loc[subj["death_cause"] == "SEPSIS", "USUBJID"]
    fatal = ae[ae["AEOUT"] == "FATAL"]
    assert len(sepsis) > 0
    assert sorted(fatal.loc[fatal["AEDECOD"] == "Sepsis", "USUBJID"]) == sorted(sepsis)
    assert (fatal["AETOXGR"] == "5").all() and (fatal["AESDTH"] == "Y").all()
    # sepsis starts 4 days before the death
    death = subj.set_index("USUBJID").loc[sepsis, "death_dtc"].astype("datetime64[ns]")
    start = fatal.set_index("USUBJID").loc[sepsis, "AESTDTC"].astype("datetime64[ns]")
    assert ((death - start).dt.days == 4).all()


def test_on_target_toxicities_are_grade_1_2_and_ataxia_one_grade_higher():
    t = trial("default", 20240228, 300)
    ae = t.domains["AE"]
    for term, prob, *_ in ON_TARGET:
        g = ae.loc[ae["AEDECOD"] == term, "AETOXGR"].astype(int)
        assert set(g) <= ({2, 3} if term == "Ataxia" else {1, 2}), term
        if prob >= 0.15:   # frequent ones occur at about their rate (300 patients)
            n = ae.loc[ae["AEDECOD"] == term, "USUBJID"].nunique()
            assert 0.5 * prob < n / 300 < 1.5 * prob, term


def test_events_are_recorded_only_within_follow_up_and_carry_their_soc():
    t = trial("default", 20240228, 300)
    ae = t.domains["AE"]
    dm = t.domains["DM"].set_index("USUBJID")
    start = pd.to_datetime(ae["AESTDTC"].str[:10], errors="coerce")
    last = pd.to_datetime(dm.loc[ae["USUBJID"], "RFPENDTC"].to_numpy())
    assert (start.dropna().to_numpy() <= last[start.notna().to_numpy()]).all()
    soc = dict(zip(ae["AEDECOD"], ae["AEBODSYS"], strict=False))
    assert soc["Pneumonia"] == "Infections and infestations"
    assert soc["Cytokine release syndrome"] == "Immune system disorders"
    assert all(soc[k] == v for k, v in AE_SOC.items() if k in soc)
    open_ = ae["AEENDTC"] == ""
    assert (ae.loc[open_, "AEOUT"] == "NOT RECOVERED/NOT RESOLVED").all()
