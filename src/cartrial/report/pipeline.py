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
from typing import TYPE_CHECKING

import pandas as pd

from cartrial._memory import map_large_blocks, release_freed_memory
from cartrial.data import Study, snapshot, validate_study
from cartrial.data.dtc_parse import forget_parsed
from cartrial.errors import Finding, FindingsError, InputError
from cartrial.protocol import load_protocol, protocol_hash
from cartrial.protocol.model import Protocol
from cartrial.report.engine_steps import (
    AHEAD_MODULES,
    ahead_steps,
    attempt,
    efficacy_step,
    history_job,
    safety_step,
)
from cartrial.report.held_study import keep_after_adam, release_unread
from cartrial.report.pdf import html_to_pdf
from cartrial.report.reader_results import Ahead
from cartrial.report.study_read import collections_scoped, read_ahead

if TYPE_CHECKING:
    from cartrial.report.document import Provenance, Section
# the engines, ADaM and the report's modules (scipy, matplotlib, jinja2, ...) are imported
# while a forked process reads the study (report.study_read), in the stage that uses them

#: the engine steps this process computes itself, though the reader could: on the example the
#: reader's steps (the safety engine, the escalation history) end 0.3-0.9 s of CPU after this
#: process's own path to the history (imports, kinetics, ADaM), which waits for them; the
#: efficacy engine (0.15-0.25 s) here shortens the longer path and lengthens the shorter
#: (issue #18, BENCHMARKS.md "analyze on the example: the two paths balanced")
HERE = ("efficacy",)

STAGES = ("load and validate", "safety engine", "efficacy engine", "kinetics engine",
          "ADaM datasets", "tables and figures", "write outputs")


@dataclass(frozen=True)
class AnalysisSummary:
    """What ``analyze`` wrote and what it left out.

    Attributes
    ----------
    out, report, pdf : pathlib.Path
        Output folder, the HTML report and the PDF (None unless asked for).
    datasets : dict of str to int
        ADaM datasets written and their record counts.
    tables, figures, omitted : list of str
        Numbers of the tables and figures written; sections that could not be produced.
    findings_warnings : int
        Validation warnings (errors stop the run).
    cutoff : str
        Data cut-off date, ISO 8601.

    Examples
    --------
    >>> from pathlib import Path
    >>> AnalysisSummary(Path("o"), Path("o/report.html"), {"ADSL": 6}, ["14.1.1"], []).omitted
    []
    """

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


def _whole_or_stop(omitted: list[str], allow_partial: bool) -> None:
    """Stop the run (nothing written) when a section cannot be produced, unless partial."""
    if omitted and not allow_partial:
        raise InputError("the report cannot be produced whole (run again with --allow-partial "
                         "to write it without these sections, marked on its first page):\n"
                         + "\n".join(f"- {o}" for o in omitted))


def _primary_crs(safety, protocol: Protocol) -> dict:
    """The kinetics-by-CRS analysis groups by the protocol's primary CRS grade."""
    if safety is None:
        return {}
    from cartrial.safety.grade_source import source_label, worst_crs_grade

    return {"crs": worst_crs_grade(safety.syndrome_events, safety.dlt.patients["USUBJID"]),
            "crs_source": source_label(protocol.safety.crs_icans_grade_source)}


def _engines(study: Study, protocol: Protocol, cutoff: date | None, record, omitted: list[str],
             step: Callable[[str], None], ahead: Ahead | None = None) -> tuple:
    """Safety, efficacy and kinetics engines, with the escalation history started; an engine
    that refuses the data is named in ``omitted``. Returns ``(safety, efficacy, kinetics,
    finish, later)``: ``finish()`` gives the history and 14.6, ``later`` whether it may wait
    until after the ADaM build (the history under way in a forked process). ``ahead``: the
    steps of :func:`~cartrial.report.engine_steps.ahead_steps` computed by the process that
    read the study (those it holds are taken from it)."""
    def run(name: str, here: Callable):
        return ahead.take(name) if ahead is not None and name in ahead else here()

    own = record is not None and len(record)  # the committee's record is Table 14.2.1
    hist = None if own else history_job(study, protocol, ahead)  # beside the safety engine
    safety = attempt("Safety engine (ASTCT 2019 CRS/ICANS grading, DLT adjudication, safety "
                     "tables)", partial(run, "safety", partial(safety_step, study, protocol,
                                                               cutoff)), omitted)
    step(STAGES[1])
    if safety is None and hist is not None:  # no history without the safety engine
        hist = hist.cancel()
    record = record if own else None
    eff = attempt("Efficacy engine (IMWG response, rates, time to event)",
                  partial(run, "efficacy", partial(efficacy_step, study, protocol)), omitted)
    step(STAGES[2])
    from cartrial.kinetics.analysis import analyse_kinetics
    kin = attempt("Kinetics engine (NCA, cytokines, ADA)",
                  partial(analyse_kinetics, study, protocol,
                          summaries=False, **_primary_crs(safety, protocol)), omitted)
    step(STAGES[3])

    from cartrial.report.recommended_dose import recommended_dose_section  # 14.6 (issue #20)

    def finish() -> tuple:
        """The escalation history (waited for) and 14.6; their refusals named in ``omitted``."""
        (history, refused), pts = ((record, []), None) if hist is None else hist.wait()
        rec_omitted: list[str] = []  # named after the history's reason, as when run in turn
        rec_dose = attempt("Recommended dose (14.6: dose-toxicity, -response, -exposure; "
                           "selection)", partial(recommended_dose_section, study, protocol,
                                                 safety, eff[0] if eff else None, kin,
                                                 patients=pts), rec_omitted)
        omitted.extend(refused + rec_omitted)
        return history, rec_dose

    # a history under way in its own process is collected after the ADaM build (which uses
    # this core meanwhile), unless an engine refused the data (the run may stop before ADaM)
    return safety, eff, kin, finish, hist is not None and hist.forked and not omitted


def _load(data_dir: str | Path, protocol_ref: str, cutoff: date | None,
          db: str | None) -> tuple:
    """Stage 1 of :func:`run_analysis`: the protocol, the study read and validated (as known
    at ``cutoff``), its warning count, the steps computed by the process that read it, and the
    committee's record (``db``; else None). Returns ``(protocol, study, n_warn, ahead,
    record)``."""
    protocol = load_protocol(protocol_ref)
    steps = tuple(s for s in ahead_steps(protocol, cutoff, db) if s[0] not in HERE)
    study, n_warn, ahead = read_ahead(data_dir, protocol, _validate, steps,  # + imports
                                      first=AHEAD_MODULES if steps else ())  # meanwhile
    if cutoff is not None:
        study = _enrolled_by(snapshot(study, cutoff), cutoff)
    map_large_blocks(max(map(study.records, study.domains), default=0))  # scaled to the study
    record = None
    if db is not None:  # the committee's own record is Table 14.2.1 when it holds decisions
        from cartrial.conduct.record import escalation_record

        record = escalation_record(study, protocol, db, until=cutoff)
    return protocol, study, n_warn, ahead, record


def _after_adam(study: Study, protocol: Protocol) -> None:
    """What the stages after the ADaM build do not read freed: the study's domains
    (:func:`keep_after_adam`) and the table of parsed date-times, mostly theirs (~50 MiB at
    10,000 patients; the report's stages parse the few dates they read again)."""
    keep_after_adam(study, protocol)
    forget_parsed()


@collections_scoped  # the modules imported for the run are frozen during it (study_read)
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
    14.2.1 is that record with the re-derived recommendation beside it.

    Parameters
    ----------
    data_dir, protocol_ref : str or pathlib.Path
        SDTM folder, and the protocol (a bundled name such as "ct071" or a YAML path).
    out : str or pathlib.Path
        Output folder.
    run_date : datetime.datetime
        The run's date and time, printed in the report and stamped in the files.
    progress, cutoff, allow_partial, pdf, adam_format, db
        As described above; ``progress(stage)`` is called as each stage starts.

    Returns
    -------
    AnalysisSummary
        What was written and what was left out.

    Raises
    ------
    FindingsError
        The data fail validation (every error record listed).
    InputError
        A section cannot be produced (without ``allow_partial``), or bad arguments.

    Examples
    --------
    Needs a whole trial on disk and takes tens of seconds, so not run here:

    >>> run_analysis("example", "ct071", "out", run_date=datetime(2026, 7, 1))  # doctest: +SKIP
    """
    map_large_blocks()

    def step(stage: str) -> None:
        release_freed_memory()  # the next stage starts from what is alive, not the last peak
        if progress is not None:
            progress(stage)

    out = Path(out)
    omitted: list[str] = []

    # 1. load and validate
    protocol, study, n_warn, ahead, record = _load(data_dir, protocol_ref, cutoff, db)
    step(STAGES[0])

    # 2-4. engines
    safety, eff, kin, finish, later = _engines(study, protocol, cutoff, record, omitted, step,
                                               ahead)
    history, rec_dose = (None, None) if later else finish()
    _whole_or_stop(omitted, allow_partial)
    # 5. ADaM
    from cartrial.adam.build import build_adam
    from cartrial.report.figure_files import EagerFigures, ForkedFigures
    from cartrial.report.figures import figure_cutoff
    from cartrial.report.outputs import Written, small_trial, write_outputs
    from cartrial.report.staged_adam import WRITTEN_ONLY, stage_datasets

    efficacy, imwg = (eff[0], eff[1]) if eff else (None, None)
    mrd = eff.mrd if eff else None  # derived once, by the efficacy engine from LB
    adam = build_adam(study, protocol, safety=safety, imwg=imwg, efficacy=efficacy, mrd=mrd,
                      kinetics=kin, batched_adlb=True,  # 14.6 read the study if it is `later`
                      release=None if later else partial(release_unread, study, protocol))
    ds, phash, dhash = adam.datasets, protocol_hash(protocol_ref), study.data_hash
    # ADaM files staged: a small trial's forked before the history is waited for (issue #18)
    stage = partial(stage_datasets, ds, protocol, phash, dhash, run_date, adam_format,
                    near=out.parent)
    adam_files = stage() if later and small_trial(ds) else None
    if later:  # the history ran in its own process beside the ADaM build
        history, rec_dose = finish()
        _whole_or_stop(omitted, allow_partial)  # a stop discards the staged files
    _after_adam(study, protocol)  # frees FA, QS, VS and LB's non-cytokine records
    # the IMWG assessments, concordance and MRD input are read by nothing after ADaM (finish()
    # held the efficacy engine's whole result): freed before the tables (memory)
    del finish, eff, imwg, mrd
    if rec_dose is not None:  # Table 14.6.1 from the ADaM datasets (report/dose_profile_adam.py)
        from cartrial.report.dose_profile_adam import with_adam_profile
        rec_dose = with_adam_profile(rec_dose, ds, protocol)
    adam_files = adam_files or stage()  # else in turn, once the study is reduced (memory)
    counts = {k: ds.records(k) for k in ds}  # held encoded: not decoded for this
    for name in WRITTEN_ONLY:
        ds.pop(name, None)  # adam.datasets is the same dict
    step(STAGES[4])

    # 6. tables and figures
    # name -> (PNG, SVG): a small trial's rendered by one forked writer beside the others, a
    # large trial's by forked processes as each figure is stored, let go here (memory)
    figures: dict = ForkedFigures() if small_trial(ds) else EagerFigures()
    cut_text = cutoff.isoformat() if cutoff is not None else (
        adam.cutoff.strftime("%Y-%m-%d") if pd.notna(adam.cutoff) else "")
    with figure_cutoff(cut_text):  # every figure's caption names the data cut-off
        secs = build_sections(study, protocol, ds, safety, efficacy, kin, figures, history,
                              parallel=small_trial(ds))  # 14.5 forked beside the others
    if rec_dose is not None:  # before the listings (16.2)
        secs.insert(len(secs) - 1, rec_dose)
    step(STAGES[5])

    # 7. write: the study and the engines' frames are no longer needed; freeing them first lets
    # the writers reuse their memory (a large trial's peak would otherwise be here)
    del study, safety, kin, efficacy
    prov = _provenance(protocol_ref, phash, data_dir, dhash, run_date, cut_text, cutoff,
                       omitted, n_warn)
    report = out / "report.html"
    tables, figs = write_outputs(secs, figures, ds, out, protocol, Written(
        report, prov, phash, dhash, run_date, cut_text, omitted, adam_format), adam_files)
    pdf_path = html_to_pdf(report, out / "report.pdf") if pdf else None
    return AnalysisSummary(out, report, counts, tables, figs, omitted, n_warn, pdf_path,
                           cut_text)


def _provenance(protocol_ref: str, phash: str, data_dir, dhash: str, run_date: datetime,
                cut_text: str, cutoff: date | None, omitted: list[str],
                n_warn: int) -> Provenance:
    from cartrial import __version__
    from cartrial.report.document import Provenance

    return Provenance(__version__, protocol_ref, phash, str(data_dir), dhash, run_date,
                      cut_text, cutoff_given=cutoff is not None,
                      extra=(("Day convention", "day 0 = the day of CAR-T infusion in every "
                              "table, figure and listing (ADaM ASTDY/ADY: CDISC study day, "
                              "infusion = day 1)"),)
                      + tuple(("Not produced", o) for o in omitted) + tuple(
                          ("Validation warnings", str(n_warn)) for _ in [0] if n_warn))


def build_sections(study: Study, protocol: Protocol, ds: dict[str, pd.DataFrame], safety,
                   efficacy, kin, figures: dict, history: pd.DataFrame | None = None, *,
                   parallel: bool = False) -> list[Section]:
    """Every report section that the available results support, in CSR order.

    Parameters
    ----------
    study, protocol, ds, safety, efficacy, kin, figures, history
        Study, protocol, ADaM by name, engine results (None = none), figures, escalation.
    parallel : bool, optional
        Build 14.5 in a forked process beside the others (a small trial with a second core:
        :func:`cartrial.report.section_build.build_groups`); the same sections and figure files.

    Returns
    -------
    list of Section

    Examples
    --------
    Needs a whole trial's engine results, so not run here:

    >>> build_sections(study, protocol, ds, None, None, None, {})  # doctest: +SKIP
    """
    from cartrial.report.section_build import build_groups, section_groups

    return build_groups(section_groups(study, protocol, ds, safety, efficacy, kin, history),
                        figures, parallel=parallel)


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()

