"""The committee's web workspace: FastAPI with server-rendered Jinja2 pages.

Why FastAPI + server-rendered pages (not Shiny): the workspace is a handful of forms and tables
whose security properties (login on every page, roles, CSRF, append-only writes) must be plain
and testable; FastAPI's TestClient and Playwright drive it directly, and no JavaScript bundle is
needed. Sessions are signed cookies (itsdangerous via Starlette); every POST carries a CSRF
token bound to the session; nothing is served without login.
"""

from __future__ import annotations

import base64
import io
import json
import secrets
import threading
from datetime import date
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.middleware.sessions import SessionMiddleware

from cartrial import __version__
from cartrial.committee.chain import load_audit_key
from cartrial.committee.minutes import minutes_html, minutes_pdf
from cartrial.committee.records import (
    CAN_DECIDE,
    authenticate,
    get_user,
    list_decisions,
    record_decision,
)
from cartrial.committee.store import Store, open_store
from cartrial.committee.workspace import Workspace, build_workspace
from cartrial.errors import InputError

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).with_name("templates")))


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
ACTIONS = ("escalate", "stay", "de-escalate", "stop", "suspend")


def _secret(store: Store) -> str:
    """Session signing key: CARTRIAL_SECRET, else a random key kept beside the database."""
    import os

    if os.environ.get("CARTRIAL_SECRET"):
        return os.environ["CARTRIAL_SECRET"]
    if store.anchor is None:
        return secrets.token_hex(32)
    f = store.anchor.with_name(store.anchor.name.replace(".anchor", ".secret"))
    if not f.exists():
        f.write_text(secrets.token_hex(32), encoding="utf-8")
        f.chmod(0o600)
    return f.read_text(encoding="utf-8").strip()


def data_signature(data_dir: Path) -> tuple[tuple[str, int, int], ...]:
    """Name, size and modification time of each dataset file in the folder (cheap to take on
    every request; any new data transfer changes it)."""
    return tuple(sorted((p.name, st.st_size, st.st_mtime_ns) for p in data_dir.iterdir()
                        if p.suffix.lower() in (".csv", ".xpt") and p.is_file()
                        for st in (p.stat(),)))


def create_app(protocol: str, data_dir: str | Path, db_url: str | None = None) -> FastAPI:
    """The workspace app over one trial's data folder and a committee database."""
    data_dir = Path(data_dir)
    url = db_url or f"sqlite:///{(data_dir / 'committee.sqlite').resolve()}"
    store = open_store(url, key=load_audit_key())
    app = FastAPI(title="cartrial committee workspace", docs_url=None, redoc_url=None,
                  openapi_url=None)
    app.add_middleware(SessionMiddleware, secret_key=_secret(store), same_site="strict",
                       session_cookie="cartrial_session", https_only=False, max_age=8 * 3600)
    state: dict[str, Any] = {"ws": None, "sig": None, "reload_error": ""}
    lock = threading.Lock()

    def ws() -> Workspace:
        """The workspace of the data now in the folder: a new data transfer (files added,
        replaced or changed) is picked up on the next request, without a restart. While new
        files cannot be read (a transfer in progress, bad data), the last good snapshot is
        served and the reason shown on every page."""
        sig = data_signature(data_dir)
        with lock:
            if state["ws"] is None or state["sig"] != sig:
                try:
                    state["ws"] = build_workspace(protocol, data_dir)
                    state["reload_error"] = ""
                except InputError as exc:
                    if state["ws"] is None:
                        raise
                    state["reload_error"] = str(exc).splitlines()[0]
                state["sig"] = sig
            return state["ws"]

    def user_of(request: Request):  # noqa: ANN202
        name = request.session.get("user")
        u = get_user(store, name) if name else None
        if u is None:
            raise HTTPException(status_code=303, headers={"Location": "/login"})
        return u

    def csrf(request: Request) -> str:
        tok = request.session.get("csrf")
        if not tok:
            tok = secrets.token_urlsafe(32)
            request.session["csrf"] = tok
        return tok

    def check_csrf(request: Request, token: str) -> None:
        if not token or not secrets.compare_digest(token, request.session.get("csrf", "")):
            raise HTTPException(status_code=403, detail="CSRF token missing or wrong")

    def page(request: Request, name: str, **ctx: Any) -> HTMLResponse:
        ctx.update(request=request, version=__version__, csrf_token=csrf(request),
                   user=ctx.get("user"), reload_error=state["reload_error"])
        return TEMPLATES.TemplateResponse(request, name, ctx)

    @app.get("/favicon.ico")
    def favicon() -> Response:
        return Response(status_code=204)

    @app.get("/login", response_class=HTMLResponse)
    def login_form(request: Request, error: str = "") -> HTMLResponse:
        return page(request, "login.html", error=error)

    @app.post("/login")
    def login(request: Request, username: str = Form(...), password: str = Form(...),
              csrf_token: str = Form("")) -> Response:
        check_csrf(request, csrf_token)
        u = authenticate(store, username, password)
        if u is None:
            return page(request, "login.html", error="Unknown user or wrong password.")
        request.session.clear()
        request.session["user"] = u.username
        request.session["csrf"] = secrets.token_urlsafe(32)  # new token after login
        return RedirectResponse("/", status_code=303)

    @app.post("/logout")
    def logout(request: Request, csrf_token: str = Form("")) -> Response:
        check_csrf(request, csrf_token)
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    @app.get("/", response_class=HTMLResponse)
    def overview(request: Request) -> HTMLResponse:
        u = user_of(request)
        w = ws()
        return page(request, "overview.html", user=u, w=w, rec=w.recommendation_summary(),
                    table=w.decision.recommendation.table, patients=w.decision.patients,
                    paths=w.paths, decisions=list_decisions(store))

    @app.get("/patients/{usubjid}", response_class=HTMLResponse)
    def patient(request: Request, usubjid: str) -> HTMLResponse:
        u = user_of(request)
        w = ws()
        if usubjid not in set(w.decision.patients["USUBJID"].astype(str)):
            raise HTTPException(status_code=404, detail=f"no infused patient {usubjid}")
        detail = w.patient(usubjid)
        return page(request, "patient.html", user=u, w=w, usubjid=usubjid, d=detail,
                    timeline=_timeline_svg(detail))

    @app.get("/decide", response_class=HTMLResponse)
    def decide_form(request: Request, corrects: int | None = None) -> HTMLResponse:
        u = user_of(request)
        if u.role not in CAN_DECIDE:
            raise HTTPException(status_code=403, detail="viewers cannot record decisions")
        w = ws()
        return page(request, "decide.html", user=u, w=w, rec=w.recommendation_summary(),
                    actions=ACTIONS, doses=w.protocol.dose_ids, today=date.today().isoformat(),
                    corrects=corrects, error="")

    @app.post("/decide")
    def decide(request: Request, csrf_token: str = Form(""), choice: str = Form(...),
               action: str = Form(""), next_dose: str = Form(""), rationale: str = Form(""),
               attendees: str = Form(""), meeting_date: str = Form(...),
               corrects: str = Form(""), data_hash: str = Form("")) -> Response:
        check_csrf(request, csrf_token)
        u = user_of(request)
        if u.role not in CAN_DECIDE:
            raise HTTPException(status_code=403, detail="viewers cannot record decisions")
        w = ws()
        rec = w.recommendation_summary()
        accepted = choice == "accept"
        try:
            if data_hash != w.data_hash:  # the members decided on what the form showed them
                raise InputError("the trial data changed since this form was opened (now sha256 "
                                 f"{w.data_hash[:16]}); review the new recommendation below "
                                 "and submit again")
            if not accepted and action not in ACTIONS:
                raise InputError(f"choose an action among {list(ACTIONS)}")
            if not accepted and next_dose and next_dose not in w.protocol.dose_ids:
                raise InputError(f"next dose must be one of {w.protocol.dose_ids}")
            record_decision(
                store, user=u, meeting_date=date.fromisoformat(meeting_date),
                attendees=[a for a in attendees.replace("\n", ",").split(",")],
                accepted=accepted, action=rec["action"] if accepted else action,
                next_dose=rec["next_dose"] if accepted else (next_dose or None),
                rationale=rationale, recommendation=rec, as_of=w.as_of,
                data_hash=w.data_hash, protocol_id=w.protocol.study_id,
                protocol_version=w.protocol.version, protocol_hash=w.protocol_hash,
                corrects_id=int(corrects) if corrects else None)
        except (InputError, ValueError) as exc:
            return page(request, "decide.html", user=u, w=w, rec=rec, actions=ACTIONS,
                        doses=w.protocol.dose_ids, today=meeting_date, corrects=corrects or None,
                        error=str(exc))
        return RedirectResponse("/history", status_code=303)

    @app.get("/history", response_class=HTMLResponse)
    def history(request: Request) -> HTMLResponse:
        u = user_of(request)
        return page(request, "history.html", user=u, decisions=list_decisions(store),
                    loads=json.loads)

    @app.get("/minutes.html", response_class=HTMLResponse)
    def minutes(request: Request) -> HTMLResponse:
        user_of(request)
        return HTMLResponse(minutes_html(store, ws()))

    @app.get("/minutes.pdf")
    def minutes_as_pdf(request: Request) -> Response:
        user_of(request)
        return Response(minutes_pdf(store, ws()), media_type="application/pdf",
                        headers={"Content-Disposition": "attachment; filename=minutes.pdf"})

    @app.exception_handler(HTTPException)
    def _http(request: Request, exc: HTTPException) -> Response:
        if exc.status_code == 303:
            return RedirectResponse(exc.headers["Location"], status_code=303)
        return HTMLResponse(f"<h1>{exc.status_code}</h1><p>{exc.detail}</p>",
                            status_code=exc.status_code)

    app.state.store = store
    app.state.data_dir = data_dir
    return app


def _timeline_svg(detail: dict) -> str:
    """CRS and ICANS grade by day since infusion, as an inline SVG (matplotlib)."""
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
    svg = buf.getvalue()
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
