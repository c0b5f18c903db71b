"""Table 14.6.1 (dose-toxicity, dose-response and dose-exposure by dose level) computed from the
ADaM datasets the report writes, the records its analysis metadata name
(:mod:`cartrial.report.ars_dose`): the infused patients (ADSL.SAFFL) by the dose level received
(ADSL.TRT01AN, the level of TRT01A); DLT among DLT-evaluable patients (ADSL DLTEVLFL, DLTFL);
CRS and ICANS of grade 2 or higher (each patient's worst ADAE ATOXGRN of the CRSFL / ICANSFL
records, the protocol's primary grade); overall response and CR or better among the patients
with a confirmed best overall response record (ADRS PARAMCD CBOR, AVALC); CAR+ T-cell Cmax and
AUC0-28d (ADPP AVAL of PARCAT1 CARTCELL, PPTESTCD CMAX / AUC0_28; unit AVALU of the Cmax
records; the specimen PARCAT2). Rows and footnotes are
:func:`cartrial.report.recommended_dose.profile_layout`'s; a dataset that is absent leaves its
rows "-".

References
----------
Clopper CJ, Pearson ES. Biometrika 1934;26:404-13. Lee DW et al., Biol Blood Marrow Transplant
2019;25:625-38. Kumar S et al., Lancet Oncol 2016;17:e328-46.
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from cartrial.protocol import Protocol
from cartrial.report.ars_dose import ANALYTE
from cartrial.report.document import Section
from cartrial.report.recommended_dose import profile_layout, rate_cell
from cartrial.report.table import ReportTable

_RESPONSE = (("sCR", "CR", "VGPR", "PR"), ("sCR", "CR"))


def _num(v: float) -> str:
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"


def _spread(v: pd.Series) -> str:
    v = v.dropna()
    if v.empty:
        return "-"
    return f"{_num(v.median())} ({_num(v.min())}, {_num(v.max())}); n={len(v)}"


def _worst(adae: pd.DataFrame | None, flag: str) -> pd.Series:
    if adae is None:
        return pd.Series(dtype=float)
    e = adae[adae[flag] == "Y"]
    return e.groupby(e["USUBJID"].astype(str))["ATOXGRN"].max()


def profile_from_adam(ds: dict[str, pd.DataFrame], protocol: Protocol,
                      number: str = "14.6.1") -> ReportTable:
    """Table 14.6.1 from ADSL, ADAE, ADRS and ADPP alone.

    Parameters
    ----------
    ds : dict of str to pandas.DataFrame
        The ADaM datasets (ADSL required; ADAE, ADRS, ADPP when present).
    protocol : Protocol
        Dose levels and confidence level.
    number : str
        Table number.

    Returns
    -------
    ReportTable

    References
    ----------
    Clopper CJ, Pearson ES. Biometrika 1934;26:404-13.

    Examples
    --------
    >>> from cartrial.protocol import load_protocol
    >>> adsl = pd.DataFrame({"USUBJID": ["1", "2"], "SAFFL": "Y", "TRT01AN": [1, 1],
    ...                      "DLTEVLFL": "Y", "DLTFL": ["Y", None]})
    >>> t = profile_from_adam({"ADSL": adsl}, load_protocol("ct071"))
    >>> t.wide().iloc[:2, 0].tolist()
    ['2', '1/2 (50%) [1.3, 98.7]']
    """
    from cartrial.report.kinetics_adam import dose_levels

    level = protocol.endpoints.confidence_level
    adsl = ds["ADSL"][ds["ADSL"]["SAFFL"] == "Y"]
    dose = dose_levels(adsl, protocol)
    crs, icans = (_worst(ds.get("ADAE"), f) for f in ("CRSFL", "ICANSFL"))
    rs = ds.get("ADRS")
    cbor = None if rs is None else rs[rs["PARAMCD"] == "CBOR"].assign(
        USUBJID=lambda d: d["USUBJID"].astype(str))
    pp = ds.get("ADPP")
    nca = None if pp is None else pp[pp["PARCAT1"] == ANALYTE].assign(
        USUBJID=lambda d: d["USUBJID"].astype(str))
    cols: dict[str, list[str]] = {}
    for d in protocol.dose_levels:
        ids = pd.Series(dose.index[(dose == d.id).to_numpy()])
        at = adsl[adsl["USUBJID"].astype(str).isin(ids)]
        ev = at[at["DLTEVLFL"] == "Y"]
        c = [str(len(at)), rate_cell(int((ev["DLTFL"] == "Y").sum()), len(ev), level)]
        for worst in (crs, icans):
            c.append(rate_cell(int((ids.map(worst).fillna(0) >= 2).sum()), len(at), level))
        resp = None if cbor is None else cbor[cbor["USUBJID"].isin(ids)]
        for cats in _RESPONSE:
            c.append("-" if resp is None or resp.empty else rate_cell(
                int(resp.loc[resp["AVALC"].isin(cats), "USUBJID"].nunique()),
                int(resp["USUBJID"].nunique()), level))
        for p in ("CMAX", "AUC0_28"):
            c.append("-" if nca is None else _spread(nca.loc[
                nca["USUBJID"].isin(ids) & (nca["PPTESTCD"] == p), "AVAL"].reset_index(
                    drop=True)))
        cols[f"{d.id} {d.label}"] = c
    unit, specimen = "", None
    if nca is not None:
        specimen = ""
        u = nca.loc[nca["PPTESTCD"] == "CMAX", "AVALU"].dropna()
        unit = f" ({u.iloc[0]})" if len(u) else ""
        if "PARCAT2" in nca:
            specimen = " and ".join(sorted(nca["PARCAT2"].dropna().astype(str).str.lower()
                                           .unique()))
    return profile_layout(protocol, cols, unit, number, specimen)


def with_adam_profile(section: Section, ds: dict[str, pd.DataFrame],
                      protocol: Protocol) -> Section:
    """Section 14.6 with its first table, 14.6.1, computed from ADaM (:func:`profile_from_adam`).

    Parameters
    ----------
    section : Section
        :func:`cartrial.report.recommended_dose.recommended_dose_section`.
    ds : dict of str to pandas.DataFrame
        The ADaM datasets.
    protocol : Protocol
        The protocol.

    Returns
    -------
    Section

    Examples
    --------
    >>> with_adam_profile(section, ds, protocol).items[0].number  # doctest: +SKIP
    '14.6.1'
    """
    return replace(section, items=(profile_from_adam(ds, protocol), *section.items))
