"""User administration (admin role) and the audit trail (statistician and admin roles).

Every write is a POST with the session's CSRF token, refused with 403 for any other role; the
operations and their rules are :mod:`cartrial.committee.users`, the trail's presentation
:mod:`cartrial.committee.audit_view`. Disabling a user or resetting their password ends their
open sessions at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated
from urllib.parse import quote

from fastapi import FastAPI, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from cartrial.committee.audit_view import audit_csv, audit_lines, chain_status
from cartrial.committee.store import ROLES, User
from cartrial.committee.users import (
    ADMIN,
    change_role,
    list_users,
    reset_password,
    set_active,
)
from cartrial.errors import InputError

if TYPE_CHECKING:
    from cartrial.committee.web import _Context

CAN_READ_AUDIT = ("statistician", ADMIN)


def _require(c: _Context, request: Request, roles: tuple[str, ...]) -> User:
    u = c.user_of(request)
    if u.role not in roles:
        raise HTTPException(status_code=403, detail=f"the {u.role} role cannot do this "
                            f"(needs: {', '.join(roles)})")
    return u


def admin_routes(app: FastAPI, c: _Context) -> None:
    """Register ``/admin/users`` (page and three POST actions), ``/audit`` and ``/audit.csv``.

    Parameters
    ----------
    app : FastAPI
    c : cartrial.committee.web._Context

    Returns
    -------
    None

    Examples
    --------
    >>> admin_routes(app, ctx)  # doctest: +SKIP
    """
    from cartrial.committee.web import _check_csrf

    def users_page(request: Request, u: User, status: int = 200, error: str = "",
                   done: str = "") -> HTMLResponse:
        return c.page(request, "admin_users.html", status, user=u, snap=c.snapshot(),
                      users=list_users(c.store), roles=ROLES, error=error, done=done)

    def act(request: Request, csrf_token: str, fn, done: str) -> Response:  # noqa: ANN001
        _check_csrf(request, csrf_token)
        u = _require(c, request, (ADMIN,))
        try:
            fn(u)
        except (InputError, PermissionError) as exc:
            return users_page(request, u, 400, error=str(exc))
        return RedirectResponse(f"/admin/users?done={quote(done)}", status_code=303)

    @app.get("/admin/users", response_class=HTMLResponse)
    def users(request: Request, done: str = "") -> HTMLResponse:
        return users_page(request, _require(c, request, (ADMIN,)), done=done[:200])

    @app.post("/admin/users/{username}/status")
    def status(request: Request, username: str, *, csrf_token: Annotated[str, Form()] = "",
               active: Annotated[str, Form()],
               reason: Annotated[str, Form(max_length=2000)] = "") -> Response:
        def fn(u: User) -> None:
            set_active(c.store, u, username, active == "1", reason)
            if active != "1":
                c.sessions.end_user(username)
        return act(request, csrf_token, fn, f"{username} "
                   f"{'enabled' if active == '1' else 'disabled'}")

    @app.post("/admin/users/{username}/password")
    def password(request: Request, username: str, *,
                 csrf_token: Annotated[str, Form()] = "",
                 new_password: Annotated[str, Form(max_length=256)]) -> Response:
        def fn(u: User) -> None:
            reset_password(c.store, u, username, new_password)
            c.sessions.end_user(username)
        return act(request, csrf_token, fn, f"password of {username} reset")

    @app.post("/admin/users/{username}/role")
    def role(request: Request, username: str, *, csrf_token: Annotated[str, Form()] = "",
             new_role: Annotated[str, Form(max_length=20)]) -> Response:
        return act(request, csrf_token, lambda u: change_role(c.store, u, username, new_role),
                   f"{username} is now {new_role}")

    @app.get("/audit", response_class=HTMLResponse)
    def audit(request: Request) -> HTMLResponse:
        u = _require(c, request, CAN_READ_AUDIT)
        lines, report = audit_lines(c.store)
        return c.page(request, "audit.html", user=u, snap=c.snapshot(), lines=lines,
                      report=report, status=chain_status(report))

    @app.get("/audit.csv")
    def audit_export(request: Request) -> Response:
        _require(c, request, CAN_READ_AUDIT)
        return Response(audit_csv(c.store), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": "attachment; filename=audit.csv"})


