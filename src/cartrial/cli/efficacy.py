"""`cartrial efficacy DIR --protocol P`: IMWG responses and the efficacy endpoint table."""

from __future__ import annotations

import math
from pathlib import Path

import typer
from rich.table import Table

from cartrial.cli._common import (
    JsonOption,
    ProtocolOption,
    bad_input_exits,
    console,
    load_validated,
    print_json,
)
from cartrial.cli.main import _app as app
from cartrial.efficacy.sdtm import efficacy_from_study
from cartrial.efficacy.survival_by_dose import DoseComparisons, dose_comparisons
from cartrial.protocol import load_protocol


def _pct(v: float) -> str:
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{100 * v:.1f}"


def _num(v: float, nd: int = 1) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "NR"
    return f"{v:.{nd}f}"


_OUT = typer.Option(
    None, "--out", "-o", help="Write the tidy tables (CSV) and per-subject data here."
)


@app.command("efficacy")
def efficacy(
    data_dir: str = typer.Argument(..., help="Folder of SDTM datasets (<domain>.csv or .xpt)."),
    protocol: str = ProtocolOption,
    out: Path | None = _OUT,
    as_json: bool = JsonOption,
) -> None:
    """Derive IMWG 2016 responses and print ORR / VGPR+ / CR+, MRD, TTR, DOR, PFS and OS.

    Rates by dose level and overall with exact (Clopper-Pearson) CIs; Kaplan-Meier medians
    with Brookmeyer-Crowley CIs (transform from the protocol); time origin from the protocol
    (apheresis by default). Dose levels compared: log-rank tests, Cox hazard ratios (Efron
    ties), median follow-up (reverse Kaplan-Meier) and cumulative incidence of progression vs
    death without progression, in months of the protocol's days_per_month. Exit code 2 on bad
    input, naming the record.
    """
    with bad_input_exits():
        proto = load_protocol(protocol)
        study = load_validated(data_dir, proto)
        res, imwg, conc = efficacy_from_study(study, proto)
        doses = res.subjects.set_index("USUBJID")["DOSE"]
        comp = dose_comparisons(res.tte, doses, list(proto.dose_ids), proto.endpoints)
    tables = {
        "rates": res.rates,
        "tte_summary": res.tte_summary,
        "landmarks": res.landmarks,
        "at_risk": res.at_risk,
        "tte": res.tte,
        "responses": imwg.assessments,
        "subjects": res.subjects,
        "dose_logrank": comp.tests,
        "dose_hazard_ratios": comp.hazard_ratios,
        "follow_up": comp.follow_up,
        "cumulative_incidence": comp.cumulative_incidence,
    }
    if res.mrd is not None:
        tables["mrd"] = res.mrd
    if conc is not None:
        tables["concordance_discrepancies"] = conc.discrepancies
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        for name, df in tables.items():
            df.to_csv(out / f"{name}.csv", index=False)
        if conc is not None:
            conc.table.to_csv(out / "concordance_table.csv")
    if as_json:
        payload = {
            "study": data_dir,
            "protocol": proto.study_id,
            "criteria": res.criteria,
            "settings": proto.endpoints,
            "footnotes": list(res.footnotes),
            "rates": res.rates,
            "mrd": res.mrd,
            "time_to_event": res.tte_summary,
            "landmarks": res.landmarks,
            "at_risk": res.at_risk,
            "subjects": res.subjects[
                ["USUBJID", "DOSE", "POPCD", "MDTYPE", "BOR", "FRSPDT", "PDDT", "RELCRDT"]
            ],
            "tte": res.tte,
            "dose_comparisons": {
                "days_per_month": comp.days_per_month,
                "logrank": comp.tests,
                "hazard_ratios": comp.hazard_ratios,
                "follow_up": comp.follow_up,
                "cumulative_incidence": comp.cumulative_incidence,
                "notes": list(comp.notes),
            },
        }
        if conc is not None:
            payload["concordance"] = {
                "matched": conc.n_matched,
                "agree": conc.n_agree,
                "table": conc.table.reset_index().rename(columns={"index": "investigator"}),
                "discrepancies": conc.discrepancies,
            }
        print_json(payload)
        return
    _print_tables(res, conc, proto.study_id, data_dir)
    _print_comparisons(comp)


def _cell(n: int, big_n: int, rate: float, lo: float, hi: float) -> str:
    if big_n == 0:
        return "-"
    return f"{n}/{big_n} ({_pct(rate)}%) [{_pct(lo)}-{_pct(hi)}]"


def _print_tables(res, conc, study_id: str, data_dir: str) -> None:  # noqa: ANN001
    console.print(f"# {study_id} efficacy ({res.criteria}) - {data_dir}", markup=False)
    r = res.rates
    groups = list(dict.fromkeys(r["group"]))
    ci = r["method"].iloc[0]
    t = Table("endpoint", *groups, title=f"Best confirmed response: n/N (%) [{ci}]")
    for code in dict.fromkeys(r["endpoint"]):
        rows = r[r["endpoint"] == code].set_index("group")
        label = rows["label"].iloc[0]
        t.add_row(
            label, *(_cell(*rows.loc[g, ["n", "N", "rate", "ci_low", "ci_high"]]) for g in groups)
        )
    console.print(t)
    if res.mrd is not None:
        m = res.mrd[res.mrd["group"] == "Overall"]
        t = Table("time point", "population", "endpoint", "n/N (%) [CI]", title="MRD (all doses)")
        for row in m.itertuples(index=False):
            t.add_row(
                row.timepoint,
                row.population,
                row.label,
                _cell(row.n, row.N, row.rate, row.ci_low, row.ci_high),
            )
        console.print(t)
        for d in dict.fromkeys(m["definition"]) if "definition" in m else ():
            console.print(f"  {d}", markup=False)   # each MRD rate's definition
    s = res.tte_summary
    groups = list(dict.fromkeys(s["group"]))
    t = Table("endpoint", *groups, title="Time to event, months: events/N, median [CI]")
    for code in dict.fromkeys(s["endpoint"]):
        rows = s[s["endpoint"] == code].set_index("group")
        cells = []
        for g in groups:
            x = rows.loc[g]
            if x["N"] == 0:
                cells.append("-")
            elif code == "TTR":
                cells.append(
                    f"N={x['N']}, median {_num(x['median'])} "
                    f"(range {_num(x['min'])}-{_num(x['max'])})"
                )
            else:
                cells.append(
                    f"{x['events']}/{x['N']}, {_num(x['median'])} "
                    f"[{_num(x['ci_low'])}-{_num(x['ci_high'])}]"
                )
        t.add_row(code, *cells)
    console.print(t)
    if len(res.landmarks):
        lm = res.landmarks[res.landmarks["group"] == "Overall"]
        t = Table("endpoint", "month", "at risk", "rate % [CI]", title="Landmarks (all doses)")
        for row in lm.itertuples(index=False):
            rate = (
                "NE"
                if math.isnan(row.surv)
                else (f"{_pct(row.surv)} [{_pct(row.ci_low)}-{_pct(row.ci_high)}]")
            )
            t.add_row(row.endpoint, f"{row.month:g}", str(row.n_risk), rate)
        console.print(t)
    if conc is not None:
        console.print(
            f"Investigator vs derived response: {conc.n_agree}/{conc.n_matched} matched "
            f"assessments agree; {len(conc.discrepancies)} discrepancies "
            "(listed with --out/--json)",
            markup=False,
        )
    for f in res.footnotes:
        console.print(f"Note: {f}", markup=False)


def _print_comparisons(comp: DoseComparisons) -> None:
    """Log-rank tests, hazard ratios, median follow-up and PFS cumulative incidence."""
    dpm = f"months of {comp.days_per_month:g} days"
    if len(comp.tests):
        t = Table(
            "endpoint",
            "groups",
            "chi-square (df)",
            "p",
            title=f"Log-rank across dose levels ({dpm})",
        )
        for r in comp.tests.itertuples(index=False):
            t.add_row(r.endpoint, str(r.groups), f"{r.statistic:.2f} ({r.df})", f"{r.p_value:.3f}")
        console.print(t)
    if len(comp.hazard_ratios):
        t = Table(
            "endpoint",
            "dose level",
            "HR [CI]",
            "p",
            title="Cox hazard ratios vs the first dose level (Efron ties)",
        )
        for r in comp.hazard_ratios.itertuples(index=False):
            hr = f"{_num(r.hr, 2)} [{_num(r.ci_low, 2)}-{_num(r.ci_high, 2)}]"
            t.add_row(r.endpoint, f"{r.group} vs {r.reference}", hr, f"{r.p_value:.3f}")
        console.print(t)
    if len(comp.follow_up):
        t = Table(
            "group",
            "N",
            "median [CI]",
            title=f"Median follow-up, reverse Kaplan-Meier on OS ({dpm})",
        )
        for r in comp.follow_up.itertuples(index=False):
            t.add_row(r.group, str(r.n), f"{_num(r.median)} [{_num(r.ci_low)}-{_num(r.ci_high)}]")
        console.print(t)
    if len(comp.cumulative_incidence):
        ci = comp.cumulative_incidence
        t = Table(
            "group",
            "cause",
            "month",
            "% [CI]",
            title=f"PFS events, cumulative incidence (Aalen-Johansen; {dpm})",
        )
        for r in ci.itertuples(index=False):
            cell = (
                "NE"
                if math.isnan(r.cuminc)
                else f"{_pct(r.cuminc)} [{_pct(r.ci_low)}-{_pct(r.ci_high)}]"
            )
            t.add_row(str(r.group), r.cause, f"{r.month:g}", cell)
        console.print(t)
    for n in comp.notes:
        console.print(f"Note: {n}", markup=False)
