"""The committee's web workspace: FastAPI with server-rendered Jinja2 pages.

Why FastAPI + server-rendered pages (not Shiny): the workspace is a handful of forms and tables
whose security properties (login on every page, roles, CSRF, append-only writes) must be plain
and testable; FastAPI's TestClient and Playwright drive it directly, and no JavaScript bundle is
needed. The signed session cookie (itsdangerous via Starlette) carries only a session id that
the server can end (:mod:`cartrial.committee.sessions`); every POST carries a CSRF token bound
to the session; logins are throttled (:mod:`cartrial.committee.lockout`); every response has
security headers and every error page escapes what it echoes
(:mod:`cartrial.committee.security`); only a validated, settled data snapshot is shown
(:mod:`cartrial.committee.snapshot`).
"""

from __future__ import annotations

import json
import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, Form, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from cartrial import __version__
from cartrial.committee.adjudication import adjudicated_snapshot
from cartrial.committee.chain import create_private_file, load_audit_key
from cartrial.committee.decision_form import ACTIONS, record_from_form
from cartrial.committee.first_build import FirstDecisions, database_url
from cartrial.committee.lockout import LoginThrottle
from cartrial.committee.minutes import minutes_html, minutes_pdf
from cartrial.committee.overview import overview_context
from cartrial.committee.record_view import RecordCache
from cartrial.committee.records import (
    CAN_DECIDE,
    authenticate,
)
from cartrial.committee.routes_meeting import meeting_routes
from cartrial.committee.security import SecurityHeaders, error_page
from cartrial.committee.sessions import IDLE_SECONDS, MAX_SECONDS, SessionRegistry
from cartrial.committee.snapshot import SETTLE_SECONDS, SnapshotStatus, SnapshotWatcher
from cartrial.committee.store import Store, User, open_store
from cartrial.committee.users import is_disabled
from cartrial.committee.warm_up import prepare_overview, warm_up
from cartrial.errors import InputError

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))
MAX_ID = 2**31 - 1


def _fmt(v: Any) -> str:
    """Display value: missing -> blank, booleans -> yes/no, floats to 4 significant digits."""
    if v is None or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


TEMPLATES.env.filters["fmt"] = _fmt


def _secret(store: Store) -> str:
    """Session signing key: CARTRIAL_SECRET, else a random key kept beside the database in a
    file created with mode 0600 before the key is written into it."""
    if os.environ.get("CARTRIAL_SECRET"):
        return os.environ["CARTRIAL_SECRET"]
    if store.anchor is None:
        return secrets.token_hex(32)
    f = store.anchor.with_name(store.anchor.name.replace(".anchor", ".secret"))
    if not f.exists():
        try:
            create_private_file(f, secrets.token_hex(32))
        except InputError:  # another process created it first
            pass
    return f.read_text(encoding="utf-8").strip()


def _record_id(text: str) -> int | None:
    """The decision id a correction refers to: blank, or 1 to 2**31 - 1 (else 400)."""
    if not text:
        return None
    if not text.isascii() or not text.isdigit() or len(text) > 10 or not 0 < int(text) <= MAX_ID:
        raise HTTPException(status_code=400, detail="corrects must be a decision number")
    return int(text)


def create_app(protocol: str, data_dir: str | Path, db_url: str | None = None, *,
               settle_seconds: float = SETTLE_SECONDS, idle_seconds: float = IDLE_SECONDS,
               secure_cookies: bool = False,
               clock: Callable[[], float] = time.monotonic,
               first: FirstDecisions | None = None) -> FastAPI:
    """The workspace app over one trial's data folder and a committee database.

    Parameters
    ----------
    protocol : str
        Bundled protocol name or YAML path.
    data_dir : str or Path
        The trial's SDTM folder (watched for new transfers).
    db_url : str, optional
        SQLAlchemy URL (default: ``committee.sqlite`` in ``data_dir``).
    settle_seconds : float
        How long new files must stay unchanged before they are taken up.
    idle_seconds : float
        Idle timeout of a session.
    secure_cookies : bool
        Mark cookies ``Secure`` on every response (they are anyway over HTTPS).
    clock : callable
        Monotonic seconds (tests pass their own).
    first : FirstDecisions, optional
        The start-up decisions already being computed in a forked child (``cartrial serve``
        starts it before importing this module; :mod:`cartrial.committee.first_build`).

    Returns
    -------
    FastAPI

    Raises
    ------
    FindingsError
        The folder's data does not validate at start-up.
    InputError
        The protocol, data or database cannot be opened.
    """
    data_dir = Path(data_dir)
    url = database_url(data_dir, db_url)
    store = open_store(url, key=load_audit_key())
    records = RecordCache(store)
    watcher = SnapshotWatcher(protocol, data_dir, settle_seconds, clock,
                              prepare=partial(prepare_overview, TEMPLATES.env, records))
    watcher.load_now(first)
    threading.Thread(target=warm_up, args=(watcher, TEMPLATES.env, records), daemon=True,
                     name="cartrial-warm-up").start()
    ctx = _Context(store, watcher, SessionRegistry(idle_seconds, MAX_SECONDS, clock),
                   LoginThrottle(store, clock), records)
    app = FastAPI(title="cartrial committee workspace", docs_url=None, redoc_url=None,
                  openapi_url=None)
    app.add_middleware(SessionMiddleware, secret_key=_secret(store), same_site="strict",
                       session_cookie="cartrial_session", https_only=False, max_age=MAX_SECONDS)
    app.add_middleware(SecurityHeaders, force_secure=secure_cookies)
    _login_routes(app, ctx)
    _read_routes(app, ctx)
    _decide_routes(app, ctx)
    meeting_routes(app, ctx)
    _more_routes(app, ctx)
    _error_handlers(app)
    app.state.store = store
    app.state.data_dir = data_dir
    app.state.sessions = ctx.sessions
    app.state.watcher = watcher
    return app


@dataclass(frozen=True)
class _Context:
    """What the routes share: the store, the data snapshot, sessions, login throttling and the
    record as the pages read it (read again only when it changed)."""

    store: Store
    watcher: SnapshotWatcher
    sessions: SessionRegistry
    throttle: LoginThrottle
    records: RecordCache

    def user_of(self, request: Request) -> User:
        """The logged-in user, else a redirect to the login page."""
        u = self.records.now().active_user(self.sessions.user(request.session.get("sid")))
        if u is None:
            request.session.pop("sid", None)
            raise HTTPException(status_code=303, headers={"Location": "/login"})
        return u

    def snapshot(self, whole: bool = True) -> SnapshotStatus:
        snap = self.watcher.status(whole)  # whole=False: the safety analysis may be pending
        if snap.ws is None:  # the start-up build failed (load_now validated the data)
            raise HTTPException(status_code=503, detail=snap.message
                                or "no validated data snapshot yet")
        return adjudicated_snapshot(snap, self.store,  # the committee's DLT calls count
                                    self.records.now().adjudications)

    def page(self, request: Request, name: str, status_code: int = 200,
             **ctx: Any) -> HTMLResponse:
        ctx.update(request=request, version=__version__, csrf_token=_csrf(request),
                   user=ctx.get("user"), snap=ctx.get("snap"))
        return TEMPLATES.TemplateResponse(request, name, ctx, status_code=status_code)

    def decide_page(self, request: Request, u: User, snap: SnapshotStatus,
                    status_code: int = 200, **ctx: Any) -> HTMLResponse:
        w = snap.ws
        ctx = {"today": date.today().isoformat(), "corrects": None, "error": ""} | ctx
        token = self.sessions.issue_form(request.session.get("sid", ""))
        view = self.records.now()
        return self.page(request, "decide.html", status_code, user=u, w=w, snap=snap,
                         rec=w.recommendation_summary(), actions=ACTIONS,
                         doses=w.protocol.dose_ids, form_token=token,
                         users=[x for x in view.users.values()  # by user name
                                if x.username not in view.disabled], **ctx)


def _csrf(request: Request) -> str:
    tok = request.session.get("csrf")
    if not tok:
        tok = secrets.token_urlsafe(32)
        request.session["csrf"] = tok
    return tok


def _check_csrf(request: Request, token: str) -> None:
    if not token or not secrets.compare_digest(token, request.session.get("csrf", "")):
        raise HTTPException(status_code=403, detail="CSRF token missing or wrong")


def _login_routes(app: FastAPI, c: _Context) -> None:
    @app.get("/favicon.ico")
    def favicon() -> Response:
        return Response(status_code=204)

    @app.get("/login", response_class=HTMLResponse)
    def login_form(request: Request) -> HTMLResponse:
        return c.page(request, "login.html", error="")

    @app.post("/login")
    def login(request: Request, username: str = Form(..., max_length=64),
              password: str = Form(..., max_length=256),
              csrf_token: str = Form("")) -> Response:
        _check_csrf(request, csrf_token)
        client = request.client.host if request.client else "unknown"
        if c.throttle.client_blocked(client):
            return error_page(429, "Too many failed logins from this address; try again later.")
        if c.throttle.user_blocked(username):
            return c.page(request, "login.html", 403, error="This account is locked after "
                          "repeated failed logins; an administrator can unlock it "
                          "(cartrial users unlock).")
        u = authenticate(c.store, username, password)
        if u is None:
            if c.throttle.failed(username, client):
                c.sessions.end_user(username)
            return c.page(request, "login.html", 401, error="Unknown user or wrong password.")
        c.throttle.succeeded(username)
        if is_disabled(c.store, username):
            return c.page(request, "login.html", 403, error="This account is disabled; ask an "
                          "administrator of the workspace.")
        c.sessions.end(request.session.get("sid"))
        request.session.clear()
        request.session["sid"] = c.sessions.start(u.username)
        request.session["csrf"] = secrets.token_urlsafe(32)  # new token after login
        return RedirectResponse("/", status_code=303)

    @app.post("/logout")
    def logout(request: Request, csrf_token: str = Form("")) -> Response:
        _check_csrf(request, csrf_token)
        c.sessions.end(request.session.get("sid"))
        request.session.clear()
        return RedirectResponse("/login", status_code=303)


def _read_routes(app: FastAPI, c: _Context) -> None:
    @app.get("/", response_class=HTMLResponse)
    def overview(request: Request) -> HTMLResponse:
        u = c.user_of(request)
        snap = c.snapshot(whole=False)
        return c.page(request, "overview.html", user=u, w=snap.ws, snap=snap,
                      **overview_context(TEMPLATES.env, c.records.now(), snap.ws))

    @app.get("/history", response_class=HTMLResponse)
    def history(request: Request) -> HTMLResponse:
        u = c.user_of(request)
        view = c.records.now()
        return c.page(request, "history.html", user=u, snap=c.snapshot(),
                      decisions=view.decisions, loads=json.loads, signatures=view.signatures)

    @app.get("/minutes.html", response_class=HTMLResponse)
    def minutes(request: Request) -> HTMLResponse:
        c.user_of(request)
        return HTMLResponse(minutes_html(c.store, c.snapshot().ws))

    @app.get("/minutes.pdf")
    def minutes_as_pdf(request: Request) -> Response:
        c.user_of(request)
        try:
            pdf = minutes_pdf(c.store, c.snapshot().ws)
        except InputError as exc:  # no Chromium to print with
            raise HTTPException(status_code=503, detail=str(exc)) from None
        return Response(pdf, media_type="application/pdf",
                        headers={"Content-Disposition": "attachment; filename=minutes.pdf"})


def _may_decide(c: _Context, request: Request) -> User:
    u = c.user_of(request)
    if u.role not in CAN_DECIDE:
        raise HTTPException(status_code=403, detail="viewers cannot record decisions")
    return u


def _decide_routes(app: FastAPI, c: _Context) -> None:
    @app.get("/decide", response_class=HTMLResponse)
    def decide_form(request: Request, corrects: str = "") -> HTMLResponse:
        u = _may_decide(c, request)
        return c.decide_page(request, u, c.snapshot(), corrects=_record_id(corrects))

    @app.post("/decide")
    def decide(request: Request, csrf_token: str = Form(""), form_token: str = Form(""),
               choice: str = Form(...), action: str = Form(""), next_dose: str = Form(""),
               rationale: str = Form("", max_length=5000),
               meeting_date: str = Form(...),
               corrects: str = Form(""), data_hash: str = Form(""),
               design_override: str = Form(""),
               attendees: Annotated[list[str] | None, Form()] = None) -> Response:
        _check_csrf(request, csrf_token)
        u = _may_decide(c, request)
        corrects_id = _record_id(corrects)
        if choice not in ("accept", "override"):
            raise HTTPException(status_code=400, detail="choice must be accept or override")
        snap = c.snapshot()
        if not snap.can_decide:
            return c.decide_page(request, u, snap, 409, corrects=corrects_id,
                                 error="No decision can be recorded while the data folder's "
                                 "current content is not a validated snapshot.")
        if not c.sessions.use_form(request.session.get("sid", ""), form_token):
            raise HTTPException(status_code=409, detail="This form was already submitted (or "
                                "has expired): nothing more was recorded. See the decision "
                                "history.")
        w = snap.ws
        ctx = {"today": meeting_date, "corrects": corrects_id}
        if data_hash != w.data_hash:  # the members decided on what the form showed them
            return c.decide_page(request, u, snap, 409, error=(
                "the trial data changed since this form was opened (now sha256 "
                f"{w.data_hash[:16]}); review the new recommendation below and submit again"),
                **ctx)
        try:
            record_from_form(c.store, u, w, choice == "accept", action=action,
                             next_dose=next_dose, rationale=rationale,
                             attendees=attendees or [],
                             meeting_date=meeting_date, corrects_id=corrects_id,
                             design_override=design_override == "yes")
        except InputError as exc:
            return c.decide_page(request, u, snap, 400, error=str(exc), **ctx)
        return RedirectResponse("/history", status_code=303)


def _more_routes(app: FastAPI, c: _Context) -> None:
    """Patient pages, user administration and the audit trail (their own modules)."""
    from cartrial.committee.routes_admin import admin_routes
    from cartrial.committee.routes_patients import patient_routes

    patient_routes(app, c)
    admin_routes(app, c)


def _error_handlers(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 303:
            return RedirectResponse(exc.headers["Location"], status_code=303)
        return error_page(exc.status_code, exc.detail)

    @app.exception_handler(RequestValidationError)
    def _malformed(request: Request, exc: RequestValidationError) -> Response:
        fields = sorted({str(e.get("loc", ("", "?"))[-1]) for e in exc.errors()})
        return error_page(400, f"malformed or missing form value(s): {', '.join(fields)}")
