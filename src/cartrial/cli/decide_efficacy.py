"""The efficacy and expansion table `cartrial decide` prints beside the DLT table (issue #20)."""

from __future__ import annotations

import pandas as pd
from rich.table import Table

from cartrial.cli._common import console


def _num(v: float, fmt: str = "{:.3g}") -> str:
    return "" if pd.isna(v) else fmt.format(v)


def print_efficacy(proto, eff: pd.DataFrame) -> None:
    """Print per dose: treated, DLT, responders, pending, utility, CAR-T expansion medians.

    Parameters
    ----------
    proto : Protocol
        The protocol (its ``design.efficacy`` names the outcome).
    eff : pandas.DataFrame
        ``cartrial.conduct.dose_efficacy.dose_efficacy_table`` output.

    Returns
    -------
    None

    Examples
    --------
    >>> print_efficacy(proto, table)  # doctest: +SKIP
    """
    t = Table("dose", "treated", "DLTs", "responders", "response pending", "utility",
              "P(utility > u_b)", "PK n", "Cmax median", "AUC0-28d median",
              title=f"Efficacy ({proto.design.efficacy.label}) and CAR-T expansion")
    for r in eff.itertuples(index=False):
        t.add_row(f"{r.DOSE_ID} {r.DOSE}", str(r.TREATED), str(r.DLT), str(r.RESPONDERS),
                  str(r.EFF_PENDING), _num(r.UTILITY, "{:.1f}"), _num(r.DESIRABILITY, "{:.3f}"),
                  str(r.N_PK), _num(r.CMAX_MEDIAN, "{:.4g}"), _num(r.AUC0_28_MEDIAN, "{:.4g}"))
    console.print(t)
    console.print("Utility: mean score of patients with both outcomes known (BOIN12 table, Lin "
                  "et al., JCO Precis Oncol 2020); empty when the design has no utility table. "
                  "Expansion: CAR+ T cells (kinetics NCA), patients followed past day 28.",
                  markup=False)
