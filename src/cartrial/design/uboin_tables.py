"""U-BOIN's stage-II table: posterior mean utility and admissibility by the counts at a dose.

Zhou Y, Lee JJ, Yuan Y. Stat Med 2019;38:5299-5316: once designed, the trial runs from
predetermined tables. For every number of patients n at a dose and every count of DLTs, responses
and (non-additive utility only) patients with both, the row gives the posterior mean utility, the
two posterior probabilities behind admissibility and whether the dose is admissible; stage II
assigns the next cohort to the admissible dose whose row has the highest utility.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
import pandas as pd

from cartrial.design import uboin_rules as R
from cartrial.design.uboin import Uboin
from cartrial.errors import InputError


def posterior_table(design: Uboin, sample_sizes: Sequence[int]) -> pd.DataFrame:
    """One row per (n, DLTs, responses[, both]) for each n of ``sample_sizes``.

    Parameters
    ----------
    design : Uboin
        The design (phi_T, phi_E, utilities, prior, c_T, c_E).
    sample_sizes : sequence of int
        Patients at a dose (>= 1).

    Returns
    -------
    pandas.DataFrame
        Columns n, dlt, responses, [dlt_and_response,] utility, p_overdose, p_futile,
        admissible. With an additive utility the split of the joint outcome does not change
        the utility, so ``dlt_and_response`` is left out.

    Raises
    ------
    InputError
        A sample size below 1.

    Examples
    --------
    >>> d = Uboin(n_doses=3, target=0.3, phi_e=0.2, max_sample_size=30)
    >>> posterior_table(d, [3]).shape
    (16, 7)
    """
    sizes = sorted({int(s) for s in sample_sizes})
    if not sizes or sizes[0] < 1:
        raise InputError(f"sample sizes must be integers >= 1, got {list(sample_sizes)}")
    rows = []
    for n in sizes:
        for yt in range(n + 1):
            for ye in range(n + 1):
                lo, hi = max(0, yt + ye - n), min(yt, ye)
                for yb in [lo] if design.additive else range(lo, hi + 1):
                    rows.append((n, yt, ye, yb))
    a = np.asarray(rows, dtype=np.int64)
    n, yt, ye, yb = (a[:, i][:, None] for i in range(4))
    ok, mean = R.admissible(design.params, n, yt, ye, yb, np.ones(len(a), dtype=np.int64))
    _, over, futile = R.posterior(design.params, n, yt, ye, yb)
    out = pd.DataFrame({"n": a[:, 0], "dlt": a[:, 1], "responses": a[:, 2]})
    if not design.additive:
        out["dlt_and_response"] = a[:, 3]
    out["utility"] = mean[:, 0].round(4)
    out["p_overdose"] = over[:, 0].round(4)
    out["p_futile"] = futile[:, 0].round(4)
    out["admissible"] = ok[:, 0]
    return out


def table_json(frame: pd.DataFrame, design: Uboin) -> str:
    """JSON text: the design's settings and the rows."""
    settings = design.settings
    rows = json.loads(frame.to_json(orient="records"))
    return json.dumps({"settings": settings, "rows": rows}, indent=2) + "\n"
