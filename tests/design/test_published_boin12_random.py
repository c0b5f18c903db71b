"""BOIN12 against published operating characteristics over random scenarios: Shi, Lin & Lin's
comparative review of model-assisted phase I/II designs.

Published numbers (tests/design/data/published_boin12_random.csv, provenance in its header):
H. Shi, R. Lin, X. Lin, "Comparative review of novel model-assisted designs for phase I/II
clinical trials", the BOIN12 results behind its Tables 3-6, as committed by the authors with
their replication code (GitHub zichen-liu/ModelAssistedPhase12, commit d3b4045, 2023-12-20,
files ``NDOSE<J>[_START2]/<OBD>/boin12_random.csv``; the tables average them over the OBD
positions). R. Lin is the first author of BOIN12 (Lin et al., JCO Precis Oncol 2020;4:1393-402).

Their simulation (``boin12.R`` and ``main.r`` there): J = 3, 5 or 10 doses, phi_T 0.3, zeta_E
(phi_E) 0.2, cohorts of 3, N* 6, exploration of an untried dose from 9 patients, c_T 0.95, c_E
0.9, no per-dose cap (the trial runs to the maximum sample size), start at dose 1 (or 2),
desirability ties broken at random, DLT and response independent; utilities (u11, u00) = (60,
40) ("utility 1") or (100, 0) ("utility 2"), with u01 = 100 and u10 = 0. For each position of the
optimal biological dose (OBD) 10,000 trials are run, each on its own random scenario drawn by
:func:`random_scenarios` (their ``simprob``). cartrial's BOIN12 simulator
(:func:`cartrial.design.simulate_boin12.run_trials`, the lock-step loop behind
``simulate_boin12``, with one scenario per trial) runs the same number of trials on scenarios
drawn the same way (numpy, seeded), and every published figure must agree within 3 Monte Carlo
standard errors of the difference (both sides' errors, the published side having the same
per-trial spread as ours). So they do, but for one figure of the 10-dose rows (``KNOWN_GAP``). The
10-dose, 36-cohort rows are runs of 2,000 trials (see the data file's header).

Metrics (their definitions, per trial, in % over trials): ``obd_sel`` the OBD is selected;
``favorable_sel`` the selected dose is at or below the true MTD and its true utility is within 5 %
of the OBD's; ``obd_pts`` % of the maximum sample size treated at the OBD; ``early_stop``;
``overdose_pts`` % of the maximum sample size treated at doses with p_T > phi_T + 0.1;
``poor_allocation`` fewer than (maximum sample size) / J patients at the OBD; ``overdose_sel``
the selected dose has p_T > phi_T + 0.1. Their "favourable dose allocation" column is not
compared: it indexes the patient counts by a logical vector of length MTD (``n[abs(u.true[1:mtd]
- u.true[bd]) <= ...]``), which R recycles over the J doses, so its definition is unclear when the
MTD is below the top dose.

A trial that ends without early stopping but with no tried, non-eliminated dose at or below the
estimated MTD selects nothing in cartrial (``NO_OBD``); their code then takes the first such dose
(estimated utility -100). That happens in under 0.1 % of trials with 5 doses.
"""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cartrial.design.boin12 import Boin12
from cartrial.design.simulate_boin12 import run_trials
from cartrial.design.utility import UtilityTable

DATA = Path(__file__).parent / "data"
PUB = pd.read_csv(DATA / "published_boin12_random.csv", comment="#")
METRICS = (
    "obd_sel",
    "favorable_sel",
    "obd_pts",
    "early_stop",
    "overdose_pts",
    "poor_allocation",
    "overdose_sel",
)
PHI_T, ZETA_E, PUB_TRIALS = 0.3, 0.2, 10_000
UTILITY = {1: (60.0, 40.0), 2: (100.0, 0.0)}
KEY = ["n_doses", "start_dose", "n_cohorts", "utility", "obd"]


def _toxicity(rng: np.random.Generator, m: int, k: int, obd: int) -> tuple[np.ndarray, ...]:
    """m draws of (true MTD, DLT curve) given the OBD (1-based), by Shi et al.'s algorithm.

    The MTD is uniform on obd..k; the curve is k sorted uniforms on (0, B), redrawn until the
    dose closest to phi_T is the MTD, with B = max(phi_T + 0.1, largest of k - MTD uniforms on
    (phi_T, 1)) below the top dose and B = phi_T + (1 - phi_T) Beta(0.5, 1) at it.
    """
    mtd = obd + rng.integers(0, k - obd + 1, size=m)
    # the largest of k - mtd uniforms on (phi_T, 1), by inversion of its distribution function
    top_below = PHI_T + (1 - PHI_T) * rng.random(m) ** (1.0 / np.maximum(k - mtd, 1))
    top_at = PHI_T + (1 - PHI_T) * rng.beta(0.5, 1.0, size=m)
    bound = np.where(mtd < k, np.maximum(PHI_T + 0.10, top_below), top_at)
    curve = np.empty((m, k))
    todo = np.arange(m)
    while todo.size:
        # several candidates per row at once (rare rows need thousands); the first accepted one
        # is kept, as in the one-at-a-time loop
        reps = min(4096, max(1, 200_000 // todo.size))
        cand = np.sort(rng.random((todo.size, reps, k)), axis=2) * bound[todo, None, None]
        ok = np.argmin(np.abs(cand - PHI_T), axis=2) + 1 == mtd[todo, None]
        hit = ok.any(axis=1)
        first = np.argmax(ok, axis=1)
        curve[todo[hit]] = cand[hit, first[hit]]
        todo = todo[~hit]
    return mtd, curve


def _efficacy(rng: np.random.Generator, m: int, k: int, obd: int, plateau: bool) -> np.ndarray:
    """m response curves given the OBD: increasing (OBD at the top dose), increasing to the OBD
    then flat (plateau), or increasing to a peak at or above the OBD then decreasing; the curve's
    maximum is the largest of k uniforms on (0, B), B uniform on (zeta_E + 0.1, 1)."""
    bound = rng.uniform(ZETA_E + 0.10, 1.0, size=m)
    if obd == k:
        return np.sort(rng.random((m, k)), axis=1) * bound[:, None]
    if plateau:
        rise = np.sort(rng.random((m, obd)), axis=1) * bound[:, None]
        return np.concatenate([rise, np.repeat(rise[:, -1:], k - obd, axis=1)], axis=1)
    peak_at = obd + rng.integers(0, k - obd + 1, size=m)
    peak = bound * rng.random((m, k)).max(axis=1)
    u = rng.random((m, k)) * peak[:, None]
    j = np.arange(1, k + 1)[None, :]
    rising = np.sort(np.where(j < peak_at[:, None], u, np.inf), axis=1)
    falling = -np.sort(-np.where(j > peak_at[:, None], u, -np.inf), axis=1)
    after = np.take_along_axis(falling, np.clip(j - peak_at[:, None] - 1, 0, k - 1), axis=1)
    curve = np.where(j < peak_at[:, None], rising, after)
    return np.where(j == peak_at[:, None], peak[:, None], curve)


def random_scenarios(
    rng: np.random.Generator, m: int, k: int, obd: int, u11: float, u00: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """m random scenarios (p_T, p_E per dose, true MTD) whose OBD is ``obd`` (1-based).

    Shi, Lin & Lin's ``simprob``: a fair coin picks a plateau or a peaked response curve
    (OBD below the top dose), then (MTD, DLT curve, response curve) are drawn until the dose of
    highest true utility u11 p_E + u00 (1 - p_T) at or below the MTD is the OBD, with p_T <=
    phi_T + 0.05 and p_E >= zeta_E + 0.05 there. Rejection keeps the first acceptable draw, so
    drawing candidates in batches gives the same distribution as their one-at-a-time loop.
    """
    plateau = rng.random(m) < 0.5 if obd < k else np.zeros(m, dtype=bool)
    p_t, p_e, mtd_out = np.empty((m, k)), np.empty((m, k)), np.empty(m, dtype=np.int64)
    for kind in (True, False):
        rows = np.nonzero(plateau == kind)[0]
        parts: list[tuple[np.ndarray, ...]] = []
        need = rows.size
        while need > 0:
            size = max(4 * need, 256)
            mtd, tox = _toxicity(rng, size, k, obd)
            eff = _efficacy(rng, size, k, obd, kind)
            util = np.where(
                np.arange(k)[None, :] < mtd[:, None], u11 * eff + u00 * (1 - tox), -np.inf
            )
            ok = np.argmax(util, axis=1) + 1 == obd
            ok &= (tox[:, obd - 1] <= PHI_T + 0.05) & (eff[:, obd - 1] >= ZETA_E + 0.05)
            parts.append((tox[ok][:need], eff[ok][:need], mtd[ok][:need]))
            need -= min(need, int(ok.sum()))
        if rows.size:
            p_t[rows], p_e[rows], mtd_out[rows] = (
                np.concatenate(v) for v in zip(*parts, strict=True)
            )
    return p_t, p_e, mtd_out


def _per_trial(
    n: np.ndarray,
    sel: np.ndarray,
    early: np.ndarray,
    p_t: np.ndarray,
    util: np.ndarray,
    mtd: np.ndarray,
    obd: int,
    n_max: int,
) -> dict[str, np.ndarray]:
    """Each metric per trial (in %), as Shi et al. define them (module docstring)."""
    k = n.shape[1]
    r = np.arange(n.shape[0])
    b = obd - 1
    s = np.maximum(sel, 0)
    chose = sel >= 0
    near = np.abs(util[r, s] - util[:, b]) <= 0.05 * util[:, b]
    return {
        "obd_sel": 100.0 * (sel == b),
        "favorable_sel": 100.0 * (chose & near & (s + 1 <= mtd)),
        "obd_pts": 100.0 * n[:, b] / n_max,
        "early_stop": 100.0 * early,
        "overdose_pts": 100.0 * (n * (p_t > PHI_T + 0.1)).sum(axis=1) / n_max,
        "poor_allocation": 100.0 * (n[:, b] < n_max / k),
        "overdose_sel": 100.0 * (chose & (p_t[r, s] > PHI_T + 0.1)),
    }


@cache
def simulate(
    k: int, start: int, cohorts: int, utility: int, obd: int, n_trials: int = PUB_TRIALS
) -> dict[str, tuple[float, float]]:
    """cartrial's BOIN12 on ``n_trials`` random scenarios: metric -> (mean %, per-trial SD)."""
    u11, u00 = UTILITY[utility]
    rng = np.random.default_rng([k, start, cohorts, utility, obd])
    p_t, p_e, mtd = random_scenarios(rng, n_trials, k, obd, u11, u00)
    design = Boin12(
        n_doses=k,
        target=PHI_T,
        phi_e=ZETA_E,
        utility=UtilityTable(u11, u00),
        cohort_size=3,
        max_sample_size=3 * cohorts,
        n_star=6,
        n_explore=9,
        c_t=0.95,
        c_e=0.9,
    )
    ut, ue, ties = (rng.random((n_trials, cohorts, 3)) for _ in range(3))
    n, _, _, _, sel, early = run_trials(design, p_t, p_e, p_e, ut, ue, start - 1, ties)
    util = u11 * p_e + u00 * (1 - p_t)
    per = _per_trial(n, sel, early, p_t, util, mtd, obd, 3 * cohorts)
    return {m: (float(v.mean()), float(v.std(ddof=1))) for m, v in per.items()}


def _check(row: pd.Series) -> list[str]:
    """Metrics of one published row further than 3 combined MCSE from cartrial's."""
    ours = simulate(*(int(row[c]) for c in KEY))
    bad = []
    for m in METRICS:
        mean, sd = ours[m]
        se = sd * math.sqrt(1 / PUB_TRIALS + 1 / int(row["n_trials"]))
        gap = abs(mean - float(row[m]))
        if gap > max(3 * se, 0.005):
            bad.append(f"{m}: cartrial {mean:.2f} vs published {row[m]} ({gap / se:.1f} MCSE)")
    return bad


FAST = PUB[(PUB.n_doses == 5) & (PUB.start_dose == 1) & (PUB.n_cohorts == 12)]
TEN = PUB[PUB.n_doses == 10]
REST = PUB.drop(FAST.index).drop(TEN.index)


def _id(row: pd.Series) -> str:
    return "J{}-start{}-{}coh-u{}-obd{}".format(*(int(row[c]) for c in KEY))


@pytest.mark.parametrize("idx", FAST.index, ids=[_id(r) for _, r in FAST.iterrows()])
def test_five_doses_36_patients_match_published(idx: int) -> None:
    """J = 5, 12 cohorts of 3, start at dose 1, each OBD position and utility (behind Table 3)."""
    assert _check(PUB.loc[idx]) == []


def test_table3_averages_over_obd_positions() -> None:
    """The table's figures are averages over the 5 OBD positions (their ``extractavg``): the
    average of cartrial's per-position means is within 3 MCSE of the published average."""
    for utility in (1, 2):
        rows = FAST[FAST.utility == utility]
        for m in METRICS:
            sims = [simulate(5, 1, 12, utility, int(o)) for o in rows.obd]
            mean = np.mean([s[m][0] for s in sims])
            se = math.sqrt(sum(s[m][1] ** 2 * 2 / PUB_TRIALS for s in sims)) / len(sims)
            assert abs(mean - rows[m].mean()) <= max(3 * se, 0.005), (utility, m, mean)


@pytest.mark.long
@pytest.mark.parametrize("idx", REST.index, ids=[_id(r) for _, r in REST.iterrows()])
def test_other_settings_match_published(idx: int) -> None:
    """J = 3 and 5 doses (start 1 or 2), two sample sizes each (behind Tables 3-5)."""
    assert _check(PUB.loc[idx]) == []


#: the one published figure cartrial does not reproduce (README): 10 doses, 18 cohorts, utility 2,
#: OBD at dose 1, OBD selection: published 32.82 %, cartrial 30.3 % (3.8 MCSE; 4.0 MCSE on
#: another random stream); every other figure of that row agrees
KNOWN_GAP = ((10, 1, 18, 2, 1), "obd_sel")


@pytest.mark.long
@pytest.mark.parametrize("idx", TEN.index, ids=[_id(r) for _, r in TEN.iterrows()])
def test_ten_doses_against_published(idx: int) -> None:
    """J = 10 doses, 18 and 36 cohorts (behind Table 6); the 36-cohort rows are runs of 2,000
    trials (data file header). One figure is a known gap (``KNOWN_GAP``), checked to stay
    between 3 and 5 MCSE so that a change either way is seen."""
    row = PUB.loc[idx]
    bad = _check(row)
    if tuple(int(row[c]) for c in KEY) == KNOWN_GAP[0]:
        assert [b.split(":")[0] for b in bad] == [KNOWN_GAP[1]]
        mcse = float(bad[0].split("(")[1].split(" ")[0])
        assert 3 < mcse < 5
    else:
        assert bad == []


@pytest.mark.parametrize("obd", [1, 3, 5])
def test_random_scenarios_have_the_requested_obd(obd: int) -> None:
    """Every drawn scenario satisfies the acceptance conditions of the generator (a check of
    this file's helper against its definition, not of cartrial)."""
    rng = np.random.default_rng(obd)
    p_t, p_e, mtd = random_scenarios(rng, 2_000, 5, obd, 60.0, 40.0)
    assert (np.diff(p_t, axis=1) >= 0).all()
    assert (np.argmin(np.abs(p_t - PHI_T), axis=1) + 1 == mtd).all() and (mtd >= obd).all()
    util = 60 * p_e + 40 * (1 - p_t)
    below = np.where(np.arange(5)[None, :] < mtd[:, None], util, -np.inf)
    assert (np.argmax(below, axis=1) + 1 == obd).all()
    assert (p_t[:, obd - 1] <= PHI_T + 0.05).all() and (p_e[:, obd - 1] >= ZETA_E + 0.05).all()
