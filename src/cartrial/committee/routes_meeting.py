"""Meeting-day routes of the workspace: DLT adjudication, signing a decision, one decision's
minutes (HTML and PDF). What the overview shows for the meeting: :mod:`.overview`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cartrial.committee.adjudication import record_adjudication
from cartrial.committee.records import list_decisions
from cartrial.committee.signature import MEANING, list_signatures, sign_decision
from cartrial.errors import InputError

if TYPE_CHECKING:
    from cartrial.committee.web import _Context


def meeting_routes(app: FastAPI, c: _Context) -> None:
    """Register the meeting-day routes on the workspace app."""
    from cartrial.committee.web import _check_csrf, _may_decide

    def client_of(request: Request) -> str:
        return request.client.host if request.client else "unknown"

    @app.post("/adjudicate")
    def adjudicate(request: Request, csrf_token: str = Form(""),
                   usubjid: str = Form(..., max_length=64), dlt: str = Form(..., max_length=3),
                   rationale: str = Form("", max_length=5000)) -> Response:
        _check_csrf(request, csrf_token)
        u = _may_decide(c, request)
        snap = c.snapshot()
        if not snap.can_decide:
            raise HTTPException(status_code=409, detail="No adjudication can be recorded while "
                                "the data folder's current content is not a validated snapshot.")
        try:
            record_adjudication(c.store, u, snap.ws, usubjid, dlt, rationale)
        except InputError as exc:
            raise HTTPException(status_code=400, detail=str(exc)) from None
        return RedirectResponse("/#adjudication", status_code=303)

    @app.get("/decisions/{decision_id}/sign", response_class=HTMLResponse)
    def sign_form(request: Request, decision_id: int) -> HTMLResponse:
        u = _may_decide(c, request)
        d = _decision(c, decision_id)
        return c.page(request, "sign.html", user=u, snap=c.snapshot(), d=d, meaning=MEANING,
                      signatures=list_signatures(c.store).get(d.id, []), error="")

    @app.post("/decisions/{decision_id}/sign")
    def sign(request: Request, decision_id: int, csrf_token: str = Form(""),
             password: str = Form(..., max_length=256)) -> Response:
        _check_csrf(request, csrf_token)
        u = _may_decide(c, request)
        d = _decision(c, decision_id)
        if c.throttle.user_blocked(u.username):
            raise HTTPException(status_code=403, detail="This account is locked after repeated "
                                "failed passwords; an administrator can unlock it.")
        try:
            sign_decision(c.store, u, password, d.id)
        except (PermissionError, InputError) as exc:
            if isinstance(exc, PermissionError) and c.throttle.failed(u.username,
                                                                      client_of(request)):
                c.sessions.end_user(u.username)
            return c.page(request, "sign.html", 401 if isinstance(exc, PermissionError) else 400,
                          user=u, snap=c.snapshot(), d=d, meaning=MEANING, error=str(exc),
                          signatures=list_signatures(c.store).get(d.id, []))
        c.throttle.succeeded(u.username)
        return RedirectResponse(f"/decisions/{d.id}/minutes.html", status_code=303)

    @app.get("/decisions/{decision_id}/minutes.html", response_class=HTMLResponse)
    def one_minutes(request: Request, decision_id: int) -> HTMLResponse:
        from cartrial.committee.minutes import minutes_html

        c.user_of(request)
        return HTMLResponse(minutes_html(c.store, c.snapshot().ws, _decision(c, decision_id).id))

    @app.get("/decisions/{decision_id}/minutes.pdf")
    def one_minutes_pdf(request: Request, decision_id: int) -> Response:
        from cartrial.committee.minutes import minutes_pdf

        c.user_of(request)
        d = _decision(c, decision_id)
        try:
            pdf = minutes_pdf(c.store, c.snapshot().ws, d.id)
        except InputError as exc:
            raise HTTPException(status_code=503, detail=str(exc)) from None
        return Response(pdf, media_type="application/pdf", headers={
            "Content-Disposition": f"attachment; filename=minutes-decision-{d.id}.pdf"})


def _decision(c: _Context, decision_id: int) -> Any:
    for d in list_decisions(c.store):
        if d.id == decision_id:
            return d
    raise HTTPException(status_code=404, detail=f"no decision {decision_id}")
