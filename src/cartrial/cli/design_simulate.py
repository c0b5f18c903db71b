"""`cartrial design simulate`: operating characteristics of one design over one or many scenarios.

Thin layer over :func:`cartrial.design.simulate_oc.simulate_oc` (Monte Carlo) and
:func:`cartrial.design.exact_oc.exact_oc` (exact enumeration; 3+3, BOIN, i3+3, mTPI-2).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import typer
from rich.table import Table

from cartrial.cli._common import (
    JsonOption,
    bad_input_exits,
    console,
    err_console,
    print_json,
)
from cartrial.cli._design_options import (
    BoundMtdOption,
    CoherenceOption,
    CrmPresetOption,
    CutoffOption,
    ExtrasafeOption,
    OverdoseOption,
    Phi1Option,
    Phi2Option,
    PresetOption,
    PriorMtdOption,
    PriorSdOption,
    SafetyStopOption,
    SelectionPriorOption,
    SkeletonOption,
    SkippingOption,
    crm_overrides,
    floats,
    merge_overrides,
)
from cartrial.cli._progress import progress
from cartrial.cli._scenario_rules import refuse_falling_tox
from cartrial.cli.design import design_app
from cartrial.design.exact_oc import EXACT_DESIGNS, exact_oc
from cartrial.design.oc_result import OcResult
from cartrial.design.simulate_oc import DLT_ONSETS, simulate_oc
from cartrial.errors import InputError, RecordError
from cartrial.protocol import DesignSpec, load_protocol

SCENARIO_DOMAIN = "scenarios"
EXACT_AUTO_MAX_COHORTS = 20
EXACT_AUTO_MAX_DOSES = 6

TrueToxOption = typer.Option(
    None, "--true-tox", help="True DLT probabilities, comma-separated; repeat for scenarios."
)
TrueEffOption = typer.Option(
    None, "--true-eff", help="True response probabilities, one per --true-tox (a protocol with "
    "a randomised ROSE stage)."
)
ScenariosOption = typer.Option(
    None, "--scenarios", help="CSV with columns scenario, p1..pK[, true_mtd]."
)
SimOutOption = typer.Option(None, "--out", help="Folder for per_dose.csv, overall.csv, oc.json.")


def read_scenarios(path: Path) -> list[tuple[str, list[float], int | None | str, dict[str, Any]]]:
    """Scenario CSV: ``scenario`` (id), ``p1``..``pK`` (true DLT probability per dose), optional
    ``true_mtd`` (1-based dose, 0 = no acceptable dose; empty = closest to target), optional
    ``patients_per_month`` and ``dlt_onset`` (``uniform``/``weibull``/``titegboin``) for TITE
    scenarios."""
    if not path.is_file():
        raise FileNotFoundError(f"scenario file not found: {path}")
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    cols = [c for c in df.columns if c.startswith("p") and c[1:].isdigit()]
    cols.sort(key=lambda c: int(c[1:]))
    if "scenario" not in df.columns or not cols:
        raise InputError(f"{path}: needs columns scenario, p1, p2, ... (found {list(df.columns)})")
    if [int(c[1:]) for c in cols] != list(range(1, len(cols) + 1)):
        raise InputError(f"{path}: dose columns must be p1..pK without gaps, found {cols}")
    out: list[tuple[str, list[float], int | None | str, dict[str, Any]]] = []
    for i, row in df.iterrows():
        sid, line = row["scenario"], int(i) + 2
        probs = [_probability(row, c, sid, line) for c in cols]
        out.append((sid, probs, _true_mtd(row, len(cols), sid, line), _accrual(row, sid, line)))
    return out


def _row_error(sid: str, line: int, variable: str, value: Any, rule: str) -> RecordError:
    """The error naming the scenario, its CSV line, the column, the value and the rule."""
    return RecordError(domain=SCENARIO_DOMAIN, usubjid=sid, seq=line, variable=variable,
                       value=value, rule=rule)


def _probability(row: pd.Series, c: str, sid: str, line: int) -> float:
    """The true DLT probability of column ``c``: a number in [0, 1]."""
    rule = "true DLT probability must be a number in [0, 1]"
    try:
        v = float(row[c])
    except ValueError:
        raise _row_error(sid, line, c, row[c], rule) from None
    if not 0 <= v <= 1:
        raise _row_error(sid, line, c, v, rule)
    return v


def _true_mtd(row: pd.Series, k: int, sid: str, line: int) -> int | None | str:
    """0-based true MTD, None (no acceptable dose) or "auto" (closest to target) when empty."""
    raw = row.get("true_mtd", "")
    if raw == "":
        return "auto"
    try:
        t = int(raw)
    except ValueError:
        t = -1
    if not 0 <= t <= k:
        raise _row_error(sid, line, "true_mtd", raw, f"true_mtd must be 0 (none) or a dose 1..{k}")
    return None if t == 0 else t - 1


def _accrual(row: pd.Series, sid: str, line: int) -> dict[str, Any]:
    """The scenario's own ``patients_per_month`` (> 0) and ``dlt_onset``, when given."""
    extra: dict[str, Any] = {}
    rate = row.get("patients_per_month", "")
    if rate != "":
        try:
            extra["patients_per_month"] = float(rate)
            ok = extra["patients_per_month"] > 0
        except ValueError:
            ok = False
        if not ok:
            raise _row_error(sid, line, "patients_per_month", rate, "must be a number > 0")
    onset = row.get("dlt_onset", "")
    if onset != "":
        if onset not in DLT_ONSETS:
            raise _row_error(sid, line, "dlt_onset", onset,
                             f"must be one of {', '.join(DLT_ONSETS)}")
        extra["dlt_onset"] = onset
    return extra


def _spec(protocol: str | None, overrides: dict[str, Any]) -> tuple[DesignSpec, int | None, int]:
    base: dict[str, Any] = {}
    k = None
    start = 0
    if protocol is not None:
        p = load_protocol(protocol)
        # the fields the protocol states, so that a preset given here fills the others
        base = p.design.model_dump(exclude_unset=True)
        k = len(p.dose_levels)
        start = [d.id for d in p.dose_levels].index(p.starting_dose)
    base = merge_overrides(base, overrides)
    base.setdefault("target", 0.3)
    base.setdefault("cohort_size", 3)
    base.setdefault("max_sample_size", 30)
    base.setdefault("dlt_window_days", 28)
    if "name" not in base:
        raise InputError("give --protocol or --design")
    try:
        return DesignSpec.model_validate(base), k, start
    except ValueError as exc:
        raise InputError(f"design specification is not valid: {exc}") from None


def _method(method: str, spec: DesignSpec, n_doses: int, mc_options: bool) -> tuple[str, str]:
    """(exact | mc, why). ``auto`` picks exact enumeration when the design has it and the state
    space is small, and says so; it refuses --trials/--seed (``mc_options``), which exact
    enumeration would ignore, rather than drop them silently."""
    if method not in ("auto", "exact", "mc"):
        raise InputError(f"--method must be auto, exact or mc, got {method!r}")
    if method == "exact" and mc_options:
        raise InputError("--method exact enumerates every trial: --trials and --seed apply to "
                         "Monte Carlo (--method mc) only")
    if method != "auto":
        return method, f"--method {method}"
    exact_ok = spec.name in EXACT_DESIGNS and not spec.backfill.enabled
    ncoh = -(-spec.max_sample_size // spec.cohort_size)
    small = ncoh <= EXACT_AUTO_MAX_COHORTS and n_doses <= EXACT_AUTO_MAX_DOSES
    if not (exact_ok and small):
        why = (f"{spec.name} has no exact OC" if not exact_ok else
               f"{ncoh} cohorts x {n_doses} doses exceed the exact limit "
               f"({EXACT_AUTO_MAX_COHORTS} x {EXACT_AUTO_MAX_DOSES})")
        return "mc", f"--method auto chose Monte Carlo: {why}"
    if mc_options:
        raise InputError(
            f"--method auto chose exact enumeration ({spec.name}, {ncoh} cohorts, {n_doses} "
            "doses), which has no --trials or --seed; give --method mc to simulate, or leave "
            "--trials/--seed out"
        )
    return "exact", (f"--method auto chose exact enumeration ({spec.name}, {ncoh} cohorts <= "
                     f"{EXACT_AUTO_MAX_COHORTS}, {n_doses} doses <= {EXACT_AUTO_MAX_DOSES})")


def _print(sid: str, r: OcResult) -> None:
    t = Table(title=f"scenario {sid}: {r.design}, {r.method}", title_justify="left")
    for c in ("dose", "true P(DLT)", "% selected", "mean patients", "mean DLTs", "% treated"):
        t.add_column(c, justify="right")
    for row in r.per_dose.itertuples():
        t.add_row(
            str(row.dose),
            f"{row.true_tox:.3f}",
            f"{row.pct_selected:.1f}",
            f"{row.mean_patients:.2f}",
            f"{row.mean_dlts:.2f}",
            f"{row.pct_treated:.1f}",
        )
    console.print(t)
    o = r.overall.iloc[0]
    tm = "none" if r.true_mtd is None else f"dose {r.true_mtd + 1}"
    console.print(
        f"true MTD {tm}: {o.pct_correct_selection:.1f}% correct selection, "
        f"{o.pct_early_stop:.1f}% early stop, {o.pct_patients_above_mtd:.1f}% of patients above "
        f"the MTD, mean sample size {o.mean_sample_size:.2f}, mean duration "
        f"{o.mean_duration_days:.0f} days ({r.elapsed_seconds:.3f} s)",
        markup=False,
    )


@design_app.command("simulate")
def simulate(
    ctx: typer.Context,
    protocol: str = typer.Option(
        None, "--protocol", help="Take the design (and number of doses) from a protocol."
    ),
    design: str = typer.Option(
        None, "--design", help="3+3, boin, tite-boin, i3+3, mtpi2, crm, tite-crm."
    ),
    target: float = typer.Option(None, "--target", help="Target DLT probability."),
    cohort_size: int = typer.Option(None, "--cohort-size", help="Patients per cohort."),
    max_n: int = typer.Option(None, "--max-n", help="Maximum sample size."),
    cap_per_dose: int = typer.Option(None, "--cap-per-dose", help="BOIN n.earlystop."),
    window: int = typer.Option(None, "--window", help="DLT window (days)."),
    accrual: float = typer.Option(None, "--accrual", help="Patients per month."),
    cutoff: float = CutoffOption,
    extrasafe: bool = ExtrasafeOption,
    phi1: float = Phi1Option,
    phi2: float = Phi2Option,
    bound_mtd: bool = BoundMtdOption,
    preset: str = PresetOption,
    selection_prior: float = SelectionPriorOption,
    crm_preset: str = CrmPresetOption,
    skeleton: str = SkeletonOption,
    prior_mtd_level: int = PriorMtdOption,
    prior_sd: float = PriorSdOption,
    safety_stop: str = SafetyStopOption,
    overdose_control: bool = OverdoseOption,
    no_skipping: bool = SkippingOption,
    coherence: bool = CoherenceOption,
    true_tox: list[str] = TrueToxOption,
    true_eff: list[str] = TrueEffOption,
    scenarios: Path = ScenariosOption,
    method: str = typer.Option("auto", "--method", help="auto (exact when available), exact, mc."),
    trials: int = typer.Option(None, "--trials", help="Simulated trials (Monte Carlo; 10000)."),
    seed: int = typer.Option(None, "--seed", help="Seed (numpy SeedSequence; 2024)."),
    start_dose: int = typer.Option(None, "--start-dose", help="1-based starting dose."),
    dlt_onset: str = typer.Option(
        "uniform", "--dlt-onset", help="TITE: uniform, weibull or titegboin."
    ),
    weibull_shape: float = typer.Option(2.0, "--weibull-shape", help="TITE Weibull shape."),
    alpha1: float = typer.Option(0.5, "--alpha1", help="titegboin onset: share of DLTs late."),
    alpha2: float = typer.Option(0.5, "--alpha2", help="titegboin onset: late part of window."),
    out: Path = SimOutOption,
    as_json: bool = JsonOption,
) -> None:
    """Operating characteristics: % selected, mean patients and DLTs per dose; % correct
    selection, % early stop, % patients above the MTD, mean sample size and duration. With a
    protocol that has a randomised ROSE stage: its escalation, then the stage, end to end."""
    from cartrial.cli.design_simulate_rose import run_stage

    if run_stage(ctx, protocol, true_tox, true_eff, scenarios, (trials, seed, start_dose), out,
                 as_json):
        return
    with bad_input_exits():
        crm = crm_overrides(crm_preset, skeleton, prior_mtd_level, prior_sd, safety_stop,
                            overdose_control, no_skipping, coherence)
        spec, k_protocol, start = _spec(protocol, {
            "name": design, "target": target, "cohort_size": cohort_size,
            "max_sample_size": max_n, "cap_per_dose": cap_per_dose, "dlt_window_days": window,
            "patients_per_month": accrual, "elimination_cutoff": cutoff,
            "extrasafe": extrasafe, "phi1": phi1, "phi2": phi2, "bound_mtd": bound_mtd,
            "preset": preset, "selection_prior": selection_prior, "crm": crm,
        })
        if start_dose is not None:
            start = start_dose - 1
        scen = _scenarios(true_tox, scenarios, k_protocol)
        mc = {"trials": 10_000 if trials is None else trials,
              "seed": 2024 if seed is None else seed, "dlt_onset": dlt_onset,
              "weibull_shape": weibull_shape, "alpha1": alpha1, "alpha2": alpha2}
        results = _run(spec, scen, start, method, mc, trials is not None or seed is not None,
                       quiet=as_json)
        written = _write(out, results) if out is not None else []
    if as_json:
        print_json({"scenarios": [{"scenario": s, "method_choice": why} | r.as_dict()
                                  for s, r, why in results], "files": written})
        return
    for sid, r, why in results:
        _print(sid, r)
        console.print(why, markup=False)
    for pth in written:
        console.print(f"wrote {pth}", markup=False)


def _scenarios(
    true_tox: list[str] | None, scenarios: Path | None, k_protocol: int | None
) -> list[tuple[str, list[float], Any, dict[str, Any]]]:
    scen: list[tuple[str, list[float], Any, dict[str, Any]]] = []
    for i, text in enumerate(true_tox or []):
        scen.append((str(i + 1), floats(text, "--true-tox"), "auto", {}))
        refuse_falling_tox(str(i + 1), scen[-1][1])
    if scenarios is not None:
        scen += read_scenarios(scenarios)
        for sid, p, _, _ in scen[len(true_tox or []):]:
            refuse_falling_tox(sid, p, str(scenarios))
    if not scen:
        raise InputError("give --true-tox 0.05,0.1,... or --scenarios FILE.csv")
    for sid, p, _, _ in scen:
        if k_protocol is not None and len(p) != k_protocol:
            raise InputError(f"scenario {sid} has {len(p)} doses, the protocol has {k_protocol}")
    return scen


def _run(spec: DesignSpec, scen: list, start: int, method: str, mc: dict[str, Any],
         mc_given: bool, quiet: bool) -> list[tuple[str, OcResult, str]]:
    """Each scenario's OC with the method used and why (``--method auto`` says what it chose)."""
    results: list[tuple[str, OcResult, str]] = []
    for sid, p, tm, extra in scen:
        spec_s = spec
        if "patients_per_month" in extra:
            acc = spec.accrual.model_copy(
                update={"patients_per_month": extra["patients_per_month"]}
            )
            spec_s = spec.model_copy(update={"accrual": acc})
        how, why = _method(method, spec_s, len(p), mc_given)
        if how == "exact":
            r = exact_oc(spec_s, p, true_mtd=tm, start_dose=start)
        else:
            with progress(err_console, f"simulate scenario {sid}", mc["trials"],
                          quiet=quiet) as bar:
                r = simulate_oc(
                    spec_s, p, mc["trials"], mc["seed"], true_mtd=tm, start_dose=start,
                    dlt_onset=extra.get("dlt_onset", mc["dlt_onset"]),
                    weibull_shape=mc["weibull_shape"], alpha1=mc["alpha1"], alpha2=mc["alpha2"],
                    progress=bar.count,
                )
        results.append((sid, r, f"scenario {sid}: {why}"))
    return results


def _write(out: Path, results: list[tuple[str, OcResult, str]]) -> list[Path]:
    import json

    from cartrial.cli._common import to_jsonable

    out.mkdir(parents=True, exist_ok=True)
    written = []
    per = pd.concat([r.per_dose.assign(scenario=s) for s, r, _ in results])
    ovr = pd.concat(
        [
            r.overall.assign(scenario=s, method=r.method, elapsed_seconds=r.elapsed_seconds)
            for s, r, _ in results
        ]
    )
    for name, frame in (("per_dose.csv", per), ("overall.csv", ovr)):
        path = out / name
        frame[["scenario", *[c for c in frame.columns if c != "scenario"]]].to_csv(
            path, index=False
        )
        written.append(path)
    path = out / "oc.json"
    path.write_text(
        json.dumps(to_jsonable([{"scenario": s, "method_choice": why} | r.as_dict()
                                for s, r, why in results]), indent=2),
        encoding="utf-8",
    )
    written.append(path)
    return written
