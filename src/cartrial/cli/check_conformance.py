"""`cartrial check-conformance DIR`: ADaM structural checks on written datasets."""

from __future__ import annotations

import typer
from rich.table import Table

from cartrial.cli._common import JsonOption, bad_input_exits, console, print_json
from cartrial.cli.main import _app as app
from cartrial.cli.validate import _s


@app.command("check-conformance")
def check_conformance_cmd(
    adam_dir: str = typer.Argument(..., help="Folder of ADaM datasets (*.xpt or Dataset-JSON "
                                   "*.json), e.g. OUT/adam of `cartrial analyze`."),
    as_json: bool = JsonOption,
) -> None:
    """Check ADaM datasets against the ADaM and SAS XPORT structural rules.

    Names, labels, character lengths (set to the longest value, FDA Study Data Technical
    Conformance Guide), required variables per class (ADaMIG v1.3, ADaM OCCDS v1.0, ADaM BDS for
    time-to-event v1.0), one ADSL record per subject, every subject in ADSL, PARAM/PARAMCD one to
    one, numeric dates. Exit 0 when they conform, 1 when findings are errors, 2 on bad input.
    """
    from cartrial.adam.conformance import check_conformance

    with bad_input_exits():
        findings = check_conformance(adam_dir)
    n_err = int((findings["severity"] == "error").sum())
    if as_json:
        print_json({"folder": adam_dir, "errors": n_err, "findings": findings})
    elif findings.empty:
        console.print(f"{adam_dir}: conforms (no findings)")
    else:
        t = Table("severity", "rule", "dataset", "USUBJID", "variable", "value", "message")
        for r in findings.itertuples(index=False):
            t.add_row(r.severity, r.rule_id, r.domain, _s(r.usubjid), _s(r.variable),
                      _s(r.value), r.rule)
        console.print(t)
        console.print(f"{n_err} error(s)")
    if n_err:
        raise typer.Exit(1)
