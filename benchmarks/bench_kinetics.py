"""Kinetics engine: NCA of many CAR-T expansion profiles in one vectorised pass.

``cartrial.kinetics.nca`` over N patients x 13 samples (protocol schedule days 0..365, BLQ tails)
against the same function called once per patient in a Python loop (baseline, same process, on
a subset of patients and scaled per patient). Identical per-patient results are asserted.
Deterministic data (numpy SeedSequence 20260701). Times are the best of 3 repeats.
Run: .venv/bin/python benchmarks/bench_kinetics.py
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from _timing import best_of  # benchmarks/ is on sys.path when a script runs

from cartrial.kinetics import nca, nca_parameter_codes

SEED = 20260701
N_PATIENTS = 10_000
N_LOOP = 200
DAYS = np.array([0, 1, 4, 7, 10, 14, 21, 28, 56, 90, 180, 270, 365], dtype=float)
LLOQ = 5.0


def cohort(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """Expansion to a lognormal peak near day 14, exponential decline, BLQ below LLOQ."""
    tmax = rng.uniform(8, 28, n)[:, None]
    cmax = rng.lognormal(np.log(3e4), 0.8, n)[:, None]
    k_up = np.log(cmax / 1.0) / tmax
    k_down = np.log(2) / rng.uniform(14, 42, n)[:, None]
    d = DAYS[None, :]
    conc = np.where(d <= tmax, np.exp(k_up * d), cmax * np.exp(-k_down * (d - tmax)))
    conc = conc * rng.lognormal(0, 0.15, conc.shape)
    conc[:, 0] = 0.0
    blq = conc < LLOQ
    return pd.DataFrame({
        "USUBJID": np.repeat([f"P{i:05d}" for i in range(n)], DAYS.size),
        "time_days": np.tile(DAYS, n),
        "conc": np.where(blq, np.nan, np.round(conc, 1)).ravel(),
        "blq": blq.ravel(),
        "lloq": LLOQ,
    })


def main() -> None:
    rng = np.random.default_rng(np.random.SeedSequence(SEED))
    df = cohort(rng, N_PATIENTS)
    t_vec = best_of(lambda: nca(df))
    sub_ids = df["USUBJID"].unique()[:N_LOOP]
    sub = df[df["USUBJID"].isin(sub_ids)]
    groups = [g for _, g in sub.groupby("USUBJID", sort=True)]
    t_loop = best_of(lambda: [nca(g) for g in groups]) / N_LOOP * N_PATIENTS
    vec = nca(df).set_index("USUBJID").loc[sub_ids]
    loop = pd.concat([nca(g) for g in groups]).set_index("USUBJID")
    for k in nca_parameter_codes():
        np.testing.assert_allclose(vec[k], loop[k], rtol=1e-12, equal_nan=True)
    print(f"nca: {N_PATIENTS} patients x {DAYS.size} samples")
    print(f"  vectorised      {t_vec:8.3f} s")
    print(f"  per-patient loop {t_loop:7.1f} s (scaled from {N_LOOP} patients)")
    print(f"  speed-up        {t_loop / t_vec:8.0f}x")


if __name__ == "__main__":
    main()
