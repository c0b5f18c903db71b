"""Exact operating characteristics of 3+3 and BOIN / i3+3 / mTPI-2 (no Monte Carlo error).

A dynamic programme over trial states (current dose, per-dose n and y, eliminated doses, status):
each cohort, every active state branches into its 0..m DLT outcomes with binomial probabilities,
the rule gives the next states (the table designs: the compiled rule of
:mod:`cartrial.design.rule_table`; 3+3 and ``fast=False``: the lock-step step functions), and
identical states are merged with their probabilities added. Finished states are set aside; at
the end the MTD selection runs once per distinct final state (exact OC by path enumeration,
cross-checked against simulation). Expected duration uses the mean cohort
duration (mean accrual time + stagger + DLT window), as in the Monte Carlo model.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from typing import Any, Literal

import numpy as np
import pandas as pd

from cartrial.design.oc_result import OcAccumulator, OcResult
from cartrial.design.rule_table import compile_rule
from cartrial.design.simulate_lockstep import (
    ACTIVE,
    LockState,
    final_selection,
    finish_3p3,
    step_3p3,
    step_table,
)
from cartrial.design.simulate_oc import resolve_true_mtd
from cartrial.design.simulate_plan import SimPlan, make_plan
from cartrial.design.simulate_select import NO_MTD, raw_estimates, select_estimates
from cartrial.design.table_rules import STOP_CAP, STOP_FIRST
from cartrial.errors import InputError

EXACT_DESIGNS = ("3+3", "boin", "i3+3", "mtpi2")
FINAL_CHUNK = 262_144  # final states selected at a time


def _binom_pmf(m: int, p: np.ndarray) -> np.ndarray:
    """(doses, m + 1) binomial probabilities C(m, t) p^t (1 - p)^(m - t), with 0^0 = 1."""
    t = np.arange(m + 1)
    comb = np.array([math.comb(m, int(v)) for v in t], dtype=float)
    return comb[None, :] * p[:, None] ** t[None, :] * (1 - p[:, None]) ** (m - t)[None, :]


def _pair_codes(plan: SimPlan) -> tuple[np.ndarray, int]:
    """Dense code for each reachable (n, y) pair at one dose: n is a sum of cohort sizes."""
    sizes = plan.cohort_sizes
    reach = {0}
    for m in sizes:
        reach |= {r + m for r in reach if r + m <= sum(sizes)}
    n_max = max(reach)
    code = np.full((n_max + 1, n_max + 1), -1, dtype=np.int64)
    c = 0
    for n in sorted(reach):
        code[n, : n + 1] = np.arange(c, c + n + 1)
        c += n + 1
    return code, c


def _merge(
    s: LockState, p: np.ndarray, code: np.ndarray, n_codes: int, is_3p3: bool
) -> tuple[LockState, np.ndarray]:
    """Merge identical states; probabilities add. The key is a mixed-radix int64 when it fits in
    62 bits (columns that cannot vary are left out), else pandas groups over the columns."""
    if s.rows == 0:
        return s, p
    k = s.n.shape[1]
    # the lowest eliminated dose is a function of (n, y) (a dose is checked at every visit and
    # never treated again once eliminated), so it is left out of the key
    radix = [k, 4] + ([2, k + 1] if is_3p3 else []) + [n_codes] * k
    cols = [s.d, s.status] + ([s.flag, s.sel + 1] if is_3p3 else [])
    cols += [code[s.n[:, j], s.y[:, j]] for j in range(k)]
    if float(np.prod(np.asarray(radix, dtype=float))) < 2.0**62:
        key = np.zeros(s.rows, dtype=np.int64)
        for r, col in zip(radix, cols, strict=True):
            key = key * r + col
        codes, uniq = pd.factorize(key, sort=False)
        n_groups = len(uniq)
    else:
        frame = pd.DataFrame({str(i): col for i, col in enumerate(cols)})
        codes = frame.groupby(list(frame.columns), sort=False).ngroup().to_numpy()
        n_groups = int(codes.max()) + 1
    rep = np.empty(n_groups, dtype=np.int64)
    rep[codes] = np.arange(codes.size)
    return s.take(rep), np.bincount(codes, weights=p, minlength=n_groups)


def exact_final_states(plan: SimPlan) -> Iterator[tuple[LockState, np.ndarray, float]]:
    """Yield (finished states, probabilities, duration) batch by batch until every path ends.

    Active states are merged after each cohort; finished states (early stop, cap, rule MTD, last
    cohort) are yielded unmerged with the calendar duration of the cohorts they went through.
    """
    if plan.design not in EXACT_DESIGNS:
        raise InputError(
            f"exact OC are available for {EXACT_DESIGNS}, not {plan.design!r}; use Monte Carlo"
        )
    if plan.spec.backfill.enabled:
        raise InputError("exact OC do not cover backfill; use Monte Carlo (method 'mc')")
    k = plan.n_doses
    code, n_codes = _pair_codes(plan)
    s = LockState.start(1, k, plan.start_dose, dtype=np.int16)
    prob = np.ones(1)
    elapsed = 0.0
    last = len(plan.cohort_sizes) - 1
    for c, m in enumerate(plan.cohort_sizes):
        if s.rows == 0:
            return
        elapsed += m * plan.mean_gap_days + (plan.stagger_days if m > 1 else 0.0) + plan.window
        pmf = _binom_pmf(m, plan.true_tox)  # (K, m+1)
        parts, probs = [], []
        for t in range(m + 1):
            p_t = prob * pmf[s.d, t]
            keep = p_t > 0
            st = LockState(
                d=s.d[keep],
                status=s.status[keep],
                sel=s.sel[keep],
                flag=s.flag[keep],
                elim_low=s.elim_low[keep],
                ncoh=s.ncoh[keep],
                n=s.n[keep],
                y=s.y[keep],
            )
            if plan.design == "3+3":
                step_3p3(st, np.full(st.rows, t, dtype=np.int64), m)
            else:
                assert plan.tables is not None
                step_table(st, np.full(st.rows, t, dtype=np.int64), m, plan.tables, plan.cap)
            parts.append(st)
            probs.append(p_t[keep])
        nxt = LockState.concat(parts)
        p = np.concatenate(probs)
        act = nxt.status == ACTIVE
        is_3p3 = plan.design == "3+3"
        if c == last:
            if is_3p3:
                finish_3p3(nxt)
            yield (*_merge(nxt, p, code, n_codes, is_3p3), elapsed)
            return
        if (~act).any():
            yield (*_merge(nxt.take(~act), p[~act], code, n_codes, is_3p3), elapsed)
        s, prob = _merge(nxt.take(act), p[act], code, n_codes, is_3p3)


def _table_codes(plan: SimPlan, code: np.ndarray, n_codes: int) -> dict[str, np.ndarray]:
    """Per pair code: n, y, elimination (BOIN ``get.oc``)."""
    tab = plan.tables
    assert tab is not None
    n_of = np.zeros(n_codes, dtype=np.int64)
    y_of = np.zeros(n_codes, dtype=np.int64)
    nn, yy = np.nonzero(code >= 0)
    n_of[code[nn, yy]] = nn
    y_of[code[nn, yy]] = yy
    return {"n": n_of, "y": y_of, "elim": tab.eliminate[n_of, y_of]}


def _decode(key: np.ndarray, k: int, n_codes: int) -> np.ndarray:
    rest = key.copy()
    out = np.empty((key.size, k), dtype=np.int64)
    for j in range(k):
        out[:, j] = rest % n_codes
        rest //= n_codes
    return out


def exact_table_final_states(
    plan: SimPlan,
) -> Iterator[tuple[np.ndarray, np.ndarray, float, bool]]:
    """Fast path for the table designs: each state is one int64 (per-dose (n, y) pair codes in
    mixed radix), grouped by current dose; yields finished states as (per-dose pair codes,
    probability, duration, stopped early); ``_table_codes`` maps codes to n and y.

    Every decision is looked up in the compiled rule
    (:func:`~cartrial.design.rule_table.compile_rule`: ``table_step`` evaluated once per
    (dose, next dose eliminated, n, y)). Whether the next dose is eliminated is recovered from
    its own (n, y): a dose is eliminated iff its (n, y) is in the elimination table, since it is
    checked at every visit and never treated again.
    """
    k = plan.n_doses
    assert plan.tables is not None
    rule = compile_rule(plan.tables, k, plan.cap)
    code, n_codes = _pair_codes(plan)
    cinfo = _table_codes(plan, code, n_codes)
    pow_c = n_codes ** np.arange(k + 1, dtype=np.int64)
    # active states grouped by current dose: key = per-dose pair codes in mixed radix
    groups: dict[int, tuple[np.ndarray, np.ndarray]] = {
        plan.start_dose: (np.zeros(1, dtype=np.int64), np.ones(1))
    }
    elapsed = 0.0
    last = len(plan.cohort_sizes) - 1
    for c, m in enumerate(plan.cohort_sizes):
        if not groups:
            return
        elapsed += m * plan.mean_gap_days + (plan.stagger_days if m > 1 else 0.0) + plan.window
        pmf = _binom_pmf(m, plan.true_tox)
        nxt: dict[int, tuple[list[np.ndarray], list[np.ndarray]]] = {}
        fin: dict[bool, tuple[list[np.ndarray], list[np.ndarray]]] = {
            True: ([], []),
            False: ([], []),
        }
        for d, (rest, prob) in groups.items():
            w = pow_c[d]
            cd = (rest // w) % n_codes
            ne = (
                cinfo["elim"][(rest // pow_c[d + 1]) % n_codes]
                if d < k - 1
                else np.ones(rest.size, dtype=bool)
            )
            dd = np.full(rest.size, d)
            n_cd, y_cd = cinfo["n"][cd] + m, cinfo["y"][cd]
            for t in range(m + 1):
                if pmf[d, t] == 0:
                    continue
                p_t = prob * pmf[d, t]
                nd, r, _ = rule.decide(dd, ne, n_cd * rule.width + y_cd + t)
                new_rest = rest + (code[n_cd, y_cd + t] - cd) * w
                stop0 = r == STOP_FIRST
                done = ((r == STOP_CAP) | (c == last)) & ~stop0
                for flag, mask in ((True, stop0), (False, done)):
                    if mask.any():
                        fin[flag][0].append(new_rest[mask])
                        fin[flag][1].append(p_t[mask])
                cont = ~(stop0 | done)
                for s in (-1, 0, 1):
                    mask = cont & (nd == d + s)
                    if mask.any():
                        kl, pl = nxt.setdefault(d + s, ([], []))
                        kl.append(new_rest[mask])
                        pl.append(p_t[mask])
        for flag in (True, False):
            if fin[flag][0]:
                kk, pp = _merge_keys(np.concatenate(fin[flag][0]), np.concatenate(fin[flag][1]))
                yield _decode(kk, k, n_codes), pp, elapsed, flag
        groups = {
            d: _merge_keys(np.concatenate(kl), np.concatenate(pl)) for d, (kl, pl) in nxt.items()
        }


def _merge_keys(key: np.ndarray, prob: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if key.size == 0:
        return key, prob
    codes, uniq = pd.factorize(key, sort=False)
    return np.asarray(uniq, dtype=np.int64), np.bincount(codes, weights=prob, minlength=len(uniq))


def _fits_int64(plan: SimPlan) -> bool:
    _, n_codes = _pair_codes(plan)
    return float(n_codes) ** plan.n_doses < 2.0**62


def exact_oc(
    design: Any,
    true_tox: Any,
    *,
    true_mtd: int | None | Literal["auto"] = "auto",
    start_dose: int = 0,
    fast: bool = True,
) -> OcResult:
    """Exact operating characteristics of a 3+3, BOIN, i3+3 or mTPI-2 design (no TITE, no
    backfill) under ``true_tox``, by enumerating the reachable state space. ``fast`` uses the
    int64-keyed programme for the table designs; ``fast=False`` runs the lock-step step functions
    themselves (the same rules, slower; used to cross-check).

    Parameters
    ----------
    design : DesignSpec, mapping or design object
        The protocol's design block, a mapping of its fields, or a design such as
        :class:`Boin` (via :func:`spec_from_design`; needs ``max_sample_size``).
    true_tox : sequence of float
        True DLT probability per dose, increasing, each in (0, 1).
    true_mtd : int, None or "auto", default "auto"
        0-based true MTD; "auto": the dose whose true DLT probability is closest to the target;
        None: no acceptable dose.
    start_dose : int, default 0
        0-based starting dose.
    fast : bool, default True
        Use the int64-keyed programme for the table designs.

    Returns
    -------
    OcResult
        Exact per-dose and overall operating characteristics (standard errors 0).

    Raises
    ------
    InputError
        When the design is not one of ``EXACT_DESIGNS``, uses backfill, or inputs are invalid.

    References
    ----------
    Storer BE. Design and analysis of phase I clinical trials. Biometrics 1989;45:925-937.

    Examples
    --------
    3+3 passes a dose with true DLT probability p with probability (1-p)^3 + 3p(1-p)^2 (1-p)^3,
    0.7086 for p = 0.2 (Storer 1989), so dose 2 is treated in 70.86% of trials:

    >>> from cartrial.design import ThreePlusThree
    >>> r = exact_oc(ThreePlusThree(n_doses=2, max_sample_size=12), (0.2, 0.5))
    >>> r.per_dose["pct_treated"].round(2).tolist()
    [100.0, 70.86]
    """
    t0 = time.perf_counter()
    plan = make_plan(design, true_tox, start_dose)
    tm = resolve_true_mtd(true_mtd, plan)
    if plan.design not in EXACT_DESIGNS:
        raise InputError(
            f"exact OC are available for {EXACT_DESIGNS}, not {plan.design!r}; use Monte Carlo"
        )
    if plan.spec.backfill.enabled:
        raise InputError("exact OC do not cover backfill; use Monte Carlo (method 'mc')")
    acc = OcAccumulator(plan.n_doses, tm, second_moments=False)
    n_final = 0
    if fast and plan.design != "3+3" and not plan.spec.backfill.enabled and _fits_int64(plan):
        engine = "int64-keyed states"
        code, n_codes = _pair_codes(plan)
        cinfo = _table_codes(plan, code, n_codes)
        raw_c, ivar_c = raw_estimates(cinfo["n"], cinfo["y"], plan.spec.selection_prior)
        for codes, prob, dur, early in exact_table_final_states(plan):
            for i0 in range(0, prob.size, FINAL_CHUNK):  # bounded memory for the selection
                cs, p = codes[i0 : i0 + FINAL_CHUNK], prob[i0 : i0 + FINAL_CHUNK]
                n, y = cinfo["n"][cs], cinfo["y"][cs]
                if early:
                    sel = np.full(p.size, NO_MTD)
                else:
                    el = cinfo["elim"][cs]
                    low = np.where(el.any(axis=1), np.argmax(el, axis=1), plan.n_doses)
                    adm = (n > 0) & (np.arange(plan.n_doses)[None, :] < low[:, None])
                    sel = select_estimates(raw_c[cs], ivar_c[cs], adm, plan.target,
                                           plan.selection_bound)
                acc.add(sel, n, y, np.full(p.size, dur), p)
            n_final += prob.size
    else:
        engine = "lock-step states"
        for s, p, dur in exact_final_states(plan):
            sel = final_selection(s, plan.target, plan.selection_bound,
                                  plan.spec.selection_prior)
            acc.add(sel, s.n, s.y, np.full(s.rows, dur), p)
            n_final += s.rows
    per, overall = acc.frames(plan.true_tox, exact=True)
    elapsed = time.perf_counter() - t0
    return OcResult(
        design=plan.design,
        method=f"exact: dynamic programme over {engine} ({n_final} final states)",
        target=plan.target,
        true_tox=tuple(float(v) for v in plan.true_tox),
        true_mtd=tm,
        per_dose=per,
        overall=overall,
        n_trials=None,
        seed=None,
        elapsed_seconds=elapsed,
        settings=plan.spec.model_dump(mode="json") | {"start_dose": start_dose + 1},
    )
