"""The kinetics engine's SDTM adapters (``cartrial.kinetics.sdtm``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cartrial.errors import RecordError
from cartrial.kinetics._records import timed
from cartrial.kinetics.sdtm import PC_VARIABLES, cytokine_data, cytokine_records, pc_profiles


def _lb() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 40
    return pd.DataFrame({
        "USUBJID": rng.choice(["01", "02", "03"], n), "LBSEQ": np.arange(1, n + 1),
        "LBTESTCD": rng.choice(["IL6", "IL10", "HGB", "TNFA"], n),
        "LBDTC": [f"2026-01-{d:02d}" for d in rng.integers(2, 28, n)],
        "LBSTRESN": np.where(rng.random(n) < 0.2, np.nan, rng.gamma(2.0, 20.0, n).round(1)),
        "LBSTRESC": np.where(rng.random(n) < 0.5, "<2", ""),
        "LBSTAT": np.where(rng.random(n) < 0.1, "NOT DONE", ""),
    }, index=np.arange(100, 100 + n))


def test_records_read_for_the_cytokines_give_the_records_of_the_whole_lb() -> None:
    """Regression: the records ``cytokine_records`` reads (all kept, used as they are, not
    copied again) give what the whole LB gives (the records selected and copied)."""
    inf = pd.DataFrame({"USUBJID": ["01", "02"], "INFDT": pd.to_datetime(["2026-01-05"] * 2)})
    lb = _lb()
    read = cytokine_records({"LB": lb})
    assert set(read["LBTESTCD"]) == {"IL6", "IL10", "TNFA"}
    want = cytokine_data(lb, inf)
    got = cytokine_data(read, inf)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert got.attrs == want.attrs
    pd.testing.assert_frame_equal(read, cytokine_records({"LB": lb}))  # the input unchanged


def test_blq_text_is_read_only_where_the_number_is_missing() -> None:
    """A number with "<2" text beside it is the number (LBSTRESN is the standard result,
    SDTMIG 3.4 6.3.5.3); a missing number with "<2" (in LBSTRESC, else LBORRES) is below
    quantification; a missing number with other text is refused, naming the record."""
    inf = pd.DataFrame({"USUBJID": ["01"], "INFDT": pd.to_datetime(["2026-01-05"])})
    lb = pd.DataFrame({"USUBJID": "01", "LBSEQ": [1, 2, 3], "LBTESTCD": "IL6",
                       "LBDTC": ["2026-01-06", "2026-01-07", "2026-01-08"],
                       "LBSTRESN": [40.0, np.nan, np.nan], "LBSTRESC": ["<2", None, "<2"],
                       "LBORRES": ["40", " <2 ", "x"]})
    got = cytokine_data(lb, inf)
    assert got["blq"].tolist() == [False, True, True]
    assert got["value"].tolist()[0] == 40.0
    lb.loc[2, "LBSTRESC"] = "n/a"
    with pytest.raises(RecordError, match="neither a number") as e:
        cytokine_data(lb, inf)
    assert e.value.finding.seq == 3


def test_pc_profiles_copy_only_the_records_and_variables_read() -> None:
    """NOT DONE samples and samples of subjects never infused are counted and left out; the
    variables pc_profiles does not read are not in what it works on; PC is not changed."""
    inf = pd.DataFrame({"USUBJID": ["01"], "INFDT": pd.to_datetime(["2026-01-05"])})
    pc = pd.DataFrame({"USUBJID": ["01", "01", "02", "01"], "PCSEQ": [1, 2, 1, 3],
                       "PCTESTCD": "CARTRNSG", "PCTEST": "transgene", "VISIT": "DAY 7",
                       "PCDTC": ["2026-01-05", "2026-01-12", "2026-01-12", "2026-01-19"],
                       "PCSTRESN": [np.nan, 5200.0, 10.0, np.nan],
                       "PCSTRESC": ["<10", "5200", "10", ""], "PCLLOQ": 10.0,
                       "PCSTAT": ["", "", "", "NOT DONE"]}, index=[5, 6, 7, 8])
    before = pc.copy()
    out = pc_profiles(pc, inf)
    assert out["PCSEQ"].tolist() == [1, 2] and out["blq"].tolist() == [True, False]
    assert out.attrs["excluded"] == {"not_done": 1, "not_infused": 1}
    df, _ = timed(pc, "PC", "PCDTC", inf, PC_VARIABLES)
    assert "VISIT" not in df and list(df.index) == [0, 1] and df.columns[-1] == "time_days"
    pd.testing.assert_frame_equal(pc, before)
