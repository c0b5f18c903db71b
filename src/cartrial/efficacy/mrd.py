"""MRD negativity at a stated sensitivity, rates by time point, sustained negativity.

Kumar S et al., Lancet Oncol 2016;17:e328-46: negative at >= 10^-5
sensitivity (a 10^-6 negative counts); a
negative from a less sensitive assay is not evaluable for the 10^-5 endpoint; a positive is
positive whatever the assay. Sustained MRD negativity: negative results at least 1 year apart
with no positive in between. Rates: the CT071 registration's denominator is patients
with VGPR or better; also among all treated and among CR/sCR (IMWG convention).

Two definitions of the MRD rate are reported side by side, each with its definition:

* the CT071 registration's: MRD-negative at 10^-5 among patients with VGPR or better;
* FDA's draft guidance "Minimal Residual Disease and Complete Response in Multiple Myeloma: Use
  as Endpoints to Support Accelerated Approval" (January 2026, docket FDA-2025-D-2616): the
  MRD-negative CR rate, patients with CR or sCR and bone-marrow MRD negativity at 10^-5 or
  deeper by next-generation flow (NGF) or next-generation sequencing (NGS), among all treated.
  cartrial counts an MRD-negative result at any assessment (not only on or after the CR date).

Input columns: USUBJID, ADT (datetime64), AVISIT (time point label), MRDRES ("POSITIVE" /
"NEGATIVE"), MRDSENS (assay sensitivity, e.g. 1e-5), optional MRDMETH (assay method, e.g.
LBMETHOD "NEXT GENERATION FLOW CYTOMETRY" / "NEXT GENERATION SEQUENCING", or NGF / NGS) and
MRDSPEC (specimen, e.g. LBSPEC "BONE MARROW"), optional SRCDOM / SRCSEQ for errors. Without
MRDMETH and MRDSPEC the FDA rate is not computed (the assay cannot be shown to qualify).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from cartrial.data.text import upper_stripped
from cartrial.efficacy.imwg_rules import RESPONSE_ORDER
from cartrial.efficacy.rates import proportion_table
from cartrial.errors import InputError, RecordError

SUSTAINED_DAYS = 365
ANY_TIME = "Any time"
#: assay methods and specimen that qualify for the FDA 2026 draft's MRD-negative CR
FDA_METHODS = ("NGF", "NGS", "NEXT GENERATION FLOW CYTOMETRY", "NEXT GENERATION FLOW",
               "NEXT GENERATION SEQUENCING")
FDA_SPECIMENS = ("BONE MARROW",)
FDA_SENSITIVITY = 1e-5   # "10^-5 or deeper", whatever sensitivity the protocol pins
REGISTRATION_POP = "VGPR or better (registration)"
FDA_POP = "All treated (FDA 2026 draft)"
DEFINITIONS = {
    REGISTRATION_POP: "CT071 registration: MRD-negative at the protocol sensitivity among "
                      "patients with VGPR or better (denominator: VGPR or better).",
    "All treated": "MRD-negative at the protocol sensitivity among all treated patients.",
    "CR or better (IMWG)": "IMWG 2016 convention: MRD-negative at the protocol sensitivity "
                           "among patients with CR or sCR (denominator: CR or better).",
    FDA_POP: "FDA draft guidance, January 2026 (FDA-2025-D-2616): MRD-negative CR rate = "
             "patients with CR or sCR and bone-marrow MRD negativity at 10^-5 or deeper by NGF "
             "or NGS (any assessment), among all treated patients.",
}
SUSTAINED_DEFINITION = (f"Sustained MRD-negative: two negative results at least {SUSTAINED_DAYS}"
                        " days (12 months) apart with no positive result between them "
                        "(IMWG 2016, Kumar S et al. Lancet Oncol 2016;17:e328-e346).")


def _record_error(row: pd.Series, variable: str, value: object, rule: str) -> RecordError:
    return RecordError(
        domain=row.get("SRCDOM", "LB") if isinstance(row.get("SRCDOM"), str) else "LB",
        usubjid=str(row["USUBJID"]),
        seq=row.get("SRCSEQ"),
        variable=variable,
        value=value,
        rule=rule,
    )


def classify_mrd(mrd: pd.DataFrame, sensitivity: float = 1e-5) -> pd.DataFrame:
    """Add MRDNEGFL ("Y" = negative at ``sensitivity``) and MRDEVLFL ("Y" = evaluable); with
    MRDMETH and MRDSPEC also MRDFDAFL ("Y" = a bone-marrow NGF / NGS negative at 10^-5 or
    deeper: the assay the FDA 2026 draft's MRD-negative CR asks for).

    Parameters
    ----------
    mrd : pandas.DataFrame
        One row per MRD result, with the columns of the module docstring (USUBJID, ADT,
        MRDRES "POSITIVE"/"NEGATIVE" in any case, MRDSENS as a fraction, e.g. 1e-5; optional
        MRDMETH, MRDSPEC, SRCDOM, SRCSEQ).
    sensitivity : float, default 1e-5
        Required assay sensitivity: a negative counts when MRDSENS <= sensitivity; a negative
        of a less sensitive assay is not evaluable, a positive always is.

    Returns
    -------
    pandas.DataFrame
        A copy of ``mrd`` with MRDRES upper-cased and the flags added ("Y" or None).

    Raises
    ------
    InputError
        When USUBJID, ADT, MRDRES or MRDSENS is missing.
    RecordError
        When MRDRES is not POSITIVE/NEGATIVE, or a negative has no sensitivity in (0, 1).

    References
    ----------
    Kumar S, et al. International Myeloma Working Group consensus criteria for response and
    minimal residual disease assessment in multiple myeloma. Lancet Oncol 2016;17:e328-46.

    Examples
    --------
    A 10^-4 negative is not evaluable at 10^-5 (IMWG 2016); a 10^-6 negative counts.

    >>> m = pd.DataFrame({"USUBJID": ["01", "01", "02"], "AVISIT": ["M3", "M15", "M3"],
    ...                   "ADT": pd.to_datetime(["2026-01-10", "2027-01-20", "2026-01-10"]),
    ...                   "MRDRES": ["NEGATIVE", "negative", "NEGATIVE"],
    ...                   "MRDSENS": [1e-5, 1e-6, 1e-4]})
    >>> c = classify_mrd(m)
    >>> c[["USUBJID", "MRDSENS", "MRDNEGFL", "MRDEVLFL"]]
      USUBJID   MRDSENS MRDNEGFL MRDEVLFL
    0      01  0.000010        Y        Y
    1      01  0.000001        Y        Y
    2      02  0.000100     None     None
    """
    need = {"USUBJID", "ADT", "MRDRES", "MRDSENS"} - set(mrd.columns)
    if need:
        raise InputError(f"MRD input lacks column(s) {sorted(need)}")
    df = mrd.copy()
    res = upper_stripped(df["MRDRES"])
    bad = res.isna() | ~res.isin(["POSITIVE", "NEGATIVE"])
    if bad.any():
        row = df[bad].iloc[0]
        raise _record_error(row, "MRDRES", row["MRDRES"], "MRD result must be POSITIVE or NEGATIVE")
    sens = pd.to_numeric(df["MRDSENS"], errors="coerce")
    nosens = res.eq("NEGATIVE") & (sens.isna() | (sens <= 0) | (sens >= 1))
    if nosens.any():
        row = df[nosens].iloc[0]
        raise _record_error(
            row, "MRDSENS", row["MRDSENS"], "negative MRD result without a valid assay sensitivity"
        )
    df["MRDRES"] = res
    neg = res.eq("NEGATIVE") & (sens <= sensitivity * (1 + 1e-9))
    df["MRDNEGFL"] = np.where(neg, "Y", None)
    df["MRDEVLFL"] = np.where(neg | res.eq("POSITIVE"), "Y", None)
    if {"MRDMETH", "MRDSPEC"} <= set(df.columns):
        meth = upper_stripped(df["MRDMETH"]).isin(FDA_METHODS)
        spec = upper_stripped(df["MRDSPEC"]).isin(FDA_SPECIMENS)
        deep = res.eq("NEGATIVE") & (sens <= FDA_SENSITIVITY * (1 + 1e-9))  # not the protocol's
        df["MRDFDAFL"] = np.where(deep & meth & spec, "Y", None)
    return df


def _visit_key(label: str) -> tuple[float, str]:
    """Order visit labels by the day or month number they name ("DAY 28" < "DAY 90")."""
    m = re.search(r"(\d+(?:\.\d+)?)", str(label))
    scale = 30.4375 if re.search(r"MONTH|\bM\d", str(label).upper()) else 1.0
    return (float(m.group(1)) * scale if m else float("inf"), str(label))


def sustained_mrd_negative(classified: pd.DataFrame, min_days: int = SUSTAINED_DAYS) -> pd.Series:
    """Per subject: True when two negatives >= ``min_days`` apart have no positive between them.

    Parameters
    ----------
    classified : pandas.DataFrame
        :func:`classify_mrd` output (USUBJID, ADT, MRDNEGFL, MRDEVLFL).
    min_days : int, default 365
        Minimum days between the two negatives (IMWG: at least 1 year apart).

    Returns
    -------
    pandas.Series of bool
        Indexed by USUBJID, one entry per subject of ``classified``.

    References
    ----------
    Kumar S, et al. Lancet Oncol 2016;17:e328-46 (sustained MRD negativity).

    Examples
    --------
    >>> m = pd.DataFrame({"USUBJID": ["01", "01", "02"], "AVISIT": ["M3", "M15", "M3"],
    ...                   "ADT": pd.to_datetime(["2026-01-10", "2027-01-20", "2026-01-10"]),
    ...                   "MRDRES": ["NEGATIVE", "negative", "NEGATIVE"],
    ...                   "MRDSENS": [1e-5, 1e-6, 1e-4]})
    >>> c = classify_mrd(m)
    >>> sustained_mrd_negative(c).to_dict()
    {'01': True, '02': False}
    """
    ev = classified[classified["MRDEVLFL"].eq("Y")][["USUBJID", "ADT", "MRDNEGFL"]].copy()
    ev = ev.sort_values(["USUBJID", "ADT"])
    ev["_pos_cum"] = ev["MRDNEGFL"].isna().groupby(ev["USUBJID"]).cumsum()
    neg = ev[ev["MRDNEGFL"].eq("Y")]
    pairs = neg.merge(neg, on="USUBJID", suffixes=("", "_j"))
    ok = ((pairs["ADT_j"] - pairs["ADT"]).dt.days >= min_days) & (
        pairs["_pos_cum_j"] == pairs["_pos_cum"]
    )
    subjects = pd.Index(classified["USUBJID"].unique(), name="USUBJID")
    return pairs[ok].groupby("USUBJID").size().reindex(subjects).fillna(0).gt(0)


def mrd_rates(
    classified: pd.DataFrame,
    bor: pd.DataFrame,
    by: str | None = None,
    order: list[str] | None = None,
    confidence_level: float = 0.95,
    sensitivity: float = 1e-5,
    sustained: pd.Series | None = None,
    fda_negative_cr: set | None = None,
) -> pd.DataFrame:
    """MRD-negative rates by time point (and at any time) for three denominators, and the FDA
    2026 draft's MRD-negative CR rate.

    Parameters
    ----------
    classified : pandas.DataFrame
        :func:`classify_mrd` output.
    bor : pandas.DataFrame
        One row per treated subject: USUBJID, BOR and the grouping column.
    by : str, optional
        Grouping column (e.g. the dose level).
    order : list of str, optional
        Group order.
    confidence_level : float, default 0.95
        Exact (Clopper-Pearson) interval level.
    sensitivity : float, default 1e-5
        The protocol's MRD sensitivity (for the labels).
    sustained : pandas.Series, optional
        USUBJID -> sustained MRD-negative (bool), when already derived (ADRS MRDSUST);
        default :func:`sustained_mrd_negative` of ``classified``.
    fda_negative_cr : set, optional
        The subjects with a qualifying MRD-negative CR, when already derived (ADRS MRDNEGCR);
        default those with a ``MRDFDAFL`` record (no FDA rate without either).

    Returns
    -------
    pandas.DataFrame
        Columns as :func:`~cartrial.efficacy.rates.proportion_table` plus ``timepoint``,
        ``population`` and ``definition``. Populations: "VGPR or better (registration)", "All
        treated", "CR or better (IMWG)" and, when the input has MRDMETH / MRDSPEC, "All treated
        (FDA 2026 draft)" with endpoint MRDNEGCR (CR / sCR with a bone-marrow NGF / NGS negative
        at 10^-5 or deeper, at any time). MRDSUST rows carry the sustained definition.

    References
    ----------
    FDA draft guidance "Minimal Residual Disease and Complete Response in Multiple Myeloma: Use
    as Endpoints to Support Accelerated Approval", January 2026 (FDA-2025-D-2616); Kumar S et al.
    Lancet Oncol 2016;17:e328-e346 (IMWG MRD criteria, sustained negativity).

    Examples
    --------
    >>> d = pd.Timestamp("2024-01-01")
    >>> m = classify_mrd(pd.DataFrame({"USUBJID": ["A"], "ADT": [d], "AVISIT": ["DAY 90"],
    ...     "MRDRES": ["NEGATIVE"], "MRDSENS": [1e-5], "MRDMETH": ["NGS"],
    ...     "MRDSPEC": ["BONE MARROW"]}))
    >>> t = mrd_rates(m, pd.DataFrame({"USUBJID": ["A", "B"], "BOR": ["CR", "PR"]}))
    >>> t.loc[t["endpoint"] == "MRDNEGCR", ["n", "N"]].iloc[0].tolist()
    [1, 2]
    """
    rank = bor["BOR"].map(RESPONSE_ORDER)
    pops = {
        REGISTRATION_POP: rank >= RESPONSE_ORDER["VGPR"],
        "All treated": pd.Series(True, index=bor.index),
        "CR or better (IMWG)": rank >= RESPONSE_ORDER["CR"],
    }
    neg = classified[classified["MRDNEGFL"].eq("Y")]
    tps = [ANY_TIME]
    if "AVISIT" in classified:
        labels = list(dict.fromkeys(classified["AVISIT"].dropna().tolist()))
        tps = sorted(labels, key=_visit_key) + [ANY_TIME]
    sust = sustained if sustained is not None else sustained_mrd_negative(classified)
    frames = []
    label = f"MRD-negative at {sensitivity:.0e}"
    for tp in tps:
        ids = set(neg["USUBJID"] if tp == ANY_TIME else neg.loc[neg["AVISIT"] == tp, "USUBJID"])
        for pop, mask in pops.items():
            ind = bor.loc[mask, ["USUBJID"] + ([by] if by else [])].copy()
            ind["MRDNEG"] = ind["USUBJID"].isin(ids)
            endpoints = {"MRDNEG": label}
            if tp == ANY_TIME:
                ind["MRDSUST"] = ind["USUBJID"].isin(sust.index[sust.to_numpy()])
                endpoints["MRDSUST"] = f"Sustained MRD-negative (>= {SUSTAINED_DAYS} days apart)"
            t = proportion_table(ind, endpoints, by, order, confidence_level)
            t.insert(1, "timepoint", tp)
            t.insert(2, "population", pop)
            t["definition"] = np.where(t["endpoint"] == "MRDSUST", SUSTAINED_DEFINITION,
                                       DEFINITIONS[pop])
            frames.append(t)
    if fda_negative_cr is None and "MRDFDAFL" in classified:
        fda_negative_cr = set(classified.loc[classified["MRDFDAFL"].eq("Y"), "USUBJID"])
    if fda_negative_cr is not None:
        frames.append(_fda_rate(fda_negative_cr, bor, rank, by, order, confidence_level))
    return pd.concat(frames, ignore_index=True)


def _fda_rate(fda_neg: set, bor: pd.DataFrame, rank: pd.Series, by: str | None,
              order: list[str] | None, confidence_level: float) -> pd.DataFrame:
    """MRD-negative CR rate (FDA 2026 draft) among all treated, at any time."""
    ind = bor[["USUBJID"] + ([by] if by else [])].copy()
    ind["MRDNEGCR"] = (rank >= RESPONSE_ORDER["CR"]).to_numpy() & ind["USUBJID"].isin(
        fda_neg).to_numpy()
    t = proportion_table(ind, {"MRDNEGCR": "MRD-negative CR (>= CR, BM NGF/NGS <= 1e-05)"},
                         by, order, confidence_level)
    t.insert(1, "timepoint", ANY_TIME)
    t.insert(2, "population", FDA_POP)
    t["definition"] = DEFINITIONS[FDA_POP]
    return t
