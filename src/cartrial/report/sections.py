"""The study report's numbered tables and figures, built from the engines' results and ADaM.

Numbering follows a clinical study report: 14.1 trial summary, 14.2 dose escalation and DLTs,
14.3 safety, 14.4 efficacy, 14.5 cellular kinetics, 16.2 patient listings. Every table states
its population and, in footnotes, the method (criteria versions, CI methods, censoring rules).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from cartrial.design import decision_table
from cartrial.protocol.model import Protocol
from cartrial.report.document import ReportFigure
from cartrial.report.figure_files import FigureFiles
from cartrial.report.figures import figure_bytes, stamp, with_cutoff
from cartrial.report.table import ReportTable, fmt_n_pct, table_from_wide

OVERALL = "Overall"
RESPONSE_ORDER = ["sCR", "CR", "VGPR", "PR", "MR", "SD", "PD", "NE"]


def dose_id(trt01a: pd.Series) -> pd.Series:
    """DL1 from "DL1 0.1 x10^6/kg" (ADSL TRT01A).

    Parameters
    ----------
    trt01a : pandas.Series
        Actual treatment texts (missing: not infused).

    Returns
    -------
    pandas.Series
        The text before the first space ("" where missing), same index and name.

    Examples
    --------
    >>> dose_id(pd.Series(["DL1 0.1 x10^6/kg", None, "DL2 1 x10^6/kg"])).tolist()
    ['DL1', '', 'DL2']
    """
    text = trt01a.fillna("").astype(str)
    if text.dtype != object:  # pandas' string dtype: its own split keeps that dtype
        return text.str.split(" ").str[0]
    # each distinct text split once (issue #18: CPU; the AE listing splits ~10^5 records')
    codes, uniques = pd.factorize(text)
    first = np.array([u.split(" ")[0] for u in uniques], dtype=object)
    return pd.Series(first[codes], index=text.index, name=text.name)


def _fig(number: str, title: str, fig, notes: Sequence[str] = (), population: str = "",
         figures: dict | None = None, name: str = "") -> ReportFigure:
    svg = figure_bytes(fig, "svg")  # the page prints title, population and notes around it
    if figures is not None:  # name -> (PNG bytes, SVG bytes): the files carry their caption
        stamp(fig, f"Figure {number} {title}", population, notes)
        # PNG and SVG rendered when written (report.figure_files; at once for a large trial)
        figures[name or f"figure_{number.replace('.', '_')}"] = FigureFiles(fig)
    return ReportFigure(number, title, svg.decode("utf-8"), tuple(notes),
                        with_cutoff(population))


COUNT_STATISTICS = ("n (%)", "n")


def _shown_labels(rows: pd.Series, label: Callable[[str], str] | None) -> np.ndarray:
    """Row labels as shown (``label`` applied), kept distinct by invisible zero-width spaces."""
    shown = rows.map(label) if label is not None else rows
    first = dict.fromkeys(rows)
    seen: dict[str, int] = {}
    out: dict[str, str] = {}
    for r in first:
        v = shown[rows == r].iloc[0]
        k = seen.get(v, 0)
        seen[v] = k + 1
        out[r] = v + "\u200b" * k
    return rows.map(out).to_numpy()


def tidy_to_table(df: pd.DataFrame, number: str, title: str, population: str, *,
                  col_n: dict[str, int] | None = None, footnotes: Sequence[str] = (),
                  source: str = "", label: Callable[[str], str] | None = None) -> ReportTable:
    """A safety-engine tidy table (ROW, ROW_LEVEL, ROW_ORDER, COLUMN, STATISTIC, VALUE) as a
    :class:`ReportTable`; with several statistics, each column is "<dose>: <statistic>",
    otherwise a row whose statistic is not a count says which it is ("..., median (min-max)").
    ``label`` maps a ROW key to the label shown (e.g. the preferred term of "SOC / PT")."""
    d = df.sort_values(["ROW_ORDER"], kind="stable")
    # the statistic goes into the column header only when one row has several statistics
    multi = bool(d.groupby(["ROW", "COLUMN"])["STATISTIC"].nunique().gt(1).any())
    if not multi:
        stat = d["STATISTIC"].astype(str)
        d = d.assign(ROW=np.where(stat.isin(COUNT_STATISTICS), d["ROW"].astype(str),
                                  d["ROW"].astype(str) + ", " + stat))

    def head(c: str) -> str:
        return f"{c} (N={col_n[c]})" if col_n and c in col_n else c

    col = d["COLUMN"].astype(str).map(head)
    if multi:
        col = col + ": " + d["STATISTIC"].astype(str)
    cells = pd.DataFrame({"row": _shown_labels(d["ROW"].astype(str), label),
                          "column": col.to_numpy(),
                          "value": d["VALUE"].astype(str).to_numpy(),
                          "indent": d["ROW_LEVEL"].astype(int).to_numpy()})
    cells = cells.drop_duplicates(["row", "column"])
    # column order: dose levels as they come, Overall last; a dose's statistics side by side
    doses = list(dict.fromkeys(d["COLUMN"].astype(str)))
    doses = [c for c in doses if c != OVERALL] + [c for c in doses if c == OVERALL]
    stats = list(dict.fromkeys(d["STATISTIC"].astype(str)))
    key = dict(zip(col, zip(d["COLUMN"].astype(str).map(doses.index),
                            d["STATISTIC"].astype(str).map(stats.index), strict=True),
                   strict=True))
    cols = sorted(dict.fromkeys(cells["column"]), key=lambda c: key[c])
    rows = list(dict.fromkeys(cells["row"]))
    cells["_r"] = cells["row"].map({r: i for i, r in enumerate(rows)})
    cells["_c"] = cells["column"].map({c: i for i, c in enumerate(cols)})
    cells = cells.sort_values(["_r", "_c"], kind="stable").drop(columns=["_r", "_c"])
    return ReportTable(number, title, population, cells.reset_index(drop=True),
                       tuple(footnotes), source)


def _n_by_dose(adsl: pd.DataFrame, flag: str, doses: Sequence[str]) -> dict[str, int]:
    s = adsl[adsl[flag] == "Y"]
    n = dose_id(s["TRT01A"]).value_counts()
    out = {d: int(n.get(d, 0)) for d in doses}
    out[OVERALL] = int(len(s))
    return out


# --- 14.1 trial summary -------------------------------------------------------------------

def table_populations(adsl: pd.DataFrame, protocol: Protocol, number: str) -> ReportTable:
    """Analysis populations and disposition by dose level (leukapheresed set)."""
    doses = protocol.dose_ids
    a = adsl.copy()
    a["COL"] = np.where(a["SAFFL"] == "Y", dose_id(a["TRT01A"]), "Not infused")
    cols = [d for d in doses if (a["COL"] == d).any()] + (
        ["Not infused"] if (a["COL"] == "Not infused").any() else []) + [OVERALL]
    rows: list[tuple[str, pd.Series, int]] = [
        ("Leukapheresed (enrolled)", a["ITTFL"] == "Y", 0),
        ("Infused (safety population)", a["SAFFL"] == "Y", 0),
        *([("DLT-evaluable", a["DLTEVLFL"] == "Y", 0)] if "DLTEVLFL" in a else []),
        ("Efficacy-evaluable", a["EFFFL"] == "Y", 0),
        ("Primary plasma cell leukaemia", a["PPCLFL"] == "Y", 0),
        ("Relapsed/refractory multiple myeloma", a["POPCD"] == "RRMM", 0),
        ("Ongoing in study", a["EOSSTT"] == "ONGOING", 0),
        ("Discontinued from study", a["EOSSTT"] == "DISCONTINUED", 0),
    ]
    for reason in sorted(a.loc[a["EOSSTT"] == "DISCONTINUED", "DCSREAS"].unique()):
        rows.append((reason.capitalize(), (a["DCSREAS"] == reason), 1))
    rows.append(("Died", a["DTHFL"] == "Y", 0))
    cells = []
    for label, mask, ind in rows:
        for c in cols:
            sel = a["COL"] == c if c != OVERALL else pd.Series(True, index=a.index)
            k = int((mask & sel).sum())
            cells.append((label, f"{c} (N={int(sel.sum())})", str(k), ind))
    df = pd.DataFrame(cells, columns=["row", "column", "value", "indent"])
    unknown = () if "DLTEVLFL" in a else (  # no DLT adjudication in this run: not a zero
        "DLT-evaluable: not derived in this run (no DLT adjudication: see 'Not produced').",)
    return ReportTable(number, "Analysis populations and disposition", "Leukapheresed", df, (
        *unknown,
        "Infused = received the CAR-T product (EX, EXCAT = INVESTIGATIONAL PRODUCT). "
        "DLT-evaluable = DLT, or follow-up through the "
        f"{protocol.design.dlt_window_days}-day DLT window (protocol DLT-evaluability rule). "
        "Efficacy-evaluable = infused with >= 1 disease assessment after infusion.",
        "Population from the MH primary diagnosis (Plasma cell myeloma -> RRMM, "
        "Plasma cell leukaemia -> pPCL)."), "ADSL")


# --- 14.2 dose escalation -----------------------------------------------------------------

def escalation_history(history: pd.DataFrame, protocol: Protocol) -> pd.DataFrame:
    """Lay out the escalation history (``cartrial.conduct.escalation_history``) for Table 14.2.1.

    The history is not guessed here: conduct re-derives it from the recorded study parts and
    cohorts (SUPPDM) and the data known on each decision date, or takes the committee's own
    meeting cut-offs (``cartrial.conduct.decisions_on``). One row per decision: date, cohort
    enrolled, dose, patients and DLTs per dose as known then, pending, the design's decision and
    the cohort recorded next (a difference is flagged).
    """
    rows = []
    ids = protocol.dose_ids
    for i, r in enumerate(history.itertuples(index=False), start=1):
        per_dose = ", ".join(f"{d} {getattr(r, f'dlt_{d}')}/{getattr(r, f'n_{d}')}" for d in ids
                             if getattr(r, f"n_{d}"))
        pend = sum(int(getattr(r, f"pending_{d}")) for d in ids)
        nxt = r.next_dose if isinstance(r.next_dose, str) and r.next_dose else "-"
        rec = getattr(r, "recorded_dose", None)
        rec = rec if isinstance(rec, str) and rec else ""
        flag = " (departs from the design)" if rec and nxt != "-" and rec != nxt else ""
        rows.append({
            "Decision": str(i), "Date": str(r.date),
            "Cohort": "" if r.cohort != r.cohort else str(int(r.cohort)),
            "Dose level": r.current_dose,
            "DLT/patients by dose": per_dose or "none treated",
            "Pending": str(pend),
            "Action": r.action, "Next dose": nxt,
            "Cohort treated next": (rec + flag) if rec else "",
            "Rule": r.reason,
        })
    return pd.DataFrame(rows)


def table_escalation(history: pd.DataFrame, protocol: Protocol, number: str) -> ReportTable:
    """Table 14.2.1: the escalation history, labelled with its basis (``history["basis"]``):
    the committee's own record (``conduct.escalation_record``) when there is one."""
    if len(history) and str(history["basis"].iloc[0]) == "committee record":
        from cartrial.report.escalation_record import table_escalation_record

        return table_escalation_record(history, protocol, number)
    basis = str(history["basis"].iloc[0]) if len(history) and "basis" in history else \
        "re-derived from the data"
    h = escalation_history(history, protocol)
    d = protocol.design
    return table_from_wide(number, f"Dose-escalation history ({basis})",
                           "Dose-escalation (and backfill) patients; expansion patients excluded",
                           h, row_label="Decision", footnotes=(
        f"Design: {d.name.upper()}, target DLT rate {d.target:.2f}, cohorts of {d.cohort_size}, "
        f"DLT window {d.dlt_window_days} days, maximum {d.max_sample_size} patients "
        f"(cap {d.cap_per_dose} per dose).",
        f"{basis[0].upper() + basis[1:]}: study part and cohort as recorded (SUPPDM PART, "
        "COHORT), dose level DM.ACTARMCD; each decision is the design's on the data known on "
        "its date (DLT adjudication by the safety engine at that cut-off).",
        "Dates without a committee record: the study opens at the first informed consent; "
        "a cohort is reviewed 3 days after its last patient completes the DLT window (TITE "
        "designs: 7 days after its last infusion); while suspended, again the day after each "
        "event (a DLT known, a window closing; phase I/II designs: also a response known by the "
        "efficacy engine); the dose is selected on complete escalation data."),
        source="DM, SUPPDM, EX and the safety engine's DLT adjudication at each date")


def table_decision(protocol: Protocol, number: str) -> ReportTable | None:
    name = protocol.design.name
    if name not in ("boin", "3+3", "i3+3", "mtpi2"):
        return None
    kw = {"cohort_size": protocol.design.cohort_size,
          "max_n": protocol.design.cap_per_dose or protocol.design.max_sample_size,
          "cutoff": protocol.design.elimination_cutoff}
    if name in ("i3+3", "mtpi2"):
        kw.update(epsilon_low=protocol.design.interval.epsilon_low,
                  epsilon_high=protocol.design.interval.epsilon_high)
    dt = decision_table(name, protocol.design.target, **kw)
    s = dt.summary
    w = pd.DataFrame({
        "Patients treated at the dose (n)": s["n"].astype(str),
        "Escalate if DLTs <=": s["escalate_if_le"].astype("string").fillna("-"),
        "De-escalate if DLTs >=": s["deescalate_if_ge"].astype("string").fillna("-"),
        "Eliminate the dose if DLTs >=": s["eliminate_if_ge"].astype("string").fillna("-"),
    })
    return table_from_wide(number, f"Decision table of the {name.upper()} design",
                           "Design (not data)", w, row_label="Patients treated at the dose (n)",
                           footnotes=(str(dt.method),), source="the protocol's design")


# --- figures over ADaM ----------------------------------------------------------------------

def nominal_day(days: np.ndarray, schedule: Sequence[int]) -> np.ndarray:
    """The protocol's nominal day closest to each actual day (ties to the earlier one)."""
    sch = np.asarray(sorted(schedule), dtype=float)
    d = np.asarray(days, dtype=float)
    i = np.clip(np.searchsorted(sch, d), 1, len(sch) - 1) if len(sch) > 1 else np.zeros(
        len(d), dtype=int)
    if len(sch) == 1:
        return np.full(len(d), sch[0])
    lo, hi = sch[i - 1], sch[i]
    return np.where(np.abs(d - lo) <= np.abs(hi - d), lo, hi)


# --- 14.4 efficacy ------------------------------------------------------------------------

def _ci(lo: float, hi: float) -> str:
    if lo != lo or hi != hi:
        return "NE"
    return f"{100 * lo:.1f}, {100 * hi:.1f}"


def table_response(rates: pd.DataFrame, number: str, population: str,
                   footnotes: Sequence[str]) -> ReportTable:
    """ORR, VGPR or better, CR or better (with exact CIs) and best response categories."""
    groups = list(dict.fromkeys(rates["group"]))
    groups = [g for g in groups if g != OVERALL] + ([OVERALL] if OVERALL in groups else [])
    cells: list[tuple] = []
    for _, r in rates.iterrows():
        head = f"{r['group']} (N={int(r['N'])})"
        main = r["endpoint"] in ("ORR", "VGPRPLUS", "CRPLUS")
        n_pct = fmt_n_pct(int(r["n"]), int(r["N"]))[0]
        if main:  # the rate and its confidence interval in one cell
            cells.append((f"{r['label']}, n (%) [95% CI]", head,
                          f"{n_pct} [{_ci(r['ci_low'], r['ci_high'])}]", 0, r["group"]))
        else:
            cells.append((f"Best response: {r['endpoint']}, n (%)", head, n_pct, 1, r["group"]))
    df = pd.DataFrame(cells, columns=["row", "column", "value", "indent", "_grp"])
    order = {g: i for i, g in enumerate(groups)}
    df["_g"] = df.pop("_grp").map(order)
    rows = list(dict.fromkeys(df["row"]))
    df["_r"] = df["row"].map({r: i for i, r in enumerate(rows)})
    df = df.sort_values(["_r", "_g"], kind="stable").drop(columns=["_g", "_r"])
    return ReportTable(number, "Best overall response (IMWG 2016)", population,
                       df.reset_index(drop=True), tuple(footnotes), "ADRS (PARAMCD = CBOR)")


def table_mrd(mrd: pd.DataFrame, number: str, footnotes: Sequence[str]) -> ReportTable:
    m = mrd.copy()
    m["row"] = m["timepoint"].astype(str) + ", " + m["population"].astype(str) + ": " + \
        m["label"].astype(str)
    m["column"] = m["group"].astype(str)
    m["value"] = [f"{fmt_n_pct(int(n), int(d))[0]} [{_ci(lo, hi)}]" if d else "0/0"
                  for n, d, lo, hi in zip(m["n"], m["N"], m["ci_low"], m["ci_high"], strict=True)]
    m["value"] = m["value"] + " of " + m["N"].astype(int).astype(str)
    cells = m[["row", "column", "value"]].drop_duplicates(["row", "column"])
    return ReportTable(number, "MRD negativity in bone marrow", "Infused, by denominator",
                       cells.reset_index(drop=True), tuple(footnotes), "ADRS (PARAMCD = MRD)")


def table_tte(summary: pd.DataFrame, landmarks: pd.DataFrame, number: str,
              footnotes: Sequence[str]) -> ReportTable:
    """Median PFS, OS, DOR (Kaplan-Meier, CI) and TTR, events/censored, landmark rates."""
    cells = []
    for _, r in summary.iterrows():
        head = f"{r['group']}"
        ep = r["endpoint"]
        cells.append((f"{ep}: patients", head, str(int(r["N"])), 0))
        cells.append((f"{ep}: events / censored", head,
                      f"{int(r['events'])} / {int(r['censored'])}", 1))
        med = "NR" if r["median"] != r["median"] else f"{r['median']:.1f}"
        if ep == "TTR":
            cells.append((f"{ep}: median (min-max), months", head,
                          f"{med} ({r['min']:.1f}-{r['max']:.1f})" if r["N"] else "NE", 1))
        else:
            lo = "NE" if r["ci_low"] != r["ci_low"] else f"{r['ci_low']:.1f}"
            hi = "NR" if r["ci_high"] != r["ci_high"] else f"{r['ci_high']:.1f}"
            cells.append((f"{ep}: median (95% CI), months", head, f"{med} ({lo}, {hi})", 1))
    for _, r in landmarks.iterrows():
        v = "NE" if r["surv"] != r["surv"] else (
            f"{100 * r['surv']:.1f}% ({_ci(r['ci_low'], r['ci_high'])})")
        cells.append((f"{r['endpoint']}: event-free at {r['month']:g} months (95% CI)",
                      f"{r['group']}", v, 1))
    df = pd.DataFrame(cells, columns=["row", "column", "value", "indent"]).drop_duplicates(
        ["row", "column"])
    ep_order = {"PFS": 0, "OS": 1, "DOR": 2, "TTR": 3}
    df["_e"] = df["row"].str.split(":").str[0].map(ep_order)
    df = df.sort_values(["_e"], kind="stable").drop(columns="_e")
    return ReportTable(number, "Time-to-event endpoints", "Leukapheresed (PFS, OS, TTR); "
                       "responders (DOR)", df.reset_index(drop=True), tuple(footnotes), "ADTTE")
