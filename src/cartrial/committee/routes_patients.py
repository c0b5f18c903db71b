"""Patient pages of the workspace: the list of every enrolled patient and one page each.

Every DM subject has a page (an apheresed patient who was never infused too: no 404); only a
name the study does not hold is 404. The page's content is :mod:`cartrial.committee.patient_view`.
"""

from __future__ import annotations

import base64
import io
import threading
from typing import TYPE_CHECKING

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse

from cartrial.committee.page_cache import PageCache
from cartrial.committee.patient_view import patient_page, patient_subjects

if TYPE_CHECKING:
    from cartrial.committee.web import _Context


def patient_routes(app: FastAPI, c: _Context) -> None:
    """Register ``GET /patients`` and ``GET /patients/{usubjid}`` (login required).

    Parameters
    ----------
    app : FastAPI
    c : cartrial.committee.web._Context
        The workspace's shared state (store, snapshot, sessions).

    Returns
    -------
    None

    Examples
    --------
    >>> patient_routes(app, ctx)  # doctest: +SKIP
    """
    cache = PageCache()  # the same snapshot's pages are computed once for every reader
    # matplotlib (the CRS/ICANS timeline) takes a second or more to import: done in the
    # background once the workspace serves, not by the first reader of a patient page
    threading.Thread(target=_import_matplotlib, name="warm-matplotlib", daemon=True).start()

    @app.get("/patients", response_class=HTMLResponse)
    def patients(request: Request) -> HTMLResponse:
        u = c.user_of(request)
        snap = c.snapshot()
        rows = cache.get(snap.ws, ("<list>",),
                         lambda: patient_subjects(snap.ws).to_dict("records"))
        return c.page(request, "patients.html", user=u, w=snap.ws, snap=snap, rows=rows)

    @app.get("/patients/{usubjid}", response_class=HTMLResponse)
    def patient(request: Request, usubjid: str) -> HTMLResponse:
        u = c.user_of(request)
        snap = c.snapshot()

        def compute() -> tuple:
            p = patient_page(snap.ws, usubjid)
            svg = timeline_svg(snap.ws.patient(usubjid)) if p is not None and p.infused else ""
            return p, svg

        p, svg = cache.get(snap.ws, usubjid, compute)
        if p is None:
            raise HTTPException(status_code=404, detail=f"no patient {usubjid} in this study")
        return c.page(request, "patient.html", user=u, w=snap.ws, snap=snap, p=p,
                      timeline=svg)


def _import_matplotlib() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.backends.backend_svg  # noqa: F401
    import matplotlib.figure  # noqa: F401


def timeline_svg(detail: dict) -> str:
    """CRS and ICANS grade by day since infusion, as an inline SVG data URL (matplotlib).

    Parameters
    ----------
    detail : dict
        :meth:`cartrial.committee.workspace.Workspace.patient` of one patient.

    Returns
    -------
    str
        ``data:image/svg+xml;base64,...`` (no date in the SVG: byte-identical between runs).

    Examples
    --------
    >>> timeline_svg({"crs": pd.DataFrame(), "icans": pd.DataFrame()})  # doctest: +SKIP
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.5, 2.2))
    ax = fig.add_subplot()
    drawn = False
    for key, label in (("crs", "CRS"), ("icans", "ICANS")):
        df = detail[key]
        if len(df) and "GRADE" in df and "DAY" in df:
            ax.step(df["DAY"], df["GRADE"], where="post", label=label, marker="o")
            drawn = True
    ax.set_xlabel("day since infusion")
    ax.set_ylabel("grade")
    ax.set_ylim(-0.2, 5.2)
    if drawn:
        ax.legend(loc="upper right")
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue().encode()).decode()
