"""The cellular kinetics section (14.5): NCA parameters, persistence, cytokines, ADA, figures."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from cartrial.data import Study
from cartrial.data.batches import concat_consuming, records_at, row_runs
from cartrial.data.compact import CompactFrame
from cartrial.protocol.model import Protocol
from cartrial.report import sections as S
from cartrial.report.fig_items import kinetics_item
from cartrial.report.figures import cytokine_figure
from cartrial.report.labels import (
    ANALYTE_LABELS,
    CYTOKINE_LABELS,
    CYTOKINE_PARAMS,
    NCA_LABELS,
    decimals,
    nca_precision_key,
)
from cartrial.report.table import ReportTable, fmt_dec, fmt_median_range


def kinetics_items(study: Study, protocol: Protocol, ds: dict[str, pd.DataFrame],
                   figures: dict) -> list:
    """The 14.5 tables (:func:`kinetics_table_items`, from ADaM) and figures (from SDTM).

    Parameters
    ----------
    study : Study
        The study (DM, EX, PC and LB for the figures).
    protocol : Protocol
        The protocol.
    ds : dict of str to pandas.DataFrame
        The ADaM datasets the report writes.
    figures : dict
        Figure name -> rendered figure (filled).

    Returns
    -------
    list
        Tables, then figures.

    Examples
    --------
    >>> kinetics_items(study, protocol, ds, {})  # doctest: +SKIP
    """
    from cartrial.kinetics.sdtm import infusions

    items: list = kinetics_table_items(ds, protocol)
    # figures
    inf = infusions(study["EX"], protocol, study.get("DM"))
    prof = _pc_profiles(study, inf)
    dose = inf.set_index("USUBJID")["DOSELVL"].astype(str)
    items += [f for f in [kinetics_item(prof, dose, protocol.schedule.kinetics.days, figures)]
              if f is not None]
    del prof  # drawn: freed before the cytokines are read (memory)
    cyt = _try_cytokines(study, inf, protocol)
    if cyt is not None and len(cyt):
        items.append(S._fig("14.5.2", "Serum cytokine profiles by dose level (median and IQR)",
                            cytokine_figure(cyt), ["Median (line) and interquartile range "
                                                     "(band) at each nominal day."],
                            "Infused with cytokine samples", figures, "cytokines"))
    return items


def kinetics_table_items(ds: dict[str, pd.DataFrame], protocol: Protocol) -> list[ReportTable]:
    """Tables 14.5.1-14.5.5 from the ADaM datasets alone (ADSL, ADPP, ADPC; ADCYT, ADAB and
    ADAE when present; :func:`cartrial.report.kinetics_adam.kinetics_tables`).

    Parameters
    ----------
    ds : dict of str to pandas.DataFrame
        The ADaM datasets.
    protocol : Protocol
        The protocol (kinetics settings, dose levels, confidence level, CRS grade source).

    Returns
    -------
    list of ReportTable
        NCA parameters, persistence, then cytokines, ADA and kinetics by CRS grade when their
        dataset has records.

    Raises
    ------
    InputError
        A dataset lacks a variable the tables read.

    Examples
    --------
    >>> [t.number for t in kinetics_table_items(ds, protocol)]  # doctest: +SKIP
    ['14.5.1', '14.5.2', '14.5.3', '14.5.4', '14.5.5']
    """
    from cartrial.kinetics.nca import nca_method
    from cartrial.report.kinetics_adam import kinetics_tables

    kin = kinetics_tables(ds, protocol)
    items: list = [_nca_table(kin, nca_method(protocol.kinetics)),
                   _persistence_table(kin, protocol)]
    if kin.cytokine_summary_dose is not None and len(kin.cytokine_summary_dose):
        items.append(_cytokine_table(kin, protocol))
    if kin.ada_summary is not None and len(kin.ada_summary):
        items.append(_ada_table(kin, protocol))
    if kin.exposure_safety is not None and len(kin.exposure_safety):
        from cartrial.report.grades import table_kinetics_by_crs

        items.append(table_kinetics_by_crs(kin.exposure_safety, kin.exposure_safety_tests,
                                           protocol.safety.crs_icans_grade_source, "14.5.5"))
    return items


def _nca_table(kin, meth: dict) -> ReportTable:
    s = kin.nca_summary
    s = s[s["PARAMCD"].isin(list(NCA_LABELS))]
    # declared precision per parameter (report.labels.PRECISION)
    prec = [nca_precision_key(t, p) for t, p in zip(s["PCTESTCD"], s["PARAMCD"], strict=True)]
    lab = (s["PCTESTCD"].map(lambda c: ANALYTE_LABELS.get(c, c)) + ", "
           + s["PCSPEC"].str.lower() + ": " + s["PARAMCD"].map(NCA_LABELS)).to_numpy()
    timed = s["PARAMCD"].isin(["TMAX", "TLST"]).to_numpy()
    col = _overall(s["DOSELVL"])
    geo = pd.DataFrame({"row": [f"{r}, geometric mean (CV%)" for r in lab], "column": col,
                        "value": [f"{fmt_dec(g, decimals(k, 'geo_mean'))} "
                                  f"({fmt_dec(cv, decimals('PCT'))}%)" for g, cv, k in zip(
                                      s["geo_mean"], s["geo_cv_pct"], prec, strict=True)]})[~timed]
    med = pd.DataFrame({"row": [f"{r}, median [min-max] (n)" for r in lab], "column": col,
                        "value": [fmt_median_range(md, lo, hi, n, k) for md, lo, hi, n, k in
                                  zip(s["median"], s["min"], s["max"], s["n"], prec,
                                      strict=True)]})
    order = {k: i for i, k in enumerate(NCA_LABELS)}  # Cmax, Tmax, AUC, Clast, Tlast
    key = pd.DataFrame({"_a": s["PCTESTCD"] + s["PCSPEC"],
                        "_p": s["PARAMCD"].map(order)}).reset_index(drop=True)
    cells = pd.concat([pd.concat([geo.reset_index(drop=True), key[~timed].reset_index(
        drop=True)], axis=1), pd.concat([med, key], axis=1)], ignore_index=True)
    cells = cells.sort_values(["_a", "_p"], kind="stable").drop(columns=["_a", "_p"])
    cells = cells.drop_duplicates(["row", "column"])
    return ReportTable(
        "14.5.1", "CAR-T expansion and persistence: non-compartmental parameters by dose level",
        "Infused with kinetics samples", cells.reset_index(drop=True), (
            "Tmax and Tlast in days after infusion; Cmax and Clast in the analyte's unit; "
            "AUC0\u201328d in the same unit \u00d7 day.",
            f"NCA by {meth.get('convention', 'PKNCA conventions')}; AUC "
            f"{meth.get('auc_method')}; BLQ before Tmax as 0, after Tmax missing; time in days "
            "from infusion."), "ADPP")


def _persistence_table(kin, protocol: Protocol) -> ReportTable:
    ps = kin.persistence_summary
    pc = pd.DataFrame({
        "row": (ps["PCTESTCD"].map(lambda c: ANALYTE_LABELS.get(c, c)) + ", "
                + ps["PCSPEC"].str.lower() + ": month " + ps["month"].map("{:g}".format)
                + ", n/N (%) [95% CI]").to_numpy(),
        "column": _overall(ps["DOSELVL"]),
        "value": [("NE" if ne == 0 else f"{nd}/{ne} ({p:.1f}%) [{lo:.1f}, {hi:.1f}]")
                  for nd, ne, p, lo, hi in zip(ps["n_detectable"], ps["n_evaluable"], ps["pct"],
                                               ps["ci_low"], ps["ci_high"], strict=True)]})
    return ReportTable("14.5.2", "CAR-T persistence by month (detectable, per analyte)",
                       "Infused with a sample near the landmark",
                       pc.drop_duplicates(["row", "column"]).reset_index(drop=True), (
                           "Detectable = a quantifiable sample at or after the landmark day "
                           f"(month x {protocol.endpoints.days_per_month:g} days) minus the "
                           f"{protocol.kinetics.persistence_window_days:g}-day window; "
                           "evaluable = a sample at or after it; 95% CI Clopper-Pearson.",
                       ), "ADPC")


def _cytokine_table(kin, protocol: Protocol) -> ReportTable:
    c = kin.cytokine_summary_dose
    c = c[c["PARAMCD"].isin(["PEAK", "FCPEAK", "TPEAK"])]
    cc = pd.DataFrame({
        "row": (c["CYTOKINE"].map(lambda k: CYTOKINE_LABELS.get(k, k)) + ": "
                + c["PARAMCD"].map(CYTOKINE_PARAMS) + ", median [min-max] (n)").to_numpy(),
        "column": _overall(c["DOSELVL"]),
        "value": [fmt_median_range(md, lo, hi, n, {"TPEAK": "DAYS", "FCPEAK": "FCPEAK"}.get(
            p, k)) for md, lo, hi, n, p, k in zip(c["median"], c["min"], c["max"], c["n"],
                                                  c["PARAMCD"], c["CYTOKINE"], strict=True)]})
    return ReportTable("14.5.3", "Serum cytokines: peak, fold change and time to peak",
                       "Infused with cytokine samples",
                       cc.drop_duplicates(["row", "column"]).reset_index(drop=True),
                       ("Peak in ng/L (= pg/mL), time of peak in days from "
                        "infusion; fold change = peak / baseline; BLQ = "
                        f"{protocol.kinetics.cytokine_blq}.",), "ADCYT")


def _ada_table(kin, protocol: Protocol) -> ReportTable:
    a = kin.ada_summary
    rows = [("Patients evaluable", "n_evaluable"), ("Baseline positive", "n_baseline_pos"),
            ("Treatment-induced", "n_ti"), ("Treatment-boosted", "n_tb"),
            ("Treatment-emergent (induced or boosted)", "n_te"),
            ("Persistent", "n_persistent"), ("Transient", "n_transient")]
    cells = []
    for _, r in a.iterrows():
        col = str(_overall(pd.Series([r["DOSELVL"]]))[0])
        for lab, k in rows:
            cells.append((lab, col, str(int(r[k])), 0 if k == "n_evaluable" else 1))
        cells.append(("Treatment-emergent ADA incidence, n/N (%) [95% CI]", col,
                      f"{int(r['n_te'])}/{int(r['n_evaluable'])} ({r['pct_te']:.1f}%) "
                      f"[{r['ci_low']:.1f}, {r['ci_high']:.1f}]" if r["n_evaluable"] else "NE",
                      1))
    df = pd.DataFrame(cells, columns=["row", "column", "value", "indent"]).drop_duplicates(
        ["row", "column"])
    return ReportTable("14.5.4", "Anti-CAR antibodies (ADA)", "Infused with ADA samples",
                       df.reset_index(drop=True), (
                           "Categories of Shankar G et al., AAPS J 2014;16:658-73; "
                           "boosted = titer rise "
                           f">= {protocol.kinetics.ada_titer_fold_rise:g}-fold; "
                           "persistent = positive over >= "
                           f"{protocol.kinetics.ada_persistent_days:g} days; 95% CI "
                           "Clopper-Pearson.",), "ADAB")


def _overall(dose: pd.Series) -> np.ndarray:
    """Dose-level column labels, the all-doses column named like every other table's total."""
    from cartrial.kinetics.analysis import ALL_DOSES

    return dose.astype(str).replace(ALL_DOSES, S.OVERALL).to_numpy()


#: records of PC or LB the figures read at a time (issue #18: memory; at 10,000 patients the
#: cytokine records' decoded variables and cytokine_data's working copies of all of them at
#: once rose 218 MiB, pc_profiles' 73 MiB)
RECORDS_AT_A_TIME = 50_000
_FIGURE_ORDER = ["CYTOKINE", "GROUP", "NOMDAY"]


def _row_batches(study: Study, name: str, rows: int) -> list[np.ndarray] | None:
    """Positions of the domain's records, ``rows`` at a time, in order; None when they fit in
    one batch (read as before, all at once)."""
    n = study.records(name)
    return None if n <= rows else row_runs(np.arange(n), rows)


def _records(study: Study, name: str, at: np.ndarray) -> pd.DataFrame:
    """The records at positions ``at`` of a domain, every variable (an encoded domain decodes
    only these), with their index labels."""
    return records_at(study.domains.held(name), at)


def _pc_profiles(study: Study, inf: pd.DataFrame, rows: int = RECORDS_AT_A_TIME
                 ) -> pd.DataFrame:
    """:func:`cartrial.kinetics.sdtm.pc_profiles` of PC, ``rows`` records at a time: each
    row of it comes from one PC record, so the batches joined in order are the frame made of
    all records at once (the excluded counts added up)."""
    from cartrial.kinetics.sdtm import pc_profiles

    batches = _row_batches(study, "PC", rows)
    if batches is None:
        return pc_profiles(study["PC"], inf)
    parts = [pc_profiles(_records(study, "PC", at), inf) for at in batches]
    excluded = {k: sum(p.attrs["excluded"][k] for p in parts)
                for k in parts[0].attrs["excluded"]}
    out = concat_consuming(parts)
    out.attrs["excluded"] = excluded
    return out


def _try_cytokines(study: Study, inf: pd.DataFrame, protocol: Protocol,
                   rows: int = RECORDS_AT_A_TIME) -> pd.DataFrame | None:
    """Figure 14.5.2's values (GROUP, CYTOKINE, NOMDAY, VALUE, UNIT), sorted by cytokine, dose
    level and nominal day: the quantifiable records of LB's cytokine tests from infusion on,
    read ``rows`` LB records at a time (each value comes from one record, so the batches
    joined in order are the values of all records read at once)."""
    from cartrial.kinetics.sdtm import cytokine_records

    if "LB" not in study:
        return None
    dose = inf.set_index("USUBJID")["DOSELVL"].astype(str)
    batches = _row_batches(study, "LB", rows)
    if batches is None:
        parts = [_cytokine_values(cytokine_records(study, protocol.kinetics), inf, dose,
                                  protocol)]
    else:  # LB's cytokine records only (issue #18: memory)
        parts = [_cytokine_values(cytokine_records({"LB": lb}, protocol.kinetics), inf, dose,
                                  protocol)
                 for lb in _cytokine_batches(study, batches, protocol)]
    values = concat_consuming(parts) if len(parts) > 1 else parts[0]
    # sorted a column at a time: the frame is not copied whole (memory)
    order = values[_FIGURE_ORDER].sort_values(_FIGURE_ORDER, kind="stable").index
    return pd.DataFrame({c: values.pop(c).to_numpy().take(order) for c in list(values)},
                        index=order).assign(UNIT="ng/L")


def _cytokine_batches(study: Study, batches: list[np.ndarray], protocol: Protocol
                      ) -> Iterator[pd.DataFrame]:
    """LB's records in batches: where LB is held encoded, only the records and variables
    :func:`cartrial.kinetics.sdtm.cytokine_records` keeps (its records chosen by asking it of
    each distinct LBTESTCD), as many records a batch as ``batches`` hold, else ``batches``'
    records, every variable. The values of the records are the same whatever the batches
    (each comes from one record, in the records' order); LB's other records (~95 %) and
    variables are not decoded, and there are ~20 times fewer batches, each with its fixed
    costs (dates parsed, subjects looked up; issue #18: CPU; at 10,000 patients 70 batches of
    50,000 LB records were decoded whole)."""
    from cartrial.kinetics.sdtm import CYTOKINE_LB_VARIABLES, cytokine_records

    held = study.domains.held("LB")
    if not isinstance(held, CompactFrame):
        yield from (_records(study, "LB", at) for at in batches)
        return

    def kept(tests: pd.Series) -> pd.Series:  # the distinct test codes it keeps the records of
        got = cytokine_records({"LB": pd.DataFrame({"LBTESTCD": tests.to_numpy()})},
                               protocol.kinetics)
        return pd.Series(np.isin(np.arange(len(tests)), got.index.to_numpy()))

    at = (np.flatnonzero(held.mask("LBTESTCD", kept)) if "LBTESTCD" in held.columns
          else np.arange(0))
    columns = [c for c in CYTOKINE_LB_VARIABLES if c in held.columns]
    rows = max(len(b) for b in batches)
    for start in range(0, max(len(at), 1), rows):  # one batch, empty, when there is none
        yield held.frame(columns, at[start:start + rows])


def _cytokine_values(lb: pd.DataFrame | None, inf: pd.DataFrame, dose: pd.Series,
                     protocol: Protocol) -> pd.DataFrame:
    """GROUP, CYTOKINE, NOMDAY and VALUE of the quantifiable records of ``lb`` (LB's cytokine
    records) on or after the infusion day."""
    from cartrial.kinetics.sdtm import cytokine_data

    d = cytokine_data(lb, inf, protocol.kinetics)
    d = d[~d["blq"].astype(bool) & (d["time_days"] >= 0)]
    name = "CYTOKINE" if "CYTOKINE" in d.columns else "LBTESTCD"
    return pd.DataFrame({
        "GROUP": d["USUBJID"].map(dose).to_numpy(), "CYTOKINE": d[name].to_numpy(),
        "NOMDAY": S.nominal_day(d["time_days"].to_numpy(dtype=float),
                                protocol.schedule.cytokines.days),
        "VALUE": d["value"].to_numpy(dtype=float)})
