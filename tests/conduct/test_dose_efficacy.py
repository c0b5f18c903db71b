"""Efficacy and expansion per dose for dose decisions (issue #20 point 3).

Outside references: the example trial's ``truth/responses.csv`` (the simulator's response at each
assessment, written before and independently of the SDTM the engine reads) and hand-worked
BOIN12 utilities (Lin et al., JCO Precis Oncol 2020: u = 100 / 60 / 40 / 0 for response without
DLT / response with DLT / neither / DLT without response; desirability P(u > u_b) under the
Beta(1 + x, 1 + n - x) posterior of the quasi-binomial x = sum u_i / 100, section "Methods").
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy.stats import beta

from cartrial.conduct import decide_study, dlt_status
from cartrial.conduct.dose_efficacy import (
    dose_efficacy_table,
    efficacy_outcomes,
    expansion_by_patient,
    with_efficacy,
)
from cartrial.data import load_study
from cartrial.errors import InputError
from cartrial.example import simulate_trial, write_example
from cartrial.protocol import load_protocol, parse_protocol, protocol_text
from tests._scratch import scratch_dir

BOIN12_BLOCK = {"phi_e": 0.25}


def _boin12(target: float = 0.35, **over) -> object:
    d = yaml.safe_load(protocol_text("ct071")[1])
    d["design"].update(name="boin12", target=target, boin12=BOIN12_BLOCK, cap_per_dose=None,
                       **over)
    return parse_protocol(yaml.safe_dump(d))


@cache
def example():
    out = scratch_dir(prefix="cartrial-dose-eff-")
    write_example(simulate_trial(load_protocol("ct071"), seed=1, scenario="default"), out)
    return out, load_study(out), load_protocol(out / "protocol.yaml")


def _cohort1(out: Path) -> list[str]:
    t = pd.read_csv(out / "truth" / "dlt.csv")
    return t.loc[(t["phase"] == "ESCALATION") & (t["cohort"] == 1), "USUBJID"].tolist()


def _truth_responders(out: Path, end: int) -> set[str]:
    r = pd.read_csv(out / "truth" / "responses.csv")
    ok = r["response"].isin(["PR", "VGPR", "CR", "sCR"]) & (r["day"] <= end)
    return set(r.loc[ok, "USUBJID"])


def test_ct071_declares_pr_by_day_28():
    e = load_protocol("ct071").design.efficacy
    assert (e.endpoint, e.by_day, e.window_days) == ("PR", 28, 7)
    assert e.label == "PR or better by day 28 (window +7 days)"


@pytest.mark.slow
def test_responders_equal_the_example_truth():
    out, study, proto = example()
    o = efficacy_outcomes(study, proto)
    esc = pd.read_csv(out / "truth" / "dlt.csv")
    esc = set(esc.loc[esc["phase"] != "EXPANSION", "USUBJID"])
    assert set(o["USUBJID"]) == esc
    truth = _truth_responders(out, 35) & esc
    assert set(o.loc[o["RESPONSE"] == "yes", "USUBJID"]) == truth
    assert set(o["RESPONSE"]) <= {"yes", "no"}  # all windows closed on the complete data
    # the day of the first qualifying assessment is the truth's
    r = pd.read_csv(out / "truth" / "responses.csv")
    r = r[r["response"].isin(["PR", "VGPR", "CR", "sCR"]) & (r["day"] <= 35)]
    first = r.groupby("USUBJID")["day"].min()
    yes = o[o["RESPONSE"] == "yes"].set_index("USUBJID")["RESPONSE_DAY"]
    assert (yes == first.reindex(yes.index)).all()


@pytest.mark.slow
def test_pending_until_the_window_closes():
    out, study, proto = example()
    infdt = pd.read_csv(out / "truth" / "subjects.csv").set_index("USUBJID")["infusion_dtc"]
    u = _cohort1(out)[0]
    t0 = pd.Timestamp(infdt[u])
    early = efficacy_outcomes(study, proto, t0 + pd.Timedelta(days=10)).set_index("USUBJID")
    assert early.loc[u, "RESPONSE"] == "pending"
    assert early.loc[u, "EFF_DAYS_LEFT"] == 25  # day 10 of 35
    late = efficacy_outcomes(study, proto, t0 + pd.Timedelta(days=36)).set_index("USUBJID")
    assert late.loc[u, "RESPONSE"] == ("yes" if u in _truth_responders(out, 35) else "no")


@pytest.mark.slow
def test_expansion_medians_by_dose():
    """Regression: per-dose medians are the medians of the kinetics engine's per-patient NCA."""
    out, study, proto = example()
    e = expansion_by_patient(study, proto)
    assert set(e["ANALYTE"]) == {"CARTCELL"}
    pt = with_efficacy(dlt_status(study, proto), study, proto)
    t = dose_efficacy_table(pt, proto, e)
    for j, row in t.iterrows():
        ids = set(pt.loc[pt["DOSE_INDEX"] == j, "USUBJID"])
        mine = e[e["USUBJID"].isin(ids)]
        assert row["CMAX_MEDIAN"] == pytest.approx(float(np.median(mine["CMAX"])))
        assert row["N_PK"] == len(mine)
    # truth: the simulated Cmax and the observed one agree in rank by dose (larger at DL2)
    assert t["CMAX_MEDIAN"].iloc[1] > t["CMAX_MEDIAN"].iloc[0]
    assert np.isnan(t["UTILITY"]).all()  # BOIN has no utility table


def _pt(rows):
    return pd.DataFrame(rows, columns=["USUBJID", "DOSE_INDEX", "DLT", "RESPONSE"])


def test_utility_hand_worked():
    # DL1: 3 complete, 0 DLT, 1 response -> x = (60*1 + 40*3)/100 = 1.8, u = 60.
    # DL2: 3 complete (1 DLT with response, 2 responses without DLT) + 1 pending response:
    #      x = (60*3 + 40*2)/100 = 2.6, u = 86.667; the pending patient is not counted.
    p = _boin12()
    pt = _pt([["a", 0, "no", "yes"], ["b", 0, "no", "no"], ["c", 0, "no", "no"],
              ["d", 1, "yes", "yes"], ["e", 1, "no", "yes"], ["f", 1, "no", "yes"],
              ["g", 1, "no", "pending"]])
    t = dose_efficacy_table(pt, p)
    assert t["TREATED"].tolist() == [3, 4]
    assert t["RESPONDERS"].tolist() == [1, 3]
    assert t["EFF_PENDING"].tolist() == [0, 1]
    assert t["COMPLETE"].tolist() == [3, 3]
    assert t["UTILITY"].tolist() == pytest.approx([60.0, 260 / 3])
    # u_b for phi_T 0.35, phi_E 0.25 (Lin et al. 2020: u_bar at the unacceptable corner
    # (0.35, 0.25) is 100*0.25*0.65 + 60*0.25*0.35 + 40*0.75*0.65 = 41.0; u_b = u_bar + (100 -
    # u_bar)/2 = 70.5)
    want = [beta.sf(0.705, 1 + 1.8, 1 + 3 - 1.8), beta.sf(0.705, 1 + 2.6, 1 + 3 - 2.6)]
    assert t["DESIRABILITY"].tolist() == pytest.approx(want, rel=1e-12)


def test_bad_response_value_is_named():
    with pytest.raises(InputError, match="USUBJID=x RESPONSE='maybe'"):
        dose_efficacy_table(_pt([["x", 0, "no", "maybe"]]), _boin12())


def test_boin12_needs_the_efficacy_outcome():
    d = yaml.safe_load(protocol_text("ct071")[1])
    del d["design"]["efficacy"]
    d["design"].update(name="boin12", boin12=BOIN12_BLOCK, cap_per_dose=None)
    with pytest.raises(InputError, match="design.efficacy must name the outcome"):
        efficacy_outcomes(None, parse_protocol(yaml.safe_dump(d)))  # type: ignore[arg-type]


@pytest.mark.slow
def test_boin12_decides_from_the_data():
    """BOIN12 on the example's data: suspended while a response is pending at the current dose,
    then decided on the first cohort's complete outcomes. With 3 responses and no DLT in 3 at DL1
    (the truth of seed 1), hand-worked (Lin et al. 2020): x = (60*3 + 40*3)/100 = 3, the
    desirability P(u > 70.5) of DL1 is 1 - 0.705**4 = 0.753 and of the untried DL2 (uniform
    prior) 1 - 0.705 = 0.295: DLT rate 0 <= lambda_e, so the more desirable of DL1 and DL2: stay.
    """
    out, study, _ = example()
    p = _boin12()
    infdt = pd.read_csv(out / "truth" / "subjects.csv").set_index("USUBJID")["infusion_dtc"]
    dl1 = _cohort1(out)
    last = max(pd.Timestamp(infdt[u]) for u in dl1)
    pend = decide_study(study, p, last + pd.Timedelta(days=10))
    assert pend.recommendation.decision.action == "suspend"
    assert pend.patients["RESPONSE"].eq("pending").any()
    done = decide_study(study, p, last + pd.Timedelta(days=36))
    truth = _truth_responders(out, 35)
    state = done.recommendation.state
    assert (state.n[0], state.y[0]) == (3, 0)
    assert state.responses[0] == len(set(dl1) & truth) == 3
    d = done.recommendation.decision
    assert (d.action, d.next_dose) == ("stay", 0)
    assert f"dose 1 {1 - 0.705 ** 4:.3f}, dose 2 {1 - 0.705:.3f}" in d.reason


@pytest.mark.slow
def test_decide_json_carries_the_efficacy_table():
    import json

    from typer.testing import CliRunner

    from cartrial.cli.main import app

    out, _, _ = example()
    res = CliRunner().invoke(app, ["decide", str(out), "--protocol", str(out / "protocol.yaml"),
                                   "--json"])
    assert res.exit_code == 0, res.output
    got = json.loads(res.stdout)
    assert got["efficacy_outcome"] == "PR or better by day 28 (window +7 days)"
    truth = _truth_responders(out, 35)
    dlt = pd.read_csv(out / "truth" / "dlt.csv")
    esc = dlt[dlt["phase"] == "ESCALATION"]
    for row in got["efficacy"]:
        ids = set(esc.loc[esc["dose"] == row["DOSE_ID"], "USUBJID"])
        assert row["TREATED"] == len(ids)
        assert row["RESPONDERS"] == len(ids & truth)
        assert row["DLT"] == int((esc.loc[esc["dose"] == row["DOSE_ID"], "dlt"] == "Y").sum())


def test_factory_builds_boin12_from_the_protocol():
    from cartrial.design import Boin12
    from cartrial.design.factory import design_from_spec

    d = design_from_spec(_boin12().design, 2)
    assert isinstance(d, Boin12) and (d.target, d.phi_e, d.n_star) == (0.35, 0.25, 6)


def test_boin12_starts_before_any_patient():
    """Before the first infusion (decide / history at the study opening) the state has no
    responses yet: BOIN12 treats the first cohort at the starting dose."""
    from cartrial.conduct import recommend

    cols = ["USUBJID", "DOSE_INDEX", "INFUSION_DATE", "DLT", "FOLLOWUP_DAY"]
    r = recommend(pd.DataFrame(columns=cols), _boin12())
    assert (r.decision.action, r.decision.next_dose, r.decision.rule) == ("stay", 0, "start")


def _tite():
    d = yaml.safe_load(protocol_text("ct071")[1])
    d["design"].update(name="tite-boin12", target=0.35, boin12=BOIN12_BLOCK, cap_per_dose=None)
    return parse_protocol(yaml.safe_dump(d))


def test_tite_boin12_needs_the_efficacy_window():
    d = yaml.safe_load(protocol_text("ct071")[1])
    del d["design"]["efficacy"]
    d["design"].update(name="tite-boin12", boin12=BOIN12_BLOCK, cap_per_dose=None)
    with pytest.raises(InputError, match="tite-boin12 needs design.efficacy"):
        parse_protocol(yaml.safe_dump(d))


@pytest.mark.slow
@pytest.mark.parametrize("days", [5, 20, 33])
def test_tite_boin12_decides_on_the_truths_pending_outcomes(days):
    """TITE-BOIN12 from the SDTM equals the engine on patients built from the example's truth
    alone (DLT and the day its rule is met, response assessments and their days, infusion
    dates), at cut-offs inside the first cohort's windows."""
    from cartrial.design.tite_boin12 import TitePatient, tite_boin12_from_spec

    out, study, _ = example()
    p = _tite()
    subj = pd.read_csv(out / "truth" / "subjects.csv").set_index("USUBJID")
    dlt = pd.read_csv(out / "truth" / "dlt.csv").set_index("USUBJID")
    resp = pd.read_csv(out / "truth" / "responses.csv")
    dl1 = _cohort1(out)
    cut = max(pd.Timestamp(subj.loc[u, "infusion_dtc"]) for u in dl1) + pd.Timedelta(days=days)
    pts = []
    for u in sorted(dl1, key=lambda u: (subj.loc[u, "infusion_dtc"], u)):
        t = (cut - pd.Timestamp(subj.loc[u, "infusion_dtc"])).days
        has = dlt.loc[u, "dlt"] == "Y" and dlt.loc[u, "dlt_met_day"] <= t
        tox = True if has else (False if t >= 28 else None)
        r = resp[(resp["USUBJID"] == u) & resp["response"].isin(["PR", "VGPR", "CR", "sCR"])
                 & (resp["day"] <= min(t, 35))]
        eff = True if len(r) else (False if t > 35 else None)
        pts.append(TitePatient(0, tox, min(t, 28), eff, min(t, 35), u))
    want = tite_boin12_from_spec(p.design, 2).decide(pts, current=0)
    got = decide_study(study, p, cut).recommendation.decision
    assert (got.action, got.next_dose, got.reason) == (want.action, want.next_dose, want.reason)
