"""The report's sections built in turn, or in two processes for a small trial (issue #18).

The sections fall into four groups that share nothing but their inputs: the trial summary,
escalation and safety (14.1-14.3, which share the safety tables computed from ADaM), efficacy
(14.4), cellular kinetics (14.5) and the patient listings (16.2). For a small trial with a
second core, a forked process (:class:`~cartrial.report.background.Background`) builds the
groups of :data:`FORKED` while this one builds the others; the forked process renders its
figures' PNG and SVG files itself, in place (``EagerFigures(forked=False)``:
:class:`~cartrial.report.figure_files.EagerFigures`), and hands back its sections and the
files' bytes. The sections are then put together in
report order, the figure files in the order a run in turn stores them, and an error is raised
as a run in turn raises it: the first group's, in report order. The figure files of the groups
built here start rendering (one forked process:
:class:`~cartrial.report.figure_files.ForkedFigures`) as soon as they are built, before this
process waits for the forked group. Without ``fork`` or a second core (or when not asked),
every group is built here in turn, as before (a large trial's figure files then go to forked
processes as each figure is stored, :class:`~cartrial.report.figure_files.EagerFigures`).
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Sequence
from functools import partial

import pandas as pd

from cartrial._memory import release_freed_memory
from cartrial.data import Study
from cartrial.protocol.model import Protocol
from cartrial.report.background import Background
from cartrial.report.document import Section
from cartrial.report.figure_files import EagerFigures, ForkedFigures

#: the groups the forked process builds: 14.5 is the report's largest (its figures), about as
#: much CPU as 14.1-14.4 and 16.2 together on the CT071 example (BENCHMARKS.md, Pipeline)
FORKED = ("14.5",)

Group = tuple[str, Callable[[dict], list[Section]]]


def _trial_safety(protocol: Protocol, ds: dict[str, pd.DataFrame], safety,
                  history: pd.DataFrame | None, figures: dict) -> list[Section]:
    """14.1 trial summary, 14.2 escalation and DLTs, 14.3 safety (when the engine ran)."""
    from cartrial.report import sections as S
    from cartrial.report.csr import csr_summary_items  # disposition, baseline, exposure
    from cartrial.report.safety_adam import adam_safety_tables
    from cartrial.report.section_items import dlt_item, safety_items

    adsl = ds["ADSL"]
    secs = [Section("14.1 Trial summary", (S.table_populations(adsl, protocol, "14.1.1"),
                                           *csr_summary_items(adsl, protocol, ds.get("ADEX"))))]
    items: list = []
    if history is not None:  # cartrial.conduct.escalation_history
        items.append(S.table_escalation(history, protocol, "14.2.1"))
    dt = S.table_decision(protocol, "14.2.2")
    if dt is not None:
        items.append(dt)
    # the safety tables are computed from the ADaM datasets (report.safety_adam)
    tables = adam_safety_tables(ds, protocol) if safety is not None else None
    if tables is not None:
        items.append(dlt_item(adsl, tables, safety.method, protocol))
    secs.append(Section("14.2 Dose escalation and dose-limiting toxicities", tuple(items)))
    if tables is not None:
        secs.append(Section("14.3 Safety", tuple(safety_items(adsl, safety, protocol, figures,
                                                              tables))))
    return secs


def _efficacy(study: Study, protocol: Protocol, ds: dict[str, pd.DataFrame], efficacy,
              figures: dict) -> list[Section]:
    """14.4, tables from ADaM (ADSL, ADRS, ADTTE), when the engine ran."""
    if efficacy is None or "ADRS" not in ds:
        return []
    from cartrial.report.section_items import efficacy_items

    return [Section("14.4 Efficacy", tuple(efficacy_items(ds, efficacy, figures, protocol,
                                                          study.get("CM"))))]


def _kinetics(study: Study, protocol: Protocol, ds: dict[str, pd.DataFrame], kin,
              figures: dict) -> list[Section]:
    """14.5, when the kinetics engine ran."""
    if kin is None:
        return []
    from cartrial.report.kinetics_items import kinetics_items

    return [Section("14.5 Cellular kinetics, cytokines and immunogenicity",
                    tuple(kinetics_items(study, protocol, ds, figures)))]


def _listings(ds: dict[str, pd.DataFrame], safety, figures: dict) -> list[Section]:
    from cartrial.report.listings import listing_items

    return [Section("16.2 Patient listings", tuple(listing_items(ds, safety)))]


def section_groups(study: Study, protocol: Protocol, ds: dict[str, pd.DataFrame], safety,
                   efficacy, kin, history: pd.DataFrame | None = None) -> list[Group]:
    """The report's section groups in CSR order, each ``(name, build)``: ``build(figures)``
    returns the group's sections and stores its figure files in ``figures``.

    Parameters
    ----------
    study, protocol, ds, safety, efficacy, kin, history
        As :func:`cartrial.report.pipeline.build_sections`.

    Returns
    -------
    list of (str, callable)
        ("14.1-14.3", ...), ("14.4", ...), ("14.5", ...), ("16.2", ...).

    Examples
    --------
    Needs a whole trial's engine results, so not run here:

    >>> [n for n, _ in section_groups(study, protocol, ds, None, None, None)]  # doctest: +SKIP
    ['14.1-14.3', '14.4', '14.5', '16.2']
    """
    return [("14.1-14.3", partial(_trial_safety, protocol, ds, safety, history)),
            ("14.4", partial(_efficacy, study, protocol, ds, efficacy)),
            ("14.5", partial(_kinetics, study, protocol, ds, kin)),
            ("16.2", partial(_listings, ds, safety))]


def _built(build: Callable[[dict], list[Section]], figures: dict) -> tuple:
    """``(sections or the error, figure items stored)`` of one group."""
    try:
        got: list[Section] | Exception = build(figures)
    except Exception as exc:  # noqa: BLE001 - raised in report order by build_groups
        got = exc
    return got, list(figures.items())


def _forked_part(groups: Sequence[Group]) -> list[tuple]:
    """The forked process's groups, each with its figure files rendered here (bytes); the
    groups after an error are not built (as in turn).

    Without garbage collections: the process ends once they are built, and its garbage (the
    figures' reference cycles, a small trial's) goes with it; the collections only walked what
    it made (0.1 s of 14.5's 1.4 s of CPU on the example, on the run's path: this process
    waits for 14.5, issue #18)."""
    from cartrial.report.background import _portable

    gc.disable()  # this forked process only (build_groups never runs this function here)
    out: list[tuple] = []
    for _, build in groups:
        got, figures = _built(build, EagerFigures(forked=False))
        out.append((_portable(got) if isinstance(got, Exception) else got, figures))
        if isinstance(got, Exception):
            break
    return out


def _start_rendering(here: dict[str, tuple], figures: dict) -> None:
    """The figure files of the groups built here started rendering now, together
    (:meth:`ForkedFigures.start`), while the forked group is still being built: this process
    waits for it next, and its core would be idle (issue #18). Only where ``figures`` renders
    them together later anyway (a :class:`ForkedFigures`), and no group here failed (the run
    stops there). The entries of ``here`` then hold the renderings, the same files."""
    if not isinstance(figures, ForkedFigures) or any(
            isinstance(got, Exception) for got, _ in here.values()):
        return
    batch = ForkedFigures(item for _, items in here.values() for item in items)
    batch.start()
    for name, (got, items) in here.items():
        here[name] = got, [(key, batch[key]) for key, _ in items]


def build_groups(groups: Sequence[Group], figures: dict, *, parallel: bool = False,
                 forked: Sequence[str] = FORKED) -> list[Section]:
    """Every group's sections in order, the groups named in ``forked`` built by a forked
    process when ``parallel`` and the machine allows it (else all here, in turn).

    Parameters
    ----------
    groups : sequence of (str, callable)
        :func:`section_groups`.
    figures : dict
        Figure name -> files (filled in the order a run in turn fills it).
    parallel : bool, optional
        Build the ``forked`` groups in a forked process (a small trial).
    forked : sequence of str, optional
        Names of the groups the forked process builds.

    Returns
    -------
    list of Section

    Raises
    ------
    Exception
        The error of the first group, in report order, that failed (the same a run in turn
        raises), whichever process built it.

    Examples
    --------
    >>> grp = [("a", lambda f: [Section("A", ())]), ("b", lambda f: [Section("B", ())])]
    >>> [s.title for s in build_groups(grp, {}, parallel=True, forked=("b",))]
    ['A', 'B']
    """
    away = [g for g in groups if g[0] in forked] if parallel else []
    job = Background(partial(_forked_part, away)) if away else None
    if job is None or not job.forked:  # nothing started: every group here, in turn
        secs_in_turn: list[Section] = []
        for _, build in groups:
            secs_in_turn += build(figures)
            release_freed_memory()  # the next group starts from what is alive (memory)
        if isinstance(figures, EagerFigures):  # its last figures, stored while one rendered
            figures.start()
        return secs_in_turn
    here: dict[str, tuple] = {}
    for name, build in groups:
        if name not in forked:  # each group's figures kept apart, stored below in order
            here[name] = got = _built(build, type(figures)())
            if isinstance(got[0], Exception):
                break
    _start_rendering(here, figures)
    there = dict(zip((n for n, _ in away), job.wait(), strict=False))  # ends at an error
    secs: list[Section] = []
    for name, _ in groups:
        got = here[name] if name in here else there[name]  # an earlier error raised first
        for key, item in got[1]:
            figures[key] = item
        if isinstance(got[0], Exception):
            raise got[0]
        secs += got[0]
    return secs
