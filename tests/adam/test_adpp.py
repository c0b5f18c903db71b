"""ADPC, ADPP and ADCYT built with fewer copies (issue #18: memory) equal the datasets of the
paths they replace, on the example trial and a generated 300-patient trial.

Regression test: the reference is this code with the replaced paths put back (the texts
derived row by row, ``with_subject`` copying and sorting the whole frame as it did)."""

from __future__ import annotations

import pandas as pd
import pytest

from cartrial.adam import adcyt, adpc, adpp
from cartrial.adam.adcyt import derive_adcyt
from cartrial.adam.adpc import derive_adpc
from cartrial.adam.adpp import derive_adpp
from cartrial.kinetics.analysis import analyse_kinetics
from cartrial.protocol import load_protocol

P = load_protocol("ct071")


def _old_with_subject(out: pd.DataFrame, adsl: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """``with_subject`` as it was (before issue #18's memory work)."""
    sl = adsl.set_index("USUBJID")
    out = out.copy()
    out.insert(0, "STUDYID", out["USUBJID"].map(sl["STUDYID"]))
    out["TRT01A"] = out["USUBJID"].map(sl["TRT01A"])
    out["TRT01AN"] = out["USUBJID"].map(sl["TRT01AN"])
    out = out.drop(columns=[c for c in ("DOSELVL",) if c in out.columns])
    out = out.sort_values(["USUBJID", *keys], kind="stable").reset_index(drop=True)
    out["ASEQ"] = out.groupby("USUBJID").cumcount() + 1
    front = ["STUDYID", "USUBJID", "ASEQ", "TRT01A", "TRT01AN", "PARCAT1", "PARCAT2", "PARAMCD",
             "PARAM", "AVAL", "AVALU"]
    front = [c for c in front if c in out.columns]
    return out[front + [c for c in out.columns if c not in front]]


def _row_by_row(derive, *columns):
    return derive(*columns)


@pytest.fixture(scope="module", params=[None, 300], ids=["example", "300-patients"])
def inputs(request, tmp_path_factory):
    from cartrial.adam.adsl import derive_adsl
    from cartrial.data import load_study
    from cartrial.example import simulate_trial, write_example

    root = tmp_path_factory.mktemp("adpp")
    write_example(simulate_trial(P, n_patients=request.param), root)
    study = load_study(root)  # as analyze reads it (text as pandas' Python strings)
    kin = analyse_kinetics(study, P, summaries=False)
    return study, kin, derive_adsl(study, P)


def _both(monkeypatch, make):
    new = make()
    with monkeypatch.context() as m:
        for mod in (adpc, adpp, adcyt):
            m.setattr(mod, "per_distinct", _row_by_row)
            m.setattr(mod, "with_subject", _old_with_subject)
        old = make()
    return new, old


@pytest.mark.parametrize("name", ["ADPC", "ADPP", "ADCYT"])
def test_datasets_equal_those_of_the_replaced_paths(inputs, monkeypatch, name):
    study, kin, adsl = inputs
    make = {"ADPC": lambda: derive_adpc(study["PC"], adsl),
            "ADPP": lambda: derive_adpp(kin.nca, adsl),
            "ADCYT": lambda: derive_adcyt(kin.cytokines, adsl)}[name]
    new, old = _both(monkeypatch, make)
    assert len(new) > 100
    pd.testing.assert_frame_equal(new, old, check_exact=True)
    assert [type(v) for v in new.to_numpy().ravel()] == [type(v) for v in old.to_numpy().ravel()]


def test_with_subject_leaves_the_callers_frame_alone():
    out = pd.DataFrame({"USUBJID": ["S2", "S1"], "PARCAT1": "X", "DOSELVL": ["DL1", "DL1"]})
    adsl = pd.DataFrame({"USUBJID": ["S1", "S2"], "STUDYID": "CT", "TRT01A": "DL1",
                         "TRT01AN": 1})
    before = out.copy()
    got = adpp.with_subject(out, adsl, ["PARCAT1"])
    pd.testing.assert_frame_equal(out, before)
    assert got["USUBJID"].tolist() == ["S1", "S2"] and got.index.equals(pd.RangeIndex(2))
