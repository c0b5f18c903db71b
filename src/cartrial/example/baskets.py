"""Adverse events of the protocol's event baskets in the example trial, with truth: infections
by pathogen type, neurotoxicity other than ICANS (parkinsonism, cranial nerve palsy) and second
primary malignancies (a T-cell lymphoma included).

Drawn from the trial's own random stream ``baskets`` (:data:`STREAM`); the GPRC5D on-target
events (nail, skin, oral / taste, weight, cerebellar) are the example's existing AE plan.
Calibration: assumption of the synthetic example (orders of magnitude as reported with
GPRC5D- and BCMA-directed CAR-T in myeloma); the rare events (parkinsonism, facial palsy, a
T-cell lymphoma) are placed in one patient each whenever one is followed long enough, so that
the tables have something to show. Infections are not related to the product (never a DLT);
related neurological events of grade >= 3 start after the DLT window (day 28).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

STREAM = "baskets"
#: term -> (MedDRA system organ class, probability per patient, onset range (days), duration
#: range (days, None = not resolved), grades and their probabilities, relatedness)
EVENTS = {
    "Herpes zoster": ("Infections and infestations", 0.08, (60, 300), (10, 30),
                      ([2, 3], [0.8, 0.2]), "NOT RELATED"),
    "COVID-19": ("Infections and infestations", 0.08, (30, 365), (7, 21),
                 ([1, 2, 3], [0.4, 0.4, 0.2]), "NOT RELATED"),
    "Cytomegalovirus infection reactivation": ("Infections and infestations", 0.06, (14, 90),
                                               (14, 35), ([2, 3], [0.7, 0.3]), "NOT RELATED"),
    "Bacteraemia": ("Infections and infestations", 0.06, (5, 30), (7, 14), ([3], [1.0]),
                    "NOT RELATED"),
    "Bronchopulmonary aspergillosis": ("Infections and infestations", 0.03, (20, 120), (21, 60),
                                       ([3, 4], [0.7, 0.3]), "NOT RELATED"),
    "Basal cell carcinoma": ("Neoplasms benign, malignant and unspecified (incl cysts and polyps)",
                             0.03, (90, 365), (14, 30), ([1], [1.0]), "NOT RELATED"),
}
#: rare events, one patient each: term -> (SOC, earliest onset, onset window, duration, grade,
#: relatedness, minimum follow-up)
SINGLE = {
    "Parkinsonism": ("Nervous system disorders", 40, 50, None, 3, "RELATED", 120),
    "Facial paralysis": ("Nervous system disorders", 14, 20, (20, 60), 2, "RELATED", 60),
    "T-cell lymphoma": ("Neoplasms benign, malignant and unspecified (incl cysts and polyps)",
                        150, 150, None, 4, "POSSIBLY RELATED", 300),
}
SOC = {t: v[0] for t, v in {**EVENTS, **SINGLE}.items()}


def _common(rng: np.random.Generator, n: int, end_day: np.ndarray) -> list[pd.DataFrame]:
    rows = []
    for term, (_soc, prob, (lo, hi), (dlo, dhi), (grades, gp), rel) in EVENTS.items():
        has = rng.random(n) < prob
        st = rng.integers(lo, hi + 1, n)
        en = st + rng.integers(dlo, dhi + 1, n)
        gr = rng.choice(grades, size=n, p=gp)
        has &= st <= end_day
        rows.append(pd.DataFrame({"pat": np.flatnonzero(has), "term": term, "start": st[has],
                                  "start_min": -1, "end": en[has].astype(float),
                                  "grade": gr[has], "inv": gr[has], "rel": rel,
                                  "src": "basket", "episode": 0}))
    return rows


def plan_events(rng: np.random.Generator, end_day: np.ndarray, dlt_type: np.ndarray
                ) -> pd.DataFrame:
    """Basket adverse events in the columns of the example's AE plan (pat, term, start,
    start_min, end, grade, inv, rel, src = "basket", episode)."""
    n = len(end_day)
    rows = _common(rng, n, end_day)
    used: set[int] = set()
    for term, (_soc, first, width, dur, grade, rel, follow) in SINGLE.items():
        u, st = rng.random(n), first + rng.integers(0, width + 1, n)
        en = st + (rng.integers(dur[0], dur[1] + 1, n) if dur else np.zeros(n, dtype=int))
        cand = np.flatnonzero((end_day >= follow) & (dlt_type == "")
                              & ~np.isin(np.arange(n), list(used)))
        if not len(cand):
            continue
        p = int(cand[np.argmin(u[cand])])
        used.add(p)
        rows.append(pd.DataFrame({"pat": [p], "term": term, "start": [st[p]], "start_min": -1,
                                  "end": [float(en[p]) if dur else np.nan], "grade": grade,
                                  "inv": grade, "rel": rel, "src": "basket", "episode": 0}))
    return pd.concat(rows, ignore_index=True)


def truth(ae_truth: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Truth table ``basket_events``: every AE of a protocol basket the example planned (the
    GPRC5D on-target events included): USUBJID, AESEQ, AEDECOD, GRADE, START_DAY, END_DAY."""
    t = ae_truth[ae_truth["src"].isin(["basket", "gprc5d"])]
    return {"basket_events": pd.DataFrame({
        "USUBJID": t["USUBJID"].to_numpy(), "AESEQ": t["AESEQ"].to_numpy(),
        "AEDECOD": t["term"].to_numpy(), "GRADE": t["grade"].to_numpy(dtype=int),
        "START_DAY": t["start"].to_numpy(dtype=float),
        "END_DAY": t["end"].to_numpy(dtype=float)}).sort_values(
            ["USUBJID", "AESEQ"], kind="stable").reset_index(drop=True)}
