"""The patient page and the workspace's patient frames read LB for that patient only (issue
#18: a large LB is not read whole for one page).

Regression tests: the patient's LB records and cytokines read that way against the records
taken from the whole domain (the path they replace), for every patient of the example."""

from __future__ import annotations

import pandas as pd
import pytest

from cartrial.data import write_study
from cartrial.example import simulate_trial
from cartrial.protocol import load_protocol

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    from cartrial.committee.workspace import build_workspace

    root = tmp_path_factory.mktemp("patient_view")
    write_study(simulate_trial(load_protocol("ct071"), n_patients=6).domains, root)
    return build_workspace("ct071", root)


def _whole(lb: pd.DataFrame, usubjid: str) -> pd.DataFrame:
    return lb[lb["USUBJID"].astype(str) == usubjid].reset_index(drop=True)


def test_the_patients_lb_records_are_those_of_the_whole_domain(ws):
    from cartrial.committee.patient_view import _lb_rows

    lb = ws.study_domains["LB"]
    ids = sorted(set(lb["USUBJID"].astype(str)))
    assert ids
    for u in ids + ["NOBODY"]:
        pd.testing.assert_frame_equal(_lb_rows(ws, u), _whole(lb, u))


def test_the_workspace_patients_cytokines_are_those_of_the_whole_domain(ws):
    lb = ws.study_domains["LB"]
    for u in sorted(set(lb["USUBJID"].astype(str))):
        mine = _whole(lb, u)
        pd.testing.assert_frame_equal(ws.patient(u)["cytokines"],
                                      mine[mine["LBCAT"] == "CYTOKINES"])
