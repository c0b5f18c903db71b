"""The safety sections of a patient page in clinical words: the CRS and ICANS time lines with
the observations behind each grade, the ICAHT grade and the CAR-HEMATOTOX score.

Each CRS row is one graded time point of the safety engine (:func:`cartrial.safety.grade_crs`,
ASTCT consensus grading, Lee DW et al., Biol Blood Marrow Transplant 2019;25:625-38, CRS table)
beside the flow-sheet values that produced it (temperature, hypotension, vasopressors, oxygen);
each ICANS row shows the ICE score and the grade of every ICANS domain (same paper, ICE and
ICANS tables). ICAHT is the EHA/EBMT consensus grading (Rejeski K et al., Blood
2023;142:865-77, Table 1) and CAR-HEMATOTOX the baseline score of Rejeski K et al., Blood
2021;138:2499-513, both as computed by :mod:`cartrial.safety`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from cartrial.data.dates import parse_dtc

CRS_DRIVERS = {"NONE": "no CRS", "FEVER": "fever", "HYPOTENSION": "hypotension",
               "HYPOXIA": "hypoxia", "HYPOTENSION+HYPOXIA": "hypotension and hypoxia",
               "MASKED_THERAPY": "fever masked by antipyretic / anti-cytokine therapy",
               "DEATH": "death due to CRS"}
ICANS_DRIVERS = {"NONE": "no ICANS", "ICE": "ICE score", "CONSCIOUSNESS":
                 "depressed consciousness", "SEIZURE": "seizure", "MOTOR": "motor findings",
                 "ICP": "raised intracranial pressure / cerebral oedema"}
ICAHT_GRADES = {0: "no ICAHT", 1: "grade 1", 2: "grade 2", 3: "grade 3", 4: "grade 4"}


@dataclass(frozen=True)
class Table:
    """A table as shown: column headings and rows of display text."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


def text(v: object, digits: int | None = None) -> str:
    """Display text: blank for missing, ``digits`` decimals for numbers when given, else at most
    10 significant digits (a unit conversion's binary residue, 3.3000000000000003, reads 3.3).

    Examples
    --------
    >>> text(0.33 * 10), text(250.0), text(None), text(2.345, 1)
    ('3.3', '250', '', '2.3')
    """
    if v is None or (not isinstance(v, str) and pd.api.types.is_scalar(v) and pd.isna(v)):
        return ""
    if digits is not None and isinstance(v, int | float) and not isinstance(v, bool):
        return f"{float(v):.{digits}f}"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, float):
        return f"{v:.10g}"
    return str(v).strip()


def label(v: object) -> str:
    """Recorded upper-case text in sentence case for reading (``LYMPHODEPLETING CHEMOTHERAPY``
    -> ``Lymphodepleting chemotherapy``); words with digits (product codes) stay as recorded.

    Parameters
    ----------
    v : object
        A recorded value (missing gives ``""``).

    Returns
    -------
    str

    Examples
    --------
    >>> label("LYMPHODEPLETING CHEMOTHERAPY"), label("CT071"), label("del(17p)")
    ('Lymphodepleting chemotherapy', 'CT071', 'del(17p)')
    """
    t = text(v)
    if not t.isupper():
        return t
    words = [w if any(ch.isdigit() for ch in w) else w.lower() for w in t.split(" ")]
    first = words[0]
    words[0] = first if any(ch.isdigit() for ch in first) else first[:1].upper() + first[1:]
    return " ".join(words)


def days_since(dtc: object, infusion: pd.Timestamp | None) -> str:
    """Whole days from the infusion date to a --DTC (infusion = day 0); blank when either is
    missing or the date is partial."""
    return days_since_all([dtc], infusion)[0]


def days_since_all(dtcs: object, infusion: pd.Timestamp | None) -> list[str]:
    """:func:`days_since` of many --DTC values, parsed in one vectorised pass (a patient page
    shows hundreds of dated records; parsing them one by one took seconds).

    Parameters
    ----------
    dtcs : sequence or pandas.Series
        --DTC values (text, None or NaN).
    infusion : pandas.Timestamp or None
        The infusion date (day 0); None gives blanks.

    Returns
    -------
    list of str
        Whole days since infusion per value; blank for a missing or partial date.

    Examples
    --------
    >>> days_since_all(["2024-01-03", "2024-01", None], pd.Timestamp("2024-01-01"))
    ['2', '', '']
    """
    vals = [text(v) for v in dtcs]
    if infusion is None or not vals:
        return [""] * len(vals)
    dt = parse_dtc(pd.Series(vals, dtype="string"))["dt"]
    day0 = infusion.normalize()
    return ["" if pd.isna(d) else str((d.normalize() - day0).days) for d in dt]


def _clock(day: float) -> str:
    minutes = round((day - math.floor(day)) * 1440)
    return "" if minutes == 0 else f"{minutes // 60:02d}:{minutes % 60:02d}"


def _yes(v: object) -> str:
    t = text(v).upper()
    return "yes" if t in ("Y", "TRUE", "1") else ("no" if t in ("N", "FALSE", "0") else t)


def _pressors(o: dict) -> str:
    n = o.get("PRESSORS")
    parts = []
    if text(n) and float(n) > 0:
        parts.append(f"{text(n)} (excl. vasopressin)")
    if _yes(o.get("VASOPRESSIN")) == "yes":
        parts.append("vasopressin")
    return " + ".join(parts) or "none"


def _oxygen(o: dict) -> str:
    dev = text(o.get("O2_DEVICE")).replace("_", " ").lower() or "room air"
    flow = text(o.get("O2_FLOW"))
    return f"{dev}, {flow} L/min" if flow else dev


def crs_table(timepoints: pd.DataFrame, observations: pd.DataFrame) -> Table:
    """CRS grade at each assessment with the observations behind it.

    Parameters
    ----------
    timepoints : pandas.DataFrame
        One patient's rows of ``CrsResult.timepoints`` (DAY, GRADE, DRIVER, flags).
    observations : pandas.DataFrame
        The same patient's CRS flow sheet (:func:`cartrial.safety.sdtm.crs_observations`).

    Returns
    -------
    Table
        Day, time, grade, what set the grade, temperature, hypotension, vasopressors, oxygen,
        tocilizumab and corticosteroid given.

    Examples
    --------
    >>> crs_table(pd.DataFrame(columns=["DAY"]), pd.DataFrame()).rows
    ()
    """
    obs = observations.set_index("DAY") if "DAY" in observations else pd.DataFrame()
    rows = []
    for t in timepoints.to_dict("records"):
        day = float(t["DAY"])
        o = obs.loc[day].to_dict() if day in obs.index and obs.loc[[day]].shape[0] == 1 else {}
        rows.append((str(math.floor(day)), _clock(day), text(t.get("GRADE")),
                     CRS_DRIVERS.get(text(t.get("DRIVER")), text(t.get("DRIVER"))),
                     text(o.get("TEMP"), 1), _yes(o.get("HYPOTENSION")) if o else "",
                     _pressors(o) if o else "", _oxygen(o) if o else "",
                     _yes(t.get("TOCILIZUMAB")), _yes(t.get("STEROID"))))
    return Table(("Day", "Time", "CRS grade", "Grade set by", "Temperature (°C)",
                  "Hypotension", "Vasopressors", "Oxygen", "Tocilizumab",
                  "Corticosteroid"), tuple(rows))


def icans_table(timepoints: pd.DataFrame) -> Table:
    """ICANS grade at each assessment with the ICE score and the grade of each domain.

    Parameters
    ----------
    timepoints : pandas.DataFrame
        One patient's rows of ``IcansResult.timepoints``.

    Returns
    -------
    Table

    Examples
    --------
    >>> icans_table(pd.DataFrame()).columns[:3]
    ('Day', 'Time', 'ICANS grade')
    """
    rows = []
    for t in timepoints.to_dict("records"):
        day = float(t["DAY"])
        drivers = [ICANS_DRIVERS.get(d, d) for d in text(t.get("DRIVER")).split("+") if d]
        rows.append((str(math.floor(day)), _clock(day), text(t.get("GRADE")),
                     ", ".join(drivers), text(t.get("ICE")) if t.get("ICE_ASSESSED") else
                     "not assessed", text(t.get("CONSCIOUSNESS_GRADE")),
                     text(t.get("SEIZURE_GRADE")), text(t.get("MOTOR_GRADE")),
                     text(t.get("ICP_GRADE")), _yes(t.get("STEROID"))))
    return Table(("Day", "Time", "ICANS grade", "Grade set by", "ICE score (0-10)",
                  "Consciousness (grade)", "Seizure (grade)", "Motor findings (grade)",
                  "Raised ICP / cerebral oedema (grade)", "Corticosteroid"), tuple(rows))


def _grade(v: object) -> str:
    t = text(v)
    return ICAHT_GRADES.get(int(float(t)), t) if t else "not assessable"


def icaht_rows(icaht: pd.DataFrame) -> tuple[tuple[str, str], ...]:
    """Early and late ICAHT with what the grades rest on (one patient's ``grade_icaht`` row).

    Parameters
    ----------
    icaht : pandas.DataFrame
        At most one row of :func:`cartrial.safety.grade_icaht` output.

    Returns
    -------
    tuple of (label, value)

    Examples
    --------
    >>> icaht_rows(pd.DataFrame())
    (('ICAHT', 'no neutrophil counts after infusion'),)
    """
    if icaht.empty:
        return (("ICAHT", "no neutrophil counts after infusion"),)
    r = icaht.iloc[0]
    early = _grade(r.get("EARLY_GRADE"))
    if not bool(r.get("EARLY_COMPLETE", True)):
        early += " (days 0-30 not fully observed)"
    out = [("Early ICAHT (days 0-30)", early),
           ("Days with ANC ≤ 0.5 ×10⁹/L (days 0-30)", text(r.get("EARLY_DAYS_ANC_LE500"))),
           ("Days with ANC ≤ 0.1 ×10⁹/L (days 0-30)", text(r.get("EARLY_DAYS_ANC_LE100"))),
           ("Late ICAHT (after day 30)", _grade(r.get("LATE_GRADE"))),
           ("ANC nadir (×10⁹/L)", text(r.get("NADIR_ANC"))),
           ("Day of nadir", text(r.get("NADIR_DAY"), 0)),
           ("Neutrophil recovery (day)", text(r.get("RECOVERY_DAY"), 0) or "not reached"),
           ("Biphasic course", "yes" if bool(r.get("BIPHASIC")) else "no")]
    if text(r.get("CENSOR_DAY")):
        out.append(("Counting stopped (death, day)", text(r.get("CENSOR_DAY"), 0)))
    return tuple(out)


def hematotox_rows(score: pd.DataFrame) -> tuple[tuple[str, str], ...]:
    """The CAR-HEMATOTOX baseline score with each factor's value and points.

    Parameters
    ----------
    score : pandas.DataFrame
        At most one row of :func:`cartrial.safety.car_hematotox` output.

    Returns
    -------
    tuple of (label, value)

    Examples
    --------
    >>> hematotox_rows(pd.DataFrame())
    (('CAR-HEMATOTOX', 'no baseline values'),)
    """
    if score.empty:
        return (("CAR-HEMATOTOX", "no baseline values"),)
    r = score.iloc[0]
    total = text(r.get("SCORE"))
    out = [("CAR-HEMATOTOX score", f"{total} ({text(r.get('RISK'))} risk)" if total
            else "not computable")]
    for col, name in (("ANC", "ANC (×10⁹/L)"), ("HEMOGLOBIN", "Haemoglobin (g/L)"),
                       ("PLATELETS", "Platelets (×10⁹/L)"), ("CRP", "CRP (mg/L)"),
                       ("FERRITIN", "Ferritin (ng/mL)")):
        value = text(r.get(col))
        out.append((f"Baseline {name}", f"{value} → {text(r.get(col + '_POINTS'))} point(s)"
                    if value else "not measured"))
    if text(r.get("MISSING")):
        out.append(("Missing factors", text(r.get("MISSING"))))
    return tuple(out)
