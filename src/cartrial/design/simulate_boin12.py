"""Monte Carlo operating characteristics of BOIN12 (lock-step numpy over trials).

Every trial of a block of :data:`~cartrial.design.simulate_rules.BLOCK` draws its uniforms from
that block's child of ``SeedSequence(seed)``, so results do not depend on the batch size. Each
cohort applies :func:`cartrial.design.boin12_rules.decide_rows` -- the same rule as
:meth:`cartrial.design.boin12.Boin12.decide` -- and the OBD is selected by
:func:`cartrial.design.boin12_select.select_obd_rows` (Lin et al., JCO Precis Oncol 2020).

DLT and response are drawn independently for each patient unless a Gumbel association is given
(``gumbel_psi``). With BOIN12's additive utility every decision, the OBD and each count reported
except ``dlt_and_response`` depend on the per-dose margins only, whose distribution does not
change with the association, so it leaves their expected values unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Literal

import numpy as np
import pandas as pd

from cartrial.design import boin12_rules as R
from cartrial.design.boin12 import Boin12
from cartrial.design.boin12_select import NO_OBD, select_obd_rows
from cartrial.design.oc_result import Boin12Oc
from cartrial.design.simulate_rules import BLOCK
from cartrial.errors import InputError


def true_obd_of(design: Boin12, tox: np.ndarray, eff: np.ndarray) -> int | None:
    """Dose with the highest true utility among doses with tox <= phi_T and eff >= phi_E."""
    u = np.asarray(design.utility.mean(tox, eff), dtype=float)
    ok = (tox <= design.target + 1e-12) & (eff >= design.phi_e - 1e-12)
    return int(np.argmax(np.where(ok, u, -np.inf))) if ok.any() else None


def gumbel_conditionals(p: np.ndarray, q: np.ndarray, psi: float) -> tuple[np.ndarray, np.ndarray]:
    """P(response | DLT) and P(response | no DLT) per dose under the Gumbel model.

    Examples
    --------
    >>> [v.tolist() for v in gumbel_conditionals(np.array([0.5]), np.array([0.5]), 0.0)]
    [[0.5], [0.5]]
    """
    if psi == 0:
        return q, q
    p11 = p * q + p * (1 - p) * q * (1 - q) * (np.exp(psi) - 1) / (np.exp(psi) + 1)
    given_dlt = np.divide(p11, p, out=q.copy(), where=p > 0)
    given_none = np.divide(q - p11, 1 - p, out=q.copy(), where=p < 1)
    return given_dlt, given_none


def check_scenario(
    design: Any, tox: Any, eff: Any, n_trials: int, seed: int
) -> tuple[np.ndarray, ...]:
    """True DLT and response probabilities as arrays, checked against a phase I/II design
    (``n_doses``, ``max_sample_size``, ``name``) and the simulation size.

    Raises
    ------
    InputError
        Wrong length, a value outside [0, 1], no maximum sample size, n_trials < 1, seed < 0.
    """
    if design.max_sample_size is None:
        raise InputError(f"{design.name} simulation needs max_sample_size")
    p = np.asarray(tox, dtype=float)
    q = np.asarray(eff, dtype=float)
    for name, v in (("true toxicity", p), ("true efficacy", q)):
        if v.shape != (design.n_doses,) or not np.all((v >= 0) & (v <= 1)):
            raise InputError(f"{name} needs {design.n_doses} probabilities in [0, 1], got {v}")
    if int(n_trials) < 1 or int(seed) < 0:
        raise InputError(f"n_trials must be >= 1 and seed >= 0, got {n_trials}, {seed}")
    return p, q


def run_trials(
    design: Boin12,
    p: np.ndarray,
    q_dlt: np.ndarray,
    q_no_dlt: np.ndarray,
    ut: np.ndarray,
    ue: np.ndarray,
    start: int,
    ties: np.ndarray | None = None,
) -> tuple[np.ndarray, ...]:
    """Advance trials through all cohorts: (n, dlt, responses, both, obd, early stop).

    ``p`` is the DLT probability per dose, ``q_dlt`` / ``q_no_dlt`` the response probability
    given a DLT / no DLT (each (doses,), or (trials, doses) for a scenario per trial); ``ut`` /
    ``ue`` are (trials, cohorts, cohort size) uniforms for DLT and response; ``ties`` (trials,
    cohorts, 3) uniforms break desirability ties at random (None: higher dose). ``both`` counts
    patients with a DLT and a response.
    """
    rows, ncoh, m = ut.shape
    k = design.n_doses
    n = np.zeros((rows, k), dtype=np.int64)
    yt, ye, yb = n.copy(), n.copy(), n.copy()
    elim = np.zeros((rows, k), dtype=bool)
    d = np.full(rows, start, dtype=np.int64)
    active = np.ones(rows, dtype=bool)
    early = np.zeros(rows, dtype=bool)
    t = design.tables(ncoh * m)
    for c in range(ncoh):
        a = np.nonzero(active)[0]
        if a.size == 0:
            break
        da = d[a]
        n[a, da] += m
        pa, q1a, q0a = (v[da] if v.ndim == 1 else v[a, da] for v in (p, q_dlt, q_no_dlt))
        tox = ut[a, c] < pa[:, None]
        eff = ue[a, c] < np.where(tox, q1a[:, None], q0a[:, None])
        yt[a, da] += tox.sum(axis=1)
        ye[a, da] += eff.sum(axis=1)
        yb[a, da] += (tox & eff).sum(axis=1)
        x = design.utility.pseudo_responses(n[a], yt[a], ye[a])
        nxt, el, rule = R.decide_rows(
            t,
            design.n_star,
            design.n_explore,
            design.cap_per_dose,
            da,
            n[a],
            yt[a],
            ye[a],
            x,
            elim[a],
            None if ties is None else ties[a, c],
        )
        elim[a] = el
        d[a] = nxt
        stop = np.isin(rule, R.STOPS)
        early[a] = np.isin(rule, R.EARLY_STOPS)
        active[a[stop]] = False
    obd = select_obd_rows(n, yt, ye, elim, design.target, design.utility)[0]
    return n, yt, ye, yb, np.where(early, NO_OBD, obd), early


def boin12_block(
    design: Boin12, p: np.ndarray, q_dlt: np.ndarray, q_no_dlt: np.ndarray,
    rng: np.random.Generator, size: int, start: int, random_ties: bool = False,
) -> tuple[np.ndarray, ...]:
    """One block of ``size`` trials drawn from ``rng`` (DLT, response, then tie uniforms):
    :func:`run_trials`'s result. The one draw order of :func:`simulate_boin12` and of the
    escalation before a ROSE stage."""
    ut, ue = outcome_uniforms(design, rng, size)
    ties = rng.random((size, ut.shape[1], 3)) if random_ties else None
    return run_trials(design, p, q_dlt, q_no_dlt, ut, ue, start, ties)


def outcome_uniforms(design: Any, rng: np.random.Generator, size: int) -> tuple[np.ndarray, ...]:
    """DLT then response uniforms, (size, cohorts, cohort size) each, for a phase I/II design
    with ``max_sample_size`` and ``cohort_size`` (BOIN12 and U-BOIN draw them alike)."""
    shape = (size, math.ceil(int(design.max_sample_size or 0) / design.cohort_size),
             design.cohort_size)
    return rng.random(shape), rng.random(shape)


def simulate_boin12(
    design: Boin12,
    true_tox: Any,
    true_eff: Any,
    n_trials: int = 10_000,
    seed: int = 0,
    *,
    true_obd: int | None | Literal["auto"] = "auto",
    start_dose: int = 0,
    random_ties: bool = False,
    gumbel_psi: float = 0.0,
    patients_per_month: float | None = None,
    assessment_days: float = 0.0,
    progress: Callable[[int, int], None] | None = None,
) -> Boin12Oc:
    """Operating characteristics of ``design`` by ``n_trials`` simulated trials.

    Parameters
    ----------
    design : Boin12
        The design (``max_sample_size`` required).
    true_tox, true_eff : sequence of float
        True DLT and response probability per dose.
    n_trials, seed : int
        Number of trials; seed of ``numpy.random.SeedSequence`` (blocks of 1024 trials).
    true_obd : int, None or "auto"
        0-based true OBD ("auto": :func:`true_obd_of`; None: no acceptable dose).
    start_dose : int
        0-based starting dose.
    random_ties : bool
        Break exact desirability ties at random, as the authors' simulation code does (False:
        the higher dose, as :meth:`Boin12.decide` does).
    gumbel_psi : float
        Association of DLT and response in the Gumbel model (Thall & Cook, Biometrics
        2004;60:684-693): P(DLT and response) = pT pE + pT(1 - pT) pE(1 - pE)(e^psi - 1) /
        (e^psi + 1); 0 = independent. Margins, and so every BOIN12 decision, are unchanged.
    patients_per_month, assessment_days : float
        With an accrual rate, trial duration is reported: each cohort takes the time its
        patients need to arrive (exponential gaps, mean 30.4375 / patients_per_month days) plus
        the assessment window (days until DLT and response are both known).
    progress : callable, optional
        ``progress(done, total)`` after each block.

    Returns
    -------
    Boin12Oc

    Raises
    ------
    InputError
        Probabilities of the wrong length or outside [0, 1]; no maximum sample size.

    References
    ----------
    Lin R, Zhou Y, Yan F, Li D, Yuan Y. JCO Precis Oncol 2020;4:1393-1402 (simulation study).

    Examples
    --------
    >>> d = Boin12(n_doses=3, target=0.35, phi_e=0.25, max_sample_size=18)
    >>> oc = simulate_boin12(d, [0.1, 0.2, 0.5], [0.3, 0.5, 0.6], n_trials=200, seed=1)
    >>> oc.true_obd
    1
    """
    p, q = check_scenario(design, true_tox, true_eff, n_trials, seed)
    if not 0 <= int(start_dose) < design.n_doses:
        raise InputError(f"start_dose {start_dose} (0-based) is outside 0..{design.n_doses - 1}")
    tobd = true_obd_of(design, p, q) if true_obd == "auto" else true_obd
    if patients_per_month is not None and not (patients_per_month > 0 and assessment_days >= 0):
        raise InputError(
            f"patients_per_month must be > 0 and assessment_days >= 0, got "
            f"{patients_per_month!r}, {assessment_days!r}"
        )
    q1, q0 = gumbel_conditionals(p, q, float(gumbel_psi))
    n_trials = int(n_trials)
    kids = np.random.SeedSequence(int(seed)).spawn(math.ceil(n_trials / BLOCK))
    acc = _Sums(design.n_doses)
    ncoh = math.ceil(int(design.max_sample_size or 0) / design.cohort_size)
    for b, kid in enumerate(kids):
        size = min(BLOCK, n_trials - b * BLOCK)
        rng = np.random.default_rng(kid)
        res = boin12_block(design, p, q1, q0, rng, size, int(start_dose), random_ties)
        acc.add(*res)
        if patients_per_month is not None:
            gaps = rng.standard_exponential((size, ncoh, design.cohort_size))
            done = res[0].sum(axis=1) // design.cohort_size
            span = gaps.sum(axis=2) * (30.4375 / patients_per_month) + assessment_days
            acc.add_duration((span * (np.arange(ncoh)[None, :] < done[:, None])).sum(axis=1))
        if progress is not None:
            progress(min(n_trials, (b + 1) * BLOCK), n_trials)
    return _result(design, p, q, tobd, acc, n_trials, int(seed), float(gumbel_psi), int(start_dose))


def _se_mean(s: np.ndarray, s2: np.ndarray, n: int) -> np.ndarray:
    var = np.maximum(s2 / n - (s / n) ** 2, 0.0) * n / max(n - 1, 1)
    return np.sqrt(var / n)


class _Sums:
    """Running sums over blocks of trials (selections, per-dose and per-trial totals)."""

    def __init__(self, k: int) -> None:
        self.k = k
        self.sel = np.zeros(k + 1)
        self.n, self.n2, self.yt, self.ye, self.yb = (np.zeros(k) for _ in range(5))
        self.tot, self.tot2 = np.zeros(3), np.zeros(3)
        self.early = 0
        self.dur, self.dur2, self.timed = 0.0, 0.0, False

    def add_duration(self, days: np.ndarray) -> None:
        self.timed = True
        self.dur += float(days.sum())
        self.dur2 += float((days**2).sum())

    def add(
        self,
        n: np.ndarray,
        yt: np.ndarray,
        ye: np.ndarray,
        yb: np.ndarray,
        obd: np.ndarray,
        early: np.ndarray,
    ) -> None:
        self.sel += np.bincount(np.where(obd < 0, self.k, obd), minlength=self.k + 1)
        self.n += n.sum(0)
        self.n2 += (n.astype(float) ** 2).sum(0)
        self.yt += yt.sum(0)
        self.ye += ye.sum(0)
        self.yb += yb.sum(0)
        per = np.stack([n.sum(1), yt.sum(1), ye.sum(1)], axis=1).astype(float)
        self.tot += per.sum(0)
        self.tot2 += (per**2).sum(0)
        self.early += int(early.sum())


def _result(
    design: Boin12,
    p: np.ndarray,
    q: np.ndarray,
    tobd: int | None,
    acc: _Sums,
    n_trials: int,
    seed: int,
    psi: float,
    start: int,
) -> Boin12Oc:
    k = design.n_doses
    sel, tot, tot2, early_n = acc.sel, acc.tot, acc.tot2, acc.early
    frac = sel[:k] / n_trials
    per = pd.DataFrame(
        {
            "dose": np.arange(1, k + 1),
            "true_tox": p,
            "true_eff": q,
            "true_utility": np.asarray(design.utility.mean(p, q), dtype=float),
            "selected_pct": 100 * frac,
            "selected_pct_se": 100 * np.sqrt(frac * (1 - frac) / n_trials),
            "patients": acc.n / n_trials,
            "patients_se": _se_mean(acc.n, acc.n2, n_trials),
            "dlt": acc.yt / n_trials,
            "responses": acc.ye / n_trials,
            "dlt_and_response": acc.yb / n_trials,
        }
    )
    f_obd = 0.0 if tobd is None else float(frac[tobd])
    f_early = early_n / n_trials
    se = _se_mean(tot, tot2, n_trials)
    overall = {
        "obd_selected_pct": 100 * f_obd,
        "obd_selected_pct_se": 100 * math.sqrt(f_obd * (1 - f_obd) / n_trials),
        "early_stop_pct": 100 * f_early,
        "early_stop_pct_se": 100 * math.sqrt(f_early * (1 - f_early) / n_trials),
        "mean_patients": float(tot[0] / n_trials),
        "mean_patients_se": float(se[0]),
        "mean_dlt": float(tot[1] / n_trials),
        "mean_dlt_se": float(se[1]),
        "mean_responses": float(tot[2] / n_trials),
        "mean_responses_se": float(se[2]),
    }
    if acc.timed:
        d_se = _se_mean(np.array([acc.dur]), np.array([acc.dur2]), n_trials)[0]
        overall |= {"mean_duration_days": acc.dur / n_trials, "mean_duration_days_se": d_se}
    settings = {
        "target": design.target,
        "phi_e": design.phi_e,
        "cohort_size": design.cohort_size,
        "max_sample_size": design.max_sample_size,
        "n_star": design.n_star,
        "n_explore": design.n_explore,
        "c_t": design.c_t,
        "c_e": design.c_e,
        "cap_per_dose": design.cap_per_dose,
        "response_dlt": design.utility.response_dlt,
        "no_response_no_dlt": design.utility.no_response_no_dlt,
        "gumbel_psi": psi,
        "start_dose": start + 1,
    }
    method = (
        f"Monte Carlo, {n_trials} trials, lock-step numpy, SeedSequence({seed}) blocks "
        f"of {BLOCK}; DLT and response " + ("independent" if psi == 0 else f"Gumbel psi {psi:g}")
    )
    return Boin12Oc(tobd, per, overall, n_trials, seed, method, settings)
