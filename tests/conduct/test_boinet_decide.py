"""A BOIN-ET trial conducted from the data (issue #20 points 2 and 4): the example trial on the
bundled protocol ct071_boinet (scenario ``boin-et``) against its truth.

Outside references: ``truth/responses.csv`` (the example's own IMWG categories of every written
assessment, Kumar S et al., Lancet Oncol 2016) and ``truth/dlt.csv`` (the date each true DLT's
rule is met). From these alone each decision's inputs are rebuilt and the BOIN-ET engine
(checked against boinet 1.5.0's decisions in tests/design/test_boinet.py) must give the
conduct's decision; ``cartrial decide`` re-derives the history from the written SDTM only (the
safety engine's DLTs, the efficacy engine's responses) and must equal ``truth/escalation.csv``.
The scenario's truth: DL2 responds more (0.75 vs 0.40) with DLT probability 0.20 < 0.30, so the
OBD by max-effprob is DL2.
"""

from __future__ import annotations

import json
from functools import cache

import numpy as np
import pandas as pd
from scipy.stats import beta
from typer.testing import CliRunner

from cartrial.cli.main import app
from cartrial.conduct import decide_study, escalation_history
from cartrial.data import load_study, validate_study
from cartrial.design import PendingPatient, TrialState
from cartrial.design.boinet import boinet_from_spec
from cartrial.example import simulate_trial, write_example
from cartrial.example.sdtm import csv_text
from cartrial.example.trial import conducted_protocol
from cartrial.protocol import load_protocol
from cartrial.report.recommended_dose import selection_table
from tests._scratch import scratch_dir
from tests.example.test_boin12_scenario import _outcomes

SEED = 20240228


@cache
def example():
    """(folder, trial, conducted protocol) of the BOIN-ET example."""
    out = scratch_dir(prefix="cartrial-boinet-")
    t = simulate_trial(load_protocol("ct071_boinet"), seed=SEED, scenario="boin-et")
    write_example(t, out)
    return out, t, load_protocol(out / "protocol.yaml")


def test_conducted_with_the_bundled_protocol():
    out, t, proto = example()
    assert proto == load_protocol("ct071_boinet")
    assert proto == conducted_protocol(load_protocol("ct071"), "boin-et")
    assert "BOIN-ET" in " ".join(t.history["reason"])
    assert "suspend" in set(t.history["action"])  # outcomes pending at the DLT-window look
    report = validate_study(load_study(out), proto)
    assert report.findings.empty, report.findings.head(10).to_string()


def test_each_decision_is_the_engines_on_the_truth_of_that_date():
    _, t, proto = example()
    design = boinet_from_spec(proto.design, len(proto.dose_levels))
    esc = _outcomes(t, proto)
    ids = proto.dose_ids
    h = t.history
    for row in h[h["action"] != "select"].itertuples(index=False):
        day = pd.Timestamp(row.date)
        seen = esc[esc["INF"] <= day]
        dlt_known = seen["MET"] <= day
        pend = (seen["KNOWN"] > day) | (~dlt_known & ((day - seen["INF"]).dt.days < 28))
        at = [seen["dose"] == d for d in ids]
        assert [int(a.sum()) for a in at] == [getattr(row, f"n_{d}") for d in ids]
        assert [int((a & dlt_known & ~pend).sum()) for a in at] == [
            getattr(row, f"dlt_{d}") for d in ids]
        pending = tuple(PendingPatient(ids.index(r.dose), float((day - r.INF).days))
                        for r in seen[pend].itertuples())
        state = TrialState(n=tuple(int(a.sum()) for a in at),
                           y=tuple(int((a & dlt_known & ~pend).sum()) for a in at),
                           current=ids.index(row.current_dose), pending=pending,
                           dlt_window=28.0,
                           responses=tuple(int((a & seen["RESP"] & ~pend).sum()) for a in at))
        dec = design.decide(state)
        assert (dec.action, dec.rule) == (row.action, row.rule)
        assert (ids[dec.next_dose] if dec.next_dose is not None else "") == row.next_dose
    final = TrialState(n=tuple(int((esc["dose"] == d).sum()) for d in ids),
                       y=tuple(int(((esc["dose"] == d) & esc["MET"].notna()).sum()) for d in ids),
                       responses=tuple(int(((esc["dose"] == d) & esc["RESP"]).sum())
                                       for d in ids), current=1)
    sel = design.select(final)
    assert h.iloc[-1]["action"] == "select" and h.iloc[-1]["reason"] == sel.reason
    assert h.iloc[-1]["next_dose"] == "DL2" == ids[sel.obd]  # the scenario's true OBD


def test_history_rederived_from_the_sdtm_equals_the_truth():
    out, _, proto = example()
    truth_text = (out / "truth" / "escalation.csv").read_text()
    truth = pd.read_csv(out / "truth" / "escalation.csv", keep_default_na=False)
    h = escalation_history(load_study(out), proto)
    assert csv_text(h[list(truth.columns)]) == truth_text


def test_decide_shows_per_dose_counts_and_the_reason():
    out, t, proto = example()
    esc = _outcomes(t, proto)
    r = CliRunner().invoke(app, ["decide", str(out), "--protocol", str(out / "protocol.yaml"),
                                 "--json"])
    assert r.exit_code == 0, r.output
    res = json.loads(r.stdout)
    eff = pd.DataFrame(res["efficacy"])
    assert eff["RESPONDERS"].tolist() == [int(((esc["dose"] == d) & esc["RESP"]).sum())
                                          for d in proto.dose_ids]
    assert eff["TREATED"].tolist() == [int((esc["dose"] == d).sum()) for d in proto.dose_ids]
    assert "selected" in json.dumps(res) and "DL2" in json.dumps(res)
    et = pd.DataFrame(res["boinet"])  # complete patients: everyone by the end
    assert et["RESPONSES"].tolist() == eff["RESPONDERS"].tolist()
    assert et["N"].tolist() == eff["TREATED"].tolist()
    n, y = et["N"].to_numpy(), et["DLT"].to_numpy()
    assert np.allclose(et["P_OVERDOSE"], beta.sf(0.3, 1 + y, 1 + n - y))  # scipy's Beta
    assert "UTILITY" not in eff and "DESIRABILITY" not in eff
    mid = decide_study(load_study(out), proto, "2024-02-21")  # a suspension in the truth
    d = mid.recommendation.decision
    assert (d.action, d.rule) == ("suspend", "suspend: follow-up") and "BOIN-ET" in d.reason


def test_report_names_the_obd_with_its_reason():
    """Table 14.6.2: the observed response rates are the truth's responders / treated."""
    out, t, proto = example()
    esc = _outcomes(t, proto)
    table, sentence = selection_table(load_study(out), proto)
    assert "(OBD) by the protocol's design (BOIN-ET): DL2" in sentence
    assert "Optimal biological dose (OBD): DL2" in table.footnotes[0]
    assert "max-effprob" in table.footnotes[0]
    w = table.wide()
    rates = [f"{((esc['dose'] == d) & esc['RESP']).sum() / (esc['dose'] == d).sum():.3f}"
             for d in proto.dose_ids]
    assert w.loc["Response probability (observed rate)"].tolist() == rates
    assert w.loc["Selected"].tolist() == ["", "OBD"]
