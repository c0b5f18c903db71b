"""External check of cartrial's efficacy functions on 52 published BCMA CAR-T patients.

Data: Fandrei D, et al. Blood Cancer Discovery 2024 (repository fraunhofer-izi/Fandrei_et_al_2024,
commit f52248e): its per-patient table as ``clinical.csv`` in a folder the user names. The
source states no licence: it is read at run time for validation only and never copied into
cartrial.

Maps the per-patient table (not SDTM) to cartrial's inputs and prints, with cartrial's own
functions: the CRS grade distribution, the day-30 response distribution (exact CIs) and
Kaplan-Meier PFS and OS (time 0 = CAR-T infusion; the source stores days) with medians and
Brookmeyer-Crowley CIs under the log-log, log and plain transforms.

Usage (from the repository root)::

    .venv/bin/python validation/fandrei2024.py DATASET_DIR

Exits 2 with the usage when no folder is named; 0 with a message when the folder has no
``clinical.csv``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from cartrial.efficacy import kaplan_meier, km_landmark, proportion_table
from cartrial.protocol.model import EndpointSettings

# nCR (immunofixation-positive, electrophoresis-negative) is VGPR in IMWG 2016 terms; the authors
# grouped it with CR. Both readings are printed.
IMWG_MAP = {"CR": "CR", "nCR": "VGPR", "VGPR": "VGPR", "PR": "PR", "SD": "SD", "PD": "PD"}


def _fmt(v: float, nd: int = 1) -> str:
    return "NR" if v is None or np.isnan(v) else f"{v:.{nd}f}"


def main(folder: Path) -> int:
    f = folder / "clinical.csv"
    if not f.exists():
        print(f"fandrei2024: {f} not found; skipped (the data set is not part of cartrial)")
        return 0
    d = pd.read_csv(f)
    n = len(d)
    s = EndpointSettings()
    print(
        f"Fandrei et al. 2024, {n} patients ({(d['product'] == 'Ide-cel').sum()} ide-cel, "
        f"{(d['product'] == 'Cilta-cel').sum()} cilta-cel); source: {folder.name}/clinical.csv"
    )

    # CRS grade distribution (ASTCT grades as recorded by the authors; none >= 3)
    ind = pd.DataFrame({"USUBJID": d["patient_id"]})
    labels = {}
    for g in (0, 1, 2, 3, 4):
        ind[f"G{g}"] = d["crs_grade"].eq(g)
        labels[f"G{g}"] = "no CRS" if g == 0 else f"CRS grade {g}"
    ind["ANY"] = d["crs_grade"].ge(1)
    labels["ANY"] = "CRS any grade"
    t = proportion_table(ind, labels)
    print("\nCRS grade distribution (n/N, %, 95% CI Clopper-Pearson)")
    for r in t.itertuples(index=False):
        print(
            f"  {r.label:<16} {r.n:>2}/{r.N}  {100 * r.rate:5.1f}%  "
            f"[{100 * r.ci_low:.1f}-{100 * r.ci_high:.1f}]"
        )

    # Day-30 response distribution: raw categories, IMWG 2016 reading, the authors' groups
    raw = d["response_30d"].fillna("missing")
    ind = pd.DataFrame({"USUBJID": d["patient_id"]})
    labels = {}
    for cat in ("CR", "nCR", "VGPR", "PR", "SD", "PD", "missing"):
        ind[cat] = raw.eq(cat)
        labels[cat] = f"{cat} (as recorded)"
    imwg = d["response_30d"].map(IMWG_MAP)
    ind["ORR"] = imwg.isin(["CR", "VGPR", "PR"])
    labels["ORR"] = "ORR (PR or better)"
    ind["VGPRPLUS"] = imwg.isin(["CR", "VGPR"])
    labels["VGPRPLUS"] = "VGPR or better"
    ind["CRPLUS_IMWG"] = imwg.eq("CR")
    labels["CRPLUS_IMWG"] = "CR (nCR as VGPR, IMWG)"
    ind["CRPLUS_AUTH"] = d["response_30d"].isin(["CR", "nCR"])
    labels["CRPLUS_AUTH"] = "CR (nCR as CR, authors)"
    t = proportion_table(ind, labels)
    print("\nDay-30 response (n/N, %, 95% CI Clopper-Pearson; not a confirmed best response)")
    for r in t.itertuples(index=False):
        print(
            f"  {r.label:<26} {r.n:>2}/{r.N}  {100 * r.rate:5.1f}%  "
            f"[{100 * r.ci_low:.1f}-{100 * r.ci_high:.1f}]"
        )

    # Kaplan-Meier PFS and OS from infusion (event = pfs_event / death, as the authors use them)
    print(
        f"\nKaplan-Meier from CAR-T infusion; months = days / {s.days_per_month}; median by R's "
        "rule; CI by Brookmeyer-Crowley"
    )
    for name, time_col, ev_col in (("PFS", "pfs_days", "pfs_event"), ("OS", "os_days", "death")):
        days = d[time_col].to_numpy(float)
        ev = d[ev_col].to_numpy() == 1
        print(f"  {name}: {int(ev.sum())} events / {n}")
        for tr in ("log-log", "log", "plain"):
            km_d = kaplan_meier(days, ev, ci_transform=tr)
            km_m = kaplan_meier(days / s.days_per_month, ev, ci_transform=tr)
            print(
                f"    {tr:<8} median {_fmt(km_d.median, 0)} days [{_fmt(km_d.median_ci[0], 0)}-"
                f"{_fmt(km_d.median_ci[1], 0)}] = {_fmt(km_m.median)} months "
                f"[{_fmt(km_m.median_ci[0])}-{_fmt(km_m.median_ci[1])}]"
            )
        km = kaplan_meier(days / s.days_per_month, ev, ci_transform="log-log")
        lm = km_landmark(km, [6.0, 12.0])
        for r in lm.itertuples(index=False):
            print(
                f"    {r.time:g}-month rate {_fmt(100 * r.surv)}% "
                f"[{_fmt(100 * r.ci_low)}-{_fmt(100 * r.ci_high)}] (log-log), at risk {r.n_risk}"
            )
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: validation/fandrei2024.py DATASET_DIR (a folder holding clinical.csv, the "
              "per-patient table of fraunhofer-izi/Fandrei_et_al_2024)", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(Path(sys.argv[1])))
