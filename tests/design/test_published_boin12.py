"""BOIN12 against published operating characteristics: the MD Anderson web app's figures in the R
package escalation's issue #8, where the web app and escalation disagree.

Published numbers (tests/design/data/published_boin12_webapp.csv, provenance in its header):
S. Englert, "Discrepancies in BOIN12 simulation results", GitHub issue #8 of brockk/escalation
(2025-02-25). The BOIN12 web app (trialdesign.org) with its default settings, extra dose
exploration de-selected and correlation 0 (5 doses, phi_T 0.35, phi_E 0.25, utilities 100 / 40 /
60 / 0, N* 6, c_T 0.95, c_E 0.9, cohorts of 3, stop once 12 patients are at a dose, at most 36,
p_T = 0.03, 0.17, 0.35, 0.50, 0.65, p_E = 0.12, 0.39, 0.43, 0.55, 0.65), 10,000 trials: dose 2
selected in 57.3 %, dose 3 in 21.3 %; escalation with the issue's code: 49.6 % and 23.7 %.

Why escalation differs (tests/design/data/published_boin12_escalation.csv: escalation 0.2.3 re-run
on the scenario by tests/design/data/published_boin12_escalation.R, seeds 8 and 9, 2,000 trials
each; its BOIN12 files are unchanged since 0.1.10, the version of the issue):

1. The issue's chain ends without ``select_boin12_obd()``, so the dose escalation reports as
   selected is the dose ``boin12_next_dose`` would give the next cohort when the trial stops,
   not the optimal biological dose of Lin et al. (JCO Precis Oncol 2020;4:1393-402, "Optimal
   biological dose selection": isotonic DLT estimates, unimodal response estimates, highest
   estimated utility at or below the MTD), which the web app and cartrial select.
2. ``boin12_next_dose`` always explores an untried next dose from n > 8 (the web app's option
   was de-selected in the issue).

cartrial's own rule with those two conventions reproduces escalation's figures (the issue's and
the re-run's, every dose): on this scenario the two dose-finding rules (which differ in rare
states, see README) behave alike, and the gap is in what is reported.
Appending escalation's ``select_boin12_obd()`` does not close it (re-run: dose 2 49.6 %, dose 1
24.6 %): that selector maximises the desirability P(utility > u_b) at or below an MTD from
unsmoothed empiric DLT rates, not the paper's estimated utility; applied as its code reads to
cartrial's trials it reproduces the re-run. cartrial follows the paper, which the web app
matches.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cartrial.design import boin12_rules as R
from cartrial.design.boin12 import Boin12
from cartrial.design.simulate_boin12 import simulate_boin12
from cartrial.design.simulate_select import isotonic_rows
from cartrial.design.simulate_tite_boin12 import simulate_tite_boin12
from cartrial.design.tite_boin12 import TiteBoin12

DATA = Path(__file__).parent / "data"
PUB = pd.read_csv(DATA / "published_boin12_webapp.csv", comment="#")
ESC = pd.read_csv(DATA / "published_boin12_escalation.csv", comment="#")
TOX = [0.03, 0.17, 0.35, 0.50, 0.65]
EFF = [0.12, 0.39, 0.43, 0.55, 0.65]
# the web app's defaults with extra dose exploration de-selected (issue #8)
DESIGN = Boin12(
    n_doses=5,
    target=0.35,
    phi_e=0.25,
    cohort_size=3,
    max_sample_size=36,
    n_star=6,
    n_explore=None,
    c_t=0.95,
    c_e=0.9,
    cap_per_dose=12,
)


def _pct(source: str, dose: int, frame: pd.DataFrame = PUB) -> tuple[float, int]:
    row = frame[(frame["source"] == source) & (frame["dose"] == dose)].iloc[0]
    return float(row["selected_pct"]), int(row["n_trials"])


def _mcse(pct: float, n: int) -> float:
    """Monte Carlo standard error (percentage points) of a percentage from n trials."""
    p = pct / 100
    return 100 * math.sqrt(p * (1 - p) / n)


@pytest.fixture(scope="module")
def oc():
    return simulate_boin12(DESIGN, TOX, EFF, n_trials=20_000, seed=20250225)


@pytest.mark.parametrize("dose", [2, 3])
def test_selection_matches_the_web_app_within_3_mcse(oc, dose):
    """Issue #8's web-app figures (57.3 %, 21.3 %) within 3 combined Monte Carlo SE."""
    ours = float(oc.per_dose["selected_pct"].iloc[dose - 1])
    pub, n = _pct("web_app", dose)
    se = math.hypot(_mcse(pub, n), _mcse(ours, oc.n_trials))
    assert abs(ours - pub) <= 3 * se, (dose, ours, pub, se)


def test_tite_boin12_with_complete_outcomes_matches_the_web_app():
    """TITE-BOIN12 (Zhou et al., Stat Med 2022) reduces to BOIN12 when every outcome is known
    before the next patient arrives (windows of 1 day, 0.1 patients a month): its calendar-time
    simulator reproduces the web app's BOIN12 figures within 3 combined MCSE too."""
    g = TiteBoin12(DESIGN, tox_window=1.0, eff_window=1.0)
    oc = simulate_tite_boin12(g, TOX, EFF, 0.1, n_trials=10_000, seed=20250225)
    for dose in (2, 3):
        ours = float(oc.per_dose["selected_pct"].iloc[dose - 1])
        pub, n = _pct("web_app", dose)
        assert abs(ours - pub) <= 3 * math.hypot(_mcse(pub, n), _mcse(ours, oc.n_trials))


def test_true_obd_is_dose_2(oc):
    """The scenario's OBD (highest true utility among doses with p_T <= 0.35, p_E >= 0.25), the
    utilities worked by hand: 60 p_E + 40 (1 - p_T), e.g. dose 2: 23.4 + 33.2 = 56.6."""
    assert oc.true_obd == 1
    assert oc.per_dose["true_utility"].round(1).tolist() == [46.0, 56.6, 51.8, 53.0, 53.0]


def test_escalation_as_published_disagrees_with_the_web_app():
    """The disagreement the issue reports: dose 2, 49.6 % vs 57.3 %, is beyond 3 MCSE."""
    pub, n = _pct("web_app", 2)
    esc, m = _pct("escalation", 2)
    assert abs(esc - pub) > 3 * math.hypot(_mcse(pub, n), _mcse(esc, m))


@pytest.mark.parametrize("dose", [2, 3])
def test_escalation_rerun_reproduces_the_issue(dose):
    """escalation 0.2.3 re-run with the issue's code reproduces the issue's own figures, so the
    committed run is the chain the issue describes."""
    ours, n = _pct("recommended_dose", dose, ESC.rename(columns={"selector": "source"}))
    pub, m = _pct("escalation", dose)
    assert abs(ours - pub) <= 3 * math.hypot(_mcse(pub, m), _mcse(ours, n))


def _escalation_style_trials(design: Boin12, n_trials: int, seed: int) -> tuple[np.ndarray, ...]:
    """cartrial's BOIN12 rule run cohort by cohort, keeping what escalation's chain reports: the
    dose the rule would give the next cohort when the trial stops (cap, maximum or early stop;
    -1 for an early stop) and the final counts n, DLTs, responses per dose."""
    rng = np.random.default_rng(seed)
    p, q, k, m, ncoh = np.array(TOX), np.array(EFF), design.n_doses, design.cohort_size, 12
    ut, ue = rng.random((n_trials, ncoh, m)), rng.random((n_trials, ncoh, m))
    t = design.tables(ncoh * m)
    n, yt, ye = (np.zeros((n_trials, k), dtype=np.int64) for _ in range(3))
    elim, d = np.zeros((n_trials, k), dtype=bool), np.zeros(n_trials, dtype=np.int64)
    active, final = np.ones(n_trials, dtype=bool), np.full(n_trials, -1)
    for c in range(ncoh):
        a = np.nonzero(active)[0]
        da = d[a]
        n[a, da] += m
        yt[a, da] += (ut[a, c] < p[da][:, None]).sum(axis=1)
        ye[a, da] += (ue[a, c] < q[da][:, None]).sum(axis=1)
        x = design.utility.pseudo_responses(n[a], yt[a], ye[a])
        nxt, elim[a], rule = R.decide_rows(
            t, design.n_star, design.n_explore, None, da, n[a], yt[a], ye[a], x, elim[a]
        )
        early = np.isin(rule, R.EARLY_STOPS)
        stop = early | (n[a, da] >= design.cap_per_dose) | (c == ncoh - 1)
        final[a[stop]] = np.where(early[stop], -1, nxt[stop])
        d[a] = nxt
        active[a[stop]] = False
    return final, n, yt, ye


def _pct_per_dose(dose: np.ndarray, k: int) -> np.ndarray:
    """% of trials per dose, index 0 = no dose (dose -1)."""
    return 100 * np.bincount(dose + 1, minlength=k + 1) / dose.size


def _escalation_obd(design: Boin12, final, n, yt, ye) -> np.ndarray:
    """escalation 0.2.3's ``select_boin12_obd`` as its code reads: unweighted isotonic fit of
    the empiric DLT rates of the tried doses, MTD the highest dose closest to phi_T, then the
    dose at or below it with the highest desirability P(utility > u_b | data) (first on ties)."""
    des = R.desirability(n, design.utility.pseudo_responses(n, yt, ye), design.u_b)
    out = np.full(final.size, -1)
    for i in np.nonzero(final >= 0)[0]:
        tried = np.nonzero(n[i] > 0)[0]
        rate = (yt[i, tried] / n[i, tried])[None, :]
        dist = np.abs(isotonic_rows(rate, np.ones_like(rate))[0] - design.target)
        mtd = tried[np.nonzero(dist == dist.min())[0][-1]]
        out[i] = int(np.argmax(des[i, : mtd + 1]))
    return out


def test_paper_rule_reporting_the_next_dose_reproduces_escalation():
    """cartrial's BOIN12 rule with escalation's two conventions -- dose exploration on (its
    ``boin12_next_dose`` always explores from n > 8) and the next cohort's dose reported instead
    of the OBD -- lands on escalation's published 49.6 % / 23.7 % within 3 MCSE: what is
    reported, not the dose-finding rule, makes the gap to the web app."""
    final, *_ = _escalation_style_trials(replace(DESIGN, n_explore=9), 20_000, seed=8)
    sel = _pct_per_dose(final, DESIGN.n_doses)
    for dose in (2, 3):
        pub, n = _pct("escalation", dose)
        assert abs(sel[dose] - pub) <= 3 * math.hypot(_mcse(pub, n), _mcse(sel[dose], 20_000))
    esc = ESC.rename(columns={"selector": "source"})
    for dose in range(DESIGN.n_doses + 1):  # and the committed re-run, every dose
        ref, n = _pct("recommended_dose", dose, esc)
        se = math.hypot(_mcse(ref, n), _mcse(sel[dose], 20_000))
        assert abs(sel[dose] - ref) <= 3 * max(se, 0.1), (dose, sel[dose], ref)


def test_escalation_obd_selector_is_not_the_papers():
    """Appending escalation's ``select_boin12_obd()`` does not close the gap (re-run: dose 2
    49.6 %, dose 1 24.6 %): it picks by desirability, which favours little-explored doses, not by
    the paper's estimated utility. That selector, as its code reads, applied to cartrial's rule
    run with exploration on, reproduces the re-run for every dose within 3 MCSE."""
    esc = ESC.rename(columns={"selector": "source"})
    trials = _escalation_style_trials(replace(DESIGN, n_explore=9), 20_000, seed=9)
    sel = _pct_per_dose(_escalation_obd(DESIGN, *trials), DESIGN.n_doses)
    for dose in range(DESIGN.n_doses + 1):
        ref, n = _pct("select_boin12_obd", dose, esc)
        se = math.hypot(_mcse(ref, n), _mcse(sel[dose], 20_000))
        assert abs(sel[dose] - ref) <= 3 * max(se, 0.1), (dose, sel[dose], ref)
    web, _ = _pct("web_app", 2)
    obd, m = _pct("select_boin12_obd", 2, esc)
    assert abs(obd - web) > 3 * math.hypot(_mcse(web, 10_000), _mcse(obd, m))
