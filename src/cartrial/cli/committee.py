"""`cartrial serve`, `cartrial users add`, `cartrial audit verify`: the committee workspace."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from cartrial.cli._common import EXIT_BAD_INPUT, JsonOption, bad_input_exits, console, print_json
from cartrial.cli.main import _app as app

users_app = typer.Typer(help="Manage committee workspace users.", no_args_is_help=True)
audit_app = typer.Typer(help="Check the committee's audit trail.", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(audit_app, name="audit")

DbOption = typer.Option(None, "--db", help="SQLAlchemy URL, e.g. sqlite:///trial/committee.sqlite "
                        "or postgresql+psycopg://user@host/db (default: committee.sqlite in "
                        "--data).")
DataOption = typer.Option(None, "--data", help="The trial's SDTM folder (the default database "
                          "lives there).")


def _url(db: str | None, data: str | None) -> str:
    from cartrial.errors import InputError

    if db:
        return db
    if data:
        return f"sqlite:///{(Path(data) / 'committee.sqlite').resolve()}"
    raise InputError("give --db URL or --data DIR")


@users_app.command("add")
def users_add(
    username: str = typer.Argument(..., help="Login name."),
    role: str = typer.Option(..., "--role", help="statistician, member or viewer."),
    full_name: str = typer.Option("", "--name", help="Full name shown in minutes."),
    password_stdin: bool = typer.Option(False, "--password-stdin",
                                        help="Read the password from standard input."),
    db: str = DbOption,
    data: str = DataOption,
    as_json: bool = JsonOption,
) -> None:
    """Create a user (password hashed with argon2id; asked for unless --password-stdin)."""
    from cartrial.committee import add_user, open_store

    with bad_input_exits():
        url = _url(db, data)
        if password_stdin:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        u = add_user(open_store(url), username, password, role, full_name=full_name)
    if as_json:
        print_json({"username": u.username, "role": u.role})
    else:
        console.print(f"user {u.username} ({u.role}) created")


@audit_app.command("verify")
def audit_verify(db: str = DbOption, data: str = DataOption, as_json: bool = JsonOption) -> None:
    """Recompute the hash chain; exit 2 when any record was edited, inserted or deleted."""
    from cartrial.committee import open_store, verify_audit

    with bad_input_exits():
        rep = verify_audit(open_store(_url(db, data)))
    if as_json:
        print_json({"ok": rep.ok, "entries": rep.entries, "problems": list(rep.problems)})
    elif rep.ok:
        console.print(f"audit trail intact: {rep.entries} entries verified")
    else:
        for p in rep.problems:
            console.print(f"TAMPERED: {p}", markup=False)
    if not rep.ok:
        raise typer.Exit(EXIT_BAD_INPUT)


@app.command("serve")
def serve(
    protocol: str = typer.Option(..., "--protocol", "-p", help="Bundled name or YAML path (required)."),
    data: str = typer.Option(..., "--data", help="The trial's SDTM folder."),
    db: str = DbOption,
    host: str = typer.Option("127.0.0.1", "--host", help="Bind address (localhost by default)."),
    port: int = typer.Option(8000, "--port"),
) -> None:
    """Start the committee's web workspace (login required for every page)."""
    import uvicorn

    from cartrial.committee.web import create_app

    with bad_input_exits():  # validate first: errors stop here (exit 2, findings listed)
        from cartrial.cli._common import load_validated
        from cartrial.protocol import load_protocol

        load_validated(data, load_protocol(protocol))
        application = create_app(protocol, data, db)
    console.print(f"cartrial workspace on http://{host}:{port} (Ctrl-C to stop)")
    uvicorn.run(application, host=host, port=port, log_level="warning")
