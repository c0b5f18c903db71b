"""`cartrial decide DIR --protocol P [--as-of DATE] [--history]`: what the committee sees."""

from __future__ import annotations

from datetime import date

import typer
from rich.table import Table

from cartrial.cli._common import (
    JsonOption,
    ProtocolOption,
    bad_input_exits,
    console,
    load_validated,
    print_json,
)
from cartrial.cli.main import _app as app

PATIENT_COLUMNS = ["USUBJID", "DOSE_LEVEL", "PART", "COHORT", "INFUSION_DATE", "DLT",
                   "DLT_EVALUABLE", "FOLLOWUP_DAY", "DLT_RULE", "DLT_TERM", "DLT_ONSET_DAY",
                   "ENGINE_DLT", "DLT_SOURCE", "ADJ_RATIONALE"]


@app.command("decide")
def decide(
    data_dir: str = typer.Argument(..., help="Folder of SDTM datasets (<domain>.csv or .xpt)."),
    protocol: str = ProtocolOption,
    as_of: str = typer.Option(None, "--as-of", help="Data cut-off YYYY-MM-DD: only what was "
                              "recorded by then is used (reproduces a past committee meeting)."),
    history: bool = typer.Option(False, "--history", help="Also print the escalation history "
                                 "re-derived from the data (each decision as known then)."),
    db: str = typer.Option(None, "--db", help="Committee workspace database (SQLAlchemy URL, "
                           "e.g. sqlite:///sdtm/committee.sqlite): its DLT adjudications "
                           "dated by the cut-off replace the engine's call."),
    as_json: bool = JsonOption,
) -> None:
    """Per-dose table (treated, evaluable, DLTs, pending) and the design's recommendation.

    The study is validated first (errors: exit 2 with the findings; warnings shown). Only
    escalation patients (SUPPDM PART) enter the decision; expansion patients never do.
    """
    from cartrial.conduct import decide_study, escalation_history
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
        study = load_validated(data_dir, proto)
        adjudications = _adjudications(db) if db else None
        result = decide_study(study, proto, cut, adjudications=adjudications)
        hist = escalation_history(study, proto, until=cut) if history else None
        from cartrial.conduct.dose_efficacy import dose_efficacy_at  # efficacy, expansion (#20)

        eff = dose_efficacy_at(study, proto, result.patients, cut)
        from cartrial.cli.decide_efficacy import print_rose, uboin_part  # (#20)

        eff, ub = uboin_part(proto, result, eff)
        from cartrial.cli.decide_boinet import boinet_part  # BOIN-ET's rates (#20)

        eff, et = boinet_part(proto, result, eff)
        from cartrial.conduct.rose_state import rose_stage_at  # randomised stage (#20)

        rose = rose_stage_at(study, proto, result.selected, cut,
                             escalation_stopped=result.phase == "expansion")
    rec = result.recommendation
    d = rec.decision
    next_dose = None if d.next_dose is None else proto.dose_levels[d.next_dose].id
    if result.phase == "expansion":
        action, next_dose = "stopped", None
    else:
        action = d.action
    if as_json:
        print_json({
            "protocol": proto.study_id, "protocol_sha256": protocol_hash(protocol),
            "data_sha256": result.data_hash, "as_of": result.as_of, "design": rec.design,
            "phase": result.phase, "status": result.status or None,
            "stopped_on": result.stopped_on, "selected_dose": result.selected,
            "action": action, "next_dose": next_dose, "reason": d.reason, "rule": d.rule,
            "eliminated": [proto.dose_levels[j].id for j in d.eliminated],
            "doses": rec.table, "patients": result.patients[[c for c in PATIENT_COLUMNS
                                                             if c in result.patients]],
            **({"history": hist} if hist is not None else {}),
            **({"efficacy": eff, "efficacy_outcome": proto.design.efficacy.label}
               if eff is not None else {}),
            **({"uboin": ub} if ub is not None else {}),
            **({"boinet": et} if et is not None else {}),
            **({"randomised_stage": rose.summary()} if rose is not None else {}),
        })
        return
    _print(proto, result, action, next_dose, hist)
    if eff is not None:
        from cartrial.cli.decide_efficacy import print_efficacy

        print_efficacy(proto, eff, ub)
    if et is not None:
        from cartrial.cli.decide_boinet import print_boinet

        print_boinet(et, proto)
    if rose is not None:
        print_rose(rose)


def _adjudications(url: str):
    """The committee's DLT adjudications from the workspace database (its audit chain must
    verify; the database must exist: reading never creates one)."""
    from pathlib import Path

    from sqlalchemy.engine import make_url

    from cartrial.committee import load_audit_key, open_store, verify_audit
    from cartrial.committee.adjudication import adjudication_frame
    from cartrial.errors import InputError

    try:
        parsed = make_url(url)
    except Exception:  # noqa: BLE001 - any malformed URL is bad input
        raise InputError(f"--db {url!r} is not a database URL (e.g. sqlite:///committee.sqlite)"
                         ) from None
    if parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").is_file():
        raise InputError(f"--db {url!r}: no such database file")
    store = open_store(url, key=load_audit_key())
    rep = verify_audit(store)
    if not rep.ok:
        raise InputError(f"--db {url!r}: the audit chain does not verify ("
                         + "; ".join(rep.problems[:3]) + "); its adjudications are not used")
    return adjudication_frame(store)


def _print(proto, result, action: str, next_dose: str | None, hist) -> None:
    rec = result.recommendation
    title = (f"{proto.study_id}: {rec.design}, escalation patients"
             + (f", data as of {result.as_of}" if result.as_of else ""))
    t = Table("dose", "treated", "evaluable", "DLTs", "pending (follow-up)", "days left",
              "not evaluable", "eliminated", title=title)
    for r in rec.table.itertuples(index=False):
        t.add_row(f"{r.DOSE_ID} {r.DOSE}", str(r.TREATED), str(r.EVALUABLE), str(r.DLT),
                  f"{r.PENDING}" + (f" ({r.PENDING_FOLLOWUP})" if r.PENDING else ""),
                  "" if r.DAYS_LEFT_MIN != r.DAYS_LEFT_MIN else f"{r.DAYS_LEFT_MIN:g}",
                  str(r.NOT_EVALUABLE), "yes" if r.ELIMINATED else "")
    console.print(t)
    if result.status:
        console.print(f"Status: {result.status}", markup=False)
    if result.phase == "expansion":
        console.print("Recommendation: none (the escalation has stopped)", markup=False)
        console.print(f"Stopping rule: {rec.decision.reason}", markup=False)
    else:
        console.print(f"Recommendation: {action.upper()}"
                      + (f" -> {next_dose}" if next_dose else ""), markup=False)
        console.print(f"Rule: {rec.decision.reason}", markup=False)
    if hist is not None:
        h = Table("date", "cohort", "dose", "action", "next dose", "recorded next",
                  title="Escalation history (re-derived from the data)")
        for r in hist.itertuples(index=False):
            h.add_row(str(r.date), "" if r.cohort != r.cohort else str(int(r.cohort)),
                      str(r.current_dose), str(r.action), str(r.next_dose),
                      "" if not isinstance(r.recorded_dose, str) else r.recorded_dose)
        console.print(h)
