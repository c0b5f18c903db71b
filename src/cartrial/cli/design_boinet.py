"""`cartrial design boinet simulate`: BOIN-ET operating characteristics (Takeda et al. 2018).

Thin layer over :func:`cartrial.design.simulate_boinet.simulate_boinet`; every setting of
:class:`cartrial.design.boinet.BoinEt` is an option, named as for the other phase I/II designs
(:mod:`cartrial.cli._phase12_options`). ``--protocol`` takes the design (``name: boin-et``) from
a protocol, each option given overriding it (with a note); ``--scenarios`` takes many scenarios
from a CSV (columns ``scenario``, ``tox1..toxK``, ``eff1..effK``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import typer

from cartrial.cli import _phase12_options as O
from cartrial.cli._common import JsonOption, bad_input_exits, console, print_json
from cartrial.cli._scenario_rules import refuse_falling_tox
from cartrial.cli.design import design_app
from cartrial.cli.design_phase12 import _show, parse_floats
from cartrial.cli.design_phase12_simulate import read_scenarios
from cartrial.design.boin12_tables import table_csv
from cartrial.design.boinet import BoinEt
from cartrial.design.boinet_select import EFFICACY_ESTIMATES, OBD_METHODS
from cartrial.design.simulate_boinet import simulate_boinet
from cartrial.errors import InputError

boinet_app = typer.Typer(
    help="BOIN-ET phase I/II design: operating characteristics, decision table.",
    no_args_is_help=True
)
design_app.add_typer(boinet_app, name="boinet")

EstimateOption = O.opt("--estimate", "Response estimate: obs or multi-iso.", "obs")
ObdOption = O.opt("--obd-method", "OBD rule: max-effprob, utility-weighted, "
                  "utility-truncated-linear or utility-scoring.", "max-effprob")
OutOption = typer.Option(None, "--out", help="Directory for boinet_oc.csv.")
TableOutOption = typer.Option(None, "--out", help="Directory for boinet_table.csv/.json/.md.")
ProtocolOption = typer.Option(None, "--protocol", help="Take the design (name: boin-et) from it.")
ScenarioFileOption = typer.Option(
    None, "--scenarios", help="CSV: scenario, tox1..toxK, eff1..effK (replaces --true-tox/eff)."
)


def _opt(flag: str, text: str, default: object) -> object:
    return O.opt(flag, text, default)


TARGET = O.shared("--target", 0.3)
DELTA = _opt("--delta", "delta: target response probability.", 0.6)
PHI1 = _opt("--phi1", "phi1: highest sub-therapeutic DLT probability.", "0.1 x target")
PHI2 = _opt("--phi2", "phi2: lowest overly toxic DLT probability.", "1.4 x target")
DELTA1 = _opt("--delta1", "delta1: lowest acceptable response probability.", "0.6 x delta")
C_T = _opt("--c-t", "c_T: a dose is out when P(p_T > target | data) > c_T.", 0.95)
C_E = _opt("--c-e", "c_E: a dose is out when P(p_E < delta1 | data) > c_E.", 0.99)

BOINET_FIELDS = {
    "--estimate": "estimate",
    "--obd-method": "obd_method",
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
    true_tox: str = typer.Option(None, "--true-tox", help="True DLT probabilities, e.g. 0.1,0.2"),
    true_eff: str = typer.Option(None, "--true-eff", help="True response probabilities."),
    scenarios: Path = ScenarioFileOption,
    protocol: str = ProtocolOption,
    target: float = TARGET,
    delta: float = DELTA,
    phi1: float = PHI1,
    phi2: float = PHI2,
    delta1: float = DELTA1,
    c_t: float = C_T,
    c_e: float = C_E,
    cohort_size: int = O.shared("--cohort-size", 3),
    max_n: int = O.shared("--max-n", 30),
    cap_per_dose: int = O.shared("--cap-per-dose", None),
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
    """% selected as OBD and patients per dose (last row, dose 0: no OBD), per scenario.

    With --protocol (design boin-et), each option given overrides the protocol's setting
    (noted in the output)."""
    with bad_input_exits():
        given = {"--target": target, "--delta": delta, "--phi1": phi1, "--phi2": phi2,
                 "--delta1": delta1, "--c-t": c_t, "--c-e": c_e, "--cohort-size": cohort_size,
                 "--max-n": max_n, "--cap-per-dose": cap_per_dose, "--w1": w1, "--w2": w2,
                 "--u11": u11, "--u00": u00, "--estimate": estimate, "--obd-method": obd_method}
        scen = _scenarios(scenarios, true_tox, true_eff)
        d, notes = _design(protocol, len(scen[0][1]), given)
        for flag, v in [("--trials", trials), ("--seed", seed)]:
            O.check(flag, v)
        runs = {name: simulate_boinet(d, t, e, n_trials=trials, seed=seed,
                                      random_ties=random_ties) for name, t, e in scen}
    _output(d, runs, out, trials, as_json, notes)


def simulate_protocol(protocol: str, true_tox: list[str], true_eff: list[str],
                      scenarios: Path | None, mc: tuple[int | None, int | None],
                      out: Path | None, as_json: bool) -> None:
    """`cartrial design simulate --protocol P` for a boin-et protocol: BOIN-ET's operating
    characteristics per scenario (``--true-tox`` with ``--true-eff``, repeated, or a scenario
    CSV), the design from the protocol alone (10,000 trials and seed 2024 unless given, as
    ``design simulate``); output as ``design boinet simulate``."""
    trials, seed = (10_000 if mc[0] is None else mc[0]), (2024 if mc[1] is None else mc[1])
    with bad_input_exits():
        if len(true_tox) != len(true_eff):
            raise InputError("a boin-et protocol decides on response: give one --true-eff for "
                             "each --true-tox")
        scen = [] if scenarios is None else _scenarios(scenarios, None, None)
        for i, (t, e) in enumerate(zip(true_tox, true_eff, strict=True), start=1):
            scen += [(str(i), *_scenarios(None, t, e)[0][1:])]
        if not scen:
            _scenarios(None, None, None)  # the message naming what to give
        d, notes = _design(protocol, len(scen[0][1]), dict.fromkeys(BOINET_FIELDS))
        for flag, v in [("--trials", trials), ("--seed", seed)]:
            O.check(flag, v)
        runs = {name: simulate_boinet(d, t, e, n_trials=trials, seed=seed)
                for name, t, e in scen}
    _output(d, runs, out, trials, as_json, notes)


def _scenarios(path: Path | None, tox: str | None, eff: str | None) -> list:
    """(name, true DLT, true response) per scenario; DLT probabilities may not fall with dose."""
    if path is not None:
        if tox or eff:
            raise InputError("give --true-tox / --true-eff or --scenarios, not both")
        scen = read_scenarios(path)
    elif tox and eff:
        scen = [("1", parse_floats(tox, "--true-tox"), parse_floats(eff, "--true-eff"))]
    else:
        raise InputError("give --true-tox and --true-eff, or --scenarios FILE.csv (columns "
                         "scenario, tox1..toxK, eff1..effK)")
    for name, t, _ in scen:
        refuse_falling_tox(name, t, "--true-tox" if path is None else str(path))
    return scen


def _design(protocol: str | None, k: int | None, given: dict[str, object]
            ) -> tuple[BoinEt, list[str]]:
    """The protocol's BOIN-ET (or the defaults, 30 patients) with the options given applied."""
    for flag, v, allowed in [("--estimate", given["--estimate"], EFFICACY_ESTIMATES),
                             ("--obd-method", given["--obd-method"], OBD_METHODS)]:
        if v is not None and v not in allowed:
            raise InputError(f"{flag} {v!r}: {flag[2:]} must be one of {', '.join(allowed)}")
    if protocol is None:
        _check_order(*(given[f] for f in ("--target", "--phi1", "--phi2", "--delta",
                                          "--delta1")))
        base = BoinEt(n_doses=k or 1, target=0.3, delta=0.6, max_sample_size=30)
    else:
        from cartrial.design.boinet import boinet_from_spec
        from cartrial.design.boinet_text import check_start
        from cartrial.protocol import load_protocol

        p = load_protocol(protocol)
        if p.design.name != "boin-et":
            raise InputError(f"{protocol}: design.name is {p.design.name!r}, not boin-et")
        check_start(p)
        k = len(p.dose_levels) if k is None else k
        if k != len(p.dose_levels):
            raise InputError(f"each scenario needs {len(p.dose_levels)} values (one per dose "
                             f"level of protocol {p.study_id}), got {k}")
        base = boinet_from_spec(p.design, k)
    return O.apply(base, given, BOINET_FIELDS, protocol)


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


def _output(d: BoinEt, runs: dict[str, pd.DataFrame], out: Path | None, trials: int,
            as_json: bool, notes: list[str]) -> None:
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        frame = (next(iter(runs.values())) if len(runs) == 1 else
                 pd.concat([oc.assign(scenario=n) for n, oc in runs.items()]))
        if len(runs) > 1:
            frame = frame[["scenario", *[c for c in frame.columns if c != "scenario"]]]
        (out / "boinet_oc.csv").write_text(table_csv(frame), encoding="utf-8")
    b = d.boundaries
    if as_json:
        settings = {f: getattr(d, f) for f in ("n_doses", *BOINET_FIELDS.values())}
        head = {"lambda1": b.lambda1, "lambda2": b.lambda2, "eta1": b.eta1,
                "settings": settings, "notes": notes}
        print_json(head | ({"per_dose": next(iter(runs.values()))} if len(runs) == 1 else
                           {"scenarios": {n: oc for n, oc in runs.items()}}))
        return
    for note in notes:
        console.print(f"note: {note}", markup=False)
    for name, oc in runs.items():
        _show(f"BOIN-ET scenario {name}, {trials} trials (lambda1 {b.lambda1:g}, lambda2 "
              f"{b.lambda2:g}, eta1 {b.eta1:g})", oc)
    console.print("dose 0 = trials with no OBD")


@boinet_app.command("table")
def table(
    protocol: str = ProtocolOption,
    target: float = TARGET,
    delta: float = DELTA,
    phi1: float = PHI1,
    phi2: float = PHI2,
    delta1: float = DELTA1,
    c_t: float = C_T,
    c_e: float = C_E,
    sizes: str = typer.Option("3,6,9,12", "--sizes", help="Patients at a dose, e.g. 3,6,9."),
    out: Path = TableOutOption,
    as_json: bool = JsonOption,
) -> None:
    """BOIN-ET's decision table in counts per number of patients at the dose (escalate,
    de-escalate, the response bound, not admissible), as in the protocol text.

    With --protocol, each option given overrides the protocol's setting (noted in the output).
    """
    from cartrial.design.boin12_tables import table_markdown
    from cartrial.design.boinet_text import decision_table

    with bad_input_exits():
        given = dict.fromkeys(BOINET_FIELDS) | {
            "--target": target, "--delta": delta, "--phi1": phi1, "--phi2": phi2,
            "--delta1": delta1, "--c-t": c_t, "--c-e": c_e}
        d, notes = _design(protocol, None, given)
        vals = parse_floats(sizes, "--sizes")
        if any(v < 1 or not float(v).is_integer() for v in vals):
            raise InputError(f"--sizes {sizes}: each must be a whole number >= 1")
        frame = decision_table(d, [int(v) for v in vals])
    b = d.boundaries
    head = {"lambda1": b.lambda1, "lambda2": b.lambda2, "eta1": b.eta1, "phi1": b.phi1,
            "phi2": b.phi2, "delta1": b.delta1,
            "settings": {f: getattr(d, f) for f in ("target", "delta", "stop_t", "stop_e")}}
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "boinet_table.csv").write_text(table_csv(frame), encoding="utf-8")
        (out / "boinet_table.json").write_text(
            json.dumps(head | {"rows": json.loads(frame.to_json(orient="records"))},
                       indent=2) + "\n", encoding="utf-8")
        (out / "boinet_table.md").write_text(table_markdown(frame), encoding="utf-8")
    if as_json:
        print_json(head | {"rows": frame, "notes": notes})
        return
    for note in notes:
        console.print(f"note: {note}", markup=False)
    _show(f"BOIN-ET decision table (lambda1 {b.lambda1:g}, lambda2 {b.lambda2:g}, eta1 "
          f"{b.eta1:g})", frame)
