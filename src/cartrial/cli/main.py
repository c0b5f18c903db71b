"""The `cartrial` command: one pattern, `cartrial <verb> [options]`.

Each verb lives in its own module under ``cartrial.cli`` and registers itself on ``app``; the CLI
is a thin layer over the engines' public Python APIs.
"""

from __future__ import annotations

import typer

from cartrial import __version__

app = typer.Typer(
    name="cartrial",
    help="Run a first-in-human CAR-T dose-finding trial from protocol to study report.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"cartrial {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """cartrial: protocol + SDTM -> validation -> engines -> ADaM -> report."""


def _register() -> None:
    # Each verb module adds its commands to `app`; only verbs that work are registered here.
    from cartrial.cli import protocol  # noqa: F401
    from cartrial.cli import design  # noqa: F401
    from cartrial.cli import design_simulate  # noqa: F401
    from cartrial.cli import design_sweep  # noqa: F401
    from cartrial.cli import validate  # noqa: F401
    from cartrial.cli import decide  # noqa: F401
    from cartrial.cli import committee  # noqa: F401
    from cartrial.cli import safety  # noqa: F401
    from cartrial.cli import efficacy  # noqa: F401
    from cartrial.cli import kinetics  # noqa: F401
    from cartrial.cli import example  # noqa: F401
    from cartrial.cli import analyze  # noqa: F401


_register()


def main() -> None:
    app()
