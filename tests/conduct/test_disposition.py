"""Manufacturing failure and bridging therapy in what conduct reads (issue #15 point 2).

Outside reference: the example generator's own record of who was apheresed and never infused
(``DM.ACTARMCD = NOTTRT`` with ``ARMNRS``, the ``DS`` disposition event) and who had bridging
therapy (``CM``, ``CMCAT = BRIDGING THERAPY``); its conduct simulator replaces a patient never
infused (truth/escalation.csv counts infused patients only). A patient apheresed but never
infused never enters the escalation decision; the cohort is completed by a replacement.
"""

from __future__ import annotations

import pandas as pd
import pytest

from cartrial.conduct import cohorts, dlt_status
from cartrial.data.study_parts import study_parts
from tests.conduct.test_history import SCENARIOS, example

pytestmark = pytest.mark.slow


def _facts(scenario: str):
    _, study, proto, _ = example(scenario, 1)
    sp = study_parts(study).set_index("USUBJID")
    dm = study["DM"].set_index("USUBJID")
    return study, proto, sp, dm


def test_never_infused_patients_stay_out_of_the_decision_and_are_replaced() -> None:
    seen = 0
    for scenario in SCENARIOS:
        study, proto, sp, dm = _facts(scenario)
        never = dm.index[dm["ACTARMCD"] == "NOTTRT"]
        ds = study["DS"]
        disp = ds[ds["DSCAT"] == "DISPOSITION EVENT"].set_index("USUBJID")["DSDECOD"]
        patients = dlt_status(study, proto)
        assert not set(never) & set(patients["USUBJID"])
        coh = cohorts(study).set_index("COHORT")
        for u in never:
            assert dm.loc[u, "ARMNRS"] in ("MANUFACTURING FAILURE", "NOT INFUSED")
            if dm.loc[u, "ARMNRS"] == "MANUFACTURING FAILURE":
                assert disp.loc[u] == "MANUFACTURING FAILURE"
            assert pd.isna(sp.loc[u, "INFUSION_DATE"])
            if sp.loc[u, "PART"] != "ESCALATION":
                continue
            seen += 1
            c = sp.loc[u, "COHORT"]
            members = sp[sp["COHORT"] == c]
            infused = members["INFUSION_DATE"].notna().sum()
            # the replacement completes the cohort (the last cohort may stop early)
            assert coh.loc[c, "PATIENTS"] == infused
            assert infused == proto.design.cohort_size or c == coh.index[-1]
            assert len(members) == infused + members["INFUSION_DATE"].isna().sum()
    assert seen >= 1  # at least one escalation patient never infused across the scenarios


def test_bridging_therapy_patients_count_as_any_infused_patient() -> None:
    study, proto, sp, _ = _facts("default")
    cm = study["CM"]
    bridged = set(cm.loc[cm["CMCAT"] == "BRIDGING THERAPY", "USUBJID"])
    assert bridged
    patients = set(dlt_status(study, proto)["USUBJID"])
    for u in bridged:
        assert pd.notna(sp.loc[u, "INFUSION_DATE"])
        assert (u in patients) == bool(sp.loc[u, "IN_ESCALATION"])
