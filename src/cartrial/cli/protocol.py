"""`cartrial protocol show|list|check`."""

from __future__ import annotations

import typer
import yaml

from cartrial.cli._common import JsonOption, bad_input_exits, console, print_json
from cartrial.cli.main import _app as app
from cartrial.protocol import bundled_names, load_protocol, protocol_hash

protocol_app = typer.Typer(help="Show and check protocol files.", no_args_is_help=True)
app.add_typer(protocol_app, name="protocol")


@protocol_app.command("show")
def show(
    protocol: str = typer.Argument(..., help="Bundled name (e.g. ct071) or path to a YAML file."),
    as_json: bool = JsonOption,
) -> None:
    """Print a validated protocol (all defaults filled in)."""
    with bad_input_exits():
        p = load_protocol(protocol)
        digest = protocol_hash(protocol)
    if as_json:
        print_json({"protocol": p.model_dump(mode="json"), "sha256": digest})
        return
    console.print(f"# {p.study_id} v{p.version} (sha256 {digest[:12]})", markup=False)
    console.print(yaml.safe_dump(p.model_dump(mode="json"), sort_keys=False), markup=False)


@protocol_app.command("list")
def list_bundled(as_json: bool = JsonOption) -> None:
    """List the bundled protocols."""
    names = bundled_names()
    if as_json:
        print_json(names)
    else:
        for n in names:
            console.print(n)


@protocol_app.command("check")
def check(
    protocol: str = typer.Argument(..., help="Bundled name or path to a YAML file."),
    as_json: bool = JsonOption,
) -> None:
    """Validate a protocol file; exit 2 with one line per problem (key path, value, expected)."""
    with bad_input_exits():
        p = load_protocol(protocol)
    if as_json:
        print_json({"valid": True, "study_id": p.study_id})
    else:
        console.print(f"{protocol}: valid ({p.study_id}, {len(p.dose_levels)} dose levels)")
