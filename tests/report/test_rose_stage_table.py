"""Table 14.6.3 "Randomised dose-optimisation stage" (issue #20) on the example's ``rose`` trial.

Outside references: the example's truth files, written by the simulator before and independently
of the SDTM the engines read (``truth/rose_arms.csv``: per arm infused, responders and the dose
the conduct selected; ``truth/rose.csv``: each randomised patient's arm; ``truth/dlt.csv``;
``truth/episodes.csv``: each CRS / ICANS episode's grade), Clopper-Pearson intervals from SciPy's
``binomtest(...).proportion_ci(method="exact")`` (an implementation the report does not use) and
the ROSE rule worked by hand (Wang, Yuan & Liu, Biometrics 2025;81(4):ujaf124).
"""

from __future__ import annotations

from functools import cache

import pandas as pd
import pytest
from scipy.stats import binomtest

from cartrial.data import load_study
from cartrial.example import simulate_trial, write_example
from cartrial.protocol import load_protocol
from cartrial.report.rose_stage_table import rule_text, stage_table
from tests._scratch import scratch_dir

pytestmark = pytest.mark.slow


@cache
def example(n: int | None = None):
    out = scratch_dir(prefix=f"cartrial-rose-report-{n}-")
    t = simulate_trial(load_protocol("ct071"), seed=20240228, scenario="rose", n_patients=n)
    write_example(t, out)
    study = load_study(out)
    proto = load_protocol(out / "protocol.yaml")
    from cartrial.safety.analysis import analyse_safety
    from cartrial.safety.sdtm import safety_inputs

    return out, t, study, proto, analyse_safety(safety_inputs(study, proto), proto)


def _ci(x: int, n: int) -> str:
    ci = binomtest(x, n).proportion_ci(confidence_level=0.95, method="exact")
    return f"{x}/{n} ({100 * x / n:.0f}%) [{100 * ci.low:.1f}, {100 * ci.high:.1f}]"


def test_complete_stage_per_arm_against_the_truth():
    out, t, study, proto, safety = example()
    table, sentence = stage_table(study, proto, safety, t.selected_dose)
    w = table.wide()
    arms = pd.read_csv(out / "truth" / "rose_arms.csv", keep_default_na=False)
    rose = pd.read_csv(out / "truth" / "rose.csv", keep_default_na=False)
    rose = rose[rose["infused"] == "Y"]
    dlt = pd.read_csv(out / "truth" / "dlt.csv").set_index("USUBJID")
    ep = pd.read_csv(out / "truth" / "episodes.csv")
    worst = {s: ep[ep["syndrome"] == s].groupby("USUBJID")["max_grade"].max()
             for s in ("CRS", "ICANS")}
    label = {d.id: d.label for d in proto.dose_levels}
    for a in arms.itertuples(index=False):
        col = f"{a.arm} arm: {a.ARMCD} {label[a.ARMCD]}"
        ids = rose.loc[rose["arm"] == a.arm, "USUBJID"]
        assert w.loc["Planned, n", col] == str(a.planned)
        assert w.loc["Randomised and infused, n", col] == str(a.infused) == str(len(ids))
        assert w.loc["Response pending, n", col] == "0"
        resp = [r for r in w.index if r.startswith("Response: PR or better")]
        assert w.loc[resp[0], col] == _ci(a.responders, a.infused)
        # every infused patient of the example completes the DLT window or has a DLT
        assert w.loc["DLT, n/N (%) [CI]", col] == _ci(int((dlt.loc[ids, "dlt"] == "Y").sum()),
                                                       len(ids))
        crs3 = int((ids.map(worst["CRS"]).fillna(0) >= 3).sum())
        assert w.loc["CRS grade >= 3, n/N (%) [CI]", col] == _ci(crs3, len(ids))
        icans = ids.map(worst["ICANS"]).fillna(0)
        assert w.loc["ICANS any grade, n/N (%) [CI]", col] == _ci(int((icans >= 1).sum()),
                                                                   len(ids))
        assert w.loc["ROSE selection", col] == ("selected" if a.selected == a.ARMCD else "")
    low, high = arms.iloc[0], arms.iloc[1]
    by_hand = high["ARMCD"] if (high["responders"] / high["infused"]
                                - low["responders"] / low["infused"]) > low["boundary"] \
        else low["ARMCD"]
    assert by_hand == arms["selected"].iloc[0]
    assert sentence.startswith(f"Randomised dose-optimisation stage: {by_hand} ")
    assert "Biometrics 2025" in sentence and "lambda 0.09" in sentence
    assert any("ujaf124" in n for n in table.footnotes)


def test_rule_text_states_the_exact_pcs_and_the_citation():
    """The PCS quoted are the exact binomial ones of scenarios L and H (regression test of the
    wording; the numbers themselves are checked against binomial sums in tests/design)."""
    _, _, _, proto, _ = example()
    text = rule_text(proto)
    assert "lambda = 0.09" in text and "12 and 12 patients" in text
    assert "0.781 when both doses respond with 0.8 (target 0.65)" in text
    assert "0.662 when the lower dose responds with 0.6 (target 0.65)" in text
    assert "Wang S, Yuan Y, Liu S. Biometrics 2025;81(4):ujaf124" in text


def test_unfinished_stage_says_pending_and_unknown():
    _, full, _, _, _ = example()
    n_esc = int((full.truth["dlt"]["phase"] == "ESCALATION").sum())
    out, t, study, proto, safety = example(n_esc + 5)
    table, sentence = stage_table(study, proto, safety, t.selected_dose)
    w = table.wide()
    assert "selection pending" in sentence and "selected dose: unknown" in sentence
    assert set(w.loc["ROSE selection"]) == {"pending"}
    arms = pd.read_csv(out / "truth" / "rose_arms.csv", keep_default_na=False)
    assert w.loc["Randomised and infused, n"].tolist() == arms["infused"].astype(str).tolist()


def test_no_stage_no_table():
    _, t, study, _, safety = example()
    assert stage_table(study, load_protocol("ct071"), safety, t.selected_dose) == (None, "")
