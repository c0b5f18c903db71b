"""Escalation followed by a randomised ROSE stage, simulated end to end (lock-step numpy).

Each simulated trial first escalates with the protocol's own design -- BOIN, 3+3, i3+3, mTPI-2,
CRM and their TITE forms, BOIN12, TITE-BOIN12, U-BOIN, or BOIN-ET given as a design object --
through the block function that design's own simulator uses
(:func:`cartrial.design.rose_escalation.escalation_runner`), and then randomises between two
doses and selects one by the ROSE rule (:func:`cartrial.design.rose_rules.select_high`; Wang,
Yuan & Liu, Biometrics 2025;81(4):ujaf124). The doses are the protocol's named pair (randomised
only when the escalation selected a dose at or above the higher one: a dose the escalation found
too toxic is not randomised) or, with ``rule: selected-and-next-lower``, the escalation's
selection and the dose below it (none below: the selection stands without a randomised stage). A
trial whose escalation selects no dose selects none. Only the randomised patients' responses
enter the ROSE comparison, as in the paper.

Block ``b`` of 1024 trials draws from ``default_rng(SeedSequence(seed).spawn(n_blocks)[b])``:
first the escalation's draws, exactly as its simulator alone draws them on the same seed (so the
escalation part is that simulator's trials, one for one), then the randomised stage's responses
and DLTs. Results never depend on batching.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from cartrial.design.rose import RoseDesign
from cartrial.design.rose_escalation import ESCALATIONS, escalation_name, escalation_runner
from cartrial.design.rose_rules import select_high
from cartrial.design.rose_spec import RandomisedStageSpec, stage_design
from cartrial.design.simulate_boin12 import _se_mean as _se
from cartrial.design.simulate_rules import BLOCK
from cartrial.errors import InputError

__all__ = ["ESCALATIONS", "RoseSimulation", "simulate_rose", "true_obd_of"]


@dataclass(frozen=True)
class RoseSimulation:
    """Operating characteristics of escalation + randomised stage under one scenario.

    ``per_dose``: dose (1-based), true_tox, true_eff, escalation_pct (selected by escalation),
    selected_pct (+ _se, the final selection), patients (+ _se, both parts),
    escalation_patients, stage_patients,
    dlt (mean DLTs per trial, both parts; the stage draws DLTs with the true probabilities but
    never stops on them -- ROSE assumes both doses are safe).
    ``overall``: correct_selection_pct (+ _se), no_selection_pct, randomised_pct,
    early_selection_pct (higher dose chosen at the interim), mean_patients (+ _se),
    mean_escalation_patients, mean_stage_patients; with an escalation simulated in calendar
    time (BOIN family, CRM, TITE designs) also mean_escalation_days (+ _se).

    Attributes
    ----------
    true_obd : int or None
        0-based dose ROSE aims at (:func:`true_obd_of`); None when no dose is acceptable.
    per_dose : pandas.DataFrame
        One row per dose, columns above.
    overall : dict of str to float
        Trial-level summaries above (percentages 0-100, means per trial).
    stage : RoseDesign
        The randomised stage simulated (n per arm, boundary).
    n_trials, seed : int
        Monte Carlo size and ``numpy.random.SeedSequence`` seed.
    method : str
        Escalation design, stage and simulation in words.

    Examples
    --------
    >>> from cartrial.protocol import RandomisedStageSpec, load_protocol
    >>> st = RandomisedStageSpec(rule="selected-and-next-lower", p_high=0.4, margin=0.15,
    ...                          n_per_arm=10, boundary=0.05)
    >>> spec = load_protocol("ct071").design.model_copy(update={"randomised_stage": st})
    >>> r = simulate_rose(spec, [0.05, 0.1, 0.15], [0.3, 0.5, 0.55], ["DL1", "DL2", "DL3"],
    ...                   200, seed=1)
    >>> r.true_obd, r.n_trials, r.stage.n_low, round(r.overall["correct_selection_pct"], 1)
    (1, 200, 10, 56.0)
    """

    true_obd: int | None
    per_dose: pd.DataFrame
    overall: dict[str, float]
    stage: RoseDesign
    n_trials: int
    seed: int
    method: str


def true_obd_of(tox: np.ndarray, eff: np.ndarray, target: float, margin: float) -> int | None:
    """Lowest dose with DLT probability <= target whose response probability is less than
    ``margin`` below the best such dose (None: no dose is acceptable) -- the dose ROSE aims at
    (a higher dose better by ``margin`` or more is the OBD, as in the paper's scenario H).

    Examples
    --------
    >>> true_obd_of(np.array([0.05, 0.1, 0.4]), np.array([0.3, 0.35, 0.6]), 0.3, 0.1)
    0
    """
    ok = tox <= target + 1e-12
    if not ok.any():
        return None
    best = float(eff[ok].max())
    return int(np.nonzero(ok & (eff > best - margin + 1e-12))[0][0])


def _pairs(st: RandomisedStageSpec, sel: np.ndarray, dose_ids: list[str]
           ) -> tuple[np.ndarray, ...]:
    """(lower, higher, randomised?) per trial from the escalation's selection."""
    if st.doses is not None:
        lo, hi = (dose_ids.index(x) for x in st.doses)
        return np.full_like(sel, lo), np.full_like(sel, hi), sel >= hi
    return sel - 1, sel, sel >= 1


def _stage(
    d: RoseDesign, pl: np.ndarray, ph: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, ...]:
    """(higher selected?, early?, patients low, patients high) for each randomised trial."""
    il, ih = d.interim_low, d.interim_high
    a1 = rng.binomial(il, pl)
    b1 = rng.binomial(ih, ph)
    early = (
        select_high(a1, b1, il, ih, d.interim_boundary)
        if d.interim_boundary is not None
        else np.zeros(pl.shape, dtype=bool)
    )
    a = a1 + rng.binomial(d.n_low - il, pl)
    b = b1 + rng.binomial(d.n_high - ih, ph)
    high = early | select_high(a, b, d.n_low, d.n_high, d.boundary)
    n_lo = np.where(early, il, d.n_low)
    n_hi = np.where(early, ih, d.n_high)
    return high, early, n_lo, n_hi


def _block(
    run: Any, st: RandomisedStageSpec, d: RoseDesign, p: np.ndarray, q: np.ndarray,
    ids: list[str], kid: np.random.SeedSequence, size: int,
) -> tuple[Any, ...]:
    """One block: (escalation n, escalation sel, final sel, stage n, randomised?, early?, DLTs
    per dose in both parts, escalation duration or None). The escalation draws first from the
    block's generator, exactly as its simulator alone; the stage's responses, then its DLTs,
    follow on the same generator."""
    rng = np.random.default_rng(kid)
    n, y, sel, days = run(rng, size)
    lo, hi, go = _pairs(st, sel, ids)
    final = sel.copy()
    stage_n = np.zeros_like(n)
    early = np.zeros(size, dtype=bool)
    rows = np.nonzero(go)[0]
    high, e, n_lo, n_hi = _stage(d, q[lo[rows]], q[hi[rows]], rng)
    final[rows] = np.where(high, hi[rows], lo[rows])
    dlt = y.astype(np.int64)
    for arm, m in ((lo[rows], n_lo), (hi[rows], n_hi)):
        np.add.at(stage_n, (rows, arm), m)
        np.add.at(dlt, (rows, arm), rng.binomial(m, p[arm]))
    early[rows] = e
    return n, sel, final, stage_n, go, early, dlt, days


def simulate_rose(
    spec: Any,
    true_tox: Any,
    true_eff: Any,
    dose_ids: list[str],
    n_trials: int = 10_000,
    seed: int = 0,
    *,
    stage: RandomisedStageSpec | None = None,
    true_obd: int | None | Literal["auto"] = "auto",
    start_dose: int = 0,
    patients_per_month: float | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> RoseSimulation:
    """Operating characteristics of escalation + ROSE stage by ``n_trials`` simulated trials.

    Parameters
    ----------
    spec : DesignSpec, Boin12, TiteBoin12, Uboin or BoinEt
        The escalation: the protocol's design (its ``randomised_stage`` is the stage unless
        ``stage`` is given), or a phase I/II design object
        (:func:`cartrial.design.rose_escalation.escalation_runner`).
    true_tox, true_eff : sequence of float
        True DLT and response probability per dose.
    dose_ids : list of str
        The protocol's dose level ids (to place a named pair).
    n_trials, seed : int
        Number of trials; seed of ``numpy.random.SeedSequence`` (blocks of 1024 trials).
    stage : RandomisedStageSpec, optional
        The randomised stage (required with a design object).
    true_obd : int, None or "auto"
        0-based correct dose ("auto": :func:`true_obd_of` with the design's target and the
        stage's margin; None: no dose is acceptable, correct = no selection).
    start_dose : int
        0-based starting dose of the escalation.
    patients_per_month : float, optional
        TITE-BOIN12's accrual rate (default: the protocol's ``design.accrual``).
    progress : callable, optional
        ``progress(done, total)`` after each block.

    Returns
    -------
    RoseSimulation

    Raises
    ------
    InputError
        No randomised stage in the design, an escalation without a simulator here, wrong
        lengths or probabilities outside [0, 1].

    References
    ----------
    Wang S, Yuan Y, Liu S. Biometrics 2025;81(4):ujaf124 (ROSE rule and its sample size).

    Examples
    --------
    >>> from cartrial.protocol import load_protocol
    >>> from cartrial.protocol import RandomisedStageSpec
    >>> p = load_protocol("ct071")
    >>> st = RandomisedStageSpec(rule="selected-and-next-lower", p_high=0.4, margin=0.15,
    ...                          n_per_arm=10, boundary=0.05)
    >>> spec = p.design.model_copy(update={"randomised_stage": st})
    >>> ids = ["DL1", "DL2", "DL3"]
    >>> r = simulate_rose(spec, [0.05, 0.1, 0.15], [0.3, 0.5, 0.55], ids, 200, seed=1)
    >>> r.true_obd
    1
    """
    st = stage if stage is not None else getattr(spec, "randomised_stage", None)
    if st is None:
        raise InputError("the design has no randomised_stage (design.randomised_stage: ...)")
    p, q, tobd = _check(spec, st, true_tox, true_eff, dose_ids, n_trials, seed, true_obd,
                        start_dose)
    run = escalation_runner(spec, p, q, int(start_dose), patients_per_month)
    d = stage_design(st)
    acc = _Acc(p.size)
    kids = np.random.SeedSequence(int(seed)).spawn(math.ceil(int(n_trials) / BLOCK))
    for b, kid in enumerate(kids):
        size = min(BLOCK, int(n_trials) - b * BLOCK)
        acc.add(*_block(run, st, d, p, q, dose_ids, kid, size))
        if progress is not None:
            progress(min(int(n_trials), (b + 1) * BLOCK), int(n_trials))
    return acc.result(p, q, tobd, d, int(n_trials), int(seed), escalation_name(spec))


def _check(
    spec: Any, st: RandomisedStageSpec, tox: Any, eff: Any, ids: list[str], n_trials: int,
    seed: int, true_obd: int | None | Literal["auto"], start: int,
) -> tuple[np.ndarray, np.ndarray, int | None]:
    if escalation_name(spec) not in ESCALATIONS:
        raise InputError(f"escalation + randomised stage is simulated after {ESCALATIONS}, "
                         f"not {escalation_name(spec)!r}")
    from cartrial.protocol.randomised_stage import check_stage_doses

    try:
        check_stage_doses(st, list(ids))
    except ValueError as exc:
        raise InputError(str(exc)) from None
    p, q = np.asarray(tox, dtype=float), np.asarray(eff, dtype=float)
    for name, v in (("true toxicity", p), ("true efficacy", q)):
        if v.shape != (len(ids),) or not np.all((v >= 0) & (v <= 1)):
            raise InputError(f"{name} needs {len(ids)} probabilities in [0, 1], got {v}")
    if int(n_trials) < 1 or int(seed) < 0:
        raise InputError(f"n_trials must be >= 1 and seed >= 0, got {n_trials}, {seed}")
    if not 0 <= int(start) < len(ids):
        raise InputError(f"start_dose {start} (0-based) is outside 0..{len(ids) - 1}")
    if true_obd == "auto":
        target = spec.target if hasattr(spec, "target") else spec.boin12.target  # TiteBoin12
        return p, q, true_obd_of(p, q, target, st.margin)
    if true_obd is not None and not 0 <= int(true_obd) < len(ids):
        raise InputError(f"true_obd {true_obd} (0-based) is outside 0..{len(ids) - 1}")
    return p, q, None if true_obd is None else int(true_obd)


class _Acc:
    """Sums over blocks of trials."""

    def __init__(self, k: int) -> None:
        self.k = k
        self.esc_sel, self.sel = np.zeros(k + 1), np.zeros(k + 1)
        self.n, self.n2, self.stage, self.dlt, self.esc_n = (np.zeros(k) for _ in range(5))
        self.tot, self.tot2, self.esc_tot = 0.0, 0.0, 0.0
        self.randomised, self.early = 0, 0
        self.days, self.days2, self.timed = 0.0, 0.0, False

    def add(self, n: np.ndarray, sel: np.ndarray, final: np.ndarray, stage_n: np.ndarray,
            go: np.ndarray, early: np.ndarray, dlt: np.ndarray, days: np.ndarray | None) -> None:
        k = self.k
        self.esc_sel += np.bincount(np.where(sel < 0, k, sel), minlength=k + 1)
        self.sel += np.bincount(np.where(final < 0, k, final), minlength=k + 1)
        both = (n + stage_n).astype(float)
        self.n += both.sum(0)
        self.n2 += (both**2).sum(0)
        self.stage += stage_n.sum(0)
        self.esc_n += n.sum(0)
        self.dlt += dlt.sum(0)
        per = both.sum(1)
        self.tot += float(per.sum())
        self.tot2 += float((per**2).sum())
        self.esc_tot += float(n.sum())
        self.randomised += int(go.sum())
        self.early += int(early.sum())
        if days is not None:
            self.timed = True
            self.days += float(days.sum())
            self.days2 += float((days**2).sum())

    def result(self, p: np.ndarray, q: np.ndarray, tobd: int | None, d: RoseDesign,
               n_trials: int, seed: int, name: str) -> RoseSimulation:
        k, t = self.k, n_trials
        frac = self.sel / t
        per = pd.DataFrame({
            "dose": np.arange(1, k + 1), "true_tox": p, "true_eff": q,
            "escalation_pct": 100 * self.esc_sel[:k] / t,
            "selected_pct": 100 * frac[:k],
            "selected_pct_se": 100 * np.sqrt(frac[:k] * (1 - frac[:k]) / t),
            "patients": self.n / t, "patients_se": _se(self.n, self.n2, t),
            "escalation_patients": self.esc_n / t, "stage_patients": self.stage / t,
            "dlt": self.dlt / t,
        })
        f = float(frac[k] if tobd is None else frac[tobd])
        overall = {
            "correct_selection_pct": 100 * f,
            "correct_selection_pct_se": 100 * math.sqrt(f * (1 - f) / t),
            "no_selection_pct": float(100 * frac[k]),
            "randomised_pct": 100 * self.randomised / t,
            "early_selection_pct": 100 * self.early / t,
            "mean_patients": self.tot / t,
            "mean_patients_se": float(_se(np.array([self.tot]), np.array([self.tot2]), t)[0]),
            "mean_escalation_patients": self.esc_tot / t,
            "mean_stage_patients": float(self.stage.sum() / t),
        }
        if self.timed:  # the escalation's simulator runs in calendar time
            se = _se(np.array([self.days]), np.array([self.days2]), t)[0]
            overall |= {"mean_escalation_days": self.days / t,
                        "mean_escalation_days_se": float(se)}
        method = (f"{name} escalation + ROSE stage ({d.method}); Monte Carlo, {t} trials, "
                  f"SeedSequence({seed}) blocks of {BLOCK}")
        return RoseSimulation(tobd, per, overall, d, t, seed, method)
