"""``cartrial analyze``: validation -> engines -> ADaM datasets -> report, as one function.

Each stage is named so the CLI can show progress. Bad input stops the run (validation errors as
:class:`~cartrial.errors.FindingsError`). An engine that refuses the data (``InputError``) does
not stop the others: its sections are left out of the report, and the reason is printed in the
report's "Sections not produced" list and returned in ``AnalysisSummary.omitted``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from cartrial import __version__
from cartrial._memory import map_large_blocks, release_freed_memory
from cartrial.adam import build_adam, write_adam
from cartrial.conduct import escalation_history
from cartrial.data import Study, load_study, snapshot, validate_study
from cartrial.errors import Finding, FindingsError, InputError
from cartrial.protocol import load_protocol, protocol_hash
from cartrial.protocol.model import Protocol
from cartrial.report import sections as S
from cartrial.report.document import Provenance, Section, render_document
from cartrial.report.dose_comparisons import table_dose_comparisons
from cartrial.report.dlt_counting import counted_dose_note
from cartrial.report.fig_items import crs_icans_item, efficacy_figures, kinetics_item
from cartrial.report.figures import cytokine_figure, figure_cutoff
from cartrial.report.grades import ctcae_label
from cartrial.report.labels import (
    ANALYTE_LABELS,
    CYTOKINE_LABELS,
    CYTOKINE_PARAMS,
    NCA_LABELS,
    decimals,
    nca_precision_key,
)
from cartrial.report.pdf import html_to_pdf
from cartrial.report.render import RunningHeader, table_to_docx, table_to_rtf, table_to_text
from cartrial.report.table import ReportTable, fmt_dec, fmt_median_range, table_from_wide

STAGES = ("load and validate", "safety engine", "efficacy engine", "kinetics engine",
          "ADaM datasets", "tables and figures", "write outputs")


@dataclass(frozen=True)
class AnalysisSummary:
    """What ``analyze`` wrote and what it left out."""

    out: Path
    report: Path
    datasets: dict[str, int]
    tables: list[str]
    figures: list[str]
    omitted: list[str] = field(default_factory=list)
    findings_warnings: int = 0
    pdf: Path | None = None
    cutoff: str = ""


def _validate(study: Study, protocol: Protocol) -> int:
    rep = validate_study(study, protocol)
    if not rep.ok:
        f = rep.findings
        err = f[f["severity"] == "error"]
        raise FindingsError([Finding(r.domain, r.usubjid, r.seq, r.variable, r.value,
                                     f"[{r.rule_id}] {r.rule}")
                             for r in err.itertuples(index=False)])
    return rep.n_warnings


def _safety(study: Study, protocol: Protocol, cutoff: date | None = None):
    from dataclasses import replace

    from cartrial.safety.analysis import analyse_safety
    from cartrial.safety.sdtm import infusion_dates, safety_inputs

    inputs = safety_inputs(study, protocol)
    if cutoff is not None:  # followed up to the cut-off, as `decide --as-of` (one rule)
        from cartrial.conduct.followup import followed_to_cutoff

        inputs = replace(inputs, subjects=followed_to_cutoff(
            inputs.subjects, infusion_dates(study), cutoff))
    # the per-record lab grades (millions of rows for a large trial) are tabulated in batches
    # and not kept: ADLB grades the records itself
    return analyse_safety(inputs, protocol, keep_labs=False)


def _enrolled_by(study: Study, cutoff: date) -> Study:
    """The study without the subjects who gave consent (DM.RFICDTC) after the cut-off: they
    were not in the trial on that date (a missing RFICDTC keeps the subject)."""
    from dataclasses import replace

    from cartrial.data.dates import impute_date

    dm = study.get("DM")
    if dm is None or "RFICDTC" not in dm:
        return study
    start, _ = impute_date(dm["RFICDTC"], "start")
    late = set(dm.loc[(start > pd.Timestamp(cutoff)).fillna(False).to_numpy(dtype=bool),
                      "USUBJID"].astype(str))
    if not late:
        return study
    return replace(study, domains={
        k: (v[~v["USUBJID"].astype(str).isin(late)].reset_index(drop=True)
            if "USUBJID" in v else v) for k, v in study.domains.items()})


def _primary_crs(safety, protocol: Protocol) -> dict:
    """The kinetics-by-CRS analysis groups by the protocol's primary CRS grade."""
    if safety is None:
        return {}
    from cartrial.safety.grade_source import source_label, worst_crs_grade

    return {"crs": worst_crs_grade(safety.syndrome_events, safety.dlt.patients["USUBJID"]),
            "crs_source": source_label(protocol.safety.crs_icans_grade_source)}


def _try(label: str, fn: Callable, omitted: list[str]):
    try:
        return fn()
    except InputError as exc:
        omitted.append(f"{label}: {str(exc).splitlines()[0]}")
        return None


def run_analysis(data_dir: str | Path, protocol_ref: str, out: str | Path, *,
                 run_date: datetime, progress: Callable[[str], None] | None = None,
                 cutoff: date | None = None, allow_partial: bool = False, pdf: bool = False,
                 adam_format: str = "xpt", db: str | None = None) -> AnalysisSummary:
    """Run the whole pipeline and write ``out/adam``, ``out/report.html``, ``out/figures`` and
    ``out/tables``. ``run_date`` is recorded in the outputs (never read from the clock here).

    ``cutoff``: the report as of that data cut-off (the study as known then,
    :func:`cartrial.data.snapshot`, as ``decide --as-of``). A section that cannot be produced
    stops the run (``InputError``, nothing written) unless ``allow_partial``; the report's first
    page then lists what is missing. ``pdf``: also ``out/report.pdf`` (headless Chromium).
    ``adam_format``: ``"xpt"`` or ``"dataset-json"`` beside the CSV (:func:`write_adam`).
    ``db``: the committee workspace database (SQLAlchemy URL); when it holds decisions, Table
    14.2.1 is that record with the re-derived recommendation beside it."""
    map_large_blocks()

    def step(stage: str) -> None:
        release_freed_memory()  # the next stage starts from what is alive, not the last peak
        if progress is not None:
            progress(stage)

    out = Path(out)
    omitted: list[str] = []

    # 1. load and validate
    protocol = load_protocol(protocol_ref)
    study = load_study(data_dir)
    n_warn = _validate(study, protocol)
    if cutoff is not None:
        study = _enrolled_by(snapshot(study, cutoff), cutoff)
    record = None
    if db is not None:  # the committee's own record is Table 14.2.1 when it holds decisions
        from cartrial.conduct.record import escalation_record

        record = escalation_record(study, protocol, db, until=cutoff)
    step(STAGES[0])

    # 2-4. engines
    safety = _try("Safety engine (ASTCT 2019 CRS/ICANS grading, DLT adjudication, safety "
                  "tables)", partial(_safety, study, protocol, cutoff),
                  omitted)
    step(STAGES[1])
    from cartrial.efficacy.sdtm import efficacy_from_study, mrd_from_sdtm
    eff = _try("Efficacy engine (IMWG response, rates, time to event)",
               partial(efficacy_from_study, study, protocol), omitted)
    step(STAGES[2])
    from cartrial.kinetics.analysis import analyse_kinetics
    kin = _try("Kinetics engine (NCA, cytokines, ADA)",
               partial(analyse_kinetics, study.domains, protocol,
                       **_primary_crs(safety, protocol)), omitted)
    step(STAGES[3])

    history = record if record is not None and len(record) else _try(
        "Escalation history (re-derived from the data)", partial(
            escalation_history, study, protocol), omitted) if safety is not None else None
    from cartrial.report.recommended_dose import recommended_dose_section  # 14.6 (issue #20)
    rec_dose = _try("Recommended dose (14.6: dose-toxicity, -response, -exposure; selection)",
                    partial(recommended_dose_section, study, protocol, safety,
                            eff[0] if eff else None, kin), omitted)
    if omitted and not allow_partial:
        raise InputError("the report cannot be produced whole (run again with --allow-partial "
                         "to write it without these sections, marked on its first page):\n"
                         + "\n".join(f"- {o}" for o in omitted))
    # 5. ADaM
    efficacy, imwg = (eff[0], eff[1]) if eff else (None, None)
    mrd = mrd_from_sdtm(study["LB"]) if eff and "LB" in study else None
    adam = build_adam(study, protocol, safety=safety, imwg=imwg, efficacy=efficacy, mrd=mrd,
                      kinetics=kin, batched_adlb=True)
    ds = adam.datasets
    # from here on only the kinetics figures (DM, EX, PC, LB), the swimmer plot (CM) and ADLB
    # (LB) read the study: the other domains (FA, QS, VS: millions of records for a large trial)
    # are freed now
    study.domains = {k: v for k, v in study.domains.items()
                     if k in ("DM", "EX", "PC", "LB", "CM")}
    step(STAGES[4])

    # 6. tables and figures
    figures: dict[str, tuple[bytes, bytes]] = {}  # name -> (PNG, SVG)
    fig_cut = cutoff.isoformat() if cutoff is not None else (
        adam.cutoff.strftime("%Y-%m-%d") if pd.notna(adam.cutoff) else "")
    with figure_cutoff(fig_cut):  # every figure's caption names the data cut-off
        secs = build_sections(study, protocol, ds, safety, efficacy, kin, figures, history)
    if rec_dose is not None:  # before the listings (16.2)
        secs.insert(len(secs) - 1, rec_dose)
    step(STAGES[5])

    # 7. write: the study and the engines' frames are no longer needed; freeing them first lets
    # the writers reuse their memory (a large trial's peak would otherwise be here)
    phash = protocol_hash(protocol_ref)
    dhash = study.data_hash
    del study, safety, eff, kin, efficacy, imwg, mrd
    cut_text = cutoff.isoformat() if cutoff is not None else (
        adam.cutoff.strftime("%Y-%m-%d") if pd.notna(adam.cutoff) else "")
    prov = Provenance(__version__, protocol_ref, phash, str(data_dir), dhash, run_date,
                      cut_text, cutoff_given=cutoff is not None,
                      extra=(("Day convention", "day 0 = the day of CAR-T infusion in every "
                              "table, figure and listing (ADaM ASTDY/ADY: CDISC study day, "
                              "infusion = day 1)"),)
                      + tuple(("Not produced", o) for o in omitted) + tuple(
                          ("Validation warnings", str(n_warn)) for _ in [0] if n_warn))
    write_adam(ds, out / "adam", study=protocol.study_id, version=__version__,
               protocol_hash=phash, data_hash=dhash, run_date=run_date, format=adam_format)
    title = f"{protocol.study_id}: clinical study report tables, figures and listings"
    subtitle = protocol.title.strip()
    html = render_document(title, subtitle, secs, prov, omitted=omitted)
    report = out / "report.html"
    report.write_text(html, encoding="utf-8")
    tables, figs = _write_items(secs, figures, out, run_date,
                                RunningHeader(protocol.study_id, cut_text, run_date))
    pdf_path = html_to_pdf(report, out / "report.pdf") if pdf else None
    return AnalysisSummary(out, report, {k: len(v) for k, v in ds.items()}, tables, figs,
                           omitted, n_warn, pdf_path, cut_text)


def _write_items(secs: list[Section], figures: dict, out: Path, run_date: datetime,
                 header: RunningHeader) -> tuple[list[str], list[str]]:
    tdir, fdir = out / "tables", out / "figures"
    tdir.mkdir(parents=True, exist_ok=True)
    fdir.mkdir(parents=True, exist_ok=True)
    tables, figs = [], []
    for s in secs:
        for it in s.items:
            if isinstance(it, ReportTable):
                base = tdir / f"{it.kind}_{it.number.replace('.', '_')}"
                base.with_suffix(".txt").write_text(table_to_text(it), encoding="utf-8")
                if it.kind == "table":
                    table_to_docx(it, base.with_suffix(".docx"), run_date=run_date,
                                  header=header)
                    table_to_rtf(it, base.with_suffix(".rtf"), header=header)
                else:  # listings can be long: CSV next to the text rendering
                    it.wide().to_csv(base.with_suffix(".csv"), lineterminator="\n")
                tables.append(it.caption)
            else:
                figs.append(it.caption)
                if it.file is not None:  # drawn as SVG text (the patient flow)
                    (fdir / f"{it.file[0]}.svg").write_text(it.file[1], encoding="utf-8")
    for name, (png, svg) in figures.items():
        (fdir / f"{name}.svg").write_bytes(svg)
        (fdir / f"{name}.png").write_bytes(png)
    return tables, figs


def build_sections(study: Study, protocol: Protocol, ds: dict[str, pd.DataFrame], safety,
                   efficacy, kin, figures: dict,
                   history: pd.DataFrame | None = None) -> list[Section]:
    """Every report section that the available results support, in CSR order."""
    adsl = ds["ADSL"]
    doses = protocol.dose_ids
    from cartrial.report.csr import csr_summary_items  # disposition, baseline, exposure

    secs = [Section("14.1 Trial summary", (S.table_populations(adsl, protocol, "14.1.1"),
                                           *csr_summary_items(adsl, protocol, study.get("EX"))))]
    # 14.2 escalation
    items: list = []
    if history is not None:  # cartrial.conduct.escalation_history
        items.append(S.table_escalation(history, protocol, "14.2.1"))
    dt = S.table_decision(protocol, "14.2.2")
    if dt is not None:
        items.append(dt)
    if safety is not None:
        n = S._n_by_dose(adsl, "SAFFL", doses)
        items.append(S.tidy_to_table(
            safety.tables["dlt"], "14.2.3", "Dose-limiting toxicities by dose level",
            "Safety (infused)", footnotes=(
                "DLT criteria (protocol): " + "; ".join(protocol.dlt.criteria().values()) + ".",
                f"DLT window {protocol.design.dlt_window_days} days from infusion; CRS/ICANS "
                "graded by ASTCT 2019 from the daily assessments, cytopenias by "
                f"{ctcae_label(safety.method.get('ctcae_version'))} from laboratory values.",
                *filter(None, [counted_dose_note(adsl, safety.dlt.patients, protocol)])),
            source="ADSL (DLTEVLFL, DLTFL)", col_n=None))
        del n
    secs.append(Section("14.2 Dose escalation and dose-limiting toxicities", tuple(items)))
    # 14.3 safety
    if safety is not None:
        secs.append(Section("14.3 Safety", tuple(safety_items(adsl, safety, protocol, figures))))
    # 14.4 efficacy
    if efficacy is not None and "ADRS" in ds:
        secs.append(Section("14.4 Efficacy", tuple(efficacy_items(adsl, ds["ADRS"], efficacy,
                                                                  figures, protocol,
                                                                  study.get("CM")))))
    # 14.5 kinetics
    if kin is not None:
        secs.append(Section("14.5 Cellular kinetics, cytokines and immunogenicity",
                            tuple(kinetics_items(study, protocol, kin, figures))))
    secs.append(Section("16.2 Patient listings", tuple(listing_items(ds, safety))))
    return secs


INFECTIONS = "Infections and infestations"
ORDER_NOTE = ("System organ classes, and the MedDRA preferred terms nested under each, by "
              "descending number of patients (all dose levels), ties alphabetically.")


def _preferred_term(row: str) -> str:
    """"SOC / PT" -> "PT" (shown indented under its system organ class)."""
    return row.split(" / ", 1)[-1]


def safety_items(adsl, safety, protocol: Protocol, figures: dict) -> list:
    from cartrial.report.grades import table_grade_reconciliation
    from cartrial.safety.grade_source import source_label

    source = protocol.safety.crs_icans_grade_source
    primary = source_label(source)
    doses = protocol.dose_ids
    n = S._n_by_dose(adsl, "SAFFL", doses)
    m = safety.method
    crit = (f"CRS ({m.get('crs_criteria')}) and ICANS ({m.get('icans_criteria')}) graded by the "
            "ASTCT consensus (Lee DW et al., Biol Blood Marrow Transplant 2019;25:625-38) from "
            "daily vital signs, oxygen support, "
            "vasopressors, ICE score and neurological findings; laboratory toxicity by NCI CTCAE "
            "v" + str(m.get("ctcae_version")) + ".")
    te = (f"Treatment-emergent: onset on or after infusion and up to day "
          f"{m.get('treatment_emergent_until_day')}.")
    items: list = [
        S.tidy_to_table(safety.tables["teae"], "14.3.1",
                        "Treatment-emergent adverse events by system organ class and preferred "
                        "term (worst grade per patient)", "Safety (infused)", col_n=n,
                        label=_preferred_term,
                        footnotes=(te, primary, "Other AE grades as reported by the "
                                   f"investigator (AETOXGR, {ctcae_label(m.get('ctcae_version'))}"
                                   ", the version the protocol pins).",
                                   "A patient is counted once per row at the worst grade.",
                                   ORDER_NOTE),
                        source="ADAE"),
        S.tidy_to_table(safety.tables["teae_grade"].query("COLUMN == @S.OVERALL"), "14.3.1.1",
                        "Treatment-emergent adverse events by system organ class, preferred "
                        "term and worst grade (all dose levels)", "Safety (infused)", col_n=n,
                        label=_preferred_term,
                        footnotes=(te, primary, "A patient is counted once per row, at the "
                                   "worst grade reached.", ORDER_NOTE), source="ADAE"),
        S.tidy_to_table(safety.tables["crs"], "14.3.2", "Cytokine release syndrome",
                        "Safety (infused)", col_n=n, footnotes=(
                            crit, primary, "Onset in days after infusion (day 0 = infusion); "
                            "duration of resolved episodes in days; onset, duration and therapy "
                            "from the derived episodes."), source="ADAE, safety engine"),
        table_grade_reconciliation(safety.reconciliation, source, "14.3.2.1"),
        S.tidy_to_table(safety.tables["icans"], "14.3.3",
                        "Immune effector cell-associated neurotoxicity syndrome",
                        "Safety (infused)", col_n=n, footnotes=(crit, primary),
                        source="ADAE, safety engine"),
    ]
    items.append(crs_icans_item(adsl, safety, primary, crit, figures))
    items.append(S.tidy_to_table(safety.tables["cytopenias"], "14.3.4",
                                 "Grade >= 3 cytopenias after infusion and recovery",
                                 "Safety (infused)", col_n=n, footnotes=(
        f"{ctcae_label(m.get('ctcae_version'))} grades from laboratory values (the version the "
        "protocol pins); a grade holds until the next assessment.",
        f"Prolonged: grade >= 3 still present beyond day {m.get('prolonged_cytopenia_day')}."),
        source="ADLB"))
    if "gprc5d" in safety.tables:   # protocol baskets of category "GPRC5D on-target"
        items.append(S.tidy_to_table(safety.tables["gprc5d"], "14.3.5",
                                     "GPRC5D on-target adverse events", "Safety (infused)",
                                     col_n=n, footnotes=(
                                         "Groups of MedDRA preferred terms defined in the "
                                         "protocol (safety.baskets).",), source="ADAE"))
    items.append(S.tidy_to_table(safety.tables["deaths"], "14.3.6", "Deaths",
                                 "Safety (infused)", col_n=n, footnotes=(
                                     "Days from infusion; cause from DS DSTERM.",),
                                 source="ADSL"))
    from cartrial.report.csr_deaths import table_deaths_timing

    items.append(table_deaths_timing(adsl, "14.3.6.1"))
    inf = safety.tables["teae_grade"]
    inf = inf[inf["ROW"].str.startswith(INFECTIONS) & (inf["COLUMN"] == S.OVERALL)]
    if len(inf):
        items.append(S.tidy_to_table(
            inf, "14.3.7", "Infections by preferred term and worst grade (all dose levels)",
            "Safety (infused)", col_n=n, label=_preferred_term, footnotes=(
                te, "MedDRA system organ class 'Infections and infestations'; a patient is "
                "counted once per row, at the worst grade (as reported, "
                f"{ctcae_label(safety.method.get('ctcae_version'))}).",
                ORDER_NOTE), source="ADAE"))
    from cartrial.report.safety_standards import safety_standard_items  # ICAHT, IEC-HS, baskets

    return items + safety_standard_items(safety, n)


def efficacy_items(adsl, adrs, efficacy, figures: dict,
                   protocol: Protocol | None = None, cm: pd.DataFrame | None = None) -> list:
    notes = list(efficacy.footnotes)
    items: list = [S.table_response(efficacy.rates, "14.4.1",
                                    "Leukapheresed (intent-to-treat), by dose level infused",
                                    [notes[0], notes[1]])]
    if efficacy.mrd is not None and len(efficacy.mrd):
        items.append(S.table_mrd(efficacy.mrd, "14.4.2", [
            notes[-1], "n (%) [95% CI, Clopper-Pearson] of the patients in the denominator."]))
    items.append(S.table_tte(efficacy.tte_summary, efficacy.landmarks, "14.4.3",
                             [notes[2], notes[3], "NR = not reached; NE = not estimable."]))
    if protocol is not None:  # survival by dose level (cartrial.report.dose_comparisons)
        items += [t for t in [table_dose_comparisons(efficacy, protocol.endpoints,
                                                     list(protocol.dose_ids), "14.4.4")] if t]
    items += efficacy_figures(adsl, adrs, cm, efficacy, figures)
    return items


def kinetics_items(study: Study, protocol: Protocol, kin, figures: dict) -> list:
    from cartrial.kinetics.sdtm import infusions, pc_profiles

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
    meth = kin.method.get("nca", {})
    items: list = [ReportTable(
        "14.5.1", "CAR-T expansion and persistence: non-compartmental parameters by dose level",
        "Infused with kinetics samples", cells.reset_index(drop=True), (
            "Tmax and Tlast in days after infusion; Cmax and Clast in the analyte's unit; "
            "AUC0\u201328d in the same unit \u00d7 day.",
            f"NCA by {meth.get('convention', 'PKNCA conventions')}; AUC "
            f"{meth.get('auc_method')}; BLQ before Tmax as 0, after Tmax missing; time in days "
            "from infusion."), "ADPP")]
    ps = kin.persistence_summary
    pc = pd.DataFrame({
        "row": (ps["PCTESTCD"].map(lambda c: ANALYTE_LABELS.get(c, c)) + ", "
                + ps["PCSPEC"].str.lower() + ": month " + ps["month"].map("{:g}".format)
                + ", n/N (%) [95% CI]").to_numpy(),
        "column": _overall(ps["DOSELVL"]),
        "value": [("NE" if ne == 0 else f"{nd}/{ne} ({p:.1f}%) [{lo:.1f}, {hi:.1f}]")
                  for nd, ne, p, lo, hi in zip(ps["n_detectable"], ps["n_evaluable"], ps["pct"],
                                               ps["ci_low"], ps["ci_high"], strict=True)]})
    items.append(ReportTable("14.5.2", "CAR-T persistence (detectable transgene) by month",
                             "Infused with a sample near the landmark",
                             pc.drop_duplicates(["row", "column"]).reset_index(drop=True), (
                                 "Detectable = quantifiable at the sample closest before the "
                                 "landmark (within the protocol window); 95% CI Clopper-Pearson.",
                             ), "ADPC"))
    if kin.cytokine_summary_dose is not None and len(kin.cytokine_summary_dose):
        c = kin.cytokine_summary_dose
        c = c[c["PARAMCD"].isin(["PEAK", "FCPEAK", "TPEAK"])]
        cc = pd.DataFrame({
            "row": (c["CYTOKINE"].map(lambda k: CYTOKINE_LABELS.get(k, k)) + ": "
                    + c["PARAMCD"].map(CYTOKINE_PARAMS) + ", median [min-max] (n)").to_numpy(),
            "column": _overall(c["DOSELVL"]),
            "value": [fmt_median_range(md, lo, hi, n, {"TPEAK": "DAYS", "FCPEAK": "FCPEAK"}.get(
                p, k)) for md, lo, hi, n, p, k in zip(c["median"], c["min"], c["max"], c["n"],
                                                      c["PARAMCD"], c["CYTOKINE"], strict=True)]})
        items.append(ReportTable("14.5.3", "Serum cytokines: peak, fold change and time to peak",
                                 "Infused with cytokine samples",
                                 cc.drop_duplicates(["row", "column"]).reset_index(drop=True),
                                 ("Peak in ng/L (= pg/mL), time of peak in days from "
                                  "infusion; fold change = peak / baseline; BLQ = "
                                  f"{protocol.kinetics.cytokine_blq}.",), "ADCYT"))
    if kin.ada_summary is not None and len(kin.ada_summary):
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
            cells.append(("Treatment-emergent ADA incidence, % (95% CI)", col,
                          f"{r['pct_te']:.1f} ({r['ci_low']:.1f}, {r['ci_high']:.1f})", 1))
        df = pd.DataFrame(cells, columns=["row", "column", "value", "indent"]).drop_duplicates(
            ["row", "column"])
        items.append(ReportTable("14.5.4", "Anti-CAR antibodies (ADA)", "Infused with ADA "
                                 "samples", df.reset_index(drop=True), (
                                     "Categories of Shankar G et al., AAPS J 2014;16:658-73; "
                                     "boosted = titer rise "
                                     f">= {protocol.kinetics.ada_titer_fold_rise:g}-fold; "
                                     "persistent = positive over >= "
                                     f"{protocol.kinetics.ada_persistent_days:g} days; 95% CI "
                                     "Clopper-Pearson.",), "IS"))
    if len(kin.exposure_safety):
        from cartrial.report.grades import table_kinetics_by_crs

        items.append(table_kinetics_by_crs(kin.exposure_safety, kin.exposure_safety_tests,
                                           protocol.safety.crs_icans_grade_source, "14.5.5"))
    # figures
    inf = infusions(study["EX"], protocol, study.get("DM"))
    prof = pc_profiles(study["PC"], inf)
    dose = inf.set_index("USUBJID")["DOSELVL"].astype(str)
    items += [f for f in [kinetics_item(prof, dose, protocol.schedule.kinetics.days, figures)]
              if f is not None]
    cyt = _try_cytokines(study, inf, protocol)
    if cyt is not None and len(cyt):
        items.append(S._fig("14.5.2", "Serum cytokine profiles by dose level (median and IQR)",
                            cytokine_figure(cyt), ["Median (line) and interquartile range "
                                                     "(band) at each nominal day."],
                            "Infused with cytokine samples", figures, "cytokines"))
    return items


def _overall(dose: pd.Series) -> np.ndarray:
    """Dose-level column labels, the all-doses column named like every other table's total."""
    from cartrial.kinetics.analysis import ALL_DOSES

    return dose.astype(str).replace(ALL_DOSES, S.OVERALL).to_numpy()


def _try_cytokines(study: Study, inf: pd.DataFrame, protocol: Protocol) -> pd.DataFrame | None:
    from cartrial.kinetics.sdtm import cytokine_data

    if "LB" not in study:
        return None
    d = cytokine_data(study["LB"], inf, protocol.kinetics)
    d = d[~d["blq"].astype(bool) & (d["time_days"] >= 0)]
    dose = inf.set_index("USUBJID")["DOSELVL"].astype(str)
    name = "CYTOKINE" if "CYTOKINE" in d.columns else "LBTESTCD"
    return pd.DataFrame({
        "GROUP": d["USUBJID"].map(dose).to_numpy(), "CYTOKINE": d[name].to_numpy(),
        "NOMDAY": S.nominal_day(d["time_days"].to_numpy(dtype=float),
                                protocol.schedule.cytokines.days),
        "VALUE": d["value"].to_numpy(dtype=float), "UNIT": "ng/L"}).sort_values(
        ["CYTOKINE", "GROUP", "NOMDAY"], kind="stable")


DAY_NOTE = "Days after CAR-T infusion (day 0 = day of infusion), as in every table."


def _day0(when: pd.Series, infusion: pd.Series) -> pd.Series:
    """Whole days from the infusion date (day 0 = infusion day); empty when unknown."""
    return (pd.to_datetime(when) - pd.to_datetime(infusion)).dt.days.astype("Int64").astype(
        str).replace("<NA>", "")


def listing_items(ds: dict[str, pd.DataFrame], safety) -> list:
    adsl = ds["ADSL"]

    def d(s: pd.Series) -> pd.Series:
        return s.dt.strftime("%Y-%m-%d").fillna("")

    subj = pd.DataFrame({
        "Subject": adsl["USUBJID"], "Dose level": S.dose_id(adsl["TRT01A"]),
        "Population": adsl["POPCD"], "Age": adsl["AGE"].astype("Int64").astype(str),
        "Sex": adsl["SEX"], "Leukapheresis": d(adsl["APHDT"]), "Infusion": d(adsl["TRTSDT"]),
        "Status": adsl["EOSSTT"], "Reason": adsl["DCSREAS"], "Death": d(adsl["DTHDT"]),
        "Last known alive": d(adsl["LSTALVDT"]),
        "DLT-evaluable": adsl.get("DLTEVLFL", pd.Series("", index=adsl.index)),
    })
    items: list = [table_from_wide("16.2.1", "Subject disposition and key dates",
                                   "Leukapheresed", subj, kind="listing", source="ADSL")]
    if safety is not None:
        p = safety.dlt.patients
        p = p[p["DLT"] == "yes"]
        dl = pd.DataFrame({"Subject": p["USUBJID"], "Dose level": p["DOSE_LEVEL"],
                           "DLT criterion": p["DLT_CRITERION"], "Event": p["DLT_TERM"],
                           "Onset (day)": p["DLT_ONSET_DAY"].map(lambda v: f"{v:.1f}"),
                           "Grade": p["DLT_GRADE"].map(lambda v: f"{v:.0f}")})
        items.append(table_from_wide("16.2.2", "Dose-limiting toxicities", "Safety (infused)",
                                     dl, kind="listing", source="safety engine DLT adjudication",
                                     footnotes=("Onset in days after infusion (day 0).",)))
    ae = ds["ADAE"]
    ae = ae[(ae["TRTEMFL"] == "Y") & ((ae["ATOXGRN"] >= 3) | (ae.get("AESER", "") == "Y"))]
    al = pd.DataFrame({"Subject": ae["USUBJID"], "Dose level": S.dose_id(ae["TRT01A"]),
                       "Preferred term": ae["AEDECOD"], "Grade": ae["ATOXGR"],
                       "Serious": ae.get("AESER", ""), "Related": ae.get("AEREL", ""),
                       "Start (day)": _day0(ae["ASTDT"], ae["TRTSDT"]),
                       "End (day)": _day0(ae["AENDT"], ae["TRTSDT"]),
                       "Outcome": ae.get("AEOUT", "")})
    items.append(table_from_wide("16.2.3", "Grade >= 3 or serious treatment-emergent adverse "
                                 "events", "Safety (infused)", al, kind="listing",
                                 source="ADAE", footnotes=(
                                     DAY_NOTE,
                                     "Grade: the analysis grade ATOXGR; for CRS and ICANS the "
                                     "protocol's primary grade source (ATOXGRSC), reconciled "
                                     "with the investigator's grade in Table 14.3.2.1.")))
    if "ADRS" in ds:
        r = ds["ADRS"]
        b = r[r["PARAMCD"] == "CBOR"]
        bl = pd.DataFrame({"Subject": b["USUBJID"], "Dose level": S.dose_id(b["TRT01A"]),
                           "Best confirmed response": b["AVALC"],
                           "First response date": d(b["ADT"])})
        items.append(table_from_wide("16.2.4", "Best confirmed response (IMWG 2016)",
                                     "Safety (infused)", bl, kind="listing", source="ADRS"))
    from cartrial.report.csr_exposure import listing_low_dose
    from cartrial.report.narratives import patient_narratives

    items.append(patient_narratives(adsl, ds["ADAE"], None if safety is None
                                    else safety.dlt.patients, "16.2.5"))
    items += [t for t in [listing_low_dose(adsl, "16.2.6")] if t is not None]
    from cartrial.report.safety_standards import iec_hs_listing

    return items + [t for t in [iec_hs_listing(safety, "16.2.7")] if safety and t]


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()

