"""Where-clauses of the safety tables' cells on ADaM variables the safety tables alone use
(CDISC ARS v1.0 in spirit; the shared machinery is :mod:`cartrial.report.ars_specs`).

CRS and ICANS (Tables 14.3.2, 14.3.3): patients by worst grade on ADAE; the derived episodes'
onset, duration and therapy on ADSYND, stacked below the ADAE records (``also`` in the
metadata; :func:`add_datasets`).

Grade >= 3 cytopenias (Table 14.3.4): the ADHTOX cytopenia parameters (PARCAT1 CYTOPENIA).

IEC-HS (Table 14.3.10): ADAE IECHSFL (reported) and ADSL IECSCRFL (laboratory screen;
:mod:`cartrial.adam.iec_hs`).

ICAHT by CAR-HEMATOTOX risk (Table 14.3.9.1): ADHTOX grades grouped by HTOXRISK.

DLTs (Table 14.2.3): ADSL SAFFL, DLTEVLFL, DLTFL, DLTPNDFL (adjudication pending) and DLTCRIT
(the criterion met, in the protocol's words; :mod:`cartrial.adam.adsl_dlt`).

Event baskets (Tables 14.3.5, 14.3.7.1, 14.3.11, 14.3.12): the basket is the ADAE customized
query ``CQzzNAM`` of its category (:mod:`cartrial.adam.adae_baskets`); a patient counts once
per row at the worst grade; "resolved" is ``CQzzRSFL``; the medians of first onset and of the
days to resolution summarise ``CQzzONDY`` and ``CQzzRSDY`` over the patient's first record
of the basket (``AOCCzzFL``), one value per patient.
"""

from __future__ import annotations

from collections.abc import Collection

import pandas as pd

from cartrial.report.ars_join import joined_records, kept

_MEDIAN = ", median (min-max)"


def _by_grade(what: str, base: str) -> dict | None:
    """Patients by worst ATOXGRN among the records meeting ``base``: "any grade", "grade k"
    (the worst is k), "grade >= 3" (a record of grade >= 3)."""
    if what == "any grade":
        return {"where": base}
    if what == "grade >= 3":
        return {"where": f"{base} and ATOXGRN >= 3"}
    if what.startswith("grade ") and what[6:].isdigit():
        return {"where": base, "worst_grade": what[6:]}
    return None


def add_datasets(data: pd.DataFrame, pop: pd.DataFrame, ds: dict[str, pd.DataFrame],
                 meta: dict, columns: Collection[str] | None = None) -> pd.DataFrame:
    """The analysis data with the population's records of each further dataset stacked below.

    Parameters
    ----------
    data : pandas.DataFrame
        The population left-joined with the first dataset's records.
    pop : pandas.DataFrame
        The population (ADSL records, every variable).
    ds : dict of str to pandas.DataFrame
        The ADaM datasets.
    meta : dict
        The analysis metadata; ``also``: further dataset -> its where-clause.
    columns : collection of str, optional
        The variables kept (:func:`cartrial.report.ars_join.kept`); None: every one.

    Returns
    -------
    pandas.DataFrame
        ``data``, then each further dataset's records of the population meeting its
        where-clause (their own variables; the first dataset's missing).

    Examples
    --------
    >>> pop = pd.DataFrame({"USUBJID": ["1", "2"]})
    >>> ds = {"ADSYND": pd.DataFrame({"USUBJID": ["1", "3"], "AVAL": [2.0, 5.0]})}
    >>> add_datasets(pop.assign(CRSFL=None), pop, ds, {"also": {"ADSYND": ""}})["AVAL"].tolist()
    [nan, nan, 2.0]
    """
    parts = [data]
    mine = pop[kept(pop.columns, columns)] if columns is not None and meta.get("also") else pop
    for name, where in (meta.get("also") or {}).items():
        d = joined_records(ds[name], where, pop.columns, columns)
        parts.append(mine.merge(d, on="USUBJID", how="inner"))
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else data


def syndrome(row: str, ind: int, adsl: pd.DataFrame, ctx: dict) -> dict | None:
    """The cell description of a row of the CRS or ICANS table (14.3.2, 14.3.3).

    Patients by worst grade on the ADAE records (``ctx["record"]``, CRSFL or ICANSFL); the
    episodes' onset (the first episode), duration and therapy on ADSYND
    (:mod:`cartrial.adam.adsynd`).

    Parameters
    ----------
    row : str
        "CRS: any grade | grade k | grade >= 3", "Onset, days from infusion (first episode),
        median (min-max)", "Duration, days (resolved episodes), median (min-max)",
        "Tocilizumab", "Corticosteroids".
    ind : int
        The row's indent (unused).
    adsl : pandas.DataFrame
        ADSL (unused).
    ctx : dict
        ``record``: the ADAE where-clause of the syndrome.

    Returns
    -------
    dict or None
        ``where`` (``worst_grade`` for a grade row, ``variable`` for a median row).

    Examples
    --------
    >>> ctx = {"record": "CRSFL == 'Y'"}
    >>> syndrome("CRS: grade 2", 1, None, ctx)
    {'where': "CRSFL == 'Y'", 'worst_grade': '2'}
    >>> syndrome("Tocilizumab", 1, None, ctx)
    {'where': "PARAMCD == 'CRSTOCI' and AVAL == 1"}
    """
    base = ctx["record"]  # the dataset's where-clause: the patient has such a record
    p = "CRS" if base.startswith("CRS") else "ICN"
    episode = {"Onset, days from infusion (first episode)" + _MEDIAN:
               {"where": f"PARAMCD == '{p}ONDY' and EPISODE == 1", "variable": "AVAL"},
               "Duration, days (resolved episodes)" + _MEDIAN:
               {"where": f"PARAMCD == '{p}DURDY'", "variable": "AVAL"},
               "Tocilizumab": {"where": f"PARAMCD == '{p}TOCI' and AVAL == 1"},
               "Corticosteroids": {"where": f"PARAMCD == '{p}STER' and AVAL == 1"}}
    return episode[row] if row in episode else _by_grade(row.partition(": ")[2], base)


def dlt(row: str, ind: int, adsl: pd.DataFrame, ctx: dict) -> dict | None:
    """The cell description of a row of the DLT table (14.2.3) on ADSL.

    Parameters
    ----------
    row : str
        The row label: Treated, DLT-evaluable, Patients with DLT, DLT pending, or (indented)
        a DLT criterion in the protocol's words.
    ind : int
        The row's indent: 1 for a criterion.
    adsl : pandas.DataFrame
        ADSL (unused).
    ctx : dict
        The table's context (unused).

    Returns
    -------
    dict or None
        ``where`` (and ``denominator_where``) on ADSL.

    Examples
    --------
    >>> dlt("DLT pending", 0, None, {})
    {'where': "DLTPNDFL == 'Y'"}
    >>> dlt("Grade 4 CRS", 1, None, {})
    {'where': "DLTFL == 'Y' and DLTCRIT == 'Grade 4 CRS'"}
    """
    fixed = {"Treated": {"where": "SAFFL == 'Y'"},
             "DLT-evaluable": {"where": "DLTEVLFL == 'Y'"},
             "Patients with DLT, n/N (%)": {"where": "DLTEVLFL == 'Y' and DLTFL == 'Y'",
                                            "denominator_where": "DLTEVLFL == 'Y'"},
             "DLT pending": {"where": "DLTPNDFL == 'Y'"}}
    if row in fixed:
        return fixed[row]
    return {"where": f"DLTFL == 'Y' and DLTCRIT == {row!r}"} if ind == 1 else None


def basket(row: str, ind: int, adsl: pd.DataFrame, ctx: dict) -> dict | None:
    """The cell description of a basket table's row ("Nail: grade 2", "Nail: resolved ...").

    Parameters
    ----------
    row : str
        The row label, "<basket>: <what>".
    ind : int
        The row's indent (unused).
    adsl : pandas.DataFrame
        ADSL (unused).
    ctx : dict
        ``ctx["baskets"]``: basket name -> customized-query number zz
        (:func:`cartrial.adam.adae_baskets.basket_queries`).

    Returns
    -------
    dict or None
        ``where`` (pandas query on ADAE), with ``worst_grade`` for a grade row or ``variable``
        for a median row; None for a row that is not a basket's.

    Examples
    --------
    >>> ctx = {"baskets": {"Nail": "01"}}
    >>> basket("Nail: grade 2", 1, None, ctx)
    {'where': "CQ01NAM == 'Nail'", 'worst_grade': '2'}
    >>> basket("Nail: resolved (every event ended)", 1, None, ctx)["where"]
    "CQ01NAM == 'Nail' and CQ01RSFL == 'Y'"
    >>> basket("Nail: days from infusion to first onset, median (min-max)", 1, None, ctx)
    {'where': "CQ01NAM == 'Nail' and AOCC01FL == 'Y'", 'variable': 'CQ01ONDY'}
    """
    name, _, what = row.partition(": ")
    zz = ctx.get("baskets", {}).get(name)
    if zz is None:
        return None
    base = f"CQ{zz}NAM == {name!r}"
    first = f"{base} and AOCC{zz}FL == 'Y'"
    if what == "resolved (every event ended)":
        return {"where": f"{base} and CQ{zz}RSFL == 'Y'"}
    if what == "days from infusion to first onset" + _MEDIAN:
        return {"where": first, "variable": f"CQ{zz}ONDY"}
    if what == "days from onset to resolution (resolved)" + _MEDIAN:
        return {"where": f"{first} and CQ{zz}RSFL == 'Y'", "variable": f"CQ{zz}RSDY"}
    return _by_grade(what, base)


def htox_risk(row: str, ind: int, adsl: pd.DataFrame, ctx: dict) -> dict | None:
    """The cell description of a row of ICAHT by CAR-HEMATOTOX risk (Table 14.3.9.1) on
    ADHTOX: "Early ICAHT (day 0-30): grade 3" counts the patients whose EICAHTGR is 3, of the
    patients with an ICAHT grade (columns: ADHTOX.HTOXRISK).

    Parameters
    ----------
    row : str
        "<Early|Late> ICAHT (...): any grade | grade k | grade >= 3".
    ind : int
        The row's indent (unused).
    adsl : pandas.DataFrame
        ADSL (unused).
    ctx : dict
        The table's context (unused).

    Returns
    -------
    dict or None
        ``where`` and ``denominator_where`` on ADHTOX.

    Examples
    --------
    >>> htox_risk("Late ICAHT (after day 30): grade >= 3", 1, None, {})["where"]
    "PARAMCD == 'LICAHTGR' and AVAL >= 3"
    """
    phase, _, what = row.partition(": ")
    code = {"Early ICAHT (day 0-30)": "EICAHTGR", "Late ICAHT (after day 30)": "LICAHTGR"}.get(
        phase)
    den = {"denominator_where": "PARCAT1 == 'ICAHT'"}
    if code is None:
        return None
    if what == "any grade":
        return {"where": f"PARAMCD == {code!r} and AVAL >= 1", **den}
    if what == "grade >= 3":
        return {"where": f"PARAMCD == {code!r} and AVAL >= 3", **den}
    if what.startswith("grade ") and what[6:].isdigit():
        return {"where": f"PARAMCD == {code!r} and AVAL == {int(what[6:])}", **den}
    return None


def iec_hs(row: str, ind: int, adsl: pd.DataFrame, ctx: dict) -> dict | None:
    """The cell description of a row of the IEC-HS table (14.3.10): reported IEC-HS (ADAE
    IECHSFL records, the patient's worst ATOXGRN) and the laboratory screen (ADSL IECSCRFL).

    Parameters
    ----------
    row : str
        "IEC-HS reported: any grade | grade k | grade >= 3", or a screen row.
    ind : int
        The row's indent (unused).
    adsl : pandas.DataFrame
        ADSL (unused).
    ctx : dict
        The table's context (unused).

    Returns
    -------
    dict or None
        ``where`` (with ``worst_grade`` for a grade row) on ADSL joined with the IEC-HS ADAE
        records.

    Examples
    --------
    >>> iec_hs("IEC-HS reported: grade 3", 1, None, {})
    {'where': "IECHSFL == 'Y'", 'worst_grade': '3'}
    >>> iec_hs("Screen positive, no IEC-HS reported (medical review)", 1, None, {})["where"]
    "IECSCRFL == 'Y' and IECHSFL.fillna('') != 'Y'"
    """
    screen = {"Laboratory screen positive (ferritin + 2 manifestations)": "IECSCRFL == 'Y'",
              "Screen positive, no IEC-HS reported (medical review)":
                  "IECSCRFL == 'Y' and IECHSFL.fillna('') != 'Y'"}
    if row in screen:
        return {"where": screen[row]}
    name, _, what = row.partition(": ")
    return _by_grade(what, "IECHSFL == 'Y'") if name == "IEC-HS reported" else None


def cytopenia(row: str, ind: int, adsl: pd.DataFrame, ctx: dict) -> dict | None:
    """The cell description of a row of the grade >= 3 cytopenia table (14.3.4) on the ADHTOX
    cytopenia parameters (:mod:`cartrial.adam.adhtox_cytopenia`).

    Parameters
    ----------
    row : str
        "<term>: grade >= 3 | recovered to grade <= 2 | grade >= 3 beyond day d | days to
        recovery, median (min-max)".
    ind : int
        The row's indent (unused).
    adsl : pandas.DataFrame
        ADSL (unused).
    ctx : dict
        The table's context (unused).

    Returns
    -------
    dict or None
        ``where`` on ADHTOX (``variable`` AVAL for the median row).

    Examples
    --------
    >>> cytopenia("Anemia: recovered to grade <= 2", 1, None, {})
    {'where': "PARAMCD == 'ANEMRECV' and AVAL == 1"}
    >>> cytopenia("Anemia: days to recovery, median (min-max)", 1, None, {})
    {'where': "PARAMCD == 'ANEMRCDY'", 'variable': 'AVAL'}
    """
    from cartrial.adam.adhtox_cytopenia import PREFIX

    term, _, what = row.partition(": ")
    p = PREFIX.get(term)
    if p is None:
        return None
    if what == "grade >= 3":
        return {"where": f"PARAMCD == '{p}G3DY'"}
    if what == "recovered to grade <= 2":
        return {"where": f"PARAMCD == '{p}RECV' and AVAL == 1"}
    if what.startswith("grade >= 3 beyond day "):
        return {"where": f"PARAMCD == '{p}PROL' and AVAL == 1"}
    if what == "days to recovery" + _MEDIAN:
        return {"where": f"PARAMCD == '{p}RCDY'", "variable": "AVAL"}
    return None
