"""U-BOIN decided from the data (issue #20 point 3): per-patient DLT and response -> counts ->
the U-BOIN decision.

Outside references (nothing here compares the code with itself unless it says so):

- stage I is BOIN (Zhou, Lee & Yuan, Stat Med 2019;38:5299-5316, "stage I ... BOIN"); BOIN's
  published boundaries for target 0.3 (Liu & Yuan, J R Stat Soc C 2015;64:507-23, Table 1:
  lambda_e = 0.236, lambda_d = 0.358; at n = 3 escalate with 0 DLT, stay with 1, de-escalate
  with 2 or more);
- stage II: the multinomial-Dirichlet model of the four outcomes (response only, both, neither,
  DLT only); the posterior mean utility sum_k u_k (a + x_k) / (4a + n) is worked by hand below,
  the admissibility probabilities with scipy's Beta distribution (the Dirichlet margins);
- counts worked by hand from the patient rows.
"""

from __future__ import annotations

import pandas as pd
import pytest
import yaml
from scipy.stats import beta

from cartrial.conduct import recommend
from cartrial.conduct.uboin_inputs import uboin_counts, uboin_estimates
from cartrial.errors import InputError
from cartrial.protocol import parse_protocol, protocol_text


def uboin_protocol(stage1: int = 3, u11: float = 60, u00: float = 40, **over):
    """CT071 (two dose levels, PR by day 28 + 7) run with U-BOIN: phi_T 0.3, phi_E 0.2."""
    d = yaml.safe_load(protocol_text("ct071")[1])
    d["design"].update(name="u-boin", target=0.3, cap_per_dose=None,
                       uboin={"phi_e": 0.2, "stage1_per_dose": stage1, "response_dlt": u11,
                              "no_response_no_dlt": u00}, **over)
    return parse_protocol(yaml.safe_dump(d))


COLS = ["USUBJID", "DOSE_INDEX", "INFUSION_DATE", "DLT", "FOLLOWUP_DAY", "RESPONSE"]


def _pt(rows) -> pd.DataFrame:
    out = []
    for u, dose, dlt, resp in rows:
        start = "2024-01-01" if dose == 0 else "2024-03-01"
        out.append([u, dose, start, dlt, 10 if dlt == "pending" else 30, resp])
    return pd.DataFrame(out, columns=COLS)


DL1 = [["a", 0, "no", "yes"], ["b", 0, "no", "no"], ["c", 0, "no", "no"]]
DL2 = [["d", 1, "yes", "yes"], ["e", 1, "no", "yes"], ["f", 1, "no", "yes"]]


def test_counts_worked_by_hand():
    pt = _pt(DL1 + DL2 + [["g", 1, "no", "pending"], ["h", 1, "pending", "yes"]])
    c = uboin_counts(pt, uboin_protocol())
    assert c["TREATED"].tolist() == [3, 5]
    assert c["PENDING"].tolist() == [0, 2]  # g (response pending), h (DLT pending)
    assert c["N"].tolist() == [3, 3]
    assert c["DLT"].tolist() == [0, 1]
    assert c["RESPONSES"].tolist() == [1, 3]
    assert c["DLT_AND_RESPONSE"].tolist() == [0, 1]


def test_stage_one_is_boin_at_target_0_3():
    """With stage I unfinished (9 per dose), 3 patients without DLT escalate (BOIN, n = 3,
    y = 0 <= 3 * 0.236); one DLT in 3 stays; responses play no part in stage I."""
    p = uboin_protocol(stage1=9)
    d = recommend(_pt(DL1), p).decision
    assert (d.action, d.next_dose) == ("escalate", 1)
    one = [["a", 0, "yes", "yes"], ["b", 0, "no", "yes"], ["c", 0, "no", "yes"]]
    d = recommend(_pt(one), p).decision
    assert (d.action, d.next_dose) == ("stay", 0)
    assert d.rule.startswith("stage I")


def test_stage_two_assigns_the_highest_posterior_utility_hand_worked():
    """Stage II (3 per dose reached). Dirichlet(0.25) on (response only, both, neither, DLT
    only), utilities 100 / 60 / 40 / 0:
    DL1 cells (1, 0, 2, 0): (100*1.25 + 60*0.25 + 40*2.25 + 0*0.25) / 4 = 57.5;
    DL2 cells (2, 1, 0, 0): (100*2.25 + 60*1.25 + 40*0.25 + 0*0.25) / 4 = 77.5.
    DL2's DLT rate 1/3 > lambda_e 0.236 (no exploration) and both doses admissible: DL2."""
    p = uboin_protocol()
    pt = _pt(DL1 + DL2)
    d = recommend(pt, p).decision
    assert (d.action, d.next_dose, d.rule) == ("stay", 1, "stage II: highest posterior utility")
    assert "dose 1 57.5, dose 2 77.5" in d.reason
    e = uboin_estimates(pt, p)
    assert e["UTILITY"].tolist() == pytest.approx([57.5, 77.5])
    # margins of the Dirichlet(0.25 + cells): p_T ~ Beta(0.5 + y_T, 0.5 + n - y_T), same for p_E
    assert e["P_OVERDOSE"].tolist() == pytest.approx([beta.sf(0.3, 0.5, 3.5),
                                                      beta.sf(0.3, 1.5, 2.5)], rel=1e-10)
    assert e["P_FUTILE"].tolist() == pytest.approx([beta.cdf(0.2, 1.5, 2.5),
                                                    beta.cdf(0.2, 3.5, 0.5)], rel=1e-10)
    assert e["ADMISSIBLE"].tolist() == [True, True]


def test_stage_two_explores_above_a_low_toxicity_dose():
    """Stage II with only DL1 tried, DLT rate 0 <= lambda_e and DL2 untried: explore DL2."""
    d = recommend(_pt(DL1), uboin_protocol()).decision
    assert (d.action, d.next_dose, d.rule) == ("escalate", 1, "stage II: explore next dose")


def test_joint_counts_decide_a_non_additive_utility():
    """u11 = 20, u00 = 40 (non-additive). DL2: 3 patients, 1 DLT, 2 responses. If the DLT
    patient responded, cells (1, 1, 1, 0): (125 + 25 + 50 + 0) / 4 = 50.0; if not, cells
    (2, 0, 0, 1): (225 + 5 + 10 + 0) / 4 = 60.0. DL1 as above: (125 + 5 + 90) / 4 = 55.0.
    So the same margins select DL1 or DL2 depending on who had the DLT."""
    p = uboin_protocol(u11=20, u00=40)
    with_resp = [["d", 1, "yes", "yes"], ["e", 1, "no", "yes"], ["f", 1, "no", "no"]]
    without = [["d", 1, "yes", "no"], ["e", 1, "no", "yes"], ["f", 1, "no", "yes"]]
    a = uboin_estimates(_pt(DL1 + with_resp), p)
    b = uboin_estimates(_pt(DL1 + without), p)
    assert a["UTILITY"].tolist() == pytest.approx([55.0, 50.0])
    assert b["UTILITY"].tolist() == pytest.approx([55.0, 60.0])
    assert recommend(_pt(DL1 + with_resp), p).decision.next_dose == 0
    assert recommend(_pt(DL1 + without), p).decision.next_dose == 1


def test_pending_response_at_the_current_dose_suspends():
    pt = _pt(DL1 + DL2[:2] + [["f", 1, "no", "pending"]])
    r = recommend(pt, uboin_protocol())
    d = r.decision
    assert (d.action, d.next_dose, d.rule) == ("suspend", 1, "suspend: follow-up")
    assert "response (PR or better by day 28" in d.reason
    assert r.state.completed().n == (3, 2)


def test_pending_at_a_lower_dose_is_left_out():
    """A pending patient at DL1 is not counted; the decision at DL2 goes on: DL1 cells (0, 0,
    2, 0) in 2 patients -> (100*0.25 + 60*0.25 + 40*2.25 + 0) / (1 + 2) = 43.3; DL2 77.5 as
    above."""
    pt = _pt([["a", 0, "no", "pending"], *DL1[1:], *DL2])
    d = recommend(pt, uboin_protocol()).decision
    assert d.next_dose == 1 and "dose 1 43.3, dose 2 77.5" in d.reason


def test_stop_selects_the_obd_with_its_reason():
    """max_sample_size 6 reached: stop; OBD = admissible dose with the highest posterior mean
    utility (DL2, 77.5)."""
    r = recommend(_pt(DL1 + DL2), uboin_protocol(max_sample_size=6))
    assert r.decision.action == "stop"
    assert r.selection.obd == 1
    assert "OBD dose 2: highest posterior mean utility 77.5" in r.selection.reason


def test_no_patient_is_the_design_start():
    d = recommend(_pt([]), uboin_protocol()).decision
    assert (d.action, d.next_dose) == ("stay", 0)


def test_bad_response_value_is_named():
    pt = _pt(DL1)
    pt.loc[1, "RESPONSE"] = "maybe"
    with pytest.raises(InputError, match="USUBJID=b RESPONSE='maybe'"):
        uboin_counts(pt, uboin_protocol())


@pytest.mark.slow
def test_decide_on_the_example_trial_with_uboin(tmp_path):
    """End to end on the example trial (conducted with BOIN; seed 1): the counts U-BOIN sees
    equal the simulator's truth (``truth/dlt.csv``, ``truth/responses.csv``, written before the
    SDTM), and the decision follows the rule: after cohort 1 (3 patients, no DLT; stage I with 9
    per dose) BOIN escalates; with every window closed, `decide --json` carries the U-BOIN
    table whose posterior mean utilities are worked from the truth's counts."""
    import json

    from typer.testing import CliRunner

    from cartrial.cli.main import app
    from cartrial.conduct import decide_study
    from tests.conduct.test_dose_efficacy import _cohort1, _truth_responders, example

    out, study, _ = example()
    p = uboin_protocol(stage1=9)
    infdt = pd.read_csv(out / "truth" / "subjects.csv").set_index("USUBJID")["infusion_dtc"]
    dl1 = _cohort1(out)
    last = max(pd.Timestamp(infdt[u]) for u in dl1)
    truth = _truth_responders(out, 35)
    r = decide_study(study, p, last + pd.Timedelta(days=10)).recommendation
    assert r.decision.action == "suspend"
    r = decide_study(study, p, last + pd.Timedelta(days=36)).recommendation
    assert r.state.completed().n[0] == 3 and r.state.responses[0] == len(set(dl1) & truth)
    assert (r.decision.action, r.decision.next_dose) == ("escalate", 1)

    y = yaml.safe_load(protocol_text("ct071")[1])
    y["design"].update(name="u-boin", target=0.3, cap_per_dose=None,
                       uboin={"phi_e": 0.2, "stage1_per_dose": 3})
    (tmp_path / "u.yaml").write_text(yaml.safe_dump(y))
    res = CliRunner().invoke(app, ["decide", str(out), "--protocol", str(tmp_path / "u.yaml"),
                                   "--json"])
    assert res.exit_code == 0, res.output
    got = json.loads(res.stdout)
    dlt = pd.read_csv(out / "truth" / "dlt.csv")
    esc = dlt[dlt["phase"] == "ESCALATION"]
    for row in got["uboin"]:
        at = esc[esc["dose"] == row["DOSE_ID"]]
        n, yt = len(at), int((at["dlt"] == "Y").sum())
        ye = len(set(at["USUBJID"]) & truth)
        yb = len(set(at.loc[at["dlt"] == "Y", "USUBJID"]) & truth)
        cells = [ye - yb, yb, n - yt - ye + yb, yt - yb]
        want = sum(u * (c + 0.25) for u, c in zip((100, 60, 40, 0), cells, strict=True)) / (n + 1)
        assert (row["N"], row["DLT"], row["RESPONSES"], row["DLT_AND_RESPONSE"]) == (
            n, yt, ye, yb)
        assert row["UTILITY"] == pytest.approx(want)
    # the efficacy table carries U-BOIN's utility, and no empty BOIN12 desirability column
    # (U-BOIN defines no benchmark u_b); the printed table says why
    utils = {r["DOSE_ID"]: r["UTILITY"] for r in got["uboin"]}
    assert all("DESIRABILITY" not in r for r in got["efficacy"])
    assert all(r["UTILITY"] == pytest.approx(utils[r["DOSE_ID"]]) for r in got["efficacy"]
               if r["UTILITY"] is not None)
    res = CliRunner().invoke(app, ["decide", str(out), "--protocol", str(tmp_path / "u.yaml")])
    assert res.exit_code == 0 and "P(utility > u_b)" in res.output  # in the sentence only
    assert "defines no" in res.output and "benchmark utility u_b" in res.output


def test_decide_without_an_efficacy_outcome_exits_2(tmp_path):
    """A u-boin protocol that names no design.efficacy cannot be decided: exit 2, no
    traceback, the rule named."""
    from typer.testing import CliRunner

    from cartrial.cli.main import app
    from cartrial.data import write_study
    from tests.data.minimal_study import minimal_domains

    write_study(minimal_domains(), tmp_path / "sdtm")
    d = yaml.safe_load(protocol_text("ct071")[1])
    del d["design"]["efficacy"]
    d["design"].update(name="u-boin", target=0.3, cap_per_dose=None, uboin={"phi_e": 0.2})
    (tmp_path / "p.yaml").write_text(yaml.safe_dump(d))
    res = CliRunner().invoke(app, ["decide", str(tmp_path / "sdtm"), "--protocol",
                                   str(tmp_path / "p.yaml")])
    assert res.exit_code == 2, res.output
    assert "design.efficacy must name the outcome" in res.output
    assert "Traceback" not in res.output


@pytest.mark.slow
def test_report_names_the_uboin_obd(tmp_path):
    """Report Table 14.6.2 for a u-boin protocol on the example: the OBD is U-BOIN's, with the
    joint counts and posterior mean utilities worked from the simulator's truth (as in
    ``test_decide_on_the_example_trial_with_uboin``)."""
    from cartrial.report.recommended_dose import selection_table
    from tests.conduct.test_dose_efficacy import _truth_responders, example

    out, study, _ = example()
    t, intro = selection_table(study, uboin_protocol())
    w = t.wide()
    assert intro.startswith("Optimal biological dose (OBD) by the protocol's design (U-BOIN)")
    truth = _truth_responders(out, 35)
    esc = pd.read_csv(out / "truth" / "dlt.csv")
    esc = esc[esc["phase"] == "ESCALATION"]
    utils = []
    for col, dose in zip(w.columns, ("DL1", "DL2"), strict=True):
        at = esc[esc["dose"] == dose]
        n, yt = len(at), int((at["dlt"] == "Y").sum())
        ye = len(set(at["USUBJID"]) & truth)
        yb = len(set(at.loc[at["dlt"] == "Y", "USUBJID"]) & truth)
        cells = [ye - yb, yb, n - yt - ye + yb, yt - yb]
        utils.append(sum(u * (c + 0.25) for u, c in zip((100, 60, 40, 0), cells, strict=True))
                     / (n + 1))
        assert w.loc["DLT and response, n", col] == str(yb)
        assert float(w.loc["Utility estimate (posterior mean, 0-100)", col]) == pytest.approx(
            utils[-1], abs=0.05)
    best = max(range(2), key=lambda j: utils[j])
    assert list(w.loc["Selected"]) == ["OBD" if j == best else "" for j in range(2)]
    assert "Reason: OBD dose" in t.footnotes[0]
