"""What ``cartrial serve`` prepares before readers ask for it, in the order they need it.

At start-up the decisions are computed first; the overview of them is rendered right after, on
the same thread and before the safety analysis begins (:meth:`SnapshotWatcher._build
<cartrial.committee.snapshot.SnapshotWatcher>`), so that the first overview does not share the
processor with the analysis. Once the analysis has ended, the complete overview is rendered and
matplotlib (the patient pages' CRS / ICANS timeline, a second or more to import) is imported, on
a background thread that no page waits for. What is rendered here is what the first reader's
request would render (:func:`cartrial.committee.overview.overview_context`, memoised per
snapshot): the pages are unchanged, only ready sooner.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from jinja2 import Environment

from cartrial.committee.adjudication import adjudicated
from cartrial.committee.overview import overview_context
from cartrial.committee.record_view import RecordCache
from cartrial.errors import InputError

if TYPE_CHECKING:
    from cartrial.committee.snapshot import SnapshotWatcher
    from cartrial.committee.workspace import Workspace


def prepare_overview(env: Environment, records: RecordCache, ws: Workspace) -> None:
    """Render the overview's snapshot-only parts of ``ws`` with the committee's adjudications
    applied, as the next overview request will look them up.

    Parameters
    ----------
    env : jinja2.Environment
        The workspace's template environment.
    records : RecordCache
        The committee record (adjudications, the last decision's cut-off).
    ws : Workspace
        The snapshot (its safety analysis may still be pending).

    Returns
    -------
    None

    Raises
    ------
    InputError
        The adjudications no longer fit the data (the overview then says so itself).

    Examples
    --------
    >>> prepare_overview(TEMPLATES.env, RecordCache(store), ws)  # doctest: +SKIP
    """
    view = records.now()
    overview_context(env, view, adjudicated(ws, records.store, view.adjudications))


def warm_up(watcher: SnapshotWatcher, env: Environment, records: RecordCache) -> None:
    """Thread target: wait for the whole start-up build, render the complete overview, then
    import matplotlib for the patient pages.

    Parameters
    ----------
    watcher : SnapshotWatcher
        The workspace's snapshot.
    env : jinja2.Environment
        The workspace's template environment.
    records : RecordCache
        The committee record.

    Returns
    -------
    None

    Examples
    --------
    >>> threading.Thread(target=warm_up, args=(watcher, env, records)).start()  # doctest: +SKIP
    """
    try:
        snap = watcher.status(whole=True)
        if snap.ws is not None:
            prepare_overview(env, records, snap.ws)
    except InputError:  # the pages say why
        pass
    _import_matplotlib()


def _import_matplotlib() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.backends.backend_svg  # noqa: F401
    import matplotlib.figure  # noqa: F401
