"""`cartrial design boin12 simulate`: BOIN12 operating characteristics, one or many scenarios.

Thin layer over :func:`cartrial.design.simulate_boin12.simulate_boin12`. A scenario file is a CSV
with columns ``scenario``, ``tox1``..``toxK`` and ``eff1``..``effK`` (true DLT and response
probability per dose).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import typer

from cartrial.cli._common import JsonOption, bad_input_exits, console, print_json
from cartrial.cli.design_phase12 import (
    CohortOption,
    MaxNOption,
    NStarOption,
    PhiEOption,
    ProtocolOption,
    StartOption,
    TargetOption,
    U00Option,
    U11Option,
    _show,
    boin12_app,
    design_from_options,
    parse_floats,
    start_index,
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
    target: float = TargetOption,
    phi_e: float = PhiEOption,
    u11: float = U11Option,
    u00: float = U00Option,
    cohort_size: int = CohortOption,
    max_n: int = MaxNOption,
    n_star: int = NStarOption,
    start_dose: int = StartOption,
    trials: int = typer.Option(10_000, "--trials", help="Number of simulated trials."),
    seed: int = typer.Option(0, "--seed", help="SeedSequence seed (same for every scenario)."),
    random_ties: bool = typer.Option(
        False, "--random-ties", help="Break desirability ties at random (authors' code)."
    ),
    gumbel_psi: float = typer.Option(
        0.0, "--gumbel-psi", help="DLT-response association (Gumbel psi; 0 = independent)."
    ),
    per_month: float = typer.Option(
        None, "--patients-per-month", help="Accrual rate: report trial duration (days)."
    ),
    assessment_days: float = typer.Option(
        0.0, "--assessment-days", help="Days until DLT and response are known (duration)."
    ),
    tite: bool = typer.Option(
        False, "--tite", help="TITE-BOIN12 (Zhou et al., Stat Med 2022): decide with pending "
        "outcomes; needs --patients-per-month (or a tite-boin12 protocol's windows)."
    ),
    tox_window: float = typer.Option(28.0, "--tox-window", help="TITE: DLT window (days)."),
    eff_window: float = typer.Option(84.0, "--eff-window", help="TITE: response window (days)."),
    out: Path = OcOutOption,
    as_json: bool = JsonOption,
) -> None:
    """Operating characteristics: % OBD selection, % per dose, patients, DLTs, responses."""
    with bad_input_exits():
        if scenarios is not None:
            scen = read_scenarios(scenarios)
        elif true_tox and true_eff:
            scen = [
                ("1", parse_floats(true_tox, "--true-tox"), parse_floats(true_eff, "--true-eff"))
            ]
        else:
            raise InputError("give --true-tox and --true-eff, or --scenarios")
        d = design_from_options(
            protocol, len(scen[0][1]), target, phi_e, u11, u00, cohort_size, max_n, n_star
        )
        start = start_index(protocol, start_dose, d.n_doses)
        if tite or (protocol and load_protocol(protocol).design.name == "tite-boin12"):
            from cartrial.cli.design_phase12_tite import run_tite

            runs = run_tite(d, scen, protocol, tox_window, eff_window, per_month, trials, seed,
                            start, gumbel_psi)
        else:
            runs = {name: simulate_boin12(d, t, e, n_trials=trials, seed=seed, start_dose=start,
                                          random_ties=random_ties, gumbel_psi=gumbel_psi,
                                          patients_per_month=per_month,
                                          assessment_days=assessment_days)
                    for name, t, e in scen}
    _write(runs, out)
    if as_json:
        print_json(
            {name: _as_dict(oc) for name, oc in runs.items()}
            if len(runs) > 1
            else _as_dict(next(iter(runs.values())))
        )
        return
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


def _as_dict(oc: Boin12Oc) -> dict[str, object]:
    return {
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
