"""BOIN12 against R output committed as data (tests/design/data/boin12_r_*.csv).

Provenance: tests/design/data/boin12_reference.R, run with R 4.2.2, Iso 0.0-18.1, dplyr 1.0.10,
sourcing unmodified phase12designs 0.2.0 (Angela-Cao/phase12designs commit 6cdcb37d, the BOIN12
simulation code of Lin et al., JCO Precis Oncol 2020;4:1393-1402) and escalation 0.2.3
(cran/escalation commit 1fcc1c35, ``boin12_rds`` and ``boin12_next_dose``, with BOIN 2.7.2's
``get.boundary``, cran/BOIN commit 6c3a0c24); seeds are set in the script
(set.seed(20201), set.seed(20202), set.seed(200 + scenario), set.seed(100 + scenario)).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cartrial.design import boin12_rules as R
from cartrial.design.boin12 import Boin12
from cartrial.design.boin12_select import select_obd_rows, unimodal_rows
from cartrial.design.boin12_tables import desirability_table
from cartrial.design.simulate_boin12 import simulate_boin12

DATA = Path(__file__).parent / "data"
D = Boin12(n_doses=5, target=0.35, phi_e=0.25, max_sample_size=30)


def test_boundaries_equal_phase12designs_get_boundary():
    r = pd.read_csv(DATA / "boin12_r_boundaries.csv")
    t = D.tables(30)
    n = r["n"].to_numpy()
    assert t.escalate[n].tolist() == r["escalate"].tolist()
    assert t.deescalate[n].tolist() == r["deescalate"].tolist()
    assert t.eliminate_tox[n].tolist() == r["eliminate_tox"].tolist()
    assert t.eliminate_eff[n].tolist() == r["eliminate_eff"].fillna(-1).astype(int).tolist()


def test_rank_based_desirability_equals_escalation_boin12_rds():
    """Lin et al. 2020 Table 3 settings (n = 0, 3, 6, 9) as tabulated by escalation 0.2.3."""
    r = pd.read_csv(DATA / "boin12_r_rds.csv", dtype={"RDS": str})
    t = desirability_table(D, [0, 3, 6, 9])
    m = t.merge(r, left_on=["n", "dlt", "responses"], right_on=["Patients", "Toxicity", "Efficacy"])
    assert len(m) == len(t) == len(r) == 166
    assert (m["rds_label"] == m["RDS"]).all()
    assert (m["admissible"] == (m["Admissible"] == "Admissible")).all()


def test_obd_selection_equals_phase12designs():
    """200 random data sets: isotonic DLT estimates, MTD and OBD as in the authors' code."""
    r = pd.read_csv(DATA / "boin12_r_selection.csv")
    for _, g in r.groupby("case"):
        n, yt, ye = (g[c].to_numpy()[None, :] for c in ("n", "dlt", "resp"))
        obd, mtd, pt, _, _ = select_obd_rows(n, yt, ye, np.zeros(n.shape, bool), 0.35, D.utility)
        assert pt[0] == pytest.approx(g["p_tox"].to_numpy(), abs=1e-12)
        assert mtd[0] + 1 == g["mtd"].iloc[0]
        assert obd[0] + 1 == g["obd"].iloc[0]


def test_unimodal_fit_against_iso_ufit():
    """Unit weights: equal to Iso::ufit. Weights n + 0.5 (what peestimate passes): in some
    cases Iso::ufit returns a feasible but not least-squares fit; ours is feasible with a
    weighted sum of squares never larger, and equal to ufit wherever ufit is least squares."""
    r = pd.read_csv(DATA / "boin12_r_ufit.csv")
    worse = 0
    for _, g in r.groupby("case"):
        y, w, ref = (g[c].to_numpy(dtype=float) for c in ("y", "w", "fit"))
        m = int(g["mode"].iloc[0]) - 1
        fit = unimodal_rows(y[None], w[None], m)[0]
        assert np.all(np.diff(fit[: m + 1]) >= -1e-12) and np.all(np.diff(fit[m:]) <= 1e-12)
        sse, sse_ref = float(w @ (y - fit) ** 2), float(w @ (y - ref) ** 2)
        if (w == 1).all():
            assert fit == pytest.approx(ref, abs=1e-9)
        elif not np.allclose(fit, ref, atol=1e-9):
            assert sse < sse_ref
            worse += 1
    assert 0 < worse < 75  # documented in the README (Iso 0.0-18.1)


@pytest.mark.parametrize("scenario", [1, 2, 3, 4])
def test_operating_characteristics_within_3_se_of_phase12designs(scenario):
    """10,000 trials each side; random tie-breaking as in the authors' code. The R side's
    standard error is taken equal to ours (same design, same number of trials)."""
    r = pd.read_csv(DATA / "boin12_r_oc.csv").query("scenario == @scenario")
    oc = simulate_boin12(
        D,
        r["true_tox"],
        r["true_eff"],
        n_trials=10_000,
        seed=scenario,
        true_obd=None,
        random_ties=True,
    )
    per = oc.per_dose
    se_sel = np.sqrt(2) * np.maximum(per["selected_pct_se"].to_numpy(), 0.05)
    assert np.all(
        np.abs(per["selected_pct"].to_numpy() - r["selected_pct"].to_numpy()) < 3 * se_sel
    )
    se_n = np.sqrt(2) * np.maximum(per["patients_se"].to_numpy(), 0.01)
    assert np.all(np.abs(per["patients"].to_numpy() - r["patients"].to_numpy()) < 3 * se_n)
    early = r["early_stop_pct"].iloc[0]
    se_e = np.sqrt(2) * max(oc.overall["early_stop_pct_se"], 0.05)
    assert abs(oc.overall["early_stop_pct"] - early) < 3 * se_e


def test_every_decision_of_the_authors_trial_loop():
    """2,382 decisions logged from the authors' simulation loop (boin12_r_decisions.csv,
    section 3b of the script): the state after a cohort in, the dose chosen out. Where the
    desirability of two candidates ties exactly the authors' code picks at random: the R choice
    must then be one of the tied doses; everywhere else it must equal ours."""
    r = pd.read_csv(DATA / "boin12_r_decisions.csv")

    def cols(p):
        return r[[f"{p}{j}" for j in range(1, 6)]].to_numpy()

    n, yt, ye, el = cols("n"), cols("dlt"), cols("resp"), cols("elim").astype(bool)
    d = r["dose"].to_numpy() - 1
    prior = el.copy()
    prior[np.arange(len(d)), d] = False
    x = D.utility.pseudo_responses(n, yt, ye)
    t = D.tables(30)
    rows = len(d)
    up = R.decide_rows(t, 6, 9, None, d, n, yt, ye, x, prior, np.tile([1.0, 0.5, 0.0], (rows, 1)))
    down = R.decide_rows(t, 6, 9, None, d, n, yt, ye, x, prior, np.tile([0.0, 0.5, 1.0], (rows, 1)))
    ours = R.decide_rows(t, 6, 9, None, d, n, yt, ye, x, prior)
    ref = r["next_dose"].to_numpy() - 1
    tie = up[0] != down[0]
    assert np.array_equal(ours[1], el)  # eliminations
    assert np.array_equal(ours[0][~tie], ref[~tie])
    assert np.all((ref[tie] == up[0][tie]) | (ref[tie] == down[0][tie]))
    assert rows == 2382 and 0 < tie.sum() < 40


def test_escalation_package_differs_only_around_futility_eliminated_doses():
    """escalation 0.2.3's boin12_next_dose on the same 2,382 states (boin12_r_escalation_
    decisions.csv, section 3c): ties go to the higher dose there as here, so it equals ours
    except in 4 states next to a futility-eliminated dose, where it either picks that dose
    (``currentdose-1 %in% admissible`` parses in R as ``currentdose - (1 %in% admissible)``,
    true for every dose above 1) or stops because it looks for admissible doses among
    d - 1, d, d + 1 only, where the authors' code moves to the nearest open dose."""
    r = pd.read_csv(DATA / "boin12_r_decisions.csv")
    esc = pd.read_csv(DATA / "boin12_r_escalation_decisions.csv")["escalation_next_dose"]
    esc = esc.to_numpy() - 1  # -1: escalation stops (its next_dose 0)

    def cols(p):
        return r[[f"{p}{j}" for j in range(1, 6)]].to_numpy()

    n, yt, ye, el = cols("n"), cols("dlt"), cols("resp"), cols("elim").astype(bool)
    d = r["dose"].to_numpy() - 1
    prior = el.copy()
    prior[np.arange(len(d)), d] = False
    ours = R.decide_rows(
        D.tables(30), 6, 9, None, d, n, yt, ye, D.utility.pseudo_responses(n, yt, ye), prior
    )[0]
    differ = esc != ours
    assert differ.sum() == 4
    rows = np.nonzero(differ)[0]
    picked_eliminated = el[rows, np.maximum(esc[rows], 0)] & (esc[rows] >= 0)
    assert np.all(picked_eliminated | (esc[rows] == -1))
    assert np.all(ye[rows].min(axis=1) == 0)  # a dose with no response is in every such state
