"""`cartrial design boin12 simulate`: BOIN12 operating characteristics, one or many scenarios.

Thin layer over :func:`cartrial.design.simulate_boin12.simulate_boin12`. A scenario file is a CSV
with columns ``scenario``, ``tox1``..``toxK`` and ``eff1``..``effK`` (true DLT and response
probability per dose).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import typer

from cartrial.cli import _phase12_options as O
from cartrial.cli._common import JsonOption, bad_input_exits, console, print_json
from cartrial.cli._scenario_rules import refuse_falling_tox
from cartrial.cli.design_phase12 import (
    ProtocolOption,
    _show,
    boin12_app,
    boin12_design,
    parse_floats,
)
from cartrial.design.boin12_tables import table_csv
from cartrial.design.simulate_boin12 import Boin12Oc, simulate_boin12
from cartrial.errors import InputError, RecordError
from cartrial.protocol import load_protocol

SHOWN = [
    "dose",
    "true_tox",
    "true_eff",
    "true_utility",
    "selected_pct",
    "patients",
    "dlt",
    "responses",
]
OcOutOption = typer.Option(None, "--out", help="Directory for boin12_oc.csv and overall.csv.")
ScenarioFileOption = typer.Option(
    None, "--scenarios", help="CSV: scenario, tox1..toxK, eff1..effK (replaces --true-tox/eff)."
)


def read_scenarios(path: Path) -> list[tuple[str, list[float], list[float]]]:
    """(name, true DLT, true response probabilities) per row of a scenario CSV.

    Raises
    ------
    RecordError
        A missing column, or a value that is not a probability (names row and column).
    """
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError) as exc:
        raise InputError(f"cannot read scenario file {path}: {exc}") from None
    tox = sorted((c for c in frame.columns if c.startswith("tox")), key=lambda c: int(c[3:]))
    eff = [f"eff{c[3:]}" for c in tox]
    missing = [c for c in ["scenario", *eff] if c not in frame.columns]
    if not tox or missing:
        raise InputError(
            f"scenario file {path}: needs columns scenario, tox1.., eff1..; "
            f"missing {missing or ['tox1']}"
        )
    out = []
    for i, row in frame.iterrows():
        vals = []
        for c in [*tox, *eff]:
            try:
                v = float(row[c])
            except ValueError:
                v = float("nan")
            if not 0 <= v <= 1:
                raise RecordError(
                    domain="scenarios",
                    usubjid=row["scenario"],
                    seq=int(i) + 2,
                    variable=c,
                    value=row[c],
                    rule="a probability in [0, 1]",
                )
            vals.append(v)
        out.append((str(row["scenario"]), vals[: len(tox)], vals[len(tox) :]))
    return out


@boin12_app.command("simulate")
def simulate(
    true_tox: str = typer.Option(None, "--true-tox", help="True DLT probabilities, e.g. 0.1,0.2"),
    true_eff: str = typer.Option(None, "--true-eff", help="True response probabilities."),
    scenarios: Path = ScenarioFileOption,
    protocol: str = ProtocolOption,
    target: float = O.target_opt(0.35),
    phi_e: float = O.phi_e_opt(0.25),
    u11: float = O.U11,
    u00: float = O.U00,
    cohort_size: int = O.COHORT,
    max_n: int = O.MAX_N,
    n_star: int = O.N_STAR,
    explore: bool = O.EXPLORE,
    n_explore: int = O.N_EXPLORE,
    c_t: float = O.C_T,
    c_e: float = O.C_E,
    cap_per_dose: int = O.CAP,
    start_dose: int = O.START,
    trials: int = O.TRIALS,
    seed: int = O.SEED,
    random_ties: bool = typer.Option(
        False, "--random-ties", help="Break desirability ties at random (authors' code)."
    ),
    gumbel_psi: float = O.PSI,
    per_month: float = O.opt("--patients-per-month", "Accrual rate: report trial duration "
                             "(days); TITE: needed (a protocol gives its accrual).", None),
    assessment_days: float = O.opt("--assessment-days", "Days until DLT and response are known "
                                   "(duration; not TITE).", 0.0),
    tite: bool = typer.Option(
        False, "--tite", help="TITE-BOIN12 (Zhou et al., Stat Med 2022): decide with pending "
        "outcomes; needs --patients-per-month (or a tite-boin12 protocol's windows)."
    ),
    tox_window: float = O.opt("--tox-window", "TITE: DLT window (days).", 28.0),
    eff_window: float = O.opt("--eff-window", "TITE: response window (days).", 84.0),
    max_pending: float = O.opt("--max-pending", "TITE: suspend accrual while more than this "
                               "fraction of a dose's patients are pending.", 0.5),
    out: Path = OcOutOption,
    as_json: bool = JsonOption,
) -> None:
    """Operating characteristics: % OBD selection, % per dose, patients, DLTs, responses.

    With --protocol, each option given overrides the protocol's setting (noted in the output).
    """
    with bad_input_exits():
        scen = _scenarios(scenarios, true_tox, true_eff)
        given = {"--target": target, "--phi-e": phi_e, "--u11": u11, "--u00": u00,
                 "--cohort-size": cohort_size, "--max-n": max_n, "--n-star": n_star,
                 "--c-t": c_t, "--c-e": c_e, "--cap-per-dose": cap_per_dose}
        d, notes = boin12_design(protocol, len(scen[0][1]), given, explore, n_explore)
        p = load_protocol(protocol) if protocol else None
        start, more = O.start_of(start_dose, d.n_doses, protocol, p and p.start_index)
        for flag, v in [("--trials", trials), ("--seed", seed), ("--gumbel-psi", gumbel_psi),
                        ("--patients-per-month", per_month),
                        ("--assessment-days", assessment_days)]:
            O.check(flag, v)
        is_tite = tite or (p is not None and p.design.name == "tite-boin12")
        windows = {"--tox-window": tox_window, "--eff-window": eff_window,
                   "--max-pending": max_pending}
        _refuse_unused(is_tite, windows, assessment_days, random_ties)
        if is_tite:
            from cartrial.cli.design_phase12_tite import run_tite

            runs, tnotes = run_tite(d, scen, p, protocol, windows, per_month,
                                    (trials, seed, start), gumbel_psi)
            notes += tnotes
        else:
            runs = {name: simulate_boin12(d, t, e, n_trials=trials, seed=seed, start_dose=start,
                                          random_ties=random_ties, gumbel_psi=gumbel_psi,
                                          patients_per_month=per_month,
                                          assessment_days=assessment_days or 0.0)
                    for name, t, e in scen}
    _write(runs, out)
    _report(runs, notes + more, as_json)


def _refuse_unused(tite: bool, windows: dict[str, float | None], assessment_days: float | None,
                   random_ties: bool) -> None:
    """An option the chosen simulation does not use is an error, not silently dropped."""
    if tite:
        unused = [f for f, v in [("--assessment-days", assessment_days),
                                 ("--random-ties", random_ties or None)] if v is not None]
        why = "TITE-BOIN12 uses --tox-window / --eff-window and breaks ties to the higher dose"
    else:
        unused = [f for f, v in windows.items() if v is not None]
        why = "they are TITE-BOIN12 settings: add --tite (or use a tite-boin12 protocol)"
    if unused:
        raise InputError(f"{', '.join(unused)} not used here: {why}")


def _scenarios(path: Path | None, tox: str | None, eff: str | None) -> list:
    if path is not None:
        scen = read_scenarios(path)
    elif tox and eff:
        scen = [("1", parse_floats(tox, "--true-tox"), parse_floats(eff, "--true-eff"))]
    else:
        raise InputError("give --true-tox and --true-eff, or --scenarios")
    for name, t, _ in scen:  # the one rule of every simulate verb
        refuse_falling_tox(name, t, "--true-tox" if path is None else str(path))
    return scen


def _report(runs: dict[str, Boin12Oc], notes: list[str], as_json: bool) -> None:
    if as_json:
        print_json(
            {name: _as_dict(oc, notes) for name, oc in runs.items()}
            if len(runs) > 1
            else _as_dict(next(iter(runs.values())), notes)
        )
        return
    for note in notes:
        console.print(f"note: {note}", markup=False)
    _print(runs)


def _print(runs: dict[str, Boin12Oc]) -> None:
    """Per scenario: the per-dose table and the overall operating characteristics."""
    for name, oc in runs.items():
        _show(f"{oc.settings.get('design', 'boin12').upper()} scenario {name} ({oc.method})",
              oc.per_dose[SHOWN])
        tobd = "none" if oc.true_obd is None else f"dose {oc.true_obd + 1}"
        o = oc.overall
        console.print(
            f"true OBD {tobd}: selected {o['obd_selected_pct']:.1f}% (MC SE "
            f"{o['obd_selected_pct_se']:.2f}); early stop {o['early_stop_pct']:.1f}%; mean "
            f"patients {o['mean_patients']:.1f}, DLTs {o['mean_dlt']:.2f}, responses "
            f"{o['mean_responses']:.2f}"
        )
        if "mean_duration_days" in o:
            console.print(f"mean duration {o['mean_duration_days']:.0f} days")


def _as_dict(oc: Boin12Oc, notes: list[str]) -> dict[str, object]:
    return {
        "notes": notes,
        "method": oc.method,
        "true_obd": None if oc.true_obd is None else oc.true_obd + 1,
        "overall": oc.overall,
        "per_dose": oc.per_dose,
        "settings": oc.settings,
    }


def _write(runs: dict[str, Boin12Oc], out: Path | None) -> None:
    if out is None:
        return
    out.mkdir(parents=True, exist_ok=True)
    per = pd.concat([oc.per_dose.assign(scenario=name) for name, oc in runs.items()])
    overall = pd.DataFrame(
        [{"scenario": name, "true_obd": oc.true_obd} | oc.overall for name, oc in runs.items()]
    )
    overall["true_obd"] = overall["true_obd"].map(lambda v: "" if v is None else int(v) + 1)
    cols = ["scenario", *[c for c in per.columns if c != "scenario"]]
    (out / "boin12_oc.csv").write_text(table_csv(per[cols]), encoding="utf-8")
    (out / "overall.csv").write_text(table_csv(overall), encoding="utf-8")
