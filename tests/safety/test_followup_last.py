"""Follow-up ends at the last dated record when DS has none (issue #18: each distinct --DTC text
parsed once, each subject's latest kept). Expected values computed by hand from the dates."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.safety.sdtm_subjects import followup


def _study(lb_subjects: list) -> dict[str, pd.DataFrame]:
    dm = pd.DataFrame({"USUBJID": ["S1", "S2", "S3"], "RFSTDTC": ["2026-03-01"] * 3,
                       "ACTARMCD": "DL1"})
    lb = pd.DataFrame({"USUBJID": lb_subjects,
                       "LBDTC": ["2026-03-11T12:00", "2026-03", "2026-03-21", "2026-03-21",
                                 None, "2026-02-30", "2026-03-05"]}).astype({"LBDTC": "string"})
    ae = pd.DataFrame({"USUBJID": ["S1"], "AESTDTC": ["2026-03-16"]})
    return {"DM": dm, "LB": lb, "AE": ae}


def test_last_complete_date_of_any_domain() -> None:
    fu = followup(_study(["S1", "S1", "S2", "S2", "S2", "S3", "S9"])).set_index("USUBJID")
    # S1: LB day 10.5, AE day 15 (the partial "2026-03" is no date); S2: day 20 (a missing
    # LBDTC is skipped); S3: only an impossible date -> 0 (infusion is the last contact)
    assert fu["FOLLOWUP_DAY"].to_dict() == {"S1": 15.0, "S2": 20.0, "S3": 0.0}


def test_missing_subject_id_record_wise_same_answer() -> None:
    fu = followup(_study(["S1", "S1", "S2", "S2", "S2", "S3", np.nan])).set_index("USUBJID")
    assert fu["FOLLOWUP_DAY"].to_dict() == {"S1": 15.0, "S2": 20.0, "S3": 0.0}
