"""The efficacy and expansion table `cartrial decide` prints beside the DLT table (issue #20)."""

from __future__ import annotations

import pandas as pd
from rich.table import Table

from cartrial.cli._common import console


def _num(v: float, fmt: str = "{:.3g}") -> str:
    return "" if pd.isna(v) else fmt.format(v)


def uboin_part(proto, result, eff: pd.DataFrame | None):
    """(efficacy table with U-BOIN's posterior mean utility, U-BOIN estimates) for `decide`.

    Parameters
    ----------
    proto : Protocol
        The protocol.
    result : cartrial.conduct.StudyDecision
        The decision on the data (its patients and eliminated doses).
    eff : pandas.DataFrame or None
        ``dose_efficacy_at`` output.

    Returns
    -------
    tuple
        ``eff`` (UTILITY replaced by U-BOIN's posterior mean utility for a u-boin protocol, and
        its DESIRABILITY column dropped: BOIN12's P(utility > u_b) has no counterpart in U-BOIN,
        which defines no benchmark utility u_b and ranks doses by the posterior mean utility)
        and the ``conduct.uboin_inputs.uboin_estimates`` table, or None for other designs.

    Examples
    --------
    >>> eff, ub = uboin_part(proto, decide_study(study, proto), eff)  # doctest: +SKIP
    """
    if proto.design.name != "u-boin" or result.patients.empty:
        return eff, None
    from cartrial.conduct.uboin_inputs import uboin_estimates

    ub = uboin_estimates(result.patients, proto,
                         tuple(result.recommendation.decision.eliminated))
    if eff is not None:
        eff = eff.assign(UTILITY=ub["UTILITY"].to_numpy()).drop(columns=["DESIRABILITY"],
                                                                 errors="ignore")
    return eff, ub


def _print_uboin(ub: pd.DataFrame, proto) -> None:
    u = proto.design.uboin
    t = Table("dose", "complete", "DLTs", "responders", "DLT and response", "pending",
              "utility (posterior mean)", f"P(p_T > {proto.design.target:g})",
              f"P(p_E < {u.phi_e:g})", "admissible",
              title="U-BOIN: patients with both outcomes known")
    for r in ub.itertuples(index=False):
        t.add_row(r.DOSE_ID, str(r.N), str(r.DLT), str(r.RESPONSES), str(r.DLT_AND_RESPONSE),
                  str(r.PENDING), _num(r.UTILITY, "{:.1f}"), _num(r.P_OVERDOSE, "{:.3f}"),
                  _num(r.P_FUTILE, "{:.3f}"),
                  "eliminated" if r.ELIMINATED else "yes" if r.ADMISSIBLE else "no")
    console.print(t)
    console.print(f"Utility: posterior mean of a Dirichlet({u.prior:g}) model of the four "
                  f"outcomes scored 100 / {u.response_dlt:g} / {u.no_response_no_dlt:g} / 0 "
                  "(response only / both / neither / DLT only; Zhou, Lee & Yuan, Stat Med "
                  f"2019). Admissible: tried, P(p_T > {proto.design.target:g}) <= "
                  f"{proto.design.elimination_cutoff}, P(p_E < {u.phi_e:g}) <= "
                  f"{u.futility_cutoff}.", markup=False)


def print_efficacy(proto, eff: pd.DataFrame, uboin: pd.DataFrame | None = None) -> None:
    """Print per dose: treated, DLT, responders, pending, utility, CAR-T expansion medians.

    Parameters
    ----------
    proto : Protocol
        The protocol (its ``design.efficacy`` names the outcome).
    eff : pandas.DataFrame
        ``cartrial.conduct.dose_efficacy.dose_efficacy_table`` output.
    uboin : pandas.DataFrame, optional
        :func:`uboin_part`'s U-BOIN estimates, printed after the table.

    Returns
    -------
    None

    Examples
    --------
    >>> print_efficacy(proto, table)  # doctest: +SKIP
    """
    desir = "DESIRABILITY" in eff  # not for U-BOIN (no benchmark utility u_b: uboin_part)
    util = "UTILITY" in eff  # not for BOIN-ET (no utility table: decide_boinet.boinet_part)
    t = Table("dose", "treated", "DLTs", "responders", "response pending",
              *(["utility"] if util else []),
              *(["P(utility > u_b)"] if desir else []), "PK n", "Cmax median",
              "AUC0-28d median",
              title=f"Efficacy ({proto.design.efficacy.label}) and CAR-T expansion")
    for r in eff.itertuples(index=False):
        t.add_row(f"{r.DOSE_ID} {r.DOSE}", str(r.TREATED), str(r.DLT), str(r.RESPONDERS),
                  str(r.EFF_PENDING), *([_num(r.UTILITY, "{:.1f}")] if util else []),
                  *([_num(r.DESIRABILITY, "{:.3f}")] if desir else []),
                  str(r.N_PK), _num(r.CMAX_MEDIAN, "{:.4g}"), _num(r.AUC0_28_MEDIAN, "{:.4g}"))
    console.print(t)
    if uboin is not None:
        _print_uboin(uboin, proto)
        console.print("U-BOIN ranks doses by the posterior mean utility and defines no "
                      "benchmark utility u_b, so BOIN12's P(utility > u_b) is not shown. "
                      "Expansion: CAR+ T cells (kinetics NCA), patients followed past day 28.",
                      markup=False)
        return
    if not util:
        console.print("Expansion: CAR+ T cells (kinetics NCA), patients followed past day 28.",
                      markup=False)
        return
    console.print("Utility: mean score of patients with both outcomes known (BOIN12 table, Lin "
                  "et al., JCO Precis Oncol 2020); empty when the design has no utility table. "
                  "Expansion: CAR+ T cells (kinetics NCA), patients followed past day 28.",
                  markup=False)


def print_rose(rose) -> None:
    """Print the randomised ROSE stage: per arm randomised, assessed, responders, pending.

    Parameters
    ----------
    rose : cartrial.conduct.rose_state.RoseStageState
        The stage at the cut-off.

    Returns
    -------
    None

    Examples
    --------
    >>> print_rose(rose_stage_at(study, proto, "DL2"))  # doctest: +SKIP
    """
    from cartrial.conduct.rose_state import PART_LABEL

    t = Table("arm", "dose", "planned", "randomised", "assessed", "responders",
              "response pending", "response rate",
              title=f"{PART_LABEL} (ROSE, lambda {rose.boundary:g}): {rose.status}")
    for r in rose.arms.itertuples(index=False):
        t.add_row(r.ARM, r.DOSE_ID, str(r.PLANNED), str(r.RANDOMISED), str(r.COMPLETE),
                  str(r.RESPONDERS), str(r.PENDING), _num(r.RATE, "{:.3f}"))
    console.print(t)
    if rose.patients is not None and len(rose.patients):
        p = Table("patient", "arm (randomised)", "response", title=f"{PART_LABEL}: patients "
                  "infused, in order of infusion")
        for r in rose.patients.itertuples(index=False):
            p.add_row(r.USUBJID, r.ARMCD, r.RESPONSE)
        console.print(p)
    what = f"Selected: {rose.selected}. " if rose.selected else ""
    console.print(f"{what}ROSE rule: {rose.reason}", markup=False)
