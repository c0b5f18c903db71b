"""`cartrial design uboin simulate | table`: U-BOIN (Zhou, Lee & Yuan, Stat Med 2019).

Thin layer over :func:`cartrial.design.simulate_uboin.simulate_uboin` and
:func:`cartrial.design.uboin_tables.posterior_table`; ``--protocol`` takes the design
(``name: u-boin``) and the number of doses from a protocol; every setting of the simulation is an
option too (:mod:`cartrial.cli._phase12_options`), overriding the protocol's with a note.
"""

from __future__ import annotations

from pathlib import Path

import typer

from cartrial.cli import _phase12_options as O
from cartrial.cli._common import JsonOption, bad_input_exits, console, print_json
from cartrial.cli._scenario_rules import refuse_falling_tox
from cartrial.cli.design import design_app
from cartrial.cli.design_phase12 import _show, parse_floats
from cartrial.design.boin12_tables import table_csv, table_markdown
from cartrial.design.simulate_uboin import UboinOc, simulate_uboin
from cartrial.design.uboin import Uboin, uboin_from_spec
from cartrial.design.uboin_tables import posterior_table, table_json
from cartrial.errors import InputError
from cartrial.protocol import Protocol, load_protocol

uboin_app = typer.Typer(
    help="U-BOIN phase I/II design: posterior utility table, operating characteristics.",
    no_args_is_help=True,
)
design_app.add_typer(uboin_app, name="uboin")

ProtocolOption = typer.Option(None, "--protocol", help="Take the design (name: u-boin) from it.")
PriorOption = O.opt("--prior", "Dirichlet parameter of each outcome cell.", 0.25)
OcOutOption = typer.Option(None, "--out", help="Directory for uboin_oc.csv.")
TableOutOption = typer.Option(None, "--out", help="Directory for CSV, JSON and Markdown files.")


UBOIN_FIELDS = {
    "--target": "target",
    "--phi-e": "phi_e",
    "--u11": "response_dlt",
    "--u00": "no_response_no_dlt",
    "--prior": "prior",
    "--c-t": "c_t",
    "--c-e": "c_e",
    "--stage1-per-dose": "stage1_per_dose",
    "--stage1-target": "stage1_target",
    "--cohort-size": "cohort_size",
    "--max-n": "max_sample_size",
    "--cap-per-dose": "cap_per_dose",
}


@uboin_app.command("simulate")
def simulate(
    true_tox: str = typer.Option(..., "--true-tox", help="True DLT probabilities, e.g. 0.1,0.2"),
    true_eff: str = typer.Option(..., "--true-eff", help="True response probabilities."),
    protocol: str = ProtocolOption,
    target: float = O.target_opt(0.3),
    phi_e: float = O.phi_e_opt(0.2),
    u11: float = O.U11,
    u00: float = O.U00,
    prior: float = PriorOption,
    c_t: float = O.C_T,
    c_e: float = O.C_E,
    stage1_per_dose: int = O.opt("--stage1-per-dose", "Stage II once a dose has this many.", 9),
    stage1_target: float = O.opt("--stage1-target", "Target of the stage-I BOIN boundaries.",
                                 "--target"),
    cap: int = O.opt("--cap-per-dose", "Patients at one dose that stop stage II.", None, "--cap"),
    cohort_size: int = O.COHORT,
    max_n: int = O.MAX_N,
    start_dose: int = O.START,
    psi: float = O.PSI,
    trials: int = O.TRIALS,
    seed: int = O.SEED,
    out: Path = OcOutOption,
    as_json: bool = JsonOption,
) -> None:
    """% selected as OBD, patients, DLTs and responses per dose; early stops.

    With --protocol, each option given overrides the protocol's setting (noted in the output).
    """
    with bad_input_exits():
        tox = parse_floats(true_tox, "--true-tox")
        refuse_falling_tox("1", tox)  # the one rule of every simulate verb
        given = {"--target": target, "--phi-e": phi_e, "--u11": u11, "--u00": u00,
                 "--prior": prior, "--c-t": c_t, "--c-e": c_e,
                 "--stage1-per-dose": stage1_per_dose, "--stage1-target": stage1_target,
                 "--cohort-size": cohort_size, "--max-n": max_n, "--cap-per-dose": cap}
        d, notes = _uboin(protocol, len(tox), given)
        p = _protocol(protocol)
        start, more = O.start_of(start_dose, d.n_doses, protocol, p and p.start_index)
        for flag, v in [("--trials", trials), ("--seed", seed), ("--gumbel-psi", psi)]:
            O.check(flag, v)
        oc = simulate_uboin(d, tox, parse_floats(true_eff, "--true-eff"), trials, seed,
                            start_dose=start, gumbel_psi=psi)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "uboin_oc.csv").write_text(table_csv(oc.per_dose), encoding="utf-8")
    _report(oc, notes + more, as_json)


def _uboin(protocol: str | None, n_doses: int | None, given: dict[str, object]
           ) -> tuple[Uboin, list[str]]:
    """The protocol's U-BOIN (or the defaults, 30 patients) with the options given applied."""
    p = _protocol(protocol)
    if p is None:
        base = Uboin(n_doses=n_doses or 1, target=0.3, phi_e=0.2, max_sample_size=30)
    else:
        base = uboin_from_spec(p.design, len(p.dose_levels))
        if n_doses is not None and base.n_doses != n_doses:
            raise InputError(f"the scenario has {n_doses} doses, protocol {protocol} "
                             f"{base.n_doses}")
    return O.apply(base, given, UBOIN_FIELDS, protocol)


def _protocol(protocol: str | None) -> Protocol | None:
    if protocol is None:
        return None
    p = load_protocol(protocol)
    if p.design.name != "u-boin":
        raise InputError(f"{protocol}: design.name is {p.design.name!r}, not u-boin")
    return p


def _report(oc: UboinOc, notes: list[str], as_json: bool) -> None:
    if as_json:
        print_json(
            {
                "notes": notes,
                "true_obd": None if oc.true_obd is None else oc.true_obd + 1,
                "overall": oc.overall,
                "settings": oc.settings,
                "method": oc.method,
                "per_dose": oc.per_dose,
            }
        )
        return
    for note in notes:
        console.print(f"note: {note}", markup=False)
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
    target: float = O.target_opt(0.3),
    phi_e: float = O.phi_e_opt(0.2),
    u11: float = O.U11,
    u00: float = O.U00,
    prior: float = PriorOption,
    c_t: float = O.C_T,
    c_e: float = O.C_E,
    sizes: str = typer.Option("3,6,9", "--sizes", help="Patients at a dose, e.g. 3,6,9."),
    out: Path = TableOutOption,
    as_json: bool = JsonOption,
) -> None:
    """Stage-II posterior mean utility and admissibility by counts at a dose.

    With --protocol, each option given overrides the protocol's setting (noted in the output).
    """
    with bad_input_exits():
        given = {"--target": target, "--phi-e": phi_e, "--u11": u11, "--u00": u00,
                 "--prior": prior, "--c-t": c_t, "--c-e": c_e}
        d, notes = _uboin(protocol, None, given)
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
                "notes": notes,
            }
        )
        return
    for note in notes:
        console.print(f"note: {note}", markup=False)
    _show(f"U-BOIN stage II: posterior mean utility (Dirichlet({d.prior:g}) prior)", frame)
