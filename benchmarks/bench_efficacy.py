"""Efficacy engine: IMWG derivation vectorised over patients, and Kaplan-Meier.

1. IMWG: one ``derive_imwg_response`` call over N patients x 13 assessments (cartrial) against
   the same function called once per patient in a Python loop (baseline, same process, on a
   subset of patients and scaled per patient). Same outputs are asserted.
2. Kaplan-Meier with median CI: ``cartrial.efficacy.kaplan_meier`` against lifelines'
   ``KaplanMeierFitter`` + ``median_survival_times`` (baseline) on the same data.
Deterministic data (numpy SeedSequence 20260601). Times are the best of 3 repeats.
Run: .venv/bin/python benchmarks/bench_efficacy.py
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from _timing import best_of  # benchmarks/ is on sys.path when a script runs

from cartrial.efficacy import derive_imwg_response, kaplan_meier

SEED = 20260601
N_PATIENTS = 2000
N_LOOP = 40
DAYS = [0, 28, 56, 90, 120, 150, 180, 240, 300, 365, 450, 540, 630]


def cohort(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Serum-measurable patients: exponential decline to a nadir, some progress later."""
    base = rng.uniform(1.0, 6.0, n)
    depth = rng.uniform(0.0, 1.0, n)
    prog_day = np.where(rng.random(n) < 0.4, rng.uniform(90, 600, n), np.inf)
    d = np.asarray(DAYS, float)[None, :]
    level = base[:, None] * (depth[:, None] + (1 - depth[:, None]) * np.exp(-d / 30.0))
    level = level + np.where(d > prog_day[:, None], (d - prog_day[:, None]) / 60.0, 0.0)
    level = np.round(level * rng.lognormal(0, 0.05, level.shape), 2)
    ids = np.repeat([f"P{i:05d}" for i in range(n)], len(DAYS))
    return pd.DataFrame(
        {
            "USUBJID": ids,
            "ADT": pd.Timestamp("2024-01-01") + pd.to_timedelta(np.tile(DAYS, n), unit="D"),
            "ABLFL": np.tile(["Y"] + [None] * (len(DAYS) - 1), n),
            "SPEP": level.ravel(),
            "UPEP": 10.0,
        }
    )


def main() -> None:
    rng = np.random.default_rng(np.random.SeedSequence(SEED))
    df = cohort(rng, N_PATIENTS)
    t_vec = best_of(lambda: derive_imwg_response(df), repeats=2)
    subset_ids = df["USUBJID"].unique()[:N_LOOP]
    parts = [df[df["USUBJID"] == u] for u in subset_ids]
    t_loop = best_of(lambda: [derive_imwg_response(p) for p in parts], repeats=2)
    vec = derive_imwg_response(df).subjects.set_index("USUBJID").loc[subset_ids, "BOR"]
    loop = pd.Series([derive_imwg_response(p).subjects["BOR"].iloc[0] for p in parts], subset_ids)
    assert (vec == loop).all(), "vectorised and per-patient results differ"
    per_vec = t_vec / N_PATIENTS
    per_loop = t_loop / N_LOOP
    print(
        f"IMWG derivation, {N_PATIENTS} patients x {len(DAYS)} assessments: "
        f"{t_vec:.2f} s ({1e3 * per_vec:.2f} ms/patient); per-patient loop baseline "
        f"{1e3 * per_loop:.1f} ms/patient; ratio loop/vectorised = {per_loop / per_vec:.0f}x"
    )

    from lifelines import KaplanMeierFitter
    from lifelines.utils import median_survival_times

    for n in (100, 10_000):
        t = np.round(rng.exponential(300.0, n))
        e = rng.random(n) < 0.7

        def ours(t=t, e=e) -> None:  # noqa: ANN001
            kaplan_meier(t, e)

        def theirs(t=t, e=e) -> None:  # noqa: ANN001
            k = KaplanMeierFitter().fit(t, e)
            median_survival_times(k.confidence_interval_)

        a, b = best_of(ours), best_of(theirs)
        km = kaplan_meier(t, e)
        k = KaplanMeierFitter().fit(t, e)
        assert km.median == k.median_survival_time_ or np.isnan(km.median)
        print(
            f"Kaplan-Meier + median CI, n={n}: cartrial {1e3 * a:.2f} ms, lifelines "
            f"{1e3 * b:.2f} ms; ratio lifelines/cartrial = {b / a:.1f}x"
        )


if __name__ == "__main__":
    main()
