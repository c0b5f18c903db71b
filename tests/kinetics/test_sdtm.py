"""The kinetics engine's SDTM adapters (``cartrial.kinetics.sdtm``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.kinetics.sdtm import cytokine_data, cytokine_records


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
