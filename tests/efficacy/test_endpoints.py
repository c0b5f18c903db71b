"""End-to-end endpoint tables over a small hand-built cohort (IMWG 2016, Kumar S et al., Lancet
Oncol 2016;17:e328-46; Clopper & Pearson, Biometrika 1934)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.testing import assert_allclose

from cartrial.efficacy import derive_imwg_response, efficacy_endpoints, kaplan_meier
from cartrial.protocol.model import EndpointSettings

from ._imwg_helpers import D0, frame, history

APH = pd.Timestamp("2023-12-01")


def _cohort():
    cr = {"SPEP": 0.0, "UPEP": 0.0, "SIFE": "NEGATIVE", "UIFE": "NEGATIVE", "BMPC": 1.0}
    bl = {"SPEP": 2.0, "UPEP": 10.0, "day": -7}
    hs = [
        history("A", [dict(bl), {**cr, "day": 28}, {**cr, "day": 56}, {**cr, "day": 84}]),
        history(
            "B",
            [
                dict(bl),
                {"SPEP": 0.9, "day": 28},
                {"SPEP": 0.9, "day": 56},
                {"SPEP": 1.5, "day": 84},
                {"SPEP": 1.6, "day": 112},
            ],
        ),
        history("C", [dict(bl), {"SPEP": 1.9, "day": 28}, {"SPEP": 1.9, "day": 56}]),
    ]
    subjects = pd.DataFrame(
        {
            "USUBJID": ["A", "B", "C", "D"],
            "DOSE": ["DL1", "DL1", "DL2", "DL2"],
            "APHDT": [APH] * 4,
            "INFDT": [D0, D0, D0, pd.NaT],  # D apheresed, never infused
            "DTHDT": [pd.NaT, pd.NaT, D0 + pd.Timedelta(days=70), pd.NaT],
            "LSTALVDT": [D0 + pd.Timedelta(days=d) for d in (200, 150, 70, 10)],
            "NACTDT": [pd.NaT] * 4,
        }
    )
    mrd = pd.DataFrame(
        {
            "USUBJID": ["A"],
            "ADT": [D0 + pd.Timedelta(days=28)],
            "AVISIT": ["DAY 28"],
            "MRDRES": ["NEGATIVE"],
            "MRDSENS": [1e-5],
        }
    )
    return frame(*hs), subjects, mrd


def test_endpoint_tables():
    assess, subjects, mrd = _cohort()
    imwg = derive_imwg_response(assess, subjects=subjects)
    res = efficacy_endpoints(imwg, subjects, mrd=mrd, by="DOSE", schedule_days=[28, 56, 84, 112])
    assert imwg.subjects.set_index("USUBJID")["BOR"].to_dict() == {
        "A": "CR",
        "B": "PR",
        "C": "SD",
        "D": "NE",
    }
    r = res.rates.set_index(["group", "endpoint"])
    assert r.loc[("Overall", "ORR"), ["n", "N"]].tolist() == [2, 4]
    assert r.loc[("DL2", "ORR"), ["n", "N"]].tolist() == [0, 2]
    m = res.mrd
    reg = m[(m.group == "Overall") & (m.timepoint == "Any time") & (m.endpoint == "MRDNEG")]
    assert reg.set_index("population").loc["VGPR or better (registration)", "n"] == 1
    # PFS from apheresis: A censored day 84, B event day 84 (PR, PR, PD, PD), C death day 70,
    # D no assessment -> censored at origin (day 1)
    pfs = res.tte[res.tte.PARAMCD == "PFS"].set_index("USUBJID")
    assert pfs["CNSR"].to_dict() == {"A": 1, "B": 0, "C": 0, "D": 1}
    assert pfs.loc["D", "AVAL"] == 1
    s = res.tte_summary.set_index(["group", "endpoint"])
    km = kaplan_meier(pfs["AVAL"] / 30.4375, pfs["CNSR"].eq(0), ci_transform="log-log")
    assert_allclose(s.loc[("Overall", "PFS"), "median"], km.median)
    assert s.loc[("Overall", "PFS"), "events"] == 2
    assert "log-log" in s.loc[("Overall", "PFS"), "method"]
    assert set(res.landmarks["month"]) == {6.0, 12.0}
    nar = res.at_risk.query("endpoint == 'PFS' and group == 'Overall'")
    assert nar["n_risk"].iloc[0] == 4 and nar["month"].iloc[0] == 0.0
    assert nar["n_risk"].is_monotonic_decreasing
    assert any("apheresis" in f for f in res.footnotes)
    assert s.loc[("Overall", "TTR"), "N"] == 2  # A and B, both confirmed from day 28
    assert_allclose(s.loc[("Overall", "TTR"), "median"], (31 + 28 + 1) / 30.4375)


def test_infused_population_option_drops_never_infused():
    assess, subjects, mrd = _cohort()
    imwg = derive_imwg_response(assess, subjects=subjects)
    res = efficacy_endpoints(imwg, subjects, settings=EndpointSettings(time_origin="infusion"))
    assert "D" not in set(res.tte["USUBJID"])
    assert np.all(res.tte.loc[res.tte.PARAMCD == "OS", "STARTDT"] == D0)
