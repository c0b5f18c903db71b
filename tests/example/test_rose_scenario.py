"""The example trial's randomised ROSE stage (scenario ``rose``, issue #20) against its truth.

Outside references: ``truth/responses.csv`` holds the IMWG category of every written assessment
by the example's own small IMWG implementation (``example.disease.imwg_category``, Kumar S et
al., Lancet Oncol 2016); ``truth/rose.csv`` / ``truth/rose_arms.csv`` what the generator drew
(arm, infused, response). The stage as the engines see it from the written SDTM only
(``conduct.rose_state.rose_stage_at``: SUPPDM PART, DM.ARMCD, the efficacy engine's IMWG
responses) must equal that truth, and the selection must be the ROSE rule worked by hand with
exact fractions (select the higher dose when x_h/n_h - x_l/n_l > lambda; Wang, Yuan & Liu,
Biometrics 2025;81(4):ujaf124).
"""

from __future__ import annotations

from fractions import Fraction
from functools import cache

import numpy as np
import pandas as pd
import pytest

from cartrial.conduct.rose_state import rose_stage_at
from cartrial.data import load_study, validate_study
from cartrial.example import simulate_trial, write_example
from cartrial.example.trial import conducted_protocol
from cartrial.protocol import load_protocol
from tests._scratch import scratch_dir

RESPONDED = ("sCR", "CR", "VGPR", "PR")
#: seed 20240228 selects the higher dose (9/12 vs 6/12), seed 10 the lower (8/12 vs 10/12)
SEEDS = (20240228, 10)


@cache
def example(seed: int = 20240228, n: int | None = None):
    """(folder, trial, conducted protocol, loaded study) of the ROSE example."""
    out = scratch_dir(prefix=f"cartrial-rose-{seed}-{n}-")
    t = simulate_trial(load_protocol("ct071"), seed=seed, scenario="rose", n_patients=n)
    write_example(t, out)
    return out, t, load_protocol(out / "protocol.yaml"), load_study(out)


def test_the_rose_example_is_conducted_with_the_stage_and_validates():
    out, t, proto, study = example()
    assert proto.design.name == "boin" and proto.design.randomised_stage is not None
    assert proto.design.expansion is None
    assert proto == conducted_protocol(load_protocol("ct071"), "rose")
    report = validate_study(study, proto)
    assert report.findings.empty, report.findings.head(10).to_string()
    parts = t.domains["SUPPDM"]
    part = parts[parts["QNAM"] == "PART"].set_index("USUBJID")["QVAL"]
    rose = t.truth["rose"]
    assert (part[rose["USUBJID"]] == "RANDOMISED").all()
    assert (part.drop(rose["USUBJID"]) == "ESCALATION").all()
    dm = t.domains["DM"].set_index("USUBJID")
    assert dm.loc[rose["USUBJID"], "ARMCD"].tolist() == rose["ARMCD"].tolist()


def test_allocation_follows_permuted_blocks_of_the_protocols_size():
    """Each block of block_multiple x (a + b) = 4 list positions holds 2 low and 2 high (1:1);
    positions are taken in order, and a position is passed over only when its arm already has
    its planned infused patients."""
    _, t, proto, _ = example()
    rose = t.truth["rose"]
    spec = proto.design.randomised_stage
    size = spec.block_multiple * sum(spec.allocation)
    planned = dict(zip(t.truth["rose_arms"]["arm"], t.truth["rose_arms"]["planned"],
                       strict=True))
    pos = rose["position"].to_numpy()
    assert pos[0] == 1 and (np.diff(pos) >= 1).all()
    full_blocks = pos.max() // size
    for b in range(full_blocks):
        block = rose[(pos > b * size) & (pos <= (b + 1) * size)]
        if len(block) == size:
            assert (block["arm"] == "low").sum() == size // 2
    for skipped in sorted(set(range(1, pos.max())) - set(pos)):
        before = rose[pos < skipped]
        counts = before[before["infused"] == "Y"]["arm"].value_counts()
        assert any(counts.get(a, 0) >= planned[a] for a in ("low", "high"))


@pytest.mark.parametrize("seed", SEEDS)
def test_the_stage_truth_follows_the_written_assessments(seed):
    """A randomised patient responds in truth/rose.csv exactly when truth/responses.csv shows
    PR or better by day by_day + window_days, known on the day of that visit (else the day
    after the window closes)."""
    _, t, proto, _ = example(seed)
    e = proto.design.efficacy
    end = e.by_day + e.window_days
    r = t.truth["responses"]
    hit = r[r["response"].isin(RESPONDED) & (r["day"] <= end)].groupby("USUBJID")["dtc"].min()
    rose = t.truth["rose"]
    inf = rose[rose["infused"] == "Y"]
    assert (inf["responds"] == "Y").tolist() == inf["USUBJID"].isin(hit.index).tolist()
    dm = t.domains["DM"].set_index("USUBJID")
    start = pd.to_datetime(inf["USUBJID"].map(dm["RFSTDTC"]))
    expect = np.where(inf["responds"] == "Y", pd.to_datetime(inf["USUBJID"].map(hit)),
                      start + pd.Timedelta(days=end + 1))
    assert pd.to_datetime(inf["known_dtc"]).tolist() == list(pd.to_datetime(expect))
    assert 0 < (inf["responds"] == "Y").sum() < len(inf)


def _hand_selection(arms: pd.DataFrame) -> str:
    low, high = arms.iloc[0], arms.iloc[1]
    diff = Fraction(int(high["responders"]), int(high["infused"])) - Fraction(
        int(low["responders"]), int(low["infused"]))
    return high["ARMCD"] if diff > Fraction(str(low["boundary"])) else low["ARMCD"]


@pytest.mark.parametrize("seed", SEEDS)
def test_the_engines_view_of_the_complete_stage_equals_the_truth(seed):
    _, t, proto, study = example(seed)
    truth = t.truth["rose_arms"]
    st = rose_stage_at(study, proto, t.selected_dose)
    assert st.status == "complete"
    assert st.arms["DOSE_ID"].tolist() == truth["ARMCD"].tolist()
    assert st.arms["PLANNED"].tolist() == truth["planned"].tolist() == [12, 12]
    assert st.arms["RANDOMISED"].tolist() == truth["infused"].tolist()
    assert st.arms["COMPLETE"].tolist() == truth["infused"].tolist()
    assert st.arms["RESPONDERS"].tolist() == truth["responders"].tolist()
    assert st.boundary == truth["boundary"].iloc[0]
    assert st.selected == truth["selected"].iloc[0] == _hand_selection(truth)
    assert st.selected == {20240228: "DL2", 10: "DL1"}[seed]  # both branches of the rule
    assert "ROSE" in st.reason and st.selected in st.reason


def test_the_engines_view_mid_stage_counts_the_pending_as_the_truth():
    """At the 15th randomised infusion: randomised = infused by then, complete = outcome known
    by then, responders = known responders (truth/rose.csv), selection not yet made."""
    _, t, proto, study = example()
    rose = t.truth["rose"]
    inf = rose[rose["infused"] == "Y"].copy()
    dm = t.domains["DM"].set_index("USUBJID")
    inf["INF"] = pd.to_datetime(inf["USUBJID"].map(dm["RFSTDTC"]))
    inf["KNOWN"] = pd.to_datetime(inf["known_dtc"])
    day = inf["INF"].sort_values().iloc[14]
    st = rose_stage_at(study, proto, t.selected_dose, str(day.date()))
    assert st.status == "open" and st.selected is None
    seen = inf[inf["INF"] <= day]
    known = seen[seen["KNOWN"] <= day]
    for a, row in zip(("low", "high"), st.arms.itertuples(index=False), strict=True):
        assert row.RANDOMISED == (seen["arm"] == a).sum()
        assert row.COMPLETE == (known["arm"] == a).sum()
        assert row.RESPONDERS == ((known["arm"] == a) & (known["responds"] == "Y")).sum()
        assert row.PENDING == row.RANDOMISED - row.COMPLETE
    assert st.arms["PENDING"].sum() > 0


def test_an_unfinished_stage_selects_nothing():
    """With too few patients requested the stage stops short: truth selects nothing, the
    engine says open."""
    _, full, _, _ = example()
    n_esc = int((full.truth["dlt"]["phase"] == "ESCALATION").sum())
    _, t, proto, study = example(n=n_esc + 5)
    truth = t.truth["rose_arms"]
    assert truth["infused"].sum() == 5 and (truth["selected"] == "").all()
    st = rose_stage_at(study, proto, t.selected_dose)
    assert st.status == "open" and st.selected is None
    assert st.arms["RANDOMISED"].tolist() == truth["infused"].tolist()


@pytest.mark.parametrize("scenario", ["default", "boin12"])
def test_other_scenarios_have_no_randomised_patients(scenario):
    """Regression test (the generator against itself): no stage, no RANDOMISED part."""
    t = simulate_trial(load_protocol("ct071"), scenario=scenario, n_patients=8)
    assert "rose" not in t.truth
    assert "RANDOMISED" not in set(t.domains["SUPPDM"]["QVAL"])
