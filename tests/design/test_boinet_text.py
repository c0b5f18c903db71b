"""BOIN-ET's protocol section (design/boinet_text.py) against the boinet R package's output.

Outside references: the boundaries printed by boinet 1.5.0 (``boinet()`` / ``gridoptim``, R
4.2.2; tests/design/data/boinet_r_oc.csv and the gridoptim values of test_boinet.py) and the
2,160 dose decisions logged from the package's trial loop (boinet_r_states.csv, script
boinet_reference.R): the section's decision table in counts must predict each logged move.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from cartrial.design.boinet import BoinEt, boinet_from_spec
from cartrial.design.boinet_text import boinet_protocol_text, decision_table, protocol_section
from cartrial.design.simulate_boinet import simulate_boinet
from cartrial.errors import InputError
from cartrial.protocol import load_protocol

DATA = Path(__file__).parent / "data"


def test_boundaries_in_the_text_are_boinets():
    r = pd.read_csv(DATA / "boinet_r_oc.csv").iloc[0]  # phi 0.3, delta 0.6 (boinet defaults)
    text = boinet_protocol_text(BoinEt(n_doses=5, target=0.3, delta=0.6, max_sample_size=30))
    assert (f"lambda1 = {r['lambda1']:g}, lambda2 = {r['lambda2']:g} and eta1 = "
            f"{r['eta1']:g}") in text
    assert f"phi1 = {0.03:g}" in text and "phi2 = 0.42" in text and "delta1 = 0.36" in text


def test_boundaries_of_another_setting():
    # boinet::gridoptim(0.25, 0.025, 0.35, 0.4, 0.24) printed by R 4.2.2: 0.115, 0.29, 0.31
    text = boinet_protocol_text(BoinEt(n_doses=3, target=0.25, delta=0.4, max_sample_size=18))
    assert "lambda1 = 0.115, lambda2 = 0.29 and eta1 = 0.31" in text


def _transitions() -> pd.DataFrame:
    st = pd.read_csv(DATA / "boinet_r_states.csv").sort_values(["scenario", "trial", "cohort"])
    nxt = st.groupby(["scenario", "trial"]).shift(-1)
    keep = nxt["dose"].notna()
    after = nxt[keep].astype(int)
    return after.assign(current=st.loc[keep, "dose"].astype(int) - 1,
                        chosen=after["dose"] - 1)


def test_decision_table_predicts_every_logged_move():
    """Each of boinet's 2,160 logged decisions falls in the table's zone for the counts at the
    current dose: escalate -> the next dose (when admissible), stay -> the same dose,
    de-escalate -> the dose below (when admissible), efficacy-guided -> within one level unless
    a dose in between is not admissible; admissibility from the table's count columns."""
    d = BoinEt(n_doses=5, target=0.3, delta=0.6, max_sample_size=30)
    t = decision_table(d, range(3, 31, 3)).set_index("patients at the dose")

    def admissible(row: pd.Series, j: int) -> bool:
        n, y, x = row[f"n{j + 1}"], row[f"dlt{j + 1}"], row[f"resp{j + 1}"]
        if n == 0:
            return True
        tox, eff = t.loc[n, "not admissible if DLTs >="], t.loc[n, "not admissible if responses <="]
        return (tox == "" or y < tox) and (eff == "" or x > eff)

    zones = {"escalate": 0, "stay": 0, "de-escalate": 0, "efficacy": 0}
    for _, r in _transitions().iterrows():
        c, k = r["current"], r["chosen"]
        n, y, x = r[f"n{c + 1}"], r[f"dlt{c + 1}"], r[f"resp{c + 1}"]
        row = t.loc[n]
        if y <= row["escalate if DLTs <="] and x <= row["and responses <="]:
            zone, want = "escalate", c + 1 if c < 4 and admissible(r, c + 1) else None
            assert want is None and k >= c or k == want
        elif y >= row["de-escalate if DLTs >="]:
            zone, want = "de-escalate", c - 1 if c > 0 and admissible(r, c - 1) else None
            assert want is None and k <= c or k == want
        elif x > row["and responses <="]:
            zone = "stay"
            assert k == c or not admissible(r, c)
        else:
            zone = "efficacy"
            between = range(min(c, k) + 1, max(c, k))
            assert abs(k - c) <= 1 or not all(admissible(r, j) for j in between)
        zones[zone] += 1
    assert sum(zones.values()) == 2160 and min(zones.values()) > 100


def test_decision_table_by_hand():
    """n = 3 and 9 worked by hand: 0/3 <= 0.14 < 1/3, 2/3 >= 0.35 > 1/3, 1/3 <= 0.48 < 2/3;
    1/9 <= 0.14 < 2/9, 4/9 >= 0.35 > 3/9, 4/9 <= 0.48 < 5/9; P(p_T > 0.3 | 3 of 3) = 1 - 0.3^4
    = 0.9919 > 0.95 (beta(4, 1)) while P(p_T > 0.3 | 2 of 3) = 0.9163."""
    d = BoinEt(n_doses=3, target=0.3, delta=0.6, max_sample_size=9)
    t = decision_table(d, [3, 9])
    assert t.iloc[0].tolist() == [3, 0, 1, 2, 3, ""]
    assert t.iloc[1].tolist()[:4] == [9, 1, 4, 4]


def test_protocol_section_of_the_bundled_protocol():
    """Regression: the OC table's rows are simulate_boinet's for the same seed."""
    p = load_protocol("ct071_boinet")
    text = protocol_section(p, [([0.05, 0.2], [0.4, 0.75])], 500, 7)
    oc = simulate_boinet(boinet_from_spec(p.design, 2), [0.05, 0.2], [0.4, 0.75], 500, 7)
    assert f"| 2 | 0.2 | 0.75 | {oc['selected_pct'].iloc[1]:.4g} |" in text
    for head in ("## Design", "## Boundaries", "## Dose assignment", "## Decision table",
                 "## Stopping and OBD selection", "## Operating characteristics",
                 "## Sample size", "## References"):
        assert head in text
    assert "once 12 patients (N*) have been treated at a dose" in text


def test_protocol_section_refuses_a_later_start():
    p = load_protocol("ct071_boinet")
    p2 = p.model_copy(update={"starting_dose": "DL2"})
    with pytest.raises(InputError, match="starts at the first dose level"):
        protocol_section(p2, [], 10, 0)


def test_rose_stage_after_a_protocols_boinet():
    """Regression: a boin-et protocol's design runs the ROSE escalation exactly as the BoinEt
    object it builds (same draws), and its text has the escalation and the stage."""
    import numpy as np

    from cartrial.design.protocol_sections import protocol_sections
    from cartrial.design.rose_escalation import escalation_runner
    from cartrial.protocol import Protocol

    data = load_protocol("ct071_boinet").model_dump(mode="json")
    data["design"].update(randomised_stage={"doses": ["DL1", "DL2"], "p_high": 0.8,
                                            "margin": 0.2}, expansion=None)
    p = Protocol.model_validate(data)
    tox, eff = np.array([0.05, 0.2]), np.array([0.4, 0.75])
    a = escalation_runner(p.design, tox, eff, 0)(np.random.default_rng(5), 50)
    b = escalation_runner(boinet_from_spec(p.design, 2), tox, eff, 0)(
        np.random.default_rng(5), 50)
    assert all(np.array_equal(x, y) for x, y in zip(a[:3], b[:3], strict=True))
    text = protocol_sections(p, [([0.05, 0.2], [0.4, 0.75])], 100, 1)
    assert "lambda1 = 0.14" in text and "## Randomised dose-optimisation stage (ROSE)" in text
