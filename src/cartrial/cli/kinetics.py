"""`cartrial kinetics DIR --protocol P`: CAR-T expansion NCA, persistence, cytokines and ADA."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
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
from cartrial.errors import InputError
from cartrial.kinetics.analysis import KineticsReport, analyse_kinetics
from cartrial.kinetics.sdtm import to_pp
from cartrial.protocol import load_protocol

_TABLES = (
    "subjects",
    "nca",
    "nca_summary",
    "persistence",
    "persistence_summary",
    "cytokines",
    "cytokine_summary_dose",
    "cytokine_summary_crs",
    "crs_association",
    "exposure_response",
    "exposure_response_tests",
    "exposure_safety",
    "exposure_safety_tests",
    "ada",
    "ada_summary",
    "ada_kinetics",
)


_STATS = ["n", "geo_mean", "geo_cv_pct", "median", "min", "max"]
_TESTS = ["PCTESTCD", "PARAMCD", "n", "kruskal_h", "kruskal_p", "spearman_rho", "spearman_p"]
#: what the console shows: (title, report table, columns)
_SHOWN: tuple[tuple[str, str, list[str]], ...] = (
    ("CAR-T kinetics by dose level (NCA)", "nca_summary",
     ["PCTESTCD", "PCSPEC", "DOSELVL", "PARAMCD", *_STATS]),
    ("Persistence: detectable CAR at landmarks (%, exact CI)", "persistence_summary",
     ["PCTESTCD", "PCSPEC", "DOSELVL", "month", "n_evaluable", "n_detectable", "pct", "ci_low",
      "ci_high"]),
    ("Cytokines by dose level", "cytokine_summary_dose",
     ["CYTOKINE", "DOSELVL", "PARAMCD", *_STATS]),
    ("Cytokines by maximum CRS grade", "cytokine_summary_crs",
     ["CYTOKINE", "CRSGR", "PARAMCD", *_STATS]),
    ("Association with CRS grade (rank tests)", "crs_association", _TESTS),
    ("Exposure-safety: exposure by CRS grade", "exposure_safety",
     ["PCTESTCD", "CRSGR", "PARAMCD", *_STATS]),
    ("Exposure-response: exposure by best response", "exposure_response",
     ["PCTESTCD", "BOR", "PARAMCD", *_STATS]),
    ("Exposure-response rank tests", "exposure_response_tests", _TESTS),
    ("Anti-drug antibodies (treatment-emergent rate, exact CI)", "ada_summary",
     ["ISTESTCD", "DOSELVL", "n_evaluable", "n_baseline_pos", "n_ti", "n_tb", "n_te", "pct_te",
      "ci_low", "ci_high", "n_persistent", "n_transient", "median_ttada"]),
    ("Kinetics by treatment-emergent ADA", "ada_kinetics",
     ["PCTESTCD", "ADATE", "PARAMCD", *_STATS]),
)


def _read_subject_file(path: str | None, column: str) -> pd.DataFrame | None:
    if path is None:
        return None
    p = Path(path)
    if not p.is_file():
        raise InputError(f"file not found: {p}")
    df = pd.read_csv(p, dtype={"USUBJID": str})
    if column not in df.columns or "USUBJID" not in df.columns:
        raise InputError(f"{p}: needs columns USUBJID and {column}; got {list(df.columns)}")
    return df


def _primary_crs(study: object, proto: object) -> tuple[pd.DataFrame | None, str]:
    """Maximum CRS grade per infused subject from the protocol's primary grade source
    (safety.crs_icans_grade_source: ASTCT 2019 derived from VS/FA/CM, or the AE grade). A
    study without the daily observations (no VS or QS) keeps the investigator's AE grade, and
    the method record says so."""
    from cartrial.safety import grade_crs, grade_icans
    from cartrial.safety.grade_source import source_label, syndrome_events, worst_crs_grade
    from cartrial.safety.sdtm import (
        adverse_events,
        crs_observations,
        icans_assessments,
        infusion_dates,
    )

    s = proto.safety  # type: ignore[attr-defined]
    if s.crs_icans_grade_source == "reported" or any(
            d not in study for d in ("VS", "QS")):  # type: ignore[operator]
        return None, "caller"
    ae = adverse_events(study, proto)  # type: ignore[arg-type]
    crs = grade_crs(crs_observations(study),
                    masked_fever_keeps_grade1=s.masked_fever_keeps_grade1)
    ev = syndrome_events(ae, crs, grade_icans(icans_assessments(study)),
                         s.crs_icans_grade_source)
    infused = pd.Series(infusion_dates(study).index, dtype=str)
    return worst_crs_grade(ev, infused), "safety engine: " + source_label(
        s.crs_icans_grade_source)


def _derived_bor(study: object, proto: object) -> pd.DataFrame:
    """Best confirmed IMWG response per subject from the efficacy engine."""
    from cartrial.efficacy.sdtm import efficacy_from_study

    _, imwg, _ = efficacy_from_study(study, proto, summaries=False)  # type: ignore[arg-type]
    return imwg.subjects[["USUBJID", "BOR"]]


def _fmt(v: object) -> str:
    if v is None or (isinstance(v, float) and v != v) or v is pd.NA:
        return ""
    if isinstance(v, float):
        return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.4g}"
    return str(v)


def _print(title: str, df: pd.DataFrame | None, columns: list[str]) -> None:
    if df is None or df.empty:
        return
    cols = [c for c in columns if c in df.columns]
    t = Table(*cols, title=title, title_justify="left")
    for row in df[cols].itertuples(index=False):
        t.add_row(*(_fmt(v) for v in row))
    console.print(t)


@app.command("kinetics")
def kinetics(
    data_dir: str = typer.Argument(..., help="Folder of SDTM datasets (<domain>.csv or .xpt)."),
    protocol: str = ProtocolOption,
    crs: str = typer.Option(
        None,
        "--crs",
        help="CSV with USUBJID, CRSGR (max CRS grade, e.g. "
        "from `cartrial safety`); default: the protocol's primary CRS grade source "
        "(safety.crs_icans_grade_source).",
    ),
    response: str = typer.Option(
        None,
        "--response",
        help="CSV with USUBJID, BOR (best overall response, IMWG) for exposure-response tables.",
    ),
    derive: bool = typer.Option(
        False,
        "--derive",
        help="Take the best response from the efficacy engine (IMWG 2016) unless --response "
        "gives it (the CRS grade always follows the protocol's primary grade source unless "
        "--crs gives it).",
    ),
    out: str = typer.Option(
        None, "--out", "-o", help="Folder to write every table as CSV, plus pp.csv (SDTM PP)."
    ),
    as_json: bool = JsonOption,
) -> None:
    """NCA of CAR-T expansion (qPCR, flow), persistence, cytokines, exposure-response, ADA.

    PKNCA conventions (lin-up/log-down AUC, BLQ first/middle/last, lambda_z by adjusted R^2);
    settings from the protocol's `kinetics` section.
    """
    with bad_input_exits():
        proto = load_protocol(protocol)
        study = load_validated(data_dir, proto)
        crs_frame = _read_subject_file(crs, "CRSGR")
        bor_frame = _read_subject_file(response, "BOR")
        crs_src, bor_src = f"file {crs}", f"file {response}"
        if crs_frame is None:
            crs_frame, crs_src = _primary_crs(study, proto)
        if derive and bor_frame is None:
            bor_frame, bor_src = _derived_bor(study, proto), "efficacy engine (IMWG 2016 BOR)"
        report = analyse_kinetics(
            study,
            proto,
            crs=crs_frame,
            response=bor_frame,
            crs_source=crs_src,
            response_source=bor_src,
        )
    if out:
        _write(report, Path(out))
        to_pp(report.nca, report.subjects, studyid=proto.study_id).to_csv(
            Path(out) / "pp.csv", index=False
        )
    if as_json:
        print_json(
            {
                "study": data_dir,
                "protocol": proto.study_id,
                "data_sha256": study.data_hash,
                "method": report.method,
                **{name: getattr(report, name) for name in _TABLES},
            }
        )
        return
    for title, name, columns in _SHOWN:
        _print(title, getattr(report, name), columns)
    console.print(
        f"CRS grade source: {report.method['crs_grade_source']}; excluded records: "
        f"{report.method['excluded_records']}",
        markup=False,
    )


def _write(report: KineticsReport, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name in _TABLES:
        df = getattr(report, name)
        if df is not None:
            df.to_csv(out / f"{name}.csv", index=False)
