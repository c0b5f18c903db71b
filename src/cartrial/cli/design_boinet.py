"""`cartrial design boinet simulate`: BOIN-ET operating characteristics (Takeda et al. 2018).

Thin layer over :func:`cartrial.design.simulate_boinet.simulate_boinet`.
"""

from __future__ import annotations

from pathlib import Path

import typer

from cartrial.cli._common import JsonOption, bad_input_exits, console, print_json
from cartrial.cli.design import design_app
from cartrial.cli.design_phase12 import _show, parse_floats
from cartrial.design.boin12_tables import table_csv
from cartrial.design.boinet import BoinEt
from cartrial.design.simulate_boinet import simulate_boinet

boinet_app = typer.Typer(
    help="BOIN-ET phase I/II design: operating characteristics.", no_args_is_help=True
)
design_app.add_typer(boinet_app, name="boinet")

EstimateOption = typer.Option("obs", "--estimate", help="Response estimate: obs or multi-iso.")
ObdOption = typer.Option(
    "max-effprob",
    "--obd-method",
    help="max-effprob, utility-weighted, utility-truncated-linear or utility-scoring.",
)
OutOption = typer.Option(None, "--out", help="Directory for boinet_oc.csv.")


@boinet_app.command("simulate")
def simulate(
    true_tox: str = typer.Option(..., "--true-tox", help="True DLT probabilities, e.g. 0.1,0.2"),
    true_eff: str = typer.Option(..., "--true-eff", help="True response probabilities."),
    target: float = typer.Option(0.3, "--target", help="phi: target DLT probability."),
    delta: float = typer.Option(0.6, "--delta", help="delta: target response probability."),
    cohort_size: int = typer.Option(3, "--cohort-size", help="Patients per cohort."),
    max_n: int = typer.Option(30, "--max-n", help="Maximum sample size."),
    estimate: str = EstimateOption,
    obd_method: str = ObdOption,
    trials: int = typer.Option(10_000, "--trials", help="Number of simulated trials."),
    seed: int = typer.Option(0, "--seed", help="SeedSequence seed."),
    random_ties: bool = typer.Option(False, "--random-ties", help="Break ties at random."),
    out: Path = OutOption,
    as_json: bool = JsonOption,
) -> None:
    """% selected as OBD and patients per dose (last row, dose 0: no OBD)."""
    with bad_input_exits():
        tox = parse_floats(true_tox, "--true-tox")
        d = BoinEt(
            n_doses=len(tox),
            target=target,
            delta=delta,
            cohort_size=cohort_size,
            max_sample_size=max_n,
            estimate=estimate,
            obd_method=obd_method,
        )
        oc = simulate_boinet(
            d,
            tox,
            parse_floats(true_eff, "--true-eff"),
            n_trials=trials,
            seed=seed,
            random_ties=random_ties,
        )
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "boinet_oc.csv").write_text(table_csv(oc), encoding="utf-8")
    b = d.boundaries
    if as_json:
        print_json({"lambda1": b.lambda1, "lambda2": b.lambda2, "eta1": b.eta1, "per_dose": oc})
        return
    _show(
        f"BOIN-ET, {trials} trials (lambda1 {b.lambda1:g}, lambda2 {b.lambda2:g}, eta1 {b.eta1:g})",
        oc,
    )
    console.print("dose 0 = trials with no OBD")
