"""Cox proportional hazards regression with Efron ties (R ``coxph``'s default).

Fitted by statsmodels ``PHReg(ties="efron")`` (Newton-Raphson on the partial likelihood; Efron,
JASA 1977). Categorical covariates are coded against their first level as R's treatment
contrasts, with R's term names (column name + level, e.g. ``dose_level2``). statsmodels gives the
coefficients, their covariance and the partial log-likelihood; the likelihood-ratio, Wald and
score tests of all coefficients (R ``summary.coxph``) are computed here from the same model.
Checked against R survival 3.5-3 (``validation/r/survival_reference.R``).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import chi2, norm
from statsmodels.duration.hazard_regression import PHReg
from statsmodels.tools.sm_exceptions import ConvergenceWarning

from cartrial.efficacy.survival_data import DAYS_PER_MONTH, labels, months_and_events
from cartrial.errors import InputError

COX_COLUMNS = ("term", "coef", "se", "hr", "ci_low", "ci_high", "z", "p_value")


@dataclass(frozen=True)
class CoxResult:
    """A fitted Cox model (made by :func:`cox_ph`).

    Attributes
    ----------
    table : pandas.DataFrame
        One row per term with :data:`COX_COLUMNS` (term, coef, se, hr, ci_low, ci_high, z,
        p_value; Wald CI of the hazard ratio).
    loglik_null, loglik : float
        Partial log-likelihood at beta = 0 and at the estimate.
    lr_statistic, wald_statistic, score_statistic : float
        Global tests, chi-square on ``df`` degrees of freedom.
    df : int
        Number of terms.
    lr_p_value : float
        p-value of the likelihood-ratio test.
    n, n_events : int
        Subjects and events.
    confidence_level, days_per_month : float
        Coverage of the CIs; days in a month used for the times.
    method : str
        One-sentence description for report footnotes.

    References
    ----------
    Cox DR. Regression models and life-tables. J R Stat Soc B 1972;34:187-220.
    Freireich EJ, et al. Blood 1963;21:699-716 (the data below; Efron-ties HR 4.82, coef
    1.572, SE 0.412, as R ``coxph``).

    Examples
    --------
    >>> t = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35,
    ...      1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23]
    >>> e = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0] + [1] * 21
    >>> g = ["6-MP"] * 21 + ["placebo"] * 21
    >>> c = cox_ph(t, e, pd.DataFrame({"placebo": [0] * 21 + [1] * 21}))
    >>> c.table[["term", "coef", "se", "hr"]].round(3)
          term   coef     se     hr
    0  placebo  1.572  0.412  4.817
    """

    table: pd.DataFrame
    loglik_null: float
    loglik: float
    lr_statistic: float
    wald_statistic: float
    score_statistic: float
    df: int
    lr_p_value: float
    n: int
    n_events: int
    confidence_level: float
    days_per_month: float
    method: str


def design_matrix(covariates: pd.DataFrame) -> pd.DataFrame:
    """Numeric columns as they are; other columns dummy-coded against their first level.

    Levels are the categories of a pandas ``Categorical`` or else the sorted distinct values;
    each dummy is named column + level (R's treatment contrasts). Missing values are an error.

    Parameters
    ----------
    covariates : pandas.DataFrame
        One row per subject.

    Returns
    -------
    pandas.DataFrame
        Float design matrix without intercept.

    Raises
    ------
    InputError
        A missing value, or a categorical column with a single level.

    Examples
    --------
    >>> design_matrix(pd.DataFrame({"dose": ["1", "2", "3"]})).columns.tolist()
    ['dose2', 'dose3']
    """
    cols = {}
    for name in covariates.columns:
        x = covariates[name]
        miss = x.isna().to_numpy()
        if miss.any():
            raise InputError(
                f"covariate {name!r} is missing at position(s) {np.flatnonzero(miss)[:5].tolist()}"
            )
        if pd.api.types.is_numeric_dtype(x) and not isinstance(x.dtype, pd.CategoricalDtype):
            cols[str(name)] = x.to_numpy(dtype=float)
            continue
        cat = x if isinstance(x.dtype, pd.CategoricalDtype) else pd.Categorical(x)
        levels = list(pd.Categorical(cat).categories)
        if len(levels) < 2:
            raise InputError(f"covariate {name!r} has a single level {levels}; nothing to compare")
        for lev in levels[1:]:
            cols[f"{name}{lev}"] = (np.asarray(cat) == lev).astype(float)
    return pd.DataFrame(cols, index=covariates.index)


def _check_estimable(covariates: pd.DataFrame, ev: np.ndarray) -> None:
    """A level of a categorical covariate without events has a hazard ratio of 0 or infinity."""
    for name in covariates.columns:
        x = covariates[name]
        if pd.api.types.is_numeric_dtype(x) and not isinstance(x.dtype, pd.CategoricalDtype):
            continue
        values = np.asarray(x, dtype=object)
        for lev in pd.unique(values):
            if not ev[values == lev].any():
                raise InputError(
                    f"covariate {name!r}: level {lev!r} has no event among its "
                    f"{int((values == lev).sum())} subjects, so its hazard ratio against the "
                    "others is 0 or infinite (monotone likelihood; R coxph warns that the "
                    "coefficient may be infinite)"
                )


def _fit(model: PHReg) -> object:
    """Newton-Raphson fit; no convergence (an infinite coefficient) is an InputError."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        fit = model.fit(method="newton", maxiter=200)
    b = np.asarray(fit.params)
    grad = model.score(b)
    converged = np.isfinite(b).all() and np.abs(grad).max() < 1e-6 * (1.0 + abs(fit.llf))
    if not converged or any(issubclass(w.category, ConvergenceWarning) for w in caught):
        raise InputError(
            f"the Cox model did not converge (coefficients {np.round(b, 3).tolist()}): a "
            "coefficient is likely infinite (monotone likelihood, e.g. every event of one group "
            "before any of the other's)"
        )
    return fit


def _coef_table(
    terms: list[str], b: np.ndarray, cov: np.ndarray, confidence_level: float
) -> pd.DataFrame:
    se = np.sqrt(np.diag(cov))
    z = float(norm.ppf(0.5 + confidence_level / 2.0))
    return pd.DataFrame(
        {
            "term": terms,
            "coef": b,
            "se": se,
            "hr": np.exp(b),
            "ci_low": np.exp(b - z * se),
            "ci_high": np.exp(b + z * se),
            "z": b / se,
            "p_value": 2.0 * norm.sf(np.abs(b / se)),
        }
    )


def _global_tests(model: PHReg, fit: object, b: np.ndarray, cov: np.ndarray) -> dict:
    """Likelihood-ratio, Wald and score tests of all coefficients (R ``summary.coxph``)."""
    zero = np.zeros_like(b)
    u0 = model.score(zero)
    ll0 = float(model.loglike(zero))
    lr = 2.0 * (float(fit.llf) - ll0)
    return {
        "loglik_null": ll0,
        "loglik": float(fit.llf),
        "lr_statistic": lr,
        "wald_statistic": float(b @ np.linalg.solve(cov, b)),
        "score_statistic": float(u0 @ np.linalg.solve(-model.hessian(zero), u0)),
        "df": b.size,
        "lr_p_value": float(chi2.sf(lr, b.size)),
    }


def cox_ph(
    time_days: Sequence[float] | np.ndarray | pd.Series,
    event: Sequence[bool] | np.ndarray | pd.Series,
    covariates: pd.DataFrame,
    strata: Sequence[object] | np.ndarray | pd.Series | None = None,
    confidence_level: float = 0.95,
    days_per_month: float = DAYS_PER_MONTH,
) -> CoxResult:
    """Cox proportional hazards model, Efron ties: hazard ratios with Wald CIs and global tests.

    Parameters
    ----------
    time_days : array_like
        Days to event or censoring (>= 0).
    event : array_like
        True / 1 = event, False / 0 = censored.
    covariates : pandas.DataFrame
        One row per subject; see :func:`design_matrix` for the coding.
    strata : array_like, optional
        Stratum per subject (separate baseline hazards, R ``strata()``).
    confidence_level : float
        Level of the hazard-ratio CIs (Wald, on the log scale).
    days_per_month : float
        Stated in the result (hazard ratios do not depend on the time unit).

    Returns
    -------
    CoxResult
        Coefficients, hazard ratios, CIs, z and p per term; likelihood-ratio, Wald and score
        tests.

    Raises
    ------
    InputError
        Invalid inputs, no event, a term without events (infinite coefficient) or no
        convergence.

    References
    ----------
    Cox DR. J R Stat Soc B 1972;34:187-220. Efron B. JASA 1977;72:557-565. R survival
    ``coxph(ties = "efron")`` (Therneau, survival 3.5-3).

    Examples
    --------
    >>> r = cox_ph([5, 8, 12, 20, 7, 30, 40, 45], [1, 1, 1, 0, 1, 0, 1, 0],
    ...            pd.DataFrame({"arm": ["a"] * 4 + ["b"] * 4}))
    >>> r.table["term"].tolist()
    ['armb']
    """
    if not 0.0 < confidence_level < 1.0:
        raise InputError(f"confidence_level must be in (0, 1), got {confidence_level!r}")
    t, ev = months_and_events(time_days, event, days_per_month)
    if len(covariates) != t.size:
        raise InputError(f"covariates have {len(covariates)} rows for {t.size} times")
    if not ev.any():
        raise InputError("a Cox model needs at least one event, got none")
    x = design_matrix(covariates.reset_index(drop=True))
    _check_estimable(covariates.reset_index(drop=True), ev)
    s = None if strata is None else labels(strata, t.size, "strata").astype(str)
    model = PHReg(t, x.to_numpy(), status=ev.astype(float), strata=s, ties="efron")
    fit = _fit(model)
    b, cov = np.asarray(fit.params), np.asarray(fit.cov_params())
    table = _coef_table(list(x.columns), b, cov, confidence_level)
    strat = "stratified " if s is not None else ""
    return CoxResult(
        table=table,
        **_global_tests(model, fit, b, cov),
        n=int(t.size),
        n_events=int(ev.sum()),
        confidence_level=confidence_level,
        days_per_month=float(days_per_month),
        method=f"{strat}Cox proportional hazards, Efron ties (statsmodels PHReg; R coxph "
        f"default); Wald {confidence_level:.0%} CI for the hazard ratio; times in months of "
        f"{days_per_month:g} days",
    )
