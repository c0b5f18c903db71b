"""`cartrial validate DIR --protocol P`: every data problem in one pass."""

from __future__ import annotations

import typer
from rich.table import Table

from cartrial.cli._common import (
    EXIT_BAD_INPUT,
    JsonOption,
    ProtocolOption,
    bad_input_exits,
    console,
    print_json,
)
from cartrial.cli.main import _app as app


@app.command("validate")
def validate(
    data_dir: str = typer.Argument(..., help="Folder of SDTM datasets (<domain>.csv or .xpt)."),
    protocol: str = ProtocolOption,
    as_json: bool = JsonOption,
) -> None:
    """Check a study against the data model and the protocol.

    Each finding names domain, USUBJID, --SEQ, variable, value and rule. Exit 0 when clean or
    warnings only, 2 on errors.
    """
    from cartrial.data import load_study, validate_study
    from cartrial.protocol import load_protocol

    with bad_input_exits():
        proto = load_protocol(protocol)
        study = load_study(data_dir)
        report = validate_study(study, proto)
    if as_json:
        print_json({
            "study": data_dir, "protocol": proto.study_id, "errors": report.n_errors,
            "warnings": report.n_warnings, "findings": report.findings,
        })
    elif report.findings.empty:
        console.print(f"{data_dir}: valid ({len(study.domains)} domains, no findings)")
    else:
        t = Table("severity", "rule", "domain", "USUBJID", "--SEQ", "variable", "value", "message",
                  show_lines=False)
        for r in report.findings.itertuples(index=False):
            t.add_row(r.severity, r.rule_id, r.domain, _s(r.usubjid), _s(r.seq), _s(r.variable),
                      _s(r.value), r.rule)
        console.print(t)
        console.print(f"{report.n_errors} error(s), {report.n_warnings} warning(s)")
    if not report.ok:
        raise typer.Exit(EXIT_BAD_INPUT)


def _s(v: object) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)
