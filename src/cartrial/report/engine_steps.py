"""The steps of ``analyze``'s engine stages that read the study alone: the safety and efficacy
engines and the escalation history (with 14.6's patients).

Each is computed in this process, in a forked process of its own (the history of a small trial,
:func:`history_job`), or by the forked process that read the study
(:func:`cartrial.report.study_read.read_ahead`, given :func:`ahead_steps`). An engine that
refuses the data (``InputError``) is named as a reason (:func:`attempt`), not raised, so the
others go on (:mod:`cartrial.report.pipeline`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import partial

from cartrial.conduct import escalation_history
from cartrial.data import Study
from cartrial.errors import InputError
from cartrial.protocol.model import Protocol
from cartrial.report.background import Background
from cartrial.report.reader_results import Ahead, Pending


def safety_step(study: Study, protocol: Protocol, cutoff: date | None = None):
    """The safety engine as ``analyze`` runs it: the lab tests its graders read, followed up
    to ``cutoff``, no per-record grades kept and no tables (the report's tables are computed
    from ADaM).

    Parameters
    ----------
    study : Study
        The study (validated).
    protocol : Protocol
        Grading sources, DLT definition and window.
    cutoff : datetime.date, optional
        Each subject followed up to this date (``decide --as-of``'s rule); None: all data.

    Returns
    -------
    cartrial.safety.analysis.SafetyAnalysis
        As :func:`cartrial.safety.analysis.analyse_safety` returns it.

    Raises
    ------
    InputError
        Data the safety engine cannot use.

    Examples
    --------
    A whole trial's engine takes a second, so not run here:

    >>> safety_step(study, protocol).dlt.patients["DLT"].tolist()  # doctest: +SKIP
    """
    from dataclasses import replace

    from cartrial.safety.analysis import analyse_safety
    from cartrial.safety.lab_scope import analysis_lab_scope
    from cartrial.safety.sdtm import infusion_dates, safety_inputs

    # only the lab tests the analysis below reads (a third of a large LB's records are tests
    # no grader reads: cytokines, M-protein, light chains), when leaving the others out
    # changes no result (safety.lab_scope)
    inputs = [safety_inputs(study, protocol, scope=analysis_lab_scope(protocol))]
    if cutoff is not None:  # followed up to the cut-off, as `decide --as-of` (one rule)
        from cartrial.conduct.followup import followed_to_cutoff

        inputs = [replace(inputs[0], subjects=followed_to_cutoff(
            inputs[0].subjects, infusion_dates(study), cutoff))]
    # the per-record lab grades (millions of rows for a large trial) are tabulated in batches
    # and not kept: ADLB grades the records itself; the tables are computed from ADaM
    # (report.safety_adam), so the engine builds none. The inputs are handed over (popped):
    # the analysis frees each of their frames once it has read it for the last time
    return analyse_safety(inputs.pop(), protocol, keep_labs=False, tables=False,
                          batch_subjects=GRADING_BATCH_SUBJECTS)


#: subjects per batch of ``analyze``'s lab grading: twice the engine's default, half as many
#: batches' fixed costs (10,000 patients: 20 batches, _lab_results ~10 % less CPU in
#: alternated runs; the resident memory at the stage's peak the same: a batch's graded
#: records are freed as the next is made). The results do not depend on it.
GRADING_BATCH_SUBJECTS = 500


def attempt(label: str, fn: Callable, omitted: list[str]):
    """``fn()``, or None with ``label`` and the first line of its refusal appended to
    ``omitted`` when it refuses the data (``InputError``; any other error is raised).

    Parameters
    ----------
    label : str
        The step's name as the report lists it ("Safety engine (...)").
    fn : callable
        The step, without arguments.
    omitted : list of str
        The reasons so far; appended to.

    Returns
    -------
    object or None
        What ``fn`` returned; None when it refused the data.

    Examples
    --------
    >>> def refuse(): raise InputError("no DM")
    >>> omitted = []; attempt("Step", refuse, omitted), omitted
    (None, ['Step: no DM'])
    >>> attempt("Step", lambda: 1, omitted)
    1
    """
    try:
        return fn()
    except InputError as exc:
        omitted.append(f"{label}: {str(exc).splitlines()[0]}")
        return None


def _kept(label: str, fn: Callable) -> tuple:
    """``fn()`` and the reasons it was refused (as :func:`attempt`), handed back together from a
    forked process so the reasons are listed in the order a run in turn gives them."""
    refused: list[str] = []
    return attempt(label, fn, refused), refused


def history_step(study: Study, protocol: Protocol) -> tuple:
    """The escalation history (with the reasons it was refused, if so) and 14.6's patients:
    they read only the study.

    Parameters
    ----------
    study : Study
        The validated study, its parts and cohorts recorded in SUPPDM.
    protocol : Protocol
        The protocol the trial was conducted with (design, DLT window, dose levels).

    Returns
    -------
    tuple
        ``((history or None, refusals), patients)``: the history
        (:func:`cartrial.conduct.escalation_history`) with the reasons it could not be
        re-derived, and the patients of Table 14.6
        (:func:`cartrial.report.recommended_dose.history_and_patients`).

    Examples
    --------
    A whole trial's history takes seconds, so not run here:

    >>> (history, refused), patients = history_step(study, protocol)  # doctest: +SKIP
    """
    from cartrial.report.recommended_dose import history_and_patients  # 14.6's patients too

    return history_and_patients(study, protocol, partial(
        _kept, "Escalation history (re-derived from the data)",
        partial(escalation_history, study, protocol)))


def history_job(study: Study, protocol: Protocol,
                ahead: Ahead | None = None) -> Background | Pending:
    """:func:`history_step`, computed by the forked process that read the study when it is
    one of its steps (:func:`ahead_steps`), else re-derived in a forked process from the start
    of the engines on (a small trial; a large one computes it in turn when collected).

    Parameters
    ----------
    study, protocol : Study, Protocol
        As :func:`history_step`.
    ahead : Ahead, optional
        The steps of the process that read the study.

    Returns
    -------
    Background or Pending
        The job; ``wait()`` gives what :func:`history_step` returns.

    Examples
    --------
    >>> from cartrial.data import Study
    >>> from cartrial.protocol import load_protocol
    >>> job = history_job(Study({}), load_protocol("ct071"))
    >>> job.cancel() is None
    True
    """
    if ahead is not None and ahead.forked and "history" in ahead:
        return ahead.pending("history")
    from cartrial.report.outputs import PARALLEL_MAX_SUBJECTS

    dm = study.get("DM")
    return Background(partial(history_step, study, protocol),
                      parallel=dm is not None and len(dm) <= PARALLEL_MAX_SUBJECTS)


def efficacy_step(study: Study, protocol: Protocol):
    """The efficacy engine as ``analyze`` runs it: what ADaM and the figures read, no
    summary tables (the report's are computed from ADaM).

    Parameters
    ----------
    study : Study
        The study (validated).
    protocol : Protocol
        Response criteria and endpoints.

    Returns
    -------
    cartrial.efficacy.study_run.EfficacyRun
        As :func:`cartrial.efficacy.study_run.efficacy_run` returns it with
        ``summaries=False`` (the engine's result, its IMWG assessments and LB's MRD records).

    Raises
    ------
    InputError
        Data the efficacy engine cannot use (no evaluable response assessments, ...).

    Examples
    --------
    Not run here (it needs a whole trial):

    >>> efficacy, imwg = efficacy_step(study, protocol)[:2]  # doctest: +SKIP
    """
    from cartrial.efficacy.study_run import efficacy_run  # + its LB MRD frame, for ADRS

    # the efficacy and kinetics tables are computed from ADaM (report.efficacy_adam,
    # report.kinetics_adam): the engines build only what ADaM and the figures read
    return efficacy_run(study, protocol, summaries=False)


#: the modules of :func:`ahead_steps`, imported before the study is read (this process
#: imports them too: once, not in both)
AHEAD_MODULES = ("cartrial.safety.analysis", "cartrial.safety.sdtm",
                 "cartrial.efficacy.study_run", "cartrial.report.recommended_dose")


def ahead_steps(protocol: Protocol, cutoff: date | None, db: str | None) -> tuple:
    """What the process that reads the study computes next, while this one imports the
    later stages' modules (:func:`cartrial.report.study_read.read_ahead`): the safety and
    efficacy engines and the escalation history, which read the study alone. None when the
    run reads a study other than the one read (a cut-off: the study as known then), or the
    committee's record stands for the history.

    Parameters
    ----------
    protocol : Protocol
        The run's protocol.
    cutoff : datetime.date or None
        The run's data cut-off.
    db : str or None
        The committee workspace's database.

    Returns
    -------
    tuple of (str, callable)
        ``("safety", ...)``, ``("efficacy", ...)``, ``("history", ...)``, each
        ``step(study)``; empty with a cut-off or a database.

    Examples
    --------
    >>> from cartrial.protocol import load_protocol
    >>> [name for name, _ in ahead_steps(load_protocol("ct071"), None, None)]
    ['safety', 'efficacy', 'history']
    >>> ahead_steps(load_protocol("ct071"), None, "sqlite://")
    ()
    """
    if cutoff is not None or db is not None:
        return ()
    return (("safety", partial(safety_step, protocol=protocol)),
            ("efficacy", partial(efficacy_step, protocol=protocol)),
            ("history", partial(history_step, protocol=protocol)))
