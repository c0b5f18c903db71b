"""Operating characteristics of a dose-escalation design: the result record and its summaries.

Per dose (as BOIN 2.7.2 ``get.oc``): % selected as MTD,
mean patients, mean DLTs, % of trials that treated the dose. Overall: % correct selection, % early
stop (no MTD selected), % patients treated above the true MTD, mean sample size, mean DLTs, mean
trial duration. Monte Carlo results carry standard errors; exact results have none (0).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cartrial.design.simulate_select import NO_MTD

PER_DOSE_COLUMNS = (
    "dose",
    "true_tox",
    "pct_selected",
    "se_pct_selected",
    "mean_patients",
    "se_mean_patients",
    "mean_dlts",
    "se_mean_dlts",
    "pct_treated",
)
OVERALL_COLUMNS = (
    "true_mtd",
    "pct_correct_selection",
    "se_pct_correct_selection",
    "pct_early_stop",
    "se_pct_early_stop",
    "pct_patients_above_mtd",
    "se_pct_patients_above_mtd",
    "mean_sample_size",
    "se_mean_sample_size",
    "mean_dlts",
    "mean_duration_days",
    "se_mean_duration_days",
)


@dataclass(frozen=True)
class OcResult:
    """Operating characteristics of one design in one scenario.

    ``per_dose``: one row per dose (``dose`` is 1-based) with columns :data:`PER_DOSE_COLUMNS`;
    ``overall``: one row with :data:`OVERALL_COLUMNS` (``true_mtd`` 1-based, 0 = no acceptable
    dose). ``method`` says exact enumeration or Monte Carlo; ``n_trials``/``seed`` are None for
    exact results; ``elapsed_seconds`` is the computation's own time (start-up excluded).

    Attributes
    ----------
    design, method : str
        Design name; "exact: ..." or "Monte Carlo, ..." with the engine.
    target : float
        Target DLT probability.
    true_tox : tuple of float
        True DLT probability per dose.
    true_mtd : int or None
        0-based true MTD (None: no acceptable dose).
    per_dose, overall : pandas.DataFrame
        The tables described above.
    n_trials, seed : int or None
        Monte Carlo size and seed (None when exact).
    elapsed_seconds : float
        Computation time.
    settings : dict
        Simulation options used.

    Examples
    --------
    >>> from cartrial.design import ThreePlusThree, exact_oc
    >>> r = exact_oc(ThreePlusThree(n_doses=2, max_sample_size=12), (0.2, 0.5))
    >>> r.design, r.true_mtd, r.n_trials
    ('3+3', 0, None)
    """

    design: str
    method: str
    target: float
    true_tox: tuple[float, ...]
    true_mtd: int | None
    per_dose: pd.DataFrame
    overall: pd.DataFrame
    n_trials: int | None
    seed: int | None
    elapsed_seconds: float
    settings: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Plain structure for JSON output."""
        return {
            "design": self.design,
            "method": self.method,
            "target": self.target,
            "true_tox": list(self.true_tox),
            "true_mtd": None if self.true_mtd is None else self.true_mtd + 1,
            "n_trials": self.n_trials,
            "seed": self.seed,
            "elapsed_seconds": self.elapsed_seconds,
            "per_dose": self.per_dose,
            "overall": self.overall.iloc[0].to_dict(),
            "settings": self.settings,
        }


@dataclass(frozen=True)
class Boin12Oc:
    """Operating characteristics of a phase I/II design (BOIN12, TITE-BOIN12, U-BOIN) under one
    scenario: the one result record of the designs that select an optimal biological dose.

    ``UboinOc`` is this class under U-BOIN's name (an alias kept for the public API).
    ``per_dose``: dose, true_tox, true_eff, true_utility, selected_pct (+ _se), patients
    (+ _se), dlt, responses (means per trial); the simulators may add columns of their own
    (BOIN12: dlt_and_response). ``overall``: obd_selected_pct, early_stop_pct, mean_patients,
    mean_dlt, mean_responses (U-BOIN also no_obd_pct), each with its Monte Carlo standard error
    (``*_se``).

    Attributes
    ----------
    true_obd : int or None
        0-based true OBD (highest true utility among acceptable doses); None if none.
    per_dose : pandas.DataFrame
        One row per dose, columns above.
    overall : dict of str to float
        Trial-level summaries above (percentages 0-100, means per trial).
    n_trials, seed : int
        Monte Carlo size and ``numpy.random.SeedSequence`` seed.
    method, settings : str, dict
        The simulation in words; the options used.

    Examples
    --------
    >>> from cartrial.design import Boin12, Uboin, simulate_boin12, simulate_uboin
    >>> d = Boin12(n_doses=3, target=0.35, phi_e=0.25, max_sample_size=18)
    >>> oc = simulate_boin12(d, [0.1, 0.2, 0.5], [0.3, 0.5, 0.6], n_trials=200, seed=1)
    >>> oc.true_obd, oc.overall["obd_selected_pct"], oc.per_dose["selected_pct"].tolist()
    (1, 61.0, [31.0, 61.0, 8.0])
    >>> d = Uboin(n_doses=3, target=0.3, phi_e=0.2, max_sample_size=24, stage1_per_dose=6)
    >>> oc = simulate_uboin(d, [0.05, 0.15, 0.5], [0.1, 0.4, 0.6], n_trials=200, seed=1)
    >>> type(oc).__name__, oc.overall["obd_selected_pct"], oc.per_dose["selected_pct"].tolist()
    ('Boin12Oc', 61.5, [9.5, 61.5, 22.5])
    """

    true_obd: int | None
    per_dose: pd.DataFrame
    overall: dict[str, float]
    n_trials: int
    seed: int
    method: str
    settings: dict[str, Any]


def true_mtd_of(true_tox: np.ndarray, target: float) -> int:
    """Default true MTD (0-based): the dose whose true DLT probability is closest to the target;
    ties go to the lower dose."""
    return int(np.argmin(np.abs(np.asarray(true_tox) - target) + np.arange(len(true_tox)) * 1e-12))


class OcAccumulator:
    """Weighted sums (and sums of squares) of per-trial outcomes, added batch by batch."""

    def __init__(self, n_doses: int, true_mtd: int | None, second_moments: bool = True) -> None:
        self.k = n_doses
        self.true_mtd = true_mtd
        self.second_moments = second_moments
        self.w = 0.0
        self.s: dict[str, np.ndarray] = {}

    def _add(self, name: str, x: np.ndarray, w: np.ndarray) -> None:
        x = np.asarray(x, dtype=float)
        ws = np.atleast_1d(w @ x)
        ws2 = np.atleast_1d(w @ (x * x)) if self.second_moments else np.zeros_like(ws)
        if name in self.s:
            self.s[name] += ws
            self.s[name + "²"] += ws2
        else:
            self.s[name] = ws
            self.s[name + "²"] = ws2

    def add(
        self, sel: np.ndarray, n: np.ndarray, y: np.ndarray, duration: np.ndarray, w: np.ndarray
    ) -> None:
        """One batch: selected dose (0-based, ``NO_MTD``), per-dose n and y, duration, weights."""
        k = self.k
        w = np.asarray(w, dtype=float)
        cnt = np.bincount(sel + 1, weights=w, minlength=k + 1)[1:]
        for key in ("sel", "sel²"):  # one-hot indicators: second moment = first moment
            self.s[key] = self.s.get(key, 0) + cnt
        self._add("n", n.astype(float), w)
        self._add("y", y.astype(float), w)
        self._add("treated", (n > 0).astype(float), w)
        tot = n.sum(axis=1).astype(float)
        self._add("total_n", tot, w)
        self._add("total_y", y.sum(axis=1).astype(float), w)
        self._add("none", (sel == NO_MTD).astype(float), w)
        tm = self.true_mtd
        correct = (sel == NO_MTD) if tm is None else (sel == tm)
        self._add("correct", correct.astype(float), w)
        above = n.sum(axis=1) if tm is None else n[:, tm + 1 :].sum(axis=1)
        self._add("above", above / np.maximum(tot, 1), w)
        self._add("duration", duration.astype(float), w)
        self.w += float(w.sum())

    def _mean_se(self, name: str, exact: bool) -> tuple[np.ndarray, np.ndarray]:
        m = self.s[name] / self.w
        if exact:
            return m, np.zeros_like(m)
        var = np.maximum(self.s[name + "²"] / self.w - m * m, 0.0)
        return m, np.sqrt(var / self.w)

    def frames(self, true_tox: np.ndarray, exact: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Per-dose and overall frames (percentages on the 0-100 scale)."""
        sel, sel_se = self._mean_se("sel", exact)
        n, n_se = self._mean_se("n", exact)
        y, y_se = self._mean_se("y", exact)
        tr, _ = self._mean_se("treated", exact)
        per = pd.DataFrame(
            {
                "dose": np.arange(1, self.k + 1),
                "true_tox": np.asarray(true_tox, dtype=float),
                "pct_selected": 100 * sel,
                "se_pct_selected": 100 * sel_se,
                "mean_patients": n,
                "se_mean_patients": n_se,
                "mean_dlts": y,
                "se_mean_dlts": y_se,
                "pct_treated": 100 * tr,
            }
        )
        c, c_se = self._mean_se("correct", exact)
        e, e_se = self._mean_se("none", exact)
        a, a_se = self._mean_se("above", exact)
        tn, tn_se = self._mean_se("total_n", exact)
        ty, _ = self._mean_se("total_y", exact)
        du, du_se = self._mean_se("duration", exact)
        overall = pd.DataFrame(
            {
                "true_mtd": [0 if self.true_mtd is None else self.true_mtd + 1],
                "pct_correct_selection": 100 * c,
                "se_pct_correct_selection": 100 * c_se,
                "pct_early_stop": 100 * e,
                "se_pct_early_stop": 100 * e_se,
                "pct_patients_above_mtd": 100 * a,
                "se_pct_patients_above_mtd": 100 * a_se,
                "mean_sample_size": tn,
                "se_mean_sample_size": tn_se,
                "mean_dlts": ty,
                "mean_duration_days": du,
                "se_mean_duration_days": du_se,
            }
        )
        return per, overall
