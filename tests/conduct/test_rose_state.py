"""The randomised ROSE stage in `decide` (issue #20 point 2 in the data path).

Outside references: the ROSE selection rule as stated by Wang S, Yuan Y, Liu S (Biometrics
2025;81(4):ujaf124, section 2): select the higher dose when its observed response rate exceeds
the lower dose's by MORE than lambda, else the lower dose; the counts and rates below are worked
by hand, and on the example trial compared with the simulator's truth (``truth/responses.csv``,
written before the SDTM the engines read).
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest
import yaml

from cartrial.conduct.rose_state import rose_arms, rose_decision, rose_stage_at, stage_doses
from cartrial.design.rose import fixed_design
from cartrial.errors import InputError
from cartrial.protocol import parse_protocol, protocol_text


def rose_protocol(**stage):
    d = yaml.safe_load(protocol_text("ct071")[1])
    d["design"]["randomised_stage"] = {"doses": ["DL1", "DL2"], "p_high": 0.6, "margin": 0.15,
                                       "n_per_arm": 3, "boundary": 0.1, **stage}
    return parse_protocol(yaml.safe_dump(d))


def _pt(rows):
    return pd.DataFrame(rows, columns=["USUBJID", "ARMCD", "RESPONSE"])


DESIGN = fixed_design(3, 0.1, 0.6, 0.15, 0.65, 0.65)


def _decide(rows):
    pt = _pt(rows)
    return rose_decision(rose_arms(pt, ("DL1", "DL2"), (3, 3)), pt, DESIGN)


def test_arms_counted_by_hand():
    a = rose_arms(_pt([["a", "DL1", "yes"], ["b", "DL1", "pending"], ["c", "DL2", "no"],
                       ["d", "DL2", "yes"], ["e", "DL2", "yes"]]), ("DL1", "DL2"), (3, 3))
    assert a["RANDOMISED"].tolist() == [2, 3]
    assert a["COMPLETE"].tolist() == [1, 3]
    assert a["RESPONDERS"].tolist() == [1, 2]
    assert a["PENDING"].tolist() == [1, 0]
    assert a["RATE"].tolist() == pytest.approx([1.0, 2 / 3])


def test_open_until_every_planned_patient_is_assessed():
    status, sel, why = _decide([["a", "DL1", "yes"], ["b", "DL1", "no"], ["c", "DL1", "pending"],
                                ["d", "DL2", "yes"], ["e", "DL2", "yes"], ["f", "DL2", "yes"]])
    assert (status, sel) == ("open", None)
    assert "2 of 3 on DL1 and 3 of 3 on DL2 assessed" in why


def test_higher_dose_selected_when_it_exceeds_by_more_than_lambda():
    """2/3 vs 1/3: difference 0.333 > 0.1 -> DL2."""
    status, sel, why = _decide([["a", "DL1", "yes"], ["b", "DL1", "no"], ["c", "DL1", "no"],
                                ["d", "DL2", "yes"], ["e", "DL2", "yes"], ["f", "DL2", "no"]])
    assert (status, sel) == ("complete", "DL2")
    assert "response 2/3 (0.667) on DL2 vs 1/3 (0.333) on DL1" in why
    assert "0.333 exceeds lambda 0.1" in why


def test_equal_rates_select_the_lower_dose():
    status, sel, why = _decide([["a", "DL1", "yes"], ["b", "DL1", "yes"], ["c", "DL1", "no"],
                                ["d", "DL2", "yes"], ["e", "DL2", "yes"], ["f", "DL2", "no"]])
    assert (status, sel) == ("complete", "DL1")
    assert "does not exceed lambda 0.1" in why


def test_difference_equal_to_lambda_selects_the_lower_dose():
    """ROSE's rule is strict (> lambda): 4/10 vs 3/10 with lambda 0.1 differ by exactly 0.1,
    which is not > 0.1, so the lower dose."""
    d = fixed_design(10, 0.1, 0.6, 0.15, 0.65, 0.65)
    rows = [[f"l{i}", "DL1", "yes" if i < 3 else "no"] for i in range(10)]
    rows += [[f"h{i}", "DL2", "yes" if i < 4 else "no"] for i in range(10)]
    pt = _pt(rows)
    status, sel, _ = rose_decision(rose_arms(pt, ("DL1", "DL2"), (10, 10)), pt, d)
    assert (status, sel) == ("complete", "DL1")


def test_interim_selects_early_or_continues():
    """Two-stage: interim after 2 per arm with lambda_1 0.4: 2/2 vs 0/2 (1.0 > 0.4) selects
    the higher dose early; 1/2 vs 1/2 continues."""
    d = replace(DESIGN, interim_low=2, interim_high=2, interim_boundary=0.4)
    early = _pt([["a", "DL1", "no"], ["b", "DL2", "yes"], ["c", "DL1", "no"],
                 ["d", "DL2", "yes"]])
    status, sel, why = rose_decision(rose_arms(early, ("DL1", "DL2"), (3, 3)), early, d)
    assert (status, sel) == ("complete", "DL2") and why.startswith("interim:")
    go = _pt([["a", "DL1", "yes"], ["b", "DL2", "yes"], ["c", "DL1", "no"], ["d", "DL2", "no"]])
    status, sel, why = rose_decision(rose_arms(go, ("DL1", "DL2"), (3, 3)), go, d)
    assert (status, sel) == ("interim", None) and "continue" in why


def test_patient_on_another_dose_is_named():
    with pytest.raises(InputError, match="USUBJID=x ARMCD='DL3'"):
        rose_arms(_pt([["x", "DL3", "yes"]]), ("DL1", "DL2"), (3, 3))


def test_rule_pair_follows_the_escalation_selection():
    p = rose_protocol(doses=None, rule="selected-and-next-lower")
    assert stage_doses(p, "DL2") == ("DL1", "DL2")
    assert stage_doses(p, "DL1") == (None, None)  # no dose below
    assert stage_doses(p, None) == (None, None)


def _randomised_example():
    """The example trial with its six infused expansion patients recorded as randomised
    (SUPPDM PART = RANDOMISED), alternately to DL1 and DL2 in infusion order."""
    from cartrial.data.study_parts import study_parts
    from tests.conduct.test_dose_efficacy import example

    out, study, _ = example()
    sp = study_parts(study)
    exp = sp[(sp["PART"] == "EXPANSION") & sp["INFUSION_DATE"].notna()]
    exp = exp.sort_values("INFUSION_DATE", kind="stable")
    arm = dict(zip(exp["USUBJID"], ["DL1", "DL2"] * 3, strict=True))
    doms = dict(study.domains)
    supp = doms["SUPPDM"].copy()
    hit = supp["USUBJID"].isin(arm) & (supp["QNAM"] == "PART")
    supp.loc[hit, "QVAL"] = "RANDOMISED"
    dm = doms["DM"].copy()
    for col in ("ARMCD", "ACTARMCD"):
        dm[col] = [arm.get(u, v) for u, v in zip(dm["USUBJID"], dm[col], strict=True)]
    doms.update(SUPPDM=supp, DM=dm)
    return out, replace(study, domains=doms), arm, exp


@pytest.mark.slow
def test_randomised_part_is_validated_against_the_protocol():
    """SUPPDM PART = RANDOMISED is accepted with design.randomised_stage, an error without."""
    from cartrial.data import validate_study

    _, s, arm, _ = _randomised_example()
    ok = validate_study(s, rose_protocol()).findings
    assert not ok["rule_id"].str.startswith("PART_").any()
    f = validate_study(s, parse_protocol(protocol_text("ct071")[1])).findings
    bad = f[f["rule_id"] == "PART_NOT_IN_DESIGN"]
    assert set(bad["usubjid"]) == set(arm) and set(bad["severity"]) == {"error"}


@pytest.mark.slow
def test_stage_on_the_example_trial_against_the_truth():
    """The example's six expansion patients recorded as randomised (SUPPDM PART = RANDOMISED),
    alternately to DL1 and DL2 in infusion order (DM.ARMCD / ACTARMCD): responders per arm equal
    the truth's, and the selection follows the rule on the truth's counts."""
    from tests.conduct.test_dose_efficacy import _truth_responders

    out, s, arm, exp = _randomised_example()
    truth = _truth_responders(out, 35)
    st = rose_stage_at(s, rose_protocol(), "DL2")
    assert st.status == "complete"
    a = st.arms.set_index("DOSE_ID")
    for dose in ("DL1", "DL2"):
        ids = {u for u, v in arm.items() if v == dose}
        assert a.loc[dose, "RANDOMISED"] == 3
        assert a.loc[dose, "RESPONDERS"] == len(ids & truth)
    xl, xh = (len({u for u, v in arm.items() if v == d} & truth) for d in ("DL1", "DL2"))
    assert st.selected == ("DL2" if xh / 3 - xl / 3 > 0.1 else "DL1")
    first = pd.Timestamp(exp["INFUSION_DATE"].iloc[0])
    early = rose_stage_at(s, rose_protocol(), "DL2", first + pd.Timedelta(days=5))
    assert early.status == "open" and early.arms["PENDING"].tolist() == [1, 0]


def test_shown_during_escalation_only_once_someone_is_randomised(tmp_path):
    """Regression (gate): no randomised patient and the escalation going on -> no stage."""
    from cartrial.data import load_study, write_study
    from tests.data.minimal_study import minimal_domains

    write_study(minimal_domains(), tmp_path / "sdtm")
    st = rose_stage_at(load_study(tmp_path / "sdtm"), rose_protocol(), None,
                       escalation_stopped=False)
    assert st is None


@pytest.mark.slow
def test_decide_json_shows_the_stage_after_escalation(tmp_path):
    """On the example (escalation stopped, DL2 selected, nobody randomised): the stage is shown
    as not started with the planned 3 per arm of the protocol."""
    import json

    from typer.testing import CliRunner

    from cartrial.cli.main import app
    from tests.conduct.test_dose_efficacy import example

    out, _, _ = example()
    d = yaml.safe_load((out / "protocol.yaml").read_text())
    d["design"]["randomised_stage"] = {"doses": ["DL1", "DL2"], "p_high": 0.6, "margin": 0.15,
                                       "n_per_arm": 3, "boundary": 0.1}
    (tmp_path / "p.yaml").write_text(yaml.safe_dump(d))
    res = CliRunner().invoke(app, ["decide", str(out), "--protocol", str(tmp_path / "p.yaml"),
                                   "--json"])
    assert res.exit_code == 0, res.output
    got = json.loads(res.stdout)["randomised_stage"]
    assert got["status"] == "not started" and got["selected_dose"] is None
    assert [a["PLANNED"] for a in got["arms"]] == [3, 3]
