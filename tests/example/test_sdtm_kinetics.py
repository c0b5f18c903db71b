"""example/sdtm_kinetics.py: PC, cytokine LB and IS records of the example.

Checked against the protocol's schedules (ct071: kinetics within 2 days, cytokines on days 0-28,
ADA on days 0, 28, 90, 180, 365), the assays' limits (values below the LLOQ are "<LLOQ" with
no numeric result) and hand-worked titres (2^4 to 2^9).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.example import kinetics as kin
from tests.example.conftest import protocol, trial


def test_pc_samples_fall_in_their_window_and_below_lloq_has_no_number():
    t = trial("default", 20240228, 300)
    pc = t.domains["PC"]
    ks = protocol().schedule.kinetics
    assert set(pc["VISITNUM"].astype(int)) <= set(ks.days)
    subj = t.truth["subjects"].set_index("USUBJID")
    day = (pd.to_datetime(pc["PCDTC"]) - pd.to_datetime(
        subj.loc[pc["USUBJID"], "infusion_dtc"].to_numpy())).dt.days
    assert (abs(day - pc["VISITNUM"]) <= ks.window_days).all()
    blq = pc["PCORRES"] == "<LLOQ"
    assert pc.loc[blq, "PCSTRESN"].isna().all() and pc.loc[~blq, "PCSTRESN"].notna().all()
    q = pc[pc["PCTESTCD"] == "CARTRNSG"]
    assert (q.loc[q["PCSTRESN"].notna(), "PCSTRESN"] >= kin.QPCR_LLOQ).all()
    assert set(q["PCLLOQ"]) == {kin.QPCR_LLOQ}


def test_cytokines_are_measured_on_the_protocols_days_in_the_sites_unit():
    t = trial("default", 20240228, 300)
    lb = t.domains["LB"]
    cy = lb[lb["LBCAT"] == "CYTOKINES"]
    assert set(cy["LBTESTCD"]) == set(kin.CYTOKINES)
    assert set(cy["VISITNUM"].astype(int)) <= set(protocol().schedule.cytokines.days)
    assert set(cy["LBORRESU"]) == {"pg/mL", "ng/L"}      # the same quantity: 1 pg/mL = 1 ng/L
    assert (cy.loc[cy["VISITNUM"] == 0, "LBBLFL"] == "Y").all()


def test_ada_turns_positive_from_day_28_with_a_power_of_two_titre():
    t = trial("default", 20240228, 300)
    is_ = t.domains["IS"]
    assert set(is_["VISITNUM"].astype(int)) <= set(protocol().schedule.ada.days)
    pos = is_[is_["ISORRES"] == "POSITIVE"]
    assert len(pos) > 0 and (pos["VISITNUM"] >= 28).all()
    assert set(np.log2(pos["ISSTRESN"])) <= set(range(4, 10))
    assert is_.loc[is_["ISORRES"] == "NEGATIVE", "ISSTRESN"].isna().all()
    # one titre per patient: the same at each positive visit
    assert (pos.groupby("USUBJID")["ISSTRESN"].nunique() == 1).all()
