"""The steps of ``analyze``'s engine stages that read the study alone: the safety and efficacy
engines and the escalation history (with 14.6's patients).

Each is computed in this process, in a forked process of its own (the history of a small trial,
:func:`_history_job`), or by the forked process that read the study
(:func:`cartrial.report.study_read.read_ahead`, given :func:`_ahead_steps`). An engine that
refuses the data (``InputError``) is named as a reason (:func:`_try`), not raised, so the others
go on (:mod:`cartrial.report.pipeline`).
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


def _safety(study: Study, protocol: Protocol, cutoff: date | None = None):
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


def _try(label: str, fn: Callable, omitted: list[str]):
    try:
        return fn()
    except InputError as exc:
        omitted.append(f"{label}: {str(exc).splitlines()[0]}")
        return None


def _kept(label: str, fn: Callable) -> tuple:
    """``fn()`` and the reasons it was refused (as :func:`_try`), handed back together from a
    forked process so the reasons are listed in the order a run in turn gives them."""
    refused: list[str] = []
    return _try(label, fn, refused), refused


def _history(study: Study, protocol: Protocol) -> tuple:
    """The escalation history (with the reason it was refused, if so) and 14.6's patients:
    they read only the study."""
    from cartrial.report.recommended_dose import history_and_patients  # 14.6's patients too

    return history_and_patients(study, protocol, partial(
        _kept, "Escalation history (re-derived from the data)",
        partial(escalation_history, study, protocol)))


def _history_job(study: Study, protocol: Protocol,
                 ahead: Ahead | None = None) -> Background | Pending:
    """:func:`_history`, computed by the forked process that read the study when it is one of
    its steps (:func:`_ahead_steps`), else re-derived in a forked process from the start of
    the engines on (a small trial; a large one computes it in turn when collected)."""
    if ahead is not None and ahead.forked and "history" in ahead:
        return ahead.pending("history")
    from cartrial.report.outputs import PARALLEL_MAX_SUBJECTS

    dm = study.get("DM")
    return Background(partial(_history, study, protocol),
                      parallel=dm is not None and len(dm) <= PARALLEL_MAX_SUBJECTS)


def _efficacy(study: Study, protocol: Protocol):
    from cartrial.efficacy.study_run import efficacy_run  # + its LB MRD frame, for ADRS

    # the efficacy and kinetics tables are computed from ADaM (report.efficacy_adam,
    # report.kinetics_adam): the engines build only what ADaM and the figures read
    return efficacy_run(study, protocol, summaries=False)


#: the modules of :func:`_ahead_steps`, imported before the study is read (this process
#: imports them too: once, not in both)
AHEAD_MODULES = ("cartrial.safety.analysis", "cartrial.safety.sdtm",
                 "cartrial.efficacy.study_run", "cartrial.report.recommended_dose")


def _ahead_steps(protocol: Protocol, cutoff: date | None, db: str | None) -> tuple:
    """What the process that reads the study computes next, while this one imports the
    later stages' modules (:func:`cartrial.report.study_read.read_ahead`): the safety and
    efficacy engines and the escalation history, which read the study alone. None when the
    run reads a study other than the one read (a cut-off: the study as known then), or the
    committee's record stands for the history."""
    if cutoff is not None or db is not None:
        return ()
    return (("safety", partial(_safety, protocol=protocol)),
            ("efficacy", partial(_efficacy, protocol=protocol)),
            ("history", partial(_history, protocol=protocol)))
