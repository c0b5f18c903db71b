"""BRDGRSP from the bridged subjects' disease records only (issue #18: memory): the same as
from every subject's (regression test: the read of every subject's records is the reference),
on the example trial with identifiers spelled apart (case, blanks) in LB."""

from __future__ import annotations

import pandas as pd

import cartrial.adam.adsl_bridging as bridging
from cartrial.adam.adsl import derive_adsl
from cartrial.data import Study, load_study
from cartrial.protocol import load_protocol
from cartrial.study_reads import read_frame


def test_bridged_subjects_records_give_the_same_brdgrsp(tmp_path, monkeypatch):
    from cartrial.example import simulate_trial, write_example

    p = load_protocol("ct071")
    write_example(simulate_trial(p), tmp_path)
    study = load_study(tmp_path)
    adsl = derive_adsl(study, p)
    bridged = adsl.loc[adsl["BRIDGFL"] == "Y", "USUBJID"].tolist()
    assert bridged and (adsl["BRDGRSP"] != "").any()
    lb = study["LB"].copy()  # one bridged subject's records spelled apart: not theirs
    lb["USUBJID"] = lb["USUBJID"].mask(lb["USUBJID"] == bridged[0], " " + bridged[0].lower())
    spelled = Study({**{k: study[k] for k in study.domains}, "LB": lb})
    got = bridging.derive_var_brdgrsp(adsl, spelled)

    def every_subject(st, name, columns, where):
        return read_frame(st, name, columns, {k: v for k, v in where.items() if k != "USUBJID"})

    monkeypatch.setattr(bridging, "read_frame", every_subject)
    pd.testing.assert_frame_equal(got, bridging.derive_var_brdgrsp(adsl, spelled),
                                  check_exact=True)
    pd.testing.assert_frame_equal(bridging.derive_var_brdgrsp(adsl, study), adsl,
                                  check_exact=True)
