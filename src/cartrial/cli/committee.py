"""`cartrial serve`, `cartrial users add|unlock`, `cartrial audit verify|anchor|keygen`: the
committee workspace."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from cartrial.cli._common import (
    EXIT_BAD_INPUT,
    JsonOption,
    ProtocolOption,
    bad_input_exits,
    console,
    print_json,
)
from cartrial.cli.main import _app as app

users_app = typer.Typer(help="Manage committee workspace users.", no_args_is_help=True)
audit_app = typer.Typer(help="Check the committee's audit trail.", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(audit_app, name="audit")

KEEP_ALIVE_SECONDS = 120
DbOption = typer.Option(None, "--db", help="SQLAlchemy URL, e.g. sqlite:///trial/committee.sqlite "
                        "or postgresql+psycopg://user@host/db (default: committee.sqlite in "
                        "--data).")
DataOption = typer.Option(None, "--data", help="The trial's SDTM folder (the default database "
                          "lives there).")
KeyFileOption = typer.Option(None, "--key-file", help="File (mode 0600) holding the audit HMAC "
                             "key (default: $CARTRIAL_AUDIT_KEY_FILE, else $CARTRIAL_AUDIT_KEY, "
                             "else none).")


def _store(db: str | None, data: str | None, key_file: str | None = None, *,
           create: bool = False):  # noqa: ANN202
    """The committee database; a SQLite file that does not exist is an error unless ``create``
    (verifying a mistyped path must not create an empty, "intact" database)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from cartrial.committee import load_audit_key, open_store
    from cartrial.errors import InputError

    url = _url(db, data)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise InputError(f"not a database URL: {url!r}") from None
    path = parsed.database
    if (not create and parsed.get_backend_name() == "sqlite" and path and path != ":memory:"
            and not Path(path).exists()):
        raise InputError(f"no committee database at {path}")
    return open_store(url, key=load_audit_key(key_file))


def _url(db: str | None, data: str | None) -> str:
    from cartrial.committee.first_build import database_url
    from cartrial.errors import InputError

    if db or data:
        return database_url(data or "", db)
    raise InputError("give --db URL or --data DIR")


@users_app.command("add")
def users_add(
    username: str = typer.Argument(..., help="Login name."),
    role: str = typer.Option(..., "--role", help="statistician, member, viewer or admin "
                             "(user administration in the workspace)."),
    full_name: str = typer.Option("", "--name", help="Full name shown in minutes."),
    password_stdin: bool = typer.Option(False, "--password-stdin",
                                        help="Read the password from standard input."),
    db: str = DbOption,
    data: str = DataOption,
    as_json: bool = JsonOption,
) -> None:
    """Create a user (password hashed with argon2id; asked for unless --password-stdin)."""
    from cartrial.committee import add_user

    with bad_input_exits():
        store = _store(db, data, create=True)
        if password_stdin:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        u = add_user(store, username, password, role, full_name=full_name)
    if as_json:
        print_json({"username": u.username, "role": u.role})
    else:
        console.print(f"user {u.username} ({u.role}) created")


@users_app.command("unlock")
def users_unlock(
    username: str = typer.Argument(..., help="The locked login name."),
    actor: str = typer.Option(..., "--actor", help="Who unlocks (recorded)."),
    reason: str = typer.Option(..., "--reason", help="Why (recorded), e.g. identity checked."),
    db: str = DbOption,
    data: str = DataOption,
) -> None:
    """Lift the lock set after repeated failed logins; the unlock is an audit entry."""
    from cartrial.committee.lockout import unlock_user

    with bad_input_exits():
        unlock_user(_store(db, data), username, actor=actor, reason=reason)
    console.print(f"user {username} unlocked (recorded in the audit trail)", markup=False)


@audit_app.command("verify")
def audit_verify(db: str = DbOption, data: str = DataOption, key_file: str = KeyFileOption,
                 as_json: bool = JsonOption) -> None:
    """Recompute the hash chain (read-only: never moves the anchor); exit 2 when any record was
    edited, inserted or deleted, or the anchor file is missing."""
    from cartrial.committee import verify_audit

    with bad_input_exits():
        rep = verify_audit(_store(db, data, key_file))
    if as_json:
        print_json({"ok": rep.ok, "entries": rep.entries, "problems": list(rep.problems),
                    "warnings": list(rep.warnings)})
    else:
        for w in rep.warnings:
            console.print(f"warning: {w}", markup=False)
        if rep.ok:
            console.print(f"audit trail intact: {rep.entries} entries verified")
        for p in rep.problems:
            console.print(f"TAMPERED: {p}", markup=False)
    if not rep.ok:
        raise typer.Exit(EXIT_BAD_INPUT)


@audit_app.command("anchor")
def audit_anchor(
    reason: str = typer.Option(..., "--reason", help="Why the anchor is moved (recorded)."),
    actor: str = typer.Option(..., "--actor", help="Who re-anchors (recorded)."),
    db: str = DbOption,
    data: str = DataOption,
    key_file: str = KeyFileOption,
    as_json: bool = JsonOption,
) -> None:
    """Re-anchor a chain that verifies (e.g. after a crash or a lost anchor file): the act is
    appended to the audit trail with who, when, why and the previous anchor."""
    from cartrial.committee import anchor_chain

    with bad_input_exits():
        head = anchor_chain(_store(db, data, key_file), actor=actor, reason=reason)
    if as_json:
        print_json(head)
    else:
        console.print(f"anchored at audit entry {head['seq']} ({head['hash'][:16]})")


@audit_app.command("keygen")
def audit_keygen(
    out: str = typer.Argument(..., help="New key file (created with mode 0600; never "
                              "overwritten). Keep it outside the database's folder."),
) -> None:
    """Create a random audit HMAC key; set CARTRIAL_AUDIT_KEY_FILE to it before the first
    write of a new committee database."""
    from cartrial.committee import new_audit_key

    with bad_input_exits():
        path = new_audit_key(out)
    console.print(f"audit key written to {path} (mode 0600)", markup=False)


@app.command("serve")
def serve(
    protocol: str = ProtocolOption,
    data: str = typer.Option(..., "--data", help="The trial's SDTM folder."),
    db: str = DbOption,
    host: str = typer.Option("127.0.0.1", "--host", help="Bind address (localhost by default)."),
    port: int = typer.Option(8000, "--port"),
    settle: float = typer.Option(30.0, "--settle", min=0, help="Seconds new files in --data "
                                 "must stay unchanged before they are validated and shown."),
    idle_timeout: float = typer.Option(1800.0, "--idle-timeout", min=60, help="Seconds "
                                       "after which an unused session is logged out."),
    secure_cookies: bool = typer.Option(False, "--secure-cookies", help="Mark cookies Secure "
                                        "always (they are anyway when the request is HTTPS, "
                                        "also via a trusted proxy's X-Forwarded-Proto)."),
) -> None:
    """Start the committee's web workspace (login required for every page). The data must
    validate; newer transfers are shown once settled and valid (exit 2 on bad data)."""
    from cartrial.committee.first_build import FirstDecisions, ended_on_error

    # the first overview's decisions computed beside the imports below (forked before them),
    # with the committee's recorded DLT adjudications applied too when there are any
    first = FirstDecisions.start(protocol, data, db)
    import uvicorn

    from cartrial.committee.web import create_app

    with bad_input_exits(), ended_on_error(first):
        application = create_app(protocol, data, db, settle_seconds=settle,
                                 idle_seconds=idle_timeout, secure_cookies=secure_cookies,
                                 first=first)
    console.print(f"cartrial workspace on http://{host}:{port} (Ctrl-C to stop)")
    # a reader's connection stays open between pages (uvicorn's 5 s would close it while
    # a committee member reads one; the next page would then wait for a new connection)
    uvicorn.run(application, host=host, port=port, log_level="warning",
                timeout_keep_alive=KEEP_ALIVE_SECONDS)
