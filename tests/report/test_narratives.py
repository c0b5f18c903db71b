"""Narratives of deaths, DLTs and serious adverse events (ICH E3 section 12.3.2), checked on the
example against the simulator's truth (``sdtm/truth``: DLT rule, death date), which the
pipeline never reads."""

from __future__ import annotations

import pandas as pd

from cartrial.protocol import load_protocol
from tests.report._pipeline import analysed


def test_every_death_dlt_and_sae_has_a_narrative(tmp_path_factory) -> None:
    s = analysed(tmp_path_factory)
    sdtm = s.out.parent / "sdtm"
    nar = pd.read_csv(s.out / "tables" / "listing_16_2_5.csv", index_col=0, dtype=str)
    text = dict(zip(nar["Subject"], nar["Narrative"], strict=True))
    truth = pd.read_csv(sdtm / "truth" / "subjects.csv")
    dead = truth[truth["death_dtc"].notna() & truth["infusion_dtc"].notna()]
    assert len(dead) > 0
    for r in dead.itertuples(index=False):
        day = (pd.Timestamp(r.death_dtc) - pd.Timestamp(r.infusion_dtc)).days
        assert f"died on day {day} after infusion" in text[r.USUBJID]
    dlt = pd.read_csv(sdtm / "truth" / "dlt.csv")
    dlt = dlt[dlt["dlt"] == "Y"]
    assert len(dlt) == 2
    words = load_protocol("ct071").dlt.criteria()   # the criterion in the protocol's words
    for r in dlt.itertuples(index=False):
        assert f"(DLT criterion: {words[r.rule]})" in text[r.USUBJID]
        assert r.rule not in text[r.USUBJID]
        assert "DLT" in nar.set_index("Subject").loc[r.USUBJID, "Narrated for"]
    ae = pd.read_csv(sdtm / "ae.csv", dtype=str)
    assert set(ae.loc[ae["AESER"] == "Y", "USUBJID"]) <= set(text)
    assert all(t.endswith(".") and "; Serious" not in t for t in text.values())
