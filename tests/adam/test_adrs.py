"""ADRS read from the IMWG assessments' post-baseline records of the variables it reads and put
in column order without a copy (issue #18: memory): the same dataset as from the whole frame
(regression test: the whole-frame selection it replaces is the reference), on the example
trial."""

from __future__ import annotations

import pandas as pd

import cartrial.adam.adrs as adrs
from cartrial.adam.adsl import derive_adsl
from cartrial.data import load_study
from cartrial.efficacy.sdtm import efficacy_from_study, mrd_from_sdtm
from cartrial.protocol import load_protocol


def test_adrs_equals_adrs_from_the_whole_assessments(tmp_path, monkeypatch):
    from cartrial.example import simulate_trial, write_example

    p = load_protocol("ct071")
    write_example(simulate_trial(p, seed=20240228), tmp_path)
    study = load_study(tmp_path)
    _, imwg, _ = efficacy_from_study(study, p)
    adsl = derive_adsl(study, p)

    def derive():
        return adrs.derive_adrs(imwg, adsl, rs=study.get("RS"), mrd=mrd_from_sdtm(study["LB"]),
                                mrd_sensitivity=p.endpoints.mrd_sensitivity)

    got = derive()
    monkeypatch.setattr(adrs, "take_rows",  # every variable, then the index reset (before)
                        lambda df, keep, columns: df[keep].reset_index(drop=True))
    want = derive()
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert list(got.dtypes) == list(want.dtypes) and len(got) > 0
