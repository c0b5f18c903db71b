"""`cartrial decide DIR --protocol P [--as-of DATE]`: what the committee sees."""

from __future__ import annotations

from datetime import date

import typer
from rich.table import Table

from cartrial.cli._common import JsonOption, bad_input_exits, console, print_json
from cartrial.cli.main import _app as app


@app.command("decide")
def decide(
    data_dir: str = typer.Argument(..., help="Folder of SDTM datasets (<domain>.csv or .xpt)."),
    protocol: str = typer.Option("ct071", "--protocol", "-p", help="Bundled name or YAML path."),
    as_of: str = typer.Option(None, "--as-of", help="Data cut-off YYYY-MM-DD: only what was "
                              "recorded by then is used (reproduces a past committee meeting)."),
    as_json: bool = JsonOption,
) -> None:
    """Per-dose table (treated, evaluable, DLTs, pending) and the design's recommendation."""
    from cartrial.conduct import decide_study
    from cartrial.data import load_study
    from cartrial.errors import InputError
    from cartrial.protocol import load_protocol, protocol_hash

    with bad_input_exits():
        cut = None
        if as_of is not None:
            try:
                cut = date.fromisoformat(as_of)
            except ValueError:
                raise InputError(f"--as-of must be a date YYYY-MM-DD, got {as_of!r}") from None
        proto = load_protocol(protocol)
        result = decide_study(load_study(data_dir), proto, cut)
    rec = result.recommendation
    d = rec.decision
    next_dose = None if d.next_dose is None else proto.dose_levels[d.next_dose].id
    if as_json:
        cols = ["USUBJID", "DOSE_LEVEL", "INFUSION_DATE", "DLT", "DLT_EVALUABLE", "FOLLOWUP_DAY",
                "DLT_RULE", "DLT_TERM", "DLT_ONSET_DAY"]
        print_json({
            "protocol": proto.study_id, "protocol_sha256": protocol_hash(protocol),
            "data_sha256": result.data_hash, "as_of": result.as_of, "design": rec.design,
            "action": d.action, "next_dose": next_dose, "reason": d.reason, "rule": d.rule,
            "eliminated": [proto.dose_levels[j].id for j in d.eliminated],
            "doses": rec.table, "patients": result.patients[[c for c in cols
                                                             if c in result.patients]],
        })
        return
    title = f"{proto.study_id}: {rec.design}" + (f", data as of {result.as_of}" if cut else "")
    t = Table("dose", "treated", "evaluable", "DLTs", "pending (follow-up)", "days left",
              "not evaluable", "eliminated", title=title)
    for r in rec.table.itertuples(index=False):
        t.add_row(f"{r.DOSE_ID} {r.DOSE}", str(r.TREATED), str(r.EVALUABLE), str(r.DLT),
                  f"{r.PENDING}" + (f" ({r.PENDING_FOLLOWUP})" if r.PENDING else ""),
                  "" if r.DAYS_LEFT_MIN != r.DAYS_LEFT_MIN else f"{r.DAYS_LEFT_MIN:g}",
                  str(r.NOT_EVALUABLE), "yes" if r.ELIMINATED else "")
    console.print(t)
    console.print(f"Recommendation: {d.action.upper()}"
                  + (f" -> {next_dose}" if next_dose else ""), markup=False)
    console.print(f"Rule: {d.reason}", markup=False)
