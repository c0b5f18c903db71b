"""The BOIN-ET table `cartrial decide` prints beside the efficacy table (issue #20 point 2).

Per dose level, on the escalation patients with both outcomes known (as BOIN-ET decides): the
observed DLT and response rates the rule compares with lambda1, lambda2 and eta1, and the two
posterior probabilities of admissibility (Takeda K, Taguri M, Morita S, Pharm Stat
2018;17:383-395; beta(1, 1) priors as the boinet package).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from rich.table import Table

from cartrial.cli._common import console


def boinet_part(proto, result, eff: pd.DataFrame | None):
    """(efficacy table without BOIN12's utility columns, BOIN-ET table) for `decide`.

    Parameters
    ----------
    proto : Protocol
        The protocol.
    result : cartrial.conduct.StudyDecision
        The decision on the data (its recommendation's trial state).
    eff : pandas.DataFrame or None
        ``dose_efficacy_at`` output.

    Returns
    -------
    tuple
        ``eff`` without UTILITY and DESIRABILITY (BOIN-ET has no utility table) and a frame per
        dose: DOSE_ID, N (complete), DLT, RESPONSES, DLT_RATE, RESPONSE_RATE, P_OVERDOSE
        (P(p_T > phi | data)), P_FUTILE (P(p_E < delta1 | data)), ADMISSIBLE; (``eff``, None)
        for other designs or before any patient.

    Examples
    --------
    >>> eff, et = boinet_part(proto, decide_study(study, proto), eff)  # doctest: +SKIP
    """
    if proto.design.name != "boin-et" or result.patients.empty:
        return eff, None
    from cartrial.design import boinet_rules as R
    from cartrial.design.boinet import boinet_from_spec

    d = boinet_from_spec(proto.design, len(proto.dose_levels))
    s = result.recommendation.state.completed()
    n, y = np.asarray(s.n), np.asarray(s.y)
    x = np.asarray(s.responses or (0,) * len(n))
    over, futile = R.tails(n, y, x, d.target, d.boundaries.delta1)
    adm = R.admissible(n[None], y[None], x[None], d.target, d.boundaries.delta1, d.stop_t,
                       d.stop_e)[0]
    with np.errstate(invalid="ignore", divide="ignore"):
        et = pd.DataFrame({"DOSE_ID": proto.dose_ids, "N": n, "DLT": y, "RESPONSES": x,
                           "DLT_RATE": np.where(n > 0, y / n, np.nan),
                           "RESPONSE_RATE": np.where(n > 0, x / n, np.nan),
                           "P_OVERDOSE": over, "P_FUTILE": futile, "ADMISSIBLE": adm})
    if eff is not None:
        eff = eff.drop(columns=["UTILITY", "DESIRABILITY"], errors="ignore")
    return eff, et


def print_boinet(et: pd.DataFrame, proto) -> None:
    """Print :func:`boinet_part`'s table and the boundaries it is read against.

    Parameters
    ----------
    et : pandas.DataFrame
        The BOIN-ET table.
    proto : Protocol
        A boin-et protocol.

    Returns
    -------
    None

    Examples
    --------
    >>> print_boinet(et, proto)  # doctest: +SKIP
    """
    from cartrial.design.boinet import boinet_from_spec

    d = boinet_from_spec(proto.design, len(proto.dose_levels))
    b = d.boundaries
    t = Table("dose", "complete", "DLTs", "responders", "DLT rate", "response rate",
              f"P(p_T > {d.target:g})", f"P(p_E < {b.delta1:g})", "admissible",
              title="BOIN-ET: patients with both outcomes known")
    for r in et.itertuples(index=False):
        t.add_row(r.DOSE_ID, str(r.N), str(r.DLT), str(r.RESPONSES), _num(r.DLT_RATE),
                  _num(r.RESPONSE_RATE), _num(r.P_OVERDOSE), _num(r.P_FUTILE),
                  "yes" if r.ADMISSIBLE else "no")
    console.print(t)
    console.print(f"BOIN-ET (Takeda, Taguri & Morita, Pharm Stat 2018): escalate when the DLT "
                  f"rate <= lambda1 {b.lambda1:g} and the response rate <= eta1 {b.eta1:g}; "
                  f"stay when the DLT rate < lambda2 {b.lambda2:g} and the response rate > "
                  f"eta1; de-escalate when the DLT rate >= lambda2; otherwise the "
                  f"efficacy-guided move. Admissible: P(p_T > {d.target:g}) <= {d.stop_t:g} "
                  f"and P(p_E < {b.delta1:g}) <= {d.stop_e:g}; BOIN-ET has no utility table, "
                  "so the efficacy table shows none.", markup=False)


def _num(v: float) -> str:
    return "" if pd.isna(v) else f"{v:.3f}"
