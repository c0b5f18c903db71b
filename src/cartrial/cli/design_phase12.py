"""`cartrial design boin12 tables`: BOIN12 (Lin et al., JCO Precis Oncol 2020) tables.

Thin layer over :mod:`cartrial.design.boin12_tables` (utility, boundary and rank-based
desirability tables as CSV / JSON / Markdown); the options shared with `boin12 simulate`
(:mod:`cartrial.cli.design_phase12_simulate`) and `protocol-text` live here.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import typer
from rich.table import Table

from cartrial.cli import _phase12_options as O
from cartrial.cli._common import JsonOption, bad_input_exits, console, print_json
from cartrial.cli._phase12_options import apply, apply_exploration
from cartrial.cli.design import design_app
from cartrial.design.boin12 import Boin12, boin12_from_spec
from cartrial.design.boin12_tables import (
    boundary_table,
    desirability_table,
    table_csv,
    table_json,
    table_markdown,
    utility_table,
)
from cartrial.errors import InputError
from cartrial.protocol import load_protocol

boin12_app = typer.Typer(
    help="BOIN12 phase I/II design: decision and utility tables, operating characteristics.",
    no_args_is_help=True,
)
design_app.add_typer(boin12_app, name="boin12")

ProtocolOption = typer.Option(
    None, "--protocol", help="Take the design (name: boin12) and doses from a protocol."
)
NDosesOption = typer.Option(
    5, "--n-doses", help="Number of dose levels (with --protocol: the protocol's)."
)
TablesOutOption = typer.Option(None, "--out", help="Directory for CSV, JSON and Markdown files.")


def start_index(protocol: str | None, start_dose: int | None, n_doses: int) -> int:
    """0-based starting dose: ``--start-dose`` (1-based), else the protocol's, else dose 1."""
    if start_dose is not None:
        if not 1 <= start_dose <= n_doses:
            raise InputError(f"--start-dose {start_dose} is outside 1..{n_doses}")
        return start_dose - 1
    return load_protocol(protocol).start_index if protocol else 0


BOIN12_FIELDS = {
    "--target": "target",
    "--phi-e": "phi_e",
    "--u11": "utility.response_dlt",
    "--u00": "utility.no_response_no_dlt",
    "--cohort-size": "cohort_size",
    "--max-n": "max_sample_size",
    "--n-star": "n_star",
    "--c-t": "c_t",
    "--c-e": "c_e",
    "--cap-per-dose": "cap_per_dose",
}


def boin12_design(protocol: str | None, n_doses: int | None, given: dict[str, object],
                  explore: bool | None, n_explore: int | None) -> tuple[Boin12, list[str]]:
    """BOIN12 of the `simulate` verb: the protocol's (or the defaults) with the options given.

    Parameters
    ----------
    protocol : str or None
        A protocol whose design is boin12 or tite-boin12.
    n_doses : int or None
        Doses of the scenario (must equal the protocol's; None: the protocol's).
    given : dict of str to object
        Option (a key of :data:`BOIN12_FIELDS`) -> value, None when not given.
    explore, n_explore : bool or None, int or None
        ``--explore/--no-explore`` and ``--n-explore``.

    Returns
    -------
    Boin12, list of str
        The design and one note per option overriding the protocol.

    Raises
    ------
    InputError
        A bad option value (named with its rule), or a scenario with another number of doses.
    """
    if protocol:
        p = load_protocol(protocol)
        base = boin12_from_spec(p.design, len(p.dose_levels))
        if n_doses is not None and base.n_doses != n_doses:
            raise InputError(f"the scenario has {n_doses} doses, protocol {protocol} "
                             f"{base.n_doses}")
    else:
        base = Boin12(n_doses=n_doses or 5, target=0.35, phi_e=0.25, max_sample_size=30)
    d, notes = apply(base, given, BOIN12_FIELDS, protocol)
    d, more = apply_exploration(d, explore, n_explore, protocol)
    return d, notes + more


def parse_floats(text: str, what: str) -> list[float]:
    try:
        return [float(v) for v in text.split(",")]
    except ValueError:
        raise InputError(f"{what}: expected comma-separated numbers, got {text!r}") from None


def _cell(v: object) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and v != v):
        return ""
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def _show(title: str, frame: pd.DataFrame) -> None:
    t = Table(title=title)
    for c in frame.columns:
        t.add_column(str(c))
    for rec in frame.astype(object).itertuples(index=False):
        t.add_row(*(_cell(v) for v in rec))
    console.print(t)


@boin12_app.command("tables")
def tables(
    protocol: str = ProtocolOption,
    n_doses: int = NDosesOption,
    target: float = O.target_opt(0.35),
    phi_e: float = O.phi_e_opt(0.25),
    u11: float = O.U11,
    u00: float = O.U00,
    cohort_size: int = O.COHORT,
    max_n: int = O.MAX_N,
    n_star: int = O.N_STAR,
    c_t: float = O.C_T,
    c_e: float = O.C_E,
    sizes: str = typer.Option(
        None,
        "--sizes",
        help="Patients at a dose to tabulate, e.g. 0,3,6,9 (default: 0 to 4 cohorts).",
    ),
    out: Path = TablesOutOption,
    as_json: bool = JsonOption,
) -> None:
    """Utility table, boundaries and rank-based desirability scores (Lin et al. 2020, Tables
    1-3). With --protocol, each option given overrides the protocol's setting (noted)."""
    with bad_input_exits():
        given = {"--target": target, "--phi-e": phi_e, "--u11": u11, "--u00": u00,
                 "--cohort-size": cohort_size, "--max-n": max_n, "--n-star": n_star,
                 "--c-t": c_t, "--c-e": c_e}
        d, notes = boin12_design(protocol, None if protocol else n_doses, given, None, None)
        ns = (
            [int(v) for v in parse_floats(sizes, "--sizes")]
            if sizes
            else list(range(0, 4 * d.cohort_size + 1, d.cohort_size))
        )
        frames = {
            "utility": utility_table(d),
            "boundaries": boundary_table(d, [n for n in ns if n > 0]),
            "desirability": desirability_table(d, ns),
        }
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        for name, f in frames.items():
            (out / f"boin12_{name}.csv").write_text(table_csv(f), encoding="utf-8")
            (out / f"boin12_{name}.json").write_text(table_json(f, d), encoding="utf-8")
            (out / f"boin12_{name}.md").write_text(table_markdown(f), encoding="utf-8")
    if as_json:
        print_json({**frames, "notes": notes})
        return
    for note in notes:
        console.print(f"note: {note}", markup=False)
    _show("BOIN12 utility (0-100)", frames["utility"])
    _show("BOIN12 boundaries by patients at the dose", frames["boundaries"])
    _show(
        "Rank-based desirability score (E = eliminated)",
        frames["desirability"][["n", "dlt", "responses", "rds_label"]],
    )
