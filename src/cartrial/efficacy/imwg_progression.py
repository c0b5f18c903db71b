"""IMWG 2016 progression from the nadir and, for pPCL, the 2013 PCL rules.

Kumar S et al., Lancet Oncol 2016;17:e328-46: progression is an increase of >= 25 % from the
lowest value confirmed so far in serum M-protein (with >= 0.5 g/dL; >= 1 g/dL alone when the
nadir was >= 5 g/dL), urine M-protein (>= 200 mg/24 h), the involved-uninvolved FLC difference
(> 10 mg/dL, FLC disease only), marrow plasma cells (>= 10 percentage points, marrow disease
and pPCL), a new lesion or a >= 50 % increase of a plasmacytoma; for pPCL an absolute increase
of more than 5 % blood plasma cells (Fernandez de Larrea C et al., Leukemia 2013;27:780-91).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cartrial.efficacy.imwg_levels import DIGITS, DiseaseType
from cartrial.efficacy.imwg_rules import IMWG_2016, ImwgThresholds
from cartrial.protocol.model import ImwgSettings

#: the parameters whose running nadir is kept (N_<name> columns)
NADIR_COLUMNS = ("SPEP", "UPEP", "DFLC", "BMPC", "SPD", "PBPC")


@dataclass(frozen=True)
class Progression:
    """Which progression criteria each assessment meets.

    Attributes
    ----------
    imaging : numpy.ndarray
        A new lesion, or a plasmacytoma grown by the stated fraction (or reappeared).
    marrow : numpy.ndarray
        Marrow plasma cells increased.
    lab : numpy.ndarray
        Serum, urine, FLC or (pPCL) blood plasma cells increased.
    """

    imaging: np.ndarray
    marrow: np.ndarray
    lab: np.ndarray

    @property
    def any(self) -> np.ndarray:
        """Progression by any criterion."""
        return self.imaging | self.lab | self.marrow


def running_nadir(values: pd.DataFrame, base: pd.DataFrame, group: pd.Series) -> pd.DataFrame:
    """Lowest value before each assessment: baseline and earlier used assessments (4.3).

    Parameters
    ----------
    values, base : pandas.DataFrame
        The same columns (one per measurement); rows sorted by subject and date; ``values``
        NaN where an assessment is not used.
    group : pandas.Series
        The subject of each row.

    Returns
    -------
    pandas.DataFrame
        The nadir before each row (its own value excluded). Vectorised over subjects and
        measurements.

    Examples
    --------
    >>> import pandas as pd
    >>> v = pd.DataFrame({"SPEP": [2.0, 1.0, 3.0]})
    >>> running_nadir(v, pd.DataFrame({"SPEP": [2.5] * 3}), pd.Series(["A"] * 3))["SPEP"].tolist()
    [2.5, 2.0, 1.0]
    """
    # cummin skips NaN but leaves NaN at NaN positions: forward-fill the running minimum
    prior = values.groupby(group).shift(1).groupby(group).cummin().groupby(group).ffill()
    return pd.DataFrame(
        np.fmin(prior.to_numpy(), base.to_numpy()), index=values.index, columns=values.columns
    )


def progression(p: pd.DataFrame, k: DiseaseType, ppcl: pd.Series, s: ImwgSettings,
                t: ImwgThresholds | None = None) -> Progression:
    """Progression criteria met at each assessment; adds the nadirs N_* and PDTYPE to ``p``.

    Parameters
    ----------
    p : pandas.DataFrame
        Post-baseline assessments with baseline values (``B_*``), DFLC and ANL01FL (only used
        assessments lower the nadir).
    k : DiseaseType
        The parameters followed.
    ppcl : pandas.Series
        True for assessments of pPCL subjects.
    s : ImwgSettings
        Whether the serum 0.5 g/dL absolute increase is inclusive.
    t : ImwgThresholds, optional
        Thresholds (IMWG 2016 by default).

    Returns
    -------
    Progression
        The criteria met. PDTYPE is IMAGING, MARROW (marrow alone) or LAB.
    """
    t = t or IMWG_2016
    used = p["ANL01FL"].eq("Y")
    cols = list(NADIR_COLUMNS)
    nadirs = running_nadir(p[cols].where(used, axis=0), p[[f"B_{c}" for c in cols]],
                           p["USUBJID"])
    for c in cols:
        p[f"N_{c}"] = nadirs[c]
    rel = t.pd_relative_increase

    def rise(c: str) -> tuple[pd.Series, pd.Series]:
        """Increase over the nadir and the relative threshold, both rounded."""
        return (p[c] - p[f"N_{c}"]).round(DIGITS), (rel * p[f"N_{c}"]).round(DIGITS)

    d_s, rel_s = rise("SPEP")
    abs_ok = (d_s >= t.pd_serum_abs_g_dl) if s.pd_absolute_inclusive else (
        d_s > t.pd_serum_abs_g_dl)
    # >= 25 % with >= 0.5 g/dL; or >= 1 g/dL alone when the nadir was >= 5 g/dL
    pd_s = ((d_s >= rel_s) & abs_ok) | (
        (p["N_SPEP"] >= t.pd_serum_high_nadir_g_dl) & (d_s >= t.pd_serum_abs_high_nadir_g_dl))
    d_u, rel_u = rise("UPEP")
    pd_u = (d_u >= rel_u) & (d_u >= t.pd_urine_abs_mg_24h)
    d_f, rel_f = rise("DFLC")
    pd_f = k.flc & (d_f >= rel_f) & (d_f > t.pd_dflc_abs_mg_dl)
    d_b, rel_b = rise("BMPC")
    pd_b = (k.marrow | ppcl) & (d_b >= rel_b) & (d_b >= t.pd_marrow_abs_pct)
    d_pb = (p["PBPC"] - p["N_PBPC"]).round(DIGITS)
    pd_pb = ppcl & (d_pb > t.ppcl_pd_blood_pc_abs_pct)
    n_spd = p["N_SPD"]
    pd_spd = ((n_spd > 0) & (p["SPD"] >= (1 + t.pd_spd_increase) * n_spd)) | (
        (n_spd == 0) & (p["SPD"] > 0))
    pd_img = p["NEWLES"].eq(1.0) | pd_spd
    pd_lab = pd_s | pd_u | pd_f | pd_pb
    p["PDTYPE"] = np.select([pd_img, pd_b & ~pd_lab, pd_lab], ["IMAGING", "MARROW", "LAB"], None)
    return Progression(np.asarray(pd_img), np.asarray(pd_b), np.asarray(pd_lab))
