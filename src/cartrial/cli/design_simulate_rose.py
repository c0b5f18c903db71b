"""`cartrial design simulate --protocol P` for a protocol with a randomised ROSE stage.

Thin layer over :func:`cartrial.design.simulate_rose.simulate_rose`: the protocol's escalation
(BOIN family, BOIN12, TITE-BOIN12 or U-BOIN, each with its own simulator) followed by its
randomised stage, end to end, for every scenario given (``--true-tox`` with ``--true-eff``, or
a scenario CSV with columns ``scenario``, ``tox1..toxK``, ``eff1..effK``). The design comes from
the protocol alone, so a design option given on the command line is refused (exit 2), never
silently ignored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from cartrial.cli._common import bad_input_exits, err_console, print_json
from cartrial.cli._progress import progress
from cartrial.cli._scenario_rules import refuse_falling_tox
from cartrial.cli.design_rose import _floats, _write, print_rose, rose_json, rose_rows
from cartrial.errors import InputError

USED = ("protocol", "true_tox", "true_eff", "scenarios", "trials", "seed", "start_dose", "out",
        "as_json")


def run_stage(ctx: typer.Context, protocol: str | None, true_tox: list[str] | None,
              true_eff: list[str] | None, scenarios: Path | None,
              mc: tuple[int | None, int | None, int | None], out: Path | None,
              as_json: bool) -> bool:
    """Run :func:`simulate_with_stage` when ``--true-eff`` is given or ``--protocol`` has
    ``design.randomised_stage``, BOIN-ET's simulation for a boin-et protocol without a stage
    (``cartrial.cli.design_boinet.simulate_protocol``); False (nothing done) otherwise."""
    if protocol is not None:
        from cartrial.protocol import load_protocol

        with bad_input_exits():
            design = load_protocol(protocol).design
        if design.name == "boin-et" and design.randomised_stage is None:  # phase I/II alone
            from cartrial.cli.design_boinet import simulate_protocol

            with bad_input_exits():
                _refuse_unused(ctx, "a boin-et protocol (BOIN-ET is simulated")
            simulate_protocol(protocol, true_tox or [], true_eff or [], scenarios, mc[:2], out,
                              as_json)
            return True
        if not true_eff and design.randomised_stage is None:
            return False
    elif not true_eff:
        return False
    simulate_with_stage(ctx, protocol, true_tox, true_eff, scenarios, mc, out, as_json)
    return True


def _refuse_unused(ctx: typer.Context,
                   what: str = "a randomised-stage protocol (the escalation and the stage are "
                   "simulated") -> None:
    # typer vendors click: compare the source by name, not by click's enum class
    given = [f"--{n.replace('_', '-')}" for n in ctx.params
             if n not in USED and getattr(ctx.get_parameter_source(n), "name", "") in
             ("COMMANDLINE", "ENVIRONMENT")]
    if given:
        raise InputError(f"{', '.join(given)}: not used with {what} from the protocol's "
                         "settings; edit the protocol)")


def _scenarios(tox: list[str] | None, eff: list[str] | None, path: Path | None,
               k: int) -> list[tuple[str, list[float], list[float]]]:
    tox, eff = tox or [], eff or []
    if len(tox) != len(eff):
        raise InputError("the protocol has a randomised ROSE stage, which selects on response: "
                         "give one --true-eff for each --true-tox")
    scen = [(str(i + 1), _floats(t, "--true-tox"), _floats(e, "--true-eff"))
            for i, (t, e) in enumerate(zip(tox, eff, strict=True))]
    if path is not None:
        from cartrial.cli.design_phase12_simulate import read_scenarios

        scen += read_scenarios(path)
    if not scen:
        raise InputError("give --true-tox and --true-eff (repeat per scenario) or --scenarios "
                         "FILE.csv with columns scenario, tox1..toxK, eff1..effK")
    for sid, t, e in scen:
        if len(t) != k or len(e) != k:
            raise InputError(f"scenario {sid}: {len(t)} DLT and {len(e)} response "
                             f"probabilities, the protocol has {k} dose levels")
        refuse_falling_tox(sid, t, "--true-tox" if path is None else f"--true-tox / {path}")
    return scen


def simulate_with_stage(ctx: typer.Context, protocol: str | None, true_tox: list[str] | None,
                        true_eff: list[str] | None, scenarios: Path | None,
                        mc: tuple[int | None, int | None, int | None], out: Path | None,
                        as_json: bool) -> None:
    """Escalation + randomised stage for each scenario; print, ``--json`` or write CSVs.

    ``mc`` is (trials, seed, 1-based start dose), None where not given (10,000 trials, seed
    2024 and the protocol's starting dose, as for the other designs).
    """
    from cartrial.design.simulate_rose import simulate_rose
    from cartrial.protocol import load_protocol

    trials, seed, start_dose = mc
    with bad_input_exits():
        if protocol is None or (p := load_protocol(protocol)).design.randomised_stage is None:
            raise InputError("--true-eff goes with a protocol that has a randomised ROSE stage "
                             "(design.randomised_stage); phase I/II designs alone: `cartrial "
                             "design boin12 simulate`, `uboin simulate`, `boinet simulate`")
        _refuse_unused(ctx)
        scen = _scenarios(true_tox, true_eff, scenarios, len(p.dose_ids))
        start = p.start_index if start_dose is None else start_dose - 1
        n, s = 10_000 if trials is None else trials, 2024 if seed is None else seed
        runs: list[tuple[str, Any]] = []
        for sid, t, e in scen:
            with progress(err_console, f"simulate scenario {sid}", n, quiet=as_json) as bar:
                runs.append((sid, simulate_rose(p.design, t, e, p.dose_ids, n, s,
                                                start_dose=start, progress=bar.count)))
    rows = {sid: rose_rows(r, p.dose_ids) for sid, r in runs}
    if out is not None:
        _write(out, "rose_oc.csv", [{"scenario": sid} | row for sid, rs in rows.items()
                                    for row in rs])
        _write(out, "rose_overall.csv", [{"scenario": sid, "true_obd": "" if r.true_obd is None
                                          else r.true_obd + 1} | r.overall for sid, r in runs])
    if as_json:
        print_json({"scenarios": [{"scenario": sid} | rose_json(r, rows[sid])
                                  for sid, r in runs]})
        return
    for sid, r in runs:
        print_rose(r, rows[sid], title=f"scenario {sid}: ")
