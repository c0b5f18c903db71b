"""The example trial conducted with BOIN12 (scenario ``boin12``, issue #20) against its truth.

Outside references: ``truth/responses.csv`` holds the IMWG category of every written assessment
by the example's own small IMWG implementation (``example.disease.imwg_category``, Kumar S et
al., Lancet Oncol 2016), and ``truth/dlt.csv`` the date each true DLT's rule is met. From these
alone each decision's inputs are rebuilt and the BOIN12 engine (checked against the authors' R
code in tests/design/test_boin12_reference.py) must give the conduct's decision. Then
``cartrial decide --history`` re-derives the whole history from the written SDTM only (safety
engine's DLT adjudication, efficacy engine's IMWG responses): it must equal
``truth/escalation.csv`` row for row.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd
import pytest

from cartrial.conduct import decide_study, escalation_history
from cartrial.data import load_study, validate_study
from cartrial.design import PendingPatient, TrialState
from cartrial.design.boin12 import boin12_from_spec
from cartrial.example import simulate_trial, write_example
from cartrial.example.sdtm import csv_text
from cartrial.example.trial import conducted_protocol
from cartrial.protocol import load_protocol
from tests._scratch import scratch_dir

RESPONDED = ("sCR", "CR", "VGPR", "PR")
SEEDS = (20240228, pytest.param(1, marks=pytest.mark.long))


@cache
def example(seed: int):
    """(folder, trial, conducted protocol) of the BOIN12 example with ``seed``."""
    out = scratch_dir(prefix=f"cartrial-boin12-{seed}-")
    t = simulate_trial(load_protocol("ct071"), seed=seed, scenario="boin12")
    write_example(t, out)
    return out, t, load_protocol(out / "protocol.yaml")


def _outcomes(t, proto) -> pd.DataFrame:
    """Per escalation patient from the truth tables: infusion, dose, DLT known date, efficacy
    outcome and the date it is known (response: the visit showing PR or better by day
    by_day + window_days; none: the day after that window closes)."""
    e = proto.design.efficacy
    end = e.by_day + e.window_days
    dlt = t.truth["dlt"]
    dm = t.domains["DM"].set_index("USUBJID")
    esc = dlt[dlt["phase"] == "ESCALATION"].copy()
    esc["INF"] = pd.to_datetime(esc["USUBJID"].map(dm["RFSTDTC"]))
    esc["MET"] = pd.to_datetime(esc["dlt_met_dtc"].replace("", None))
    r = t.truth["responses"]
    hit = r[r["response"].isin(RESPONDED) & (r["day"] <= end)].groupby("USUBJID")["dtc"].min()
    esc["RESP"] = esc["USUBJID"].isin(hit.index)
    esc["KNOWN"] = np.where(esc["RESP"], pd.to_datetime(esc["USUBJID"].map(hit)),
                            esc["INF"] + pd.Timedelta(days=end + 1))
    return esc


def test_the_scenario_is_conducted_with_boin12_and_its_protocol_written():
    out, t, proto = example(20240228)
    assert proto.design.name == "boin12" and proto.design.boin12.phi_e == 0.40
    assert proto == conducted_protocol(load_protocol("ct071"), "boin12")
    assert "BOIN12" in " ".join(t.history["reason"])
    assert "suspend" in set(t.history["action"])  # outcomes pending at the DLT-window look


def test_the_boin12_example_validates_against_its_protocol():
    out, _, proto = example(20240228)
    report = validate_study(load_study(out), proto)
    assert report.findings.empty, report.findings.head(10).to_string()


def test_the_response_truth_follows_the_scenario_draws():
    """Each escalation patient's truth outcome (from the written labs, truth/responses.csv)
    is the one the conduct drew: responders are those with u < eff_prob at the dose received."""
    from cartrial.example.trial import _prepare

    _, t, proto = example(20240228)
    _, _, _, enr = _prepare(load_protocol("ct071"), 20240228, None, "boin12")
    esc = _outcomes(t, proto).set_index("USUBJID")
    infused = ~np.isnat(enr.infusion) & (enr.cohort > 0)
    drawn = enr.efficacy.u[enr.pool_index[infused]] < enr.efficacy.p_eff[enr.received[infused]]
    assert esc["RESP"].tolist() == drawn.tolist()
    assert 0 < drawn.sum() < len(drawn)


@pytest.mark.parametrize("seed", SEEDS)
def test_each_boin12_decision_is_the_engines_on_the_truth_of_that_date(seed):
    _, t, proto = example(seed)
    design = boin12_from_spec(proto.design, len(proto.dose_levels))
    esc = _outcomes(t, proto)
    ids = proto.dose_ids
    h = t.history
    elim: tuple[int, ...] = ()
    for row in h[~h["action"].isin(["select"])].itertuples(index=False):
        day = pd.Timestamp(row.date)
        seen = esc[esc["INF"] <= day]
        dlt_known = seen["MET"] <= day
        pend = (seen["KNOWN"] > day) | (~dlt_known & ((day - seen["INF"]).dt.days < 28))
        n = [int((seen["dose"] == d).sum()) for d in ids]
        y = [int(((seen["dose"] == d) & dlt_known & ~pend).sum()) for d in ids]
        resp = [int(((seen["dose"] == d) & seen["RESP"] & ~pend).sum()) for d in ids]
        assert n == [getattr(row, f"n_{d}") for d in ids]
        assert y == [getattr(row, f"dlt_{d}") for d in ids]
        assert [int(((seen["dose"] == d) & pend).sum()) for d in ids] == [
            getattr(row, f"pending_{d}") for d in ids]
        pending = tuple(PendingPatient(ids.index(r.dose), float((day - r.INF).days))
                        for r in seen[pend].itertuples())
        state = TrialState(n=tuple(n), y=tuple(y), current=ids.index(row.current_dose),
                           pending=pending, dlt_window=28.0, eliminated=elim,
                           responses=tuple(resp))
        dec = design.decide(state)
        assert (dec.action, dec.rule) == (row.action, row.rule)
        assert (ids[dec.next_dose] if dec.next_dose is not None else "") == row.next_dose
        elim = dec.eliminated
    # the OBD on complete data
    sel = h.iloc[-1]
    n = [int((esc["dose"] == d).sum()) for d in ids]
    final = TrialState(n=tuple(n), y=tuple(int(((esc["dose"] == d) & esc["MET"].notna()).sum())
                                            for d in ids),
                       responses=tuple(int(((esc["dose"] == d) & esc["RESP"]).sum())
                                       for d in ids), current=ids.index(sel.current_dose),
                       eliminated=elim)
    obd = design.select(final)
    assert sel["action"] == "select"
    assert sel["next_dose"] == ("" if obd.obd is None else ids[obd.obd])
    assert sel["reason"] == obd.reason


def test_suspended_decisions_are_retaken_the_day_after_an_input_changes():
    """Every decision after a SUSPEND is dated the day after a DLT or an efficacy outcome
    became known or a DLT window closed (issue #20 point 2): here at least one is a response
    or an efficacy window closing, which a DLT-only history would not look at."""
    _, t, proto = example(20240228)
    esc = _outcomes(t, proto)
    h = t.history
    after = pd.to_datetime(h["date"][h["action"].shift(1).eq("suspend")]) - pd.Timedelta(days=1)
    eff = set(esc["KNOWN"])
    dlt = set(esc["MET"].dropna()) | set(esc["INF"] + pd.Timedelta(days=28))
    assert len(after) and all(d in eff | dlt for d in after)
    assert any(d in eff and d not in dlt for d in after)


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_history_rederived_from_the_sdtm_equals_the_truth(seed):
    out, _, proto = example(seed)
    truth_text = (out / "truth" / "escalation.csv").read_text()
    truth = pd.read_csv(out / "truth" / "escalation.csv", keep_default_na=False)
    h = escalation_history(load_study(out), proto)
    assert csv_text(h[list(truth.columns)]) == truth_text
    enrol = h[h["action"].isin(["stay", "escalate", "de-escalate"]) & h["recorded_dose"].notna()]
    assert (enrol["recorded_dose"] == enrol["next_dose"]).all()


@pytest.mark.long
def test_decide_as_of_each_truth_date_gives_the_truth_action():
    """`cartrial decide --as-of DATE` (one cut-off, no history) at every truth date."""
    out, _, proto = example(20240228)
    study = load_study(out)
    truth = pd.read_csv(out / "truth" / "escalation.csv", keep_default_na=False)
    stop_date = truth.loc[truth["action"] == "stop", "date"].iloc[0]
    for r in truth.itertuples(index=False):
        res = decide_study(study, proto, r.date)
        d = res.recommendation.decision
        if r.action in ("stop", "select"):
            assert str(res.stopped_on) == stop_date, r
            if r.action == "select":
                assert res.selected == r.next_dose  # the OBD
        else:
            nxt = proto.dose_ids[d.next_dose] if d.next_dose is not None else ""
            assert (d.action, nxt, d.rule) == (r.action, r.next_dose, r.rule), r
