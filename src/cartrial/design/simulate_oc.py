"""Monte Carlo operating characteristics: ``simulate_oc`` (as BOIN ``get.oc``).

Trials are simulated in lock-step (never a Python loop per trial) in batches of whole seed
blocks, so memory stays bounded (``batch_trials`` trials at a time) and results are identical for
every batch size: block ``b`` always draws from ``SeedSequence(seed).spawn(n_blocks)[b]``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any, Literal

import numpy as np

from cartrial.design.oc_result import OcAccumulator, OcResult, true_mtd_of
from cartrial.design.simulate_plan import SimPlan, make_plan
from cartrial.design.simulate_rules import BLOCK, batch_draws, run_rules
from cartrial.errors import InputError

DEFAULT_BATCH = 64 * BLOCK
TABLE_BATCH = 16 * BLOCK  # the table designs' compiled loop runs fastest on cache-sized batches
MC_DESIGNS = ("3+3", "boin", "i3+3", "mtpi2", "crm", "tite-boin", "tite-crm")
DLT_ONSETS = ("uniform", "weibull", "titegboin")


def resolve_true_mtd(true_mtd: int | None | Literal["auto"], plan: SimPlan) -> int | None:
    """'auto' -> dose closest to target; None -> no acceptable dose; int -> 0-based dose."""
    if true_mtd == "auto":
        return true_mtd_of(plan.true_tox, plan.target)
    if true_mtd is None:
        return None
    if not 0 <= int(true_mtd) < plan.n_doses:
        raise InputError(f"true_mtd {true_mtd} (0-based) is outside 0..{plan.n_doses - 1}")
    return int(true_mtd)


def _per_block(fn: Callable[..., Any]) -> Callable[..., Any]:
    """draw(rngs, sizes) from a per-block draw(rng, size): the blocks' arrays concatenated."""

    def draw(rngs: list[np.random.Generator], sizes: list[int]) -> list[np.ndarray]:
        parts = [fn(rng, size) for rng, size in zip(rngs, sizes, strict=True)]
        return [np.concatenate([p[i] for p in parts]) for i in range(len(parts[0]))]

    return draw


def _runner(
    plan: SimPlan, options: dict[str, Any]
) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """(draw(rngs, sizes) -> draws of a batch of blocks, run(*draws) -> (n, y, sel, duration))
    for the plan's design."""
    if plan.design in ("3+3", "boin", "i3+3", "mtpi2"):
        if plan.spec.backfill.enabled:
            from cartrial.design.simulate_backfill import backfill_draws, run_backfill

            return (
                _per_block(lambda rng, size: backfill_draws(plan, rng, size)),
                lambda *d: run_backfill(plan, *d),
            )

        def run(u: np.ndarray, gaps: np.ndarray) -> tuple[np.ndarray, ...]:
            s, sel, dur = run_rules(plan, u, gaps)
            return s.n, s.y, sel, dur

        return (lambda rngs, sizes: batch_draws(plan, rngs, sizes)), run
    if plan.design == "crm":
        from cartrial.design.simulate_crm import crm_draws, run_crm

        return (
            _per_block(lambda rng, size: crm_draws(plan, rng, size)),
            lambda *d: run_crm(plan, *d),
        )
    if plan.design in ("tite-boin", "tite-crm"):
        from cartrial.design.simulate_tite import run_tite, tite_draws

        return (
            _per_block(lambda rng, size: tite_draws(plan, rng, size, **options)),
            lambda *d: run_tite(plan, *d),
        )
    raise InputError(f"no simulator for design {plan.design!r}; expected one of {MC_DESIGNS}")


def simulate_oc(
    design: Any,
    true_tox: Any,
    n_trials: int = 10_000,
    seed: int = 0,
    *,
    true_mtd: int | None | Literal["auto"] = "auto",
    start_dose: int = 0,
    batch_trials: int = DEFAULT_BATCH,
    dlt_onset: str = "uniform",
    weibull_shape: float = 2.0,
    alpha1: float = 0.5,
    alpha2: float = 0.5,
    progress: Callable[[int, int], None] | None = None,
) -> OcResult:
    """Operating characteristics of ``design`` (a :class:`~cartrial.protocol.model.DesignSpec` or
    mapping) under true DLT probabilities ``true_tox``, by ``n_trials`` simulated trials.

    ``seed`` seeds ``numpy.random.SeedSequence``; trials are grouped in blocks of 1024 with one
    child seed each, so results never depend on ``batch_trials`` (memory: about
    ``batch_trials`` x cohorts x cohort size x 16 bytes). TITE designs use ``dlt_onset``
    (``uniform``, ``weibull`` with ``weibull_shape``, or ``titegboin``: TITEgBOIN's Weibull with
    a fraction ``alpha1`` of DLTs in the last ``alpha2`` of the window, its defaults 0.5 / 0.5)
    for DLT times within the window.
    ``progress(done, total)`` is called after each batch.

    Parameters
    ----------
    design : DesignSpec, mapping or design object
        The protocol's design block, a mapping of its fields, or a design such as
        :class:`Boin` (via :func:`spec_from_design`; needs ``max_sample_size``).
    true_tox : sequence of float
        True DLT probability per dose, increasing, each in (0, 1).
    n_trials : int, default 10000
        Number of simulated trials.
    seed : int, default 0
        Non-negative seed of ``numpy.random.SeedSequence`` (results are reproducible).
    true_mtd : int, None or "auto", default "auto"
        0-based true MTD; "auto": the dose whose true DLT probability is closest to the target;
        None: no acceptable dose.
    start_dose : int, default 0
        0-based starting dose.
    batch_trials : int
        Trials simulated at once, at most (memory only; results do not depend on it; BOIN,
        i3+3 and mTPI-2 without backfill take at most 16,384 at once, their fastest size).
    dlt_onset : {"uniform", "weibull", "titegboin"}, default "uniform"
        DLT time distribution within the window (TITE designs).
    weibull_shape, alpha1, alpha2 : float
        Parameters of the "weibull" / "titegboin" onsets.
    progress : callable, optional
        ``progress(done, total)`` after each batch.

    Returns
    -------
    OcResult
        Per-dose and overall operating characteristics with Monte Carlo standard errors.

    Raises
    ------
    InputError
        When a count, seed or onset parameter is invalid, or the design cannot be simulated.

    References
    ----------
    Liu S, Yuan Y. Bayesian optimal interval designs for phase I clinical trials. J R Stat Soc
    Ser C 2015;64:507-523 (operating characteristics as the BOIN package's ``get.oc``).

    Examples
    --------
    >>> from cartrial.design import Boin
    >>> r = simulate_oc(Boin(n_doses=3, target=0.3, max_sample_size=12), (0.1, 0.3, 0.5),
    ...                 n_trials=200, seed=1)
    >>> r.per_dose["pct_selected"].round(1).tolist()
    [19.5, 58.0, 22.5]
    """
    if int(n_trials) < 1:
        raise InputError(f"n_trials must be >= 1, got {n_trials!r}")
    if int(batch_trials) < 1:
        raise InputError(f"batch_trials must be >= 1, got {batch_trials!r}")
    if int(seed) < 0:
        raise InputError(f"seed must be a non-negative integer, got {seed!r}")
    if dlt_onset not in DLT_ONSETS:
        raise InputError(f"dlt_onset must be one of {DLT_ONSETS}, got {dlt_onset!r}")
    if not weibull_shape > 0:
        raise InputError(f"weibull_shape must be > 0, got {weibull_shape!r}")
    for nm, v in (("alpha1", alpha1), ("alpha2", alpha2)):
        if not 0 < v < 1:
            raise InputError(f"{nm} must be in (0, 1) (TITEgBOIN onset), got {v!r}")
    t0 = time.perf_counter()
    plan = make_plan(design, true_tox, start_dose)
    tm = resolve_true_mtd(true_mtd, plan)
    draw, run = _runner(plan, {"dlt_onset": dlt_onset, "weibull_shape": weibull_shape,
                               "alpha1": alpha1, "alpha2": alpha2})
    n_trials = int(n_trials)
    n_blocks = math.ceil(n_trials / BLOCK)
    children = np.random.SeedSequence(int(seed)).spawn(n_blocks)
    per_batch = max(1, int(batch_trials) // BLOCK)
    if plan.design in ("boin", "i3+3", "mtpi2") and not plan.spec.backfill.enabled:
        per_batch = min(per_batch, TABLE_BATCH // BLOCK)
    acc = OcAccumulator(plan.n_doses, tm)
    done = 0
    for b0 in range(0, n_blocks, per_batch):
        blocks = range(b0, min(b0 + per_batch, n_blocks))
        rngs = [np.random.default_rng(children[b]) for b in blocks]
        n, y, sel, dur = run(*draw(rngs, [min(BLOCK, n_trials - b * BLOCK) for b in blocks]))
        acc.add(sel, n, y, dur, np.ones(sel.shape[0]))
        done += sel.shape[0]
        if progress is not None:
            progress(done, n_trials)
    per, overall = acc.frames(plan.true_tox, exact=False)
    elapsed = time.perf_counter() - t0
    return OcResult(
        design=plan.design,
        method=(
            f"Monte Carlo, {n_trials} trials, lock-step numpy, "
            f"SeedSequence({seed}) blocks of {BLOCK}"
        ),
        target=plan.target,
        true_tox=tuple(float(v) for v in plan.true_tox),
        true_mtd=tm,
        per_dose=per,
        overall=overall,
        n_trials=n_trials,
        seed=int(seed),
        elapsed_seconds=elapsed,
        settings=plan.spec.model_dump(mode="json") | {"start_dose": start_dose + 1},
    )
