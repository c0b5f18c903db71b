"""The overview page's snapshot-only parts, rendered once per data snapshot for every reader.

The per-dose table, the recommendation, what is new since the previous decision's cut-off, the
DLT-window calendar, the dose-transition pathways and the patient table depend only on the
snapshot (with the committee's adjudications applied: a new
:class:`~cartrial.committee.workspace.Workspace` object) and on that cut-off; rendering them
(pandas rows through Jinja2) is most of the page's time, so fifty readers share one rendering
(:class:`~cartrial.committee.page_cache.PageCache`). What the committee records (decisions,
adjudications) and what belongs to the reader (role, CSRF token) stay live on every request.

Right after ``cartrial serve`` starts, the safety analysis may still be being computed (the
decisions are computed first): the overview then shows everything that needs only the decisions
and says that "new since the last meeting" is being computed, instead of listing part of it.
"""

from __future__ import annotations

from typing import Any

from jinja2 import Environment
from markupsafe import Markup

from cartrial.committee.adjudication import list_adjudications
from cartrial.committee.meeting import dlt_calendar, new_since, open_slots
from cartrial.committee.page_cache import PageCache
from cartrial.committee.record_view import RecordView
from cartrial.committee.records import list_decisions
from cartrial.committee.store import Store
from cartrial.committee.workspace import Workspace

_PARTS = PageCache(maxsize=32)


def overview_context(env: Environment, store: Store | RecordView,
                     w: Workspace) -> dict[str, Any]:
    """What ``overview.html`` needs: the snapshot-only parts as rendered HTML (memoised per
    snapshot and previous cut-off) and the committee's live records.

    Parameters
    ----------
    env : jinja2.Environment
        The workspace's template environment (autoescaping HTML).
    store : Store or RecordView
        The committee database (decisions and adjudications are read on every call), or the
        record as the request already read it (:mod:`cartrial.committee.record_view`).
    w : Workspace
        The snapshot shown, with the committee's adjudications applied.

    Returns
    -------
    dict
        ``body`` (Markup: overview_body.html; while the workspace's safety analysis is being
        computed, "new since the last meeting" says so), ``adjudication_options`` (Markup: the
        adjudication form's patient choices), ``since`` (the previous decision's data cut-off,
        None before any decision), ``decisions``, ``adjudications`` and ``patients``.

    Examples
    --------
    >>> overview_context(TEMPLATES.env, store, snap.ws)["body"]  # doctest: +SKIP
    Markup('<h1>CT071: trial overview</h1>...')
    """
    view = store if isinstance(store, RecordView) else None
    decisions = view.decisions if view else list_decisions(store)
    since = decisions[-1].as_of if decisions else None
    patients = w.decision.patients
    analysed = w.analysed  # read once: the body's key and content agree

    def body() -> Markup:
        return Markup(env.get_template("overview_body.html").render(
            w=w, rec=w.recommendation_summary(), table=w.decision.recommendation.table,
            patients=patients, paths=w.paths, since=since,
            new=new_since(w, since) if analysed else None,
            calendar=dlt_calendar(w), slots=open_slots(w)))

    def options() -> Markup:
        return Markup(env.get_template("adjudication_options.html").render(patients=patients))

    return {"body": _PARTS.get(w, ("body", since, analysed), body),
            "adjudication_options": _PARTS.get(w, ("adjudication options",), options),
            "since": since, "decisions": decisions, "patients": patients,
            "adjudications": view.adjudications if view else list_adjudications(store)}
