"""`cartrial design rose size|simulate|list|text`: the randomised ROSE stage after escalation.

Thin layer over :mod:`cartrial.design.rose` (sample size), :mod:`cartrial.design.simulate_rose`
(escalation + randomised stage) and :func:`cartrial.design.rose_spec.randomisation_list`.
"""

from __future__ import annotations

import csv
import io
import itertools
from pathlib import Path
from typing import Any

import typer

from cartrial.cli._common import JsonOption, bad_input_exits, console, print_json
from cartrial.cli.design import design_app
from cartrial.errors import InputError

rose_app = typer.Typer(
    help="ROSE randomised dose-optimisation stage: sample size, simulation, randomisation list.",
    no_args_is_help=True,
)
design_app.add_typer(rose_app, name="rose")

ProtocolOption = typer.Option(..., "--protocol", help="Bundled name or YAML path with "
                              "design.randomised_stage.")
OutOption = typer.Option(None, "--out", help="Directory for the CSV file.")


def _tox(text: str, sid: str) -> list[float]:
    """A scenario's true DLT probabilities; falling with dose exits 2 (cli._scenario_rules)."""
    from cartrial.cli._scenario_rules import refuse_falling_tox

    tox = _floats(text, "--true-tox")
    refuse_falling_tox(sid, tox)
    return tox


def _floats(text: str, what: str) -> list[float]:
    try:
        return [float(v) for v in text.split(",")]
    except ValueError:
        raise InputError(f"{what}: expected comma-separated numbers, got {text!r}") from None


def _write(out: Path | None, name: str, rows: list[dict[str, Any]]) -> None:
    if out is None or not rows:
        return
    out.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]), lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    (out / name).write_text(buf.getvalue(), encoding="utf-8")


def _show(title: str, rows: list[dict[str, Any]]) -> None:
    from rich.table import Table

    t = Table(title=title)
    for c in rows[0]:
        t.add_column(str(c))
    for r in rows:
        t.add_row(*("" if v is None else f"{v:.4g}" if isinstance(v, float) else str(v)
                    for v in r.values()))
    console.print(t)


def _size_row(p: float, delta: float, al: float, ah: float, **kw: Any) -> dict[str, Any]:
    from cartrial.design.rose import rose_design

    d = rose_design(p, delta, al, ah, **kw)
    return {
        "p_high": p, "margin": delta, "pcs_low": al, "pcs_high": ah, **_size_row_of(d),
        "expected_n_low_scenario": d.scenario_low.mean_low + d.scenario_low.mean_high,
        "expected_n_high_scenario": d.scenario_high.mean_low + d.scenario_high.mean_high,
    }


@rose_app.command("size")
def size(
    p_high: str = typer.Option(..., "--p-high", help="Response probability of the higher "
                               "dose, e.g. 0.2,0.3,0.4 (a table over every value)."),
    margin: str = typer.Option("0.1", "--margin", help="delta: lower dose responds with "
                               "p_high - delta in scenario H; comma-separated for a table."),
    pcs_low: str = typer.Option("0.65", "--pcs-low", help="Target PCS when the lower dose "
                                "is the OBD (comma-separated for a table)."),
    pcs_high: str = typer.Option("0.65", "--pcs-high", help="Target PCS when the higher dose "
                                 "is the OBD (comma-separated for a table)."),
    interim: float = typer.Option(None, "--interim", help="Two-stage: interim after this "
                                  "fraction of each arm (e.g. 0.5)."),
    method: str = typer.Option("normal", "--method", help="normal (the paper's closed form) "
                               "or exact (binomial search)."),
    ratio: float = typer.Option(1.0, "--ratio", help="Allocation high:low."),
    max_n: int = typer.Option(200, "--max-n", help="Largest n per arm searched."),
    out: Path = OutOption,
    as_json: bool = JsonOption,
) -> None:
    """Sample size table: smallest n per arm and boundary lambda meeting both PCS targets."""
    with bad_input_exits():
        grid = itertools.product(_floats(p_high, "--p-high"), _floats(margin, "--margin"),
                                 _floats(pcs_low, "--pcs-low"), _floats(pcs_high, "--pcs-high"))
        rows = [_size_row(*g, ratio=ratio, interim_fraction=interim, method=method,
                          max_n=max_n) for g in grid]
    _write(out, "rose_sample_size.csv", rows)
    if as_json:
        print_json(rows)
        return
    short = {"p_high": "p_H", "margin": "delta", "pcs_low": "PCS_L", "pcs_high": "PCS_H",
             "n_low": "n low", "n_high": "n high", "boundary": "lambda", "interim_low": "n1 low",
             "interim_high": "n1 high", "interim_boundary": "lambda1", "exact_pcs_low":
             "exact PCS_L", "exact_pcs_high": "exact PCS_H", "expected_n_low_scenario": "E[N] L",
             "expected_n_high_scenario": "E[N] H"}
    shown = [{short[k]: v for k, v in r.items() if k in short and (interim is not None
              or not k.startswith("interim"))} for r in rows]
    _show(f"ROSE sample size per arm ({rows[0]['method']}; Wang, Yuan & Liu, Biometrics 2025)",
          shown)
    console.print("select the higher dose when p_hat_H - p_hat_L > boundary, else the lower; "
                  "exact_pcs_*: exact binomial PCS of the design", markup=False)


def _stage_spec(protocol: str) -> tuple[Any, Any]:
    from cartrial.protocol import load_protocol

    p = load_protocol(protocol)
    if p.design.randomised_stage is None:
        raise InputError(f"protocol {protocol!r} has no design.randomised_stage")
    return p, p.design.randomised_stage


@rose_app.command("simulate")
def simulate(
    protocol: str = ProtocolOption,
    true_tox: str = typer.Option(..., "--true-tox", help="True DLT probabilities per dose."),
    true_eff: str = typer.Option(..., "--true-eff", help="True response probabilities."),
    true_obd: int = typer.Option(None, "--true-obd", help="Correct dose (1-based; 0 = none). "
                                 "Default: lowest acceptable dose within the margin of the best."),
    trials: int = typer.Option(10_000, "--trials", help="Number of simulated trials."),
    seed: int = typer.Option(0, "--seed", help="SeedSequence seed."),
    out: Path = OutOption,
    as_json: bool = JsonOption,
) -> None:
    """Escalation (the protocol's design) then the randomised ROSE stage, end to end."""
    from cartrial.design.simulate_rose import simulate_rose

    with bad_input_exits():
        p, _ = _stage_spec(protocol)
        obd: Any = "auto" if true_obd is None else (None if true_obd == 0 else true_obd - 1)
        r = simulate_rose(p.design, _tox(true_tox, "1"),
                          _floats(true_eff, "--true-eff"), p.dose_ids, trials, seed,
                          true_obd=obd, start_dose=p.start_index)
    rows = rose_rows(r, p.dose_ids)
    _write(out, "rose_oc.csv", rows)
    if as_json:
        print_json(rose_json(r, rows))
        return
    print_rose(r, rows)


def rose_rows(r: Any, dose_ids: list[str]) -> list[dict[str, Any]]:
    """One row per dose of a :class:`~cartrial.design.simulate_rose.RoseSimulation`, with its
    dose id."""
    rows = [dict(zip(r.per_dose.columns, rec, strict=True))
            for rec in r.per_dose.astype(object).itertuples(index=False)]
    for row, dose_id in zip(rows, dose_ids, strict=True):
        row["dose_id"] = dose_id
    return rows


def rose_json(r: Any, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The simulation as JSON-ready data (true OBD 1-based)."""
    return {"method": r.method, "true_obd": None if r.true_obd is None else r.true_obd + 1,
            "stage": _size_row_of(r.stage), "overall": r.overall, "per_dose": rows}


def print_rose(r: Any, rows: list[dict[str, Any]], title: str = "") -> None:
    """The per-dose table (the columns a reader compares) and the overall line."""
    shown = {"dose_id": "dose", "true_tox": "P(DLT)", "true_eff": "P(resp)",
             "escalation_pct": "% esc.", "selected_pct": "% final",
             "escalation_patients": "n esc.", "stage_patients": "n stage",
             "dlt": "DLTs"}
    _show(title + r.method, [{v: row[k] for k, v in shown.items()} for row in rows])
    o = r.overall
    console.print(
        f"correct selection {o['correct_selection_pct']:.1f}% (SE "
        f"{o['correct_selection_pct_se']:.1f}); randomised {o['randomised_pct']:.1f}%, early "
        f"selection {o['early_selection_pct']:.1f}%; mean patients {o['mean_patients']:.1f} "
        f"(escalation {o['mean_escalation_patients']:.1f}, stage "
        f"{o['mean_stage_patients']:.1f}); stage n per arm {r.stage.n_low}/{r.stage.n_high}, "
        f"boundary {r.stage.boundary:g}" + (f"; escalation lasts {o['mean_escalation_days']:.0f} "
                                           "days on average" if "mean_escalation_days" in o
                                           else ""), markup=False)


def _size_row_of(d: Any) -> dict[str, Any]:
    return {"method": d.method, "n_low": d.n_low, "n_high": d.n_high, "boundary": d.boundary,
            "interim_low": d.interim_low, "interim_high": d.interim_high,
            "interim_boundary": d.interim_boundary, "exact_pcs_low": d.exact_low,
            "exact_pcs_high": d.exact_high}


@rose_app.command("list")
def randomisation(
    protocol: str = ProtocolOption,
    out: Path = OutOption,
    as_json: bool = JsonOption,
) -> None:
    """The seeded randomisation list of the stage (permuted blocks), one row per patient."""
    from cartrial.design.rose_spec import randomisation_list, stage_design

    with bad_input_exits():
        p, st = _stage_spec(protocol)
        d = stage_design(st)
        arms = randomisation_list(st, d.n_low, d.n_high)
    block = st.block_multiple * sum(st.allocation)
    names = st.doses or ["selected - 1", "selected"]
    rows = [{"sequence": i + 1, "block": i // block + 1, "arm": a,
             "dose": names[0] if a == "low" else names[1]} for i, a in enumerate(arms)]
    _write(out, "rose_randomisation.csv", rows)
    if as_json:
        print_json({"seed": st.seed, "n_low": d.n_low, "n_high": d.n_high, "list": rows})
        return
    _show(f"ROSE randomisation list (seed {st.seed}, blocks of {block})", rows)


ScenarioToxOption = typer.Option(
    [], "--true-tox", help="True DLT probabilities of a scenario (repeat per scenario)."
)
ScenarioEffOption = typer.Option(
    [], "--true-eff", help="True response probabilities, one per --true-tox."
)
TrialsOption = typer.Option(10_000, "--trials", help="Simulated trials per scenario.")
ScenarioSeedOption = typer.Option(0, "--seed", help="SeedSequence seed (scenario i: seed + i).")
TextOutOption = typer.Option(None, "--out", help="Directory for rose_protocol_text.md, .docx.")


@rose_app.command("text")
def text(
    protocol: str = ProtocolOption,
    true_tox: list[str] = ScenarioToxOption,
    true_eff: list[str] = ScenarioEffOption,
    trials: int = TrialsOption,
    seed: int = ScenarioSeedOption,
    out: Path = TextOutOption,
) -> None:
    """Statistical section of the randomised stage: design, rule, sample size, OC, references."""
    from cartrial.design.rose_spec import stage_design
    from cartrial.design.rose_text import rose_protocol_text
    from cartrial.design.simulate_rose import simulate_rose

    with bad_input_exits():
        if len(true_tox) != len(true_eff):
            raise InputError("give one --true-eff for each --true-tox (one pair per scenario)")
        p, st = _stage_spec(protocol)
        sims = [simulate_rose(p.design, _tox(t, str(i + 1)), _floats(e, "--true-eff"),
                              p.dose_ids, trials, seed + i, start_dose=p.start_index)
                for i, (t, e) in enumerate(zip(true_tox, true_eff, strict=True))]
        md = rose_protocol_text(st, stage_design(st), p.design.name, p.dose_ids, sims,
                                None if p.design.efficacy is None else p.design.efficacy.label)
    if out is None:
        typer.echo(md, nl=False)
        return
    from cartrial.cli.design_protocol_text import markdown_docx

    out.mkdir(parents=True, exist_ok=True)
    (out / "rose_protocol_text.md").write_text(md, encoding="utf-8")
    (out / "rose_protocol_text.docx").write_bytes(markdown_docx(md))
    typer.echo(f"wrote {out / 'rose_protocol_text.md'} and {out / 'rose_protocol_text.docx'}")
