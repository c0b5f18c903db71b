"""Response rates by dose level and overall (IMWG 2016 categories; Clopper & Pearson, Biometrika
1934)."""

from __future__ import annotations

import pandas as pd
from numpy.testing import assert_allclose

from cartrial.efficacy import response_rates


def test_response_rates_by_dose_and_overall():
    # 10 patients as at the CT071 EHA 2024 cut-off: sCR 5, VGPR 2, PR 2, one non-responder
    bor = pd.DataFrame(
        {
            "USUBJID": [f"P{i}" for i in range(10)],
            "BOR": ["sCR"] * 5 + ["VGPR"] * 2 + ["PR"] * 2 + ["MR"],
            "DOSE": ["DL1"] * 7 + ["DL2"] * 3,
        }
    )
    t = response_rates(bor, by="DOSE").set_index(["group", "endpoint"])
    assert t.loc[("Overall", "ORR"), ["n", "N"]].tolist() == [9, 10]  # ORR 90 %
    assert t.loc[("Overall", "VGPRPLUS"), "n"] == 7
    assert t.loc[("Overall", "CRPLUS"), "n"] == 5
    assert t.loc[("Overall", "MR"), "n"] == 1  # MR is not a response
    assert t.loc[("DL2", "ORR"), ["n", "N"]].tolist() == [2, 3]
    # exact CI for 5/10 (reference table, section 7)
    assert_allclose(
        t.loc[("Overall", "CRPLUS"), ["ci_low", "ci_high"]].astype(float),
        [0.187086, 0.812914],
        atol=5e-7,
    )
    assert "Clopper-Pearson" in t["method"].iloc[0]
    assert list(t.index.get_level_values(0).unique()) == ["DL1", "DL2", "Overall"]
