"""`cartrial design uboin simulate | table`: U-BOIN (Zhou, Lee & Yuan, Stat Med 2019).

Thin layer over :func:`cartrial.design.simulate_uboin.simulate_uboin` and
:func:`cartrial.design.uboin_tables.posterior_table`; ``--protocol`` takes the design
(``name: u-boin``) and the number of doses from a protocol.
"""

from __future__ import annotations

from pathlib import Path

import typer

from cartrial.cli._common import JsonOption, bad_input_exits, console, print_json
from cartrial.cli.design import design_app
from cartrial.cli.design_phase12 import _show, parse_floats
from cartrial.design.boin12_tables import table_csv, table_markdown
from cartrial.design.simulate_uboin import simulate_uboin
from cartrial.design.uboin import Uboin, uboin_from_spec
from cartrial.design.uboin_tables import posterior_table, table_json
from cartrial.errors import InputError

uboin_app = typer.Typer(
    help="U-BOIN phase I/II design: posterior utility table, operating characteristics.",
    no_args_is_help=True,
)
design_app.add_typer(uboin_app, name="uboin")

ProtocolOption = typer.Option(None, "--protocol", help="Take the design (name: u-boin) from it.")
TargetOption = typer.Option(0.3, "--target", help="phi_T: highest acceptable DLT probability.")
PhiEOption = typer.Option(0.2, "--phi-e", help="phi_E: lowest acceptable response probability.")
U11Option = typer.Option(60.0, "--u11", help="Utility of a response with DLT (0-100).")
U00Option = typer.Option(40.0, "--u00", help="Utility of neither response nor DLT (0-100).")
Stage1Option = typer.Option(9, "--stage1-per-dose", help="Stage II once a dose has this many.")
CapOption = typer.Option(None, "--cap", help="Patients at one dose that stop stage II.")
MaxNOption = typer.Option(30, "--max-n", help="Maximum sample size.")
CohortOption = typer.Option(3, "--cohort-size", help="Patients per cohort.")
OcOutOption = typer.Option(None, "--out", help="Directory for uboin_oc.csv.")
TableOutOption = typer.Option(None, "--out", help="Directory for CSV, JSON and Markdown files.")


def _design(protocol: str | None, n_doses: int, **kw: object) -> Uboin:
    if protocol is None:
        return Uboin(n_doses=n_doses, **kw)  # type: ignore[arg-type]
    from cartrial.protocol import load_protocol

    p = load_protocol(protocol)
    if p.design.name != "u-boin":
        raise InputError(f"{protocol}: design.name is {p.design.name!r}, not u-boin")
    return uboin_from_spec(p.design, len(p.dose_levels))


@uboin_app.command("simulate")
def simulate(
    true_tox: str = typer.Option(..., "--true-tox", help="True DLT probabilities, e.g. 0.1,0.2"),
    true_eff: str = typer.Option(..., "--true-eff", help="True response probabilities."),
    protocol: str = ProtocolOption,
    target: float = TargetOption,
    phi_e: float = PhiEOption,
    u11: float = U11Option,
    u00: float = U00Option,
    stage1_per_dose: int = Stage1Option,
    cap: int = CapOption,
    cohort_size: int = CohortOption,
    max_n: int = MaxNOption,
    psi: float = typer.Option(0.0, "--gumbel-psi", help="DLT-response association (0: none)."),
    trials: int = typer.Option(10_000, "--trials", help="Number of simulated trials."),
    seed: int = typer.Option(0, "--seed", help="SeedSequence seed."),
    out: Path = OcOutOption,
    as_json: bool = JsonOption,
) -> None:
    """% selected as OBD, patients, DLTs and responses per dose; early stops."""
    with bad_input_exits():
        tox = parse_floats(true_tox, "--true-tox")
        d = _design(
            protocol,
            len(tox),
            target=target,
            phi_e=phi_e,
            response_dlt=u11,
            no_response_no_dlt=u00,
            stage1_per_dose=stage1_per_dose,
            cap_per_dose=cap,
            cohort_size=cohort_size,
            max_sample_size=max_n,
        )
        oc = simulate_uboin(
            d, tox, parse_floats(true_eff, "--true-eff"), trials, seed, gumbel_psi=psi
        )
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "uboin_oc.csv").write_text(table_csv(oc.per_dose), encoding="utf-8")
    if as_json:
        print_json(
            {
                "true_obd": None if oc.true_obd is None else oc.true_obd + 1,
                "overall": oc.overall,
                "settings": oc.settings,
                "method": oc.method,
                "per_dose": oc.per_dose,
            }
        )
        return
    _show(f"U-BOIN, {oc.method}", oc.per_dose)
    tobd = "none" if oc.true_obd is None else f"dose {oc.true_obd + 1}"
    o = oc.overall
    console.print(
        f"true OBD {tobd}: selected {o['obd_selected_pct']:.1f}% "
        f"(SE {o['obd_selected_pct_se']:.1f}); "
        f"no OBD {o['no_obd_pct']:.1f}%; early stop {o['early_stop_pct']:.1f}%; "
        f"mean patients {o['mean_patients']:.1f}"
    )


@uboin_app.command("table")
def table(
    protocol: str = ProtocolOption,
    target: float = TargetOption,
    phi_e: float = PhiEOption,
    u11: float = U11Option,
    u00: float = U00Option,
    sizes: str = typer.Option("3,6,9", "--sizes", help="Patients at a dose, e.g. 3,6,9."),
    out: Path = TableOutOption,
    as_json: bool = JsonOption,
) -> None:
    """Stage-II posterior mean utility and admissibility by counts at a dose."""
    with bad_input_exits():
        d = _design(
            protocol, 1, target=target, phi_e=phi_e, response_dlt=u11, no_response_no_dlt=u00
        )
        frame = posterior_table(d, [int(v) for v in parse_floats(sizes, "--sizes")])
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "uboin_table.csv").write_text(table_csv(frame), encoding="utf-8")
        (out / "uboin_table.json").write_text(table_json(frame, d), encoding="utf-8")
        (out / "uboin_table.md").write_text(table_markdown(frame), encoding="utf-8")
    if as_json:
        print_json(
            {
                "settings": {
                    "target": d.target,
                    "phi_e": d.phi_e,
                    "c_t": d.c_t,
                    "c_e": d.c_e,
                    "prior": d.prior,
                },
                "rows": frame,
            }
        )
        return
    _show(f"U-BOIN stage II: posterior mean utility (Dirichlet({d.prior:g}) prior)", frame)
