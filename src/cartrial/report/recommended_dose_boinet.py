"""Table 14.6.2 for a BOIN-ET protocol: the OBD selection on the escalation patients, per dose.

BOIN-ET (Takeda K, Taguri M, Morita S, Pharm Stat 2018;17:383-395) selects among the tried
doses (``BoinEt.select``: isotonic DLT estimates, observed or model-averaged unimodal response
estimates, the protocol's OBD rule among the admissible doses). The report's table has a column
per dose level, so the untried ones are added (no estimate, not admissible). BOIN-ET eliminates
no dose for good: admissibility is recomputed from the data at each decision and at the end.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from cartrial.protocol import Protocol

ESTIMATE_LABEL = {"obs": "observed rate",
                  "multi-iso": "unimodal isotonic fits averaged with AIC weights"}


def boinet_selection(design, state):
    """``design.select`` on the complete patients, its estimates extended to every dose.

    Parameters
    ----------
    design : cartrial.design.boinet.BoinEt
        The protocol's design.
    state : cartrial.design.TrialState
        Counts of the escalation patients (pending ones left out here).

    Returns
    -------
    cartrial.design.boin12.Obd
        With ``estimates`` of one row per dose level (``eliminated`` all False).

    Examples
    --------
    >>> from cartrial.design import TrialState
    >>> from cartrial.design.boinet import BoinEt
    >>> d = BoinEt(n_doses=3, target=0.3, delta=0.6, max_sample_size=18)
    >>> sel = boinet_selection(d, TrialState(n=(3, 6, 0), y=(0, 1, 0), responses=(1, 4, 0)))
    >>> sel.obd, sel.estimates["n"].tolist(), sel.estimates["admissible"].tolist()
    (1, [3, 6, 0], [True, True, False])
    """
    sel = design.select(state.completed())
    est = sel.estimates.set_index("dose").reindex(range(1, design.n_doses + 1))
    est = est.rename_axis("dose").reset_index()
    for col in ("n", "dlt", "responses"):
        est[col] = est[col].fillna(0).astype(int)
    est["admissible"] = est["admissible"].astype("boolean").fillna(False).astype(bool)
    est["eliminated"] = False
    return replace(sel, estimates=est)


def boinet_rows(est: pd.DataFrame, protocol: Protocol) -> tuple[list[str], list[list[str]]]:
    """The estimate rows of Table 14.6.2 for BOIN-ET: DLT and response estimates and, for a
    utility-based OBD rule, the utility.

    Parameters
    ----------
    est : pandas.DataFrame
        :func:`boinet_selection`'s estimates.
    protocol : Protocol
        A boin-et protocol.

    Returns
    -------
    (list of str, list of list of str)
        Row labels and the values per dose ("-": no estimate, untried).

    Examples
    --------
    >>> from cartrial.protocol import load_protocol
    >>> est = pd.DataFrame({"p_tox": [0.0, np.nan], "p_eff": [0.5, np.nan],
    ...                     "utility": [np.nan, np.nan]})
    >>> boinet_rows(est, load_protocol("ct071_boinet"))[1]
    [['0.000', '-'], ['0.500', '-']]
    """
    b = protocol.design.boinet
    rows = ["DLT probability (isotonic estimate)",
            f"Response probability ({ESTIMATE_LABEL[b.estimate]})"]
    vals = [[_fmt(v) for v in est["p_tox"]], [_fmt(v) for v in est["p_eff"]]]
    if b.obd_method != "max-effprob":
        rows.append(f"Utility ({b.obd_method})")
        vals.append([_fmt(v) for v in est["utility"]])
    return rows, vals


def _fmt(v: float) -> str:
    return "-" if v is None or np.isnan(v) else f"{v:.3f}"
