"""NCA input: the samples of many profiles, checked, grouped and sorted for one numpy pass.

A quantifiable concentration must be a finite number > 0 and not below its LLOQ; a zero is BLQ
whatever the flag says (PKNCA codes BLQ as 0); a missing concentration is left out and counted
(PKNCA ``conc.na = "drop"``), never silently; one sample per profile and time. A bad sample
raises :class:`~cartrial.errors.RecordError` naming its domain and --SEQ.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cartrial.kinetics._groups import (
    as_bool,
    as_float,
    first_bad,
    group_ids_one_per_time,
    optional_float,
    positional,
    require_columns,
    sampling_times,
)


@dataclass(frozen=True)
class Samples:
    """Post-infusion samples sorted by (profile, time), and per-profile facts of the input.

    Attributes
    ----------
    g, t, c, blq : numpy.ndarray
        Profile index, time (days from infusion), concentration (0 where BLQ) and BLQ flag.
    keys : pandas.DataFrame
        The ``by`` values of each profile (row = profile index).
    n_groups : int
        Number of profiles.
    nmiss : numpy.ndarray
        Samples with a missing concentration, per profile.
    predose_quant : numpy.ndarray
        True where a profile has a quantifiable sample before the infusion.
    """

    g: np.ndarray
    t: np.ndarray
    c: np.ndarray
    blq: np.ndarray
    keys: pd.DataFrame
    n_groups: int
    nmiss: np.ndarray
    predose_quant: np.ndarray


def read_samples(profiles: pd.DataFrame, by: Sequence[str], *, domain: str = "PC",
                 seq_col: str | None = None) -> Samples:
    """Check the samples of :func:`cartrial.kinetics.nca.nca` and sort them by profile and time.

    Parameters
    ----------
    profiles : pandas.DataFrame
        ``by`` columns, ``time_days``, ``conc``, optionally ``blq`` and ``lloq``.
    by : sequence of str
        Columns identifying one profile.
    domain, seq_col : str
        Named in errors.

    Returns
    -------
    Samples
        The post-infusion samples (pre-infusion ones only counted for PREDOSE_QUANT).

    Raises
    ------
    RecordError
        A quantifiable concentration not a finite number > 0, or below its LLOQ; two samples
        of one profile at one time.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"USUBJID": "A", "time_days": [7.0, -1.0, 0.0], "conc": [5.0, 0, 0]})
    >>> s = read_samples(df, ["USUBJID"])
    >>> s.t.tolist(), s.blq.tolist(), s.n_groups
    ([0.0, 7.0], [True, False], 1)
    """
    by = list(by)
    require_columns(profiles, [*by, "time_days", "conc"], where="nca")
    df = positional(profiles)
    t_all = sampling_times(df, domain=domain, seq_col=seq_col)
    c_all = as_float(df, "conc", domain=domain, seq_col=seq_col)
    lloq = optional_float(df, "lloq", domain=domain, seq_col=seq_col)
    if "blq" in df.columns:
        blq_all = as_bool(df, "blq", domain=domain, seq_col=seq_col)
    else:  # PKNCA coding: BLQ is 0 (or, given an LLOQ, below it)
        blq_all = (c_all == 0) | (np.isfinite(lloq) & (c_all < lloq))
    # PKNCA codes BLQ as 0: a zero concentration is BLQ whatever the flag says.
    blq_all = blq_all | (c_all == 0)
    # PKNCA drops missing concentrations (conc.na = "drop"); counted per profile (NMISS) and
    # flagged, never silently.
    missing = ~blq_all & np.isnan(c_all)
    first_bad(
        df,
        ~blq_all & ~missing & ~((c_all > 0) & np.isfinite(c_all)),
        domain=domain,
        variable="conc",
        seq_col=seq_col,
        rule="a quantifiable concentration must be a finite number > 0 (mark BLQ samples blq=True)",
    )
    if "lloq" in df.columns:
        first_bad(
            df,
            ~blq_all & np.isfinite(lloq) & (c_all < lloq),
            domain=domain,
            variable="conc",
            seq_col=seq_col,
            rule="quantifiable concentration below its LLOQ (mark it blq=True)",
        )
    g_all, keys = group_ids_one_per_time(df, by, t_all, domain=domain, seq_col=seq_col,
                                         what="samples in one profile")
    n_groups = len(keys)
    nmiss = np.bincount(g_all[missing], minlength=n_groups).astype(float)
    present = ~missing
    g_all, t_all, c_all, blq_all = g_all[present], t_all[present], c_all[present], blq_all[present]
    predose_quant = np.bincount(g_all[(t_all < 0) & ~blq_all], minlength=n_groups) > 0
    post = t_all >= 0
    order = np.lexsort((t_all[post], g_all[post]))
    blq = blq_all[post][order]
    return Samples(g=g_all[post][order], t=t_all[post][order],
                   c=np.where(blq, 0.0, c_all[post][order]), blq=blq, keys=keys,
                   n_groups=n_groups, nmiss=nmiss, predose_quant=predose_quant)
