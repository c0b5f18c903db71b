"""`cartrial design boinet simulate`: BOIN-ET operating characteristics (Takeda et al. 2018).

Thin layer over :func:`cartrial.design.simulate_boinet.simulate_boinet`; every setting of
:class:`cartrial.design.boinet.BoinEt` is an option, named as for the other phase I/II designs
(:mod:`cartrial.cli._phase12_options`). BOIN-ET is not a protocol design, so there is no
``--protocol``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import typer

from cartrial.cli import _phase12_options as O
from cartrial.cli._common import JsonOption, bad_input_exits, console, print_json
from cartrial.cli.design import design_app
from cartrial.cli.design_phase12 import _show, parse_floats
from cartrial.design.boin12_tables import table_csv
from cartrial.design.boinet import BoinEt
from cartrial.design.boinet_select import EFFICACY_ESTIMATES, OBD_METHODS
from cartrial.design.simulate_boinet import simulate_boinet
from cartrial.errors import InputError

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


def _opt(flag: str, text: str, default: object) -> object:
    return O.opt(flag, text, default, protocol=False)


BOINET_FIELDS = {
    "--target": "target",
    "--delta": "delta",
    "--phi1": "phi1",
    "--phi2": "phi2",
    "--delta1": "delta1",
    "--c-t": "stop_t",
    "--c-e": "stop_e",
    "--cohort-size": "cohort_size",
    "--max-n": "max_sample_size",
    "--cap-per-dose": "cap_per_dose",
    "--w1": "w1",
    "--w2": "w2",
    "--u00": "psi00",
    "--u11": "psi11",
}


@boinet_app.command("simulate")
def simulate(
    true_tox: str = typer.Option(..., "--true-tox", help="True DLT probabilities, e.g. 0.1,0.2"),
    true_eff: str = typer.Option(..., "--true-eff", help="True response probabilities."),
    target: float = O.shared("--target", 0.3, protocol=False),
    delta: float = _opt("--delta", "delta: target response probability.", 0.6),
    phi1: float = _opt("--phi1", "phi1: highest sub-therapeutic DLT probability.", "0.1 x target"),
    phi2: float = _opt("--phi2", "phi2: lowest overly toxic DLT probability.", "1.4 x target"),
    delta1: float = _opt("--delta1", "delta1: lowest acceptable response probability.",
                         "0.6 x delta"),
    c_t: float = _opt("--c-t", "c_T: a dose is out when P(p_T > target | data) > c_T.", 0.95),
    c_e: float = _opt("--c-e", "c_E: a dose is out when P(p_E < delta1 | data) > c_E.", 0.99),
    cohort_size: int = O.shared("--cohort-size", 3, protocol=False),
    max_n: int = O.shared("--max-n", 30, protocol=False),
    cap_per_dose: int = O.shared("--cap-per-dose", None, protocol=False),
    estimate: str = EstimateOption,
    obd_method: str = ObdOption,
    w1: float = _opt("--w1", "utility-weighted OBD: weight of toxicity.", 0.33),
    w2: float = _opt("--w2", "utility-weighted OBD: extra weight of toxicity above target.", 1.09),
    u11: float = _opt("--u11", "utility-scoring OBD: score (0-100) of a response with DLT.", 60.0),
    u00: float = _opt("--u00", "utility-scoring OBD: score (0-100) of neither.", 40.0),
    trials: int = O.TRIALS,
    seed: int = O.SEED,
    random_ties: bool = typer.Option(False, "--random-ties", help="Break ties at random."),
    out: Path = OutOption,
    as_json: bool = JsonOption,
) -> None:
    """% selected as OBD and patients per dose (last row, dose 0: no OBD)."""
    with bad_input_exits():
        tox = parse_floats(true_tox, "--true-tox")
        for flag, v, allowed in [("--estimate", estimate, EFFICACY_ESTIMATES),
                                 ("--obd-method", obd_method, OBD_METHODS)]:
            if v not in allowed:
                raise InputError(f"{flag} {v!r}: {flag[2:]} must be one of {', '.join(allowed)}")
        given = {"--target": target, "--delta": delta, "--phi1": phi1, "--phi2": phi2,
                 "--delta1": delta1, "--c-t": c_t, "--c-e": c_e, "--cohort-size": cohort_size,
                 "--max-n": max_n, "--cap-per-dose": cap_per_dose, "--w1": w1, "--w2": w2,
                 "--u11": u11, "--u00": u00}
        _check_order(target, phi1, phi2, delta, delta1)
        base = BoinEt(n_doses=len(tox), target=0.3, delta=0.6, max_sample_size=30,
                      estimate=estimate, obd_method=obd_method)
        d, _ = O.apply(base, given, BOINET_FIELDS, None)
        for flag, v in [("--trials", trials), ("--seed", seed)]:
            O.check(flag, v)
        oc = simulate_boinet(
            d,
            tox,
            parse_floats(true_eff, "--true-eff"),
            n_trials=trials,
            seed=seed,
            random_ties=random_ties,
        )
    _output(d, oc, out, trials, as_json)


def _check_order(target: float | None, phi1: float | None, phi2: float | None,
                 delta: float | None, delta1: float | None) -> None:
    """0 < phi1 < target < phi2 < 1 and 0 < delta1 < delta < 1 (Takeda et al. 2018), with the
    defaults of the options not given; the message names the options."""
    t = 0.3 if target is None else target
    d = 0.6 if delta is None else delta
    p1 = 0.1 * t if phi1 is None else phi1
    p2 = 1.4 * t if phi2 is None else phi2
    d1 = 0.6 * d if delta1 is None else delta1
    if not 0 < p1 < t < p2 < 1:
        raise InputError(f"--phi1 {p1:g}, --target {t:g}, --phi2 {p2:g}: must be ordered "
                         "0 < phi1 < target < phi2 < 1 (phi1 0.1 x target and phi2 1.4 x target "
                         "unless given)")
    if not 0 < d1 < d < 1:
        raise InputError(f"--delta1 {d1:g}, --delta {d:g}: must be ordered 0 < delta1 < delta "
                         "< 1 (delta1 0.6 x delta unless given)")


def _output(d: BoinEt, oc: pd.DataFrame, out: Path | None, trials: int, as_json: bool) -> None:
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "boinet_oc.csv").write_text(table_csv(oc), encoding="utf-8")
    b = d.boundaries
    if as_json:
        settings = {f: getattr(d, f) for f in ("n_doses", *BOINET_FIELDS.values(), "estimate",
                                                  "obd_method")}
        print_json({"lambda1": b.lambda1, "lambda2": b.lambda2, "eta1": b.eta1,
                    "settings": settings, "per_dose": oc})
        return
    _show(
        f"BOIN-ET, {trials} trials (lambda1 {b.lambda1:g}, lambda2 {b.lambda2:g}, eta1 {b.eta1:g})",
        oc,
    )
    console.print("dose 0 = trials with no OBD")
