"""The `cartrial` command: one pattern, `cartrial <verb> [options]`.

Each verb lives in its own module under ``cartrial.cli`` and registers itself on the Typer app;
the CLI is a thin layer over the engines' public Python APIs. The console entry point imports
only the module of the verb it runs (engines pull in scipy, pandas and matplotlib, which take
seconds to import); ``cartrial --help`` lists the verbs from ``VERBS`` without importing them.
``from cartrial.cli.main import app`` gives the app with every verb registered.
"""

from __future__ import annotations

import sys
from importlib import import_module
from typing import Any

import typer

from cartrial._gc import imported_uncollected

_app = typer.Typer(
    name="cartrial",
    help="Run a first-in-human CAR-T dose-finding trial from protocol to study report.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# verb -> (modules that register it, one-line help shown by `cartrial --help`)
VERBS: dict[str, tuple[tuple[str, ...], str]] = {
    "protocol": (("protocol",), "Show and check protocol files."),
    "validate": (("validate",), "Check a study against the data model and the protocol."),
    "example": (("example",), "Write the synthetic CT071-like example trial."),
    "design": (("design", "design_simulate", "design_sweep", "design_phase12",
                "design_phase12_simulate", "design_protocol_text", "design_boinet",
                "design_uboin", "design_rose"),
               "Dose-escalation designs: boundaries, decision tables, pathways, OC, sweeps."),
    "decide": (("decide",), "Per-dose table (treated, evaluable, DLTs, pending) and the "
                            "design's recommendation."),
    "safety": (("safety",), "Grade CRS/ICANS/labs, adjudicate DLTs and print the safety "
                            "tables for a study."),
    "grade": (("safety",), "Grade one patient's CRS or ICANS flow sheet (CSV)."),
    "efficacy": (("efficacy",), "IMWG 2016 responses, MRD, rates and time-to-event endpoints."),
    "kinetics": (("kinetics",), "NCA of CAR-T expansion, cytokines and ADA tables."),
    "analyze": (("analyze",), "Validation -> engines -> ADaM datasets -> study report."),
    "demo": (("analyze",), "Write the example trial and analyze it (what `make demo` runs)."),
    "serve": (("committee",), "Start the committee's web workspace (login required)."),
    "users": (("committee",), "Manage committee workspace users."),
    "audit": (("committee",), "Check the committee's audit trail."),
    "check-conformance": (("check_conformance",), "ADaM structural checks on written "
                                                  "datasets (names, labels, lengths, required "
                                                  "variables)."),
}

# verb -> {sub-command: the module that registers it}; `cartrial design table` imports only
# cli/design.py, not the simulation, sweep and BOIN12 modules (each pulls in scipy.stats or pandas)
SUBVERBS: dict[str, dict[str, str | tuple[str, ...]]] = {
    "design": {"boundaries": "design", "table": "design", "paths": "design",
               "simulate": "design_simulate", "sweep": "design_sweep", "compare": "design_sweep",
               "boin12": ("design_phase12", "design_phase12_simulate"),
               "protocol-text": "design_protocol_text",
               "boinet": "design_boinet", "uboin": "design_uboin", "rose": "design_rose"},
}


def _version(value: bool) -> None:
    if value:
        from cartrial import __version__  # package metadata read only when asked for

        typer.echo(f"cartrial {__version__}")
        raise typer.Exit()


@_app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """cartrial: protocol + SDTM -> validation -> engines -> ADaM -> report."""


_loaded: set[str] = set()


def _load(modules: tuple[str, ...]) -> None:
    for m in modules:
        if m not in _loaded:
            import_module(f"cartrial.cli.{m}")
            _loaded.add(m)


def _register_all() -> typer.Typer:
    for modules, _ in VERBS.values():
        _load(modules)
    return _app


def __getattr__(name: str) -> Any:
    if name == "app":
        return _register_all()
    raise AttributeError(name)


def _listing_app() -> typer.Typer:
    """An app with one placeholder per verb, for the root help only (nothing imported)."""
    listing = typer.Typer(name="cartrial", help=_app.info.help, no_args_is_help=True,
                          add_completion=False, pretty_exceptions_enable=False)
    listing.callback()(_root)
    for verb, (_, text) in VERBS.items():
        listing.command(verb, help=text, add_help_option=False,
                        context_settings={"ignore_unknown_options": True})(lambda: None)
    return listing


def main(argv: list[str] | None = None) -> None:
    """The `cartrial` command: ``argv`` (default: the process's arguments) run as a verb.

    Without ``argv`` (the console command, ``python -m cartrial``) the process ends when the
    verb has ended, without the interpreter's teardown (:mod:`cartrial.cli._exit`); with
    ``argv`` it returns or raises ``SystemExit`` as Click does.
    """
    if argv is None:
        from cartrial.cli._exit import exit_when_done

        exit_when_done(lambda: _main(sys.argv[1:], own_process=True))
    _main(argv)


def _main(args: list[str], own_process: bool = False) -> None:
    verb = next((a for a in args if not a.startswith("-")), None)
    if verb in VERBS:
        rest = args[args.index(verb) + 1:]
        sub = next((a for a in rest if not a.startswith("-")), None)
        module = SUBVERBS.get(verb, {}).get(sub or "")
        extra = (module,) if isinstance(module, str) else module
        with imported_uncollected(own_process):  # the command's own process only
            _load((VERBS[verb][0][0], *extra) if extra else VERBS[verb][0])
        _app(args=args, prog_name="cartrial")
    elif verb is None:
        _listing_app()(args=args, prog_name="cartrial")   # --help, --version, no arguments
    else:
        _register_all()(args=args, prog_name="cartrial")  # unknown verb: typer's own message


if __name__ == "__main__":
    main()
