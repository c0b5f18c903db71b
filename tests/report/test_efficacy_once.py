"""The disease assessments and the MRD input derived once per ``analyze`` run (issue #18).

The efficacy engine (:func:`cartrial.efficacy.study_run.efficacy_run`) hands back the LB MRD
frame it derived, and the ADaM build (ADRS's MRD records) takes it instead of deriving it from
the same LB again. Regression tests: the frames the readers get now are compared with those
the replaced path derived (``mrd_from_sdtm`` of the study's LB, ``efficacy_from_study``); the
call counts are facts about the code, not about numbers (the clinical rules behind the frames
are tested against IMWG 2016 in tests/efficacy).
"""

from __future__ import annotations

import sys
from collections import Counter
from datetime import datetime

import pandas as pd
import pytest

import cartrial.adam.build as adam_build
import cartrial.efficacy.sdtm as sdtm
import cartrial.efficacy.study_run as study_run
import cartrial.report.background as background
import cartrial.report.staged_adam as staged_adam
from cartrial.data import load_study
from cartrial.example import simulate_trial, write_example
from cartrial.protocol import load_protocol
from cartrial.report.pipeline import run_analysis

P = load_protocol("ct071")
pytestmark = pytest.mark.slow


class _Stop(Exception):
    """Raised where the run would start writing its files (the derivations are all done)."""


@pytest.fixture(scope="module")
def sdtm_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("once") / "sdtm"
    write_example(simulate_trial(P, seed=20240228), root)
    return root


def test_engine_run_hands_back_the_mrd_frame_mrd_from_sdtm_gives(sdtm_dir):
    """Regression: efficacy_run's results equal efficacy_from_study's, and its MRD frame
    equals mrd_from_sdtm of the study's LB (what run_analysis derived before)."""
    study = load_study(sdtm_dir)
    run = study_run.efficacy_run(study, P, summaries=False)
    result, imwg, conc = sdtm.efficacy_from_study(study, P, summaries=False)
    assert conc is None and run.concordance is None
    pd.testing.assert_frame_equal(run.imwg.assessments, imwg.assessments)
    pd.testing.assert_frame_equal(run.imwg.subjects, imwg.subjects)
    pd.testing.assert_frame_equal(run.result.tte, result.tte)
    pd.testing.assert_frame_equal(run.mrd, sdtm.mrd_from_sdtm(study["LB"]))
    assert len(run.mrd)  # the example has MRD records, so the comparison is not vacuous


def test_one_analyze_run_derives_the_mrd_and_the_engines_assessments_once(
        sdtm_dir, tmp_path, monkeypatch):
    """Count the derivations in one run (no forked processes, so every call is seen): MRD
    once, the whole study's disease assessments once (the engine); the other readers call
    on other inputs (ADSL BRDGRSP: pre-lymphodepletion records against the screening date;
    14.6's patients: the escalation subjects against their infusion dates), so they stay."""
    monkeypatch.setattr(background, "can_fork", lambda: False)
    monkeypatch.setattr(staged_adam, "can_fork", lambda: False)
    calls: dict[str, Counter] = {"mrd": Counter(), "assess": Counter()}
    made: list[pd.DataFrame] = []

    def counted(kind, fn):
        def wrapper(*args, **kwargs):
            calls[kind][sys._getframe(1).f_globals["__name__"]] += 1
            out = fn(*args, **kwargs)
            if kind == "mrd":
                made.append(out)
            return out
        return wrapper

    mrd = counted("mrd", sdtm.mrd_from_sdtm)
    assess = counted("assess", sdtm.disease_assessments_from_sdtm)
    for mod in (sdtm, study_run):
        monkeypatch.setattr(mod, "mrd_from_sdtm", mrd)
        monkeypatch.setattr(mod, "disease_assessments_from_sdtm", assess)
    given = {}
    build = adam_build.build_adam

    def build_adam(*args, **kwargs):
        given["mrd"] = kwargs.get("mrd")
        return build(*args, **kwargs)

    def stop(*args, **kwargs):
        raise _Stop

    monkeypatch.setattr(adam_build, "build_adam", build_adam)
    monkeypatch.setattr(staged_adam, "stage_datasets", stop)
    with pytest.raises(_Stop):
        run_analysis(sdtm_dir, "ct071", tmp_path / "out", run_date=datetime(2026, 1, 1))
    assert sum(calls["mrd"].values()) == 1, calls["mrd"]
    assert given["mrd"] is made[0]  # ADRS reads the engine's frame
    assert calls["assess"]["cartrial.efficacy.study_run"] == 1, calls["assess"]
    assert set(calls["assess"]) <= {"cartrial.efficacy.study_run", "cartrial.adam.adsl_bridging",
                                    "cartrial.conduct.dose_efficacy"}, calls["assess"]
    assert max(calls["assess"].values()) == 1, calls["assess"]
