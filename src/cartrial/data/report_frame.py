"""The validation report's rows: one data frame of findings per rule and domain."""

from __future__ import annotations

import numpy as np
import pandas as pd

COLUMNS = ["severity", "rule_id", "domain", "usubjid", "seq", "variable", "value", "rule"]
_NONE = pd.DataFrame(columns=COLUMNS)  # copied for each rule that found nothing (70x cheaper)


def finding_frame(
    domain: str,
    df: pd.DataFrame | None,
    mask: np.ndarray | pd.Series | None,
    variable: str | None,
    values: pd.Series | None,
    rule_id: str,
    rule: str | list[str],
    severity: str = "error",
) -> pd.DataFrame:
    """Findings for the masked records of ``df`` (or one domain-level finding when df is None).

    Parameters
    ----------
    domain : str
        Domain of the records.
    df : pandas.DataFrame or None
        The domain's records; None for one finding about the domain as a whole.
    mask : array-like of bool or None
        Records at fault.
    variable : str or None
        Variable at fault.
    values : pandas.Series or None
        Per-record values reported (index of ``df``).
    rule_id, rule : str
        Stable rule id and its text (``rule`` may also be one text per masked record).
    severity : str
        ``"error"`` or ``"warning"``.

    Returns
    -------
    pandas.DataFrame
        Columns ``COLUMNS``; --SEQ (USUBJID for DM, which has no --SEQ) names the record.

    Examples
    --------
    >>> ae = pd.DataFrame({"USUBJID": ["S1"], "AESEQ": [4.0], "AETOXGR": ["9"]})
    >>> finding_frame("AE", ae, [True], "AETOXGR", ae["AETOXGR"], "TERM_UNKNOWN", "bad")[
    ...     ["usubjid", "seq", "value"]].values.tolist()
    [['S1', 4.0, '9']]
    """
    if df is None:
        return pd.DataFrame(
            [[severity, rule_id, domain, None, None, variable, None, rule]], columns=COLUMNS
        )
    m = np.asarray(mask, dtype=bool)
    if not m.any():
        return _NONE.copy()
    sub = df.loc[m]
    seq_col = "USUBJID" if domain == "DM" else f"{domain}SEQ"
    seq = sub[seq_col] if seq_col in sub and domain != "DM" else pd.Series(None, index=sub.index)
    vals = values.loc[m] if values is not None else pd.Series(None, index=sub.index)
    return pd.DataFrame(
        {
            "severity": severity,
            "rule_id": rule_id,
            "domain": domain,
            "usubjid": sub["USUBJID"].astype(object) if "USUBJID" in sub else None,
            "seq": seq.astype(object),
            "variable": variable,
            "value": vals.astype(object),
            "rule": rule,
        }
    )
