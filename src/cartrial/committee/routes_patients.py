"""Patient pages of the workspace: the list of every enrolled patient (a page at a time, and
as CSV) and one page each.

Every DM subject has a page (an apheresed patient who was never infused too: no 404); only a
name the study does not hold is 404. The page's content is :mod:`cartrial.committee.patient_view`.
"""

from __future__ import annotations

import base64
import io
from typing import TYPE_CHECKING

import pandas as pd
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from cartrial.committee.page_cache import PageCache
from cartrial.committee.patient_list import (
    COLUMNS,
    INFUSED,
    ListQuery,
    list_csv,
    list_page,
    parse_query,
    select,
)
from cartrial.committee.patient_view import patient_page, patient_subjects
from cartrial.errors import InputError

if TYPE_CHECKING:
    from cartrial.committee.web import _Context
    from cartrial.committee.workspace import Workspace


def patient_routes(app: FastAPI, c: _Context) -> None:
    """Register ``GET /patients`` (a page of the list), ``GET /patients.csv`` (the whole list)
    and ``GET /patients/{usubjid}`` (login required).

    The list and each patient's page are rendered once per snapshot (and list query) for every
    reader; only the frame around them (the reader's name and role, the CSRF token of the
    log-out form, the snapshot's notice) is rendered per request.

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
    from cartrial.committee.web import TEMPLATES  # (web registers these routes)

    cache = PageCache()  # the same snapshot's pages are computed once for every reader
    # (matplotlib, for the CRS/ICANS timeline, is imported in the background after the
    # start-up build: cartrial.committee.warm_up)

    def subjects(ws: Workspace) -> pd.DataFrame:
        return cache.get(ws, ("<list>",), lambda: patient_subjects(ws))

    @app.get("/patients", response_class=HTMLResponse)
    def patients(request: Request) -> HTMLResponse:
        u = c.user_of(request)
        query = _list_query(request)
        snap = c.snapshot(whole=False)  # the list needs no safety analysis

        def render() -> Markup:
            pg = list_page(subjects(snap.ws), query)
            return Markup(TEMPLATES.env.get_template("patient_list_body.html").render(
                w=snap.ws, pg=pg, columns=COLUMNS, infused=INFUSED))

        try:
            body = cache.get(snap.ws, ("<list page>", query), render)
        except InputError as exc:
            raise HTTPException(status_code=400, detail=str(exc)) from None
        return c.page(request, "patients.html", user=u, w=snap.ws, snap=snap, body=body)

    @app.get("/patients.csv")
    def patients_csv(request: Request) -> Response:
        c.user_of(request)
        query = _list_query(request)
        snap = c.snapshot(whole=False)
        text = list_csv(select(subjects(snap.ws), query))
        return Response(text, media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": "attachment; filename=patients.csv"})

    @app.get("/patients/{usubjid}", response_class=HTMLResponse)
    def patient(request: Request, usubjid: str) -> HTMLResponse:
        u = c.user_of(request)
        snap = c.snapshot()

        def compute() -> Markup | None:
            p = patient_page(snap.ws, usubjid, subjects(snap.ws))
            if p is None:
                return None
            svg = timeline_svg(snap.ws.patient(usubjid)) if p.infused else ""
            return Markup(TEMPLATES.env.get_template("patient_body.html").render(p=p, timeline=svg))

        body = cache.get(snap.ws, usubjid, compute)
        if body is None:
            raise HTTPException(status_code=404, detail=f"no patient {usubjid} in this study")
        return c.page(request, "patient.html", user=u, w=snap.ws, snap=snap, body=body,
                      usubjid=usubjid)


def _list_query(request: Request) -> ListQuery:
    try:
        return parse_query(request.query_params)
    except InputError as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None


def timeline_svg(detail: dict) -> str:
    """CRS and ICANS grade by day since infusion, as an inline SVG data URL (matplotlib).

    Parameters
    ----------
    detail : dict
        :meth:`cartrial.committee.workspace.Workspace.patient` of one patient.

    Returns
    -------
    str
        ``data:image/svg+xml;base64,...`` (no date and a fixed ``svg.hashsalt``: the same
        patient gives the same bytes in every run).

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
    with matplotlib.rc_context({"svg.hashsalt": "cartrial"}):  # element ids from the content,
        fig.savefig(buf, format="svg", metadata={"Date": None})  # not a random salt
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue().encode()).decode()
