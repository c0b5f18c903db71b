"""Safety engine: CRS and CTCAE grading vectorised over patients.

1. CRS: one ``grade_crs`` call over N patients x 14 daily time points (cartrial) against the same
   function called once per patient in a Python loop (baseline, same process, on a subset of
   patients and scaled per patient). Same grades are asserted.
2. CTCAE v5.0 labs: one ``grade_labs`` call over N patients x 18 visits x 6 tests against one
   call per patient (baseline, subset, scaled). Same grades are asserted.
3. DLT adjudication over the CRS events of all patients (absolute time only).
Deterministic data (numpy SeedSequence 20261124). Times are the best of 3 repeats.
Run: .venv/bin/python benchmarks/bench_safety.py
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from _timing import best_of  # benchmarks/ is on sys.path when a script runs

from cartrial.protocol import load_protocol
from cartrial.safety import adjudicate_dlt, crs_events, grade_crs, grade_labs

SEED = 20261124
N_PATIENTS = 2000
N_LOOP = 40
DAYS = np.arange(0, 14)
DEVICES = np.array(["ROOM AIR", "NASAL CANNULA", "FACE MASK", "BIPAP"], dtype=object)


def crs_sheet(rng: np.random.Generator, n: int) -> pd.DataFrame:
    onset = rng.integers(1, 6, n)
    length = rng.integers(1, 8, n)
    d = DAYS[None, :]
    on = (d >= onset[:, None]) & (d < (onset + length)[:, None])
    temp = np.where(on, rng.normal(38.8, 0.6, on.shape), rng.normal(36.9, 0.3, on.shape))
    press = np.where(on & (rng.random(on.shape) < 0.15), rng.integers(0, 3, on.shape), 0)
    dev_i = np.where(on & (rng.random(on.shape) < 0.2), rng.integers(0, 4, on.shape), 0)
    flow = np.where(dev_i == 1, np.round(rng.uniform(1, 10, on.shape), 1), np.nan)
    flow = np.where(dev_i >= 2, np.nan, flow)
    return pd.DataFrame({
        "USUBJID": np.repeat([f"P{i:05d}" for i in range(n)], len(DAYS)),
        "DAY": np.tile(DAYS, n).astype(float),
        "TEMP": np.round(np.clip(temp, 35, 41.5), 1).ravel(),
        "PRESSORS": press.ravel(),
        "O2_DEVICE": DEVICES[dev_i.ravel()],
        "O2_FLOW": flow.ravel(),
        "TOCILIZUMAB": (on & (rng.random(on.shape) < 0.1)).ravel(),
    })


TESTS = {"NEUT": (1.8, 7.5, 3.0), "PLAT": (150, 400, 200), "HGB": (120, 160, 110),
         "ALT": (0, 40, 30), "CREAT": (50, 100, 80), "SODIUM": (135, 145, 138)}
VISITS = np.array([-5, 0, 1, 2, 3, 4, 5, 7, 10, 14, 21, 28, 42, 56, 90, 180, 270, 365], float)


def labs(rng: np.random.Generator, n: int) -> pd.DataFrame:
    parts = []
    for code, (lo, hi, mid) in TESTS.items():
        val = mid * rng.lognormal(0, 0.6, (n, len(VISITS)))
        parts.append(pd.DataFrame({
            "USUBJID": np.repeat([f"P{i:05d}" for i in range(n)], len(VISITS)),
            "PARAMCD": code, "DAY": np.tile(VISITS, n), "AVAL": np.round(val, 2).ravel(),
            "LLN": float(lo), "ULN": float(hi),
            "ABLFL": np.tile(np.where(VISITS == -5, "Y", ""), n)}))
    return pd.concat(parts, ignore_index=True)


def main() -> None:
    rng = np.random.default_rng(np.random.SeedSequence(SEED))
    sheet = crs_sheet(rng, N_PATIENTS)
    t_vec = best_of(lambda: grade_crs(sheet))
    subset = sheet[sheet["USUBJID"].isin(sheet["USUBJID"].unique()[:N_LOOP])]
    groups = [g for _, g in subset.groupby("USUBJID")]
    t_loop = best_of(lambda: [grade_crs(g) for g in groups]) * N_PATIENTS / N_LOOP
    full = grade_crs(sheet).timepoints
    looped = pd.concat([grade_crs(g).timepoints for g in groups], ignore_index=True)
    assert (full[full["USUBJID"].isin(subset["USUBJID"])]["GRADE"].to_numpy()
            == looped["GRADE"].to_numpy()).all()
    print(f"CRS  {N_PATIENTS} patients x {len(DAYS)} time points: vectorised {t_vec:.3f} s, "
          f"per-patient loop {t_loop:.3f} s (scaled from {N_LOOP}), speed-up {t_loop / t_vec:.1f}x")

    lb = labs(rng, N_PATIENTS)
    t_vec = best_of(lambda: grade_labs(lb))
    ids = lb["USUBJID"].unique()[:N_LOOP]
    lgroups = [g for _, g in lb[lb["USUBJID"].isin(ids)].groupby("USUBJID")]
    t_loop = best_of(lambda: [grade_labs(g) for g in lgroups]) * N_PATIENTS / N_LOOP
    full = grade_labs(lb)
    looped = pd.concat([grade_labs(g) for g in lgroups], ignore_index=True)
    a = full[full["USUBJID"].isin(ids)]["ATOXGRL"].to_numpy()
    b = looped["ATOXGRL"].to_numpy()
    assert np.array_equal(np.nan_to_num(a, nan=-1), np.nan_to_num(b, nan=-1))
    print(f"CTCAE {len(lb)} records: vectorised {t_vec:.3f} s, per-patient loop {t_loop:.3f} s "
          f"(scaled from {N_LOOP}), speed-up {t_loop / t_vec:.1f}x")

    p = load_protocol("ct071")
    ev = crs_events(grade_crs(sheet).timepoints)
    fu = pd.DataFrame({"USUBJID": sheet["USUBJID"].unique(), "FOLLOWUP_DAY": 60.0})
    t_dlt = best_of(lambda: adjudicate_dlt(ev, fu, p.dlt, window_days=28))
    print(f"DLT  {N_PATIENTS} patients, {len(ev)} event rows, {len(p.dlt.rules)} rules: "
          f"{t_dlt:.3f} s")


if __name__ == "__main__":
    main()
