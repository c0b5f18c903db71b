"""Table 14.2.3's footnote names who is counted for DLT at another level than received, read
from the example's data (ADSL TRT01A vs the DLT adjudication) and checked against its truth
(truth/exposure.csv, which the pipeline never reads)."""

from __future__ import annotations

import pandas as pd

from tests.report._pipeline import analysed


def test_the_out_of_specification_patient_is_named_in_the_dlt_table(tmp_path_factory) -> None:
    s = analysed(tmp_path_factory)
    truth = pd.read_csv(s.out.parent / "sdtm" / "truth" / "exposure.csv", dtype=str)
    moved = truth[truth["received_dose_level"].notna()
                  & (truth["received_dose_level"] != truth["counted_dose_level"])]
    assert len(moved) >= 1  # the example writes one product out of specification per trial
    flat = " ".join((s.out / "tables" / "table_14_2_3.txt").read_text(encoding="utf-8").split())
    assert "Counted for DLT at the assigned dose level" in flat and "Listing 16.2.6" in flat
    for r in moved.itertuples(index=False):
        assert (f"{r.USUBJID}: received {r.received_dose_level}, counted at "
                f"{r.counted_dose_level}") in flat
