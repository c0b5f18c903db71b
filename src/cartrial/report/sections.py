"""The study report's numbered tables and figures, built from the engines' results and ADaM.

Numbering follows a clinical study report: 14.1 trial summary, 14.2 dose escalation and DLTs,
14.3 safety, 14.4 efficacy, 14.5 cellular kinetics, 16.2 patient listings. Every table states
its population and, in footnotes, the method (criteria versions, CI methods, censoring rules).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from cartrial.conduct import recommend
from cartrial.design import decision_table
from cartrial.protocol.model import Protocol
from cartrial.report.document import ReportFigure
from cartrial.report.figures import (
    figure_bytes,
    km_figure,
)
from cartrial.report.table import ReportTable, fmt_n_pct, table_from_wide

OVERALL = "Overall"
SWIMMER_MAX = 100
RESPONSE_ORDER = ["sCR", "CR", "VGPR", "PR", "MR", "SD", "PD", "NE"]


def dose_id(trt01a: pd.Series) -> pd.Series:
    """DL1 from "DL1 0.1 x10^6/kg" (ADSL TRT01A)."""
    return trt01a.fillna("").astype(str).str.split(" ").str[0]


def _fig(number: str, title: str, fig, notes: Sequence[str] = (), population: str = "",
         figures: dict | None = None, name: str = "") -> ReportFigure:
    svg = figure_bytes(fig, "svg")
    if figures is not None:  # name -> (PNG bytes, SVG bytes): drawn once for HTML and files
        figures[name or f"figure_{number.replace('.', '_')}"] = (figure_bytes(fig, "png"), svg)
        # a figure of thousands of patients' curves is large: closed as soon as it is drawn
        plt.close(fig)
    return ReportFigure(number, title, svg.decode("utf-8"), tuple(notes), population)


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
        ("DLT-evaluable", a.get("DLTEVLFL", pd.Series("", index=a.index)) == "Y", 0),
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
    return ReportTable(number, "Analysis populations and disposition", "Leukapheresed", df, (
        "Infused = received the CAR-T product (EX, EXCAT = INVESTIGATIONAL PRODUCT). "
        "DLT-evaluable = DLT, or follow-up through the "
        f"{protocol.design.dlt_window_days}-day DLT window (protocol DLT-evaluability rule). "
        "Efficacy-evaluable = infused with >= 1 disease assessment after infusion.",
        "Population from the MH primary diagnosis (Plasma cell myeloma -> RRMM, "
        "Plasma cell leukaemia -> pPCL)."), "ADSL")


def table_demographics(adsl: pd.DataFrame, protocol: Protocol, number: str) -> ReportTable:
    """Age, sex and disease population of the safety population by dose level."""
    s = adsl[adsl["SAFFL"] == "Y"].copy()
    s["COL"] = dose_id(s["TRT01A"])
    cols = [d for d in protocol.dose_ids if (s["COL"] == d).any()] + [OVERALL]
    cells = []
    for c in cols:
        g = s if c == OVERALL else s[s["COL"] == c]
        head = f"{c} (N={len(g)})"
        age = g["AGE"].astype(float)
        cells.append(("Age, years: median (min-max)", head,
                      f"{age.median():.0f} ({age.min():.0f}-{age.max():.0f})" if len(g) else "",
                      0))
        cells.append(("Age >= 65 years", head, fmt_n_pct((age >= 65).sum(), len(g))[0], 0))
        for sex, lab in (("M", "Male"), ("F", "Female")):
            cells.append((f"Sex: {lab}", head, fmt_n_pct((g["SEX"] == sex).sum(), len(g))[0], 0))
        for code, lab in (("RRMM", "RRMM"), ("PPCL", "pPCL")):
            cells.append((f"Population: {lab}", head,
                          fmt_n_pct((g["POPCD"] == code).sum(), len(g))[0], 0))
        gap = (g["TRTSDT"] - g["APHDT"]).dt.days.astype(float)
        cells.append(("Days from leukapheresis to infusion: median (min-max)", head,
                      f"{gap.median():.0f} ({gap.min():.0f}-{gap.max():.0f})"
                      if gap.notna().any() else "", 0))
    df = pd.DataFrame(cells, columns=["row", "column", "value", "indent"])
    return ReportTable(number, "Demographics and baseline characteristics", "Safety (infused)",
                       df, ("Percentages of the patients in the column (N).",), "ADSL")


# --- 14.2 dose escalation -----------------------------------------------------------------

def escalation_history(adsl: pd.DataFrame, dlt_patients: pd.DataFrame,
                       protocol: Protocol) -> pd.DataFrame:
    """The dose-escalation history as the safety review committee minutes would record it.

    Escalation cohorts are the first ``design.max_sample_size`` infused patients in infusion
    order, ``cohort_size`` at a time at one dose. Each cohort is reviewed once all its patients
    completed the DLT window or had a DLT; the design (``cartrial.conduct.recommend``) is applied
    to every patient's DLT status as known on that date (DLTs with onset after it are not yet
    known; follow-up is truncated at it).
    """
    window = protocol.design.dlt_window_days
    p = dlt_patients.merge(adsl[["USUBJID", "TRTSDT"]], on="USUBJID", how="inner")
    p = p.rename(columns={"TRTSDT": "INFUSION_DATE"})
    p["DOSE_INDEX"] = p["DOSE_LEVEL"].map({d: i for i, d in enumerate(protocol.dose_ids)})
    p = p.dropna(subset=["DOSE_INDEX", "INFUSION_DATE"]).sort_values(
        ["INFUSION_DATE", "USUBJID"], kind="stable").reset_index(drop=True)
    p["DOSE_INDEX"] = p["DOSE_INDEX"].astype(int)
    esc = p.head(protocol.design.max_sample_size).copy()
    run = (esc["DOSE_INDEX"] != esc["DOSE_INDEX"].shift()).cumsum()
    pos = esc.groupby(run).cumcount()
    esc["COHORT"] = (run.astype(str) + "-" + (pos // protocol.design.cohort_size).astype(str))
    esc["COHORT"] = esc["COHORT"].map({k: i + 1 for i, k in enumerate(dict.fromkeys(
        esc["COHORT"]))})
    onset = p["DLT_ONSET_DAY"].astype(float)
    known_day = np.where(p["DLT"] == "yes", onset, window)
    p["_REVIEW"] = p["INFUSION_DATE"] + pd.to_timedelta(np.minimum(known_day, window) + 1, "D")
    rows = []
    for k, c in esc.groupby("COHORT", sort=True):
        review = p.loc[p["USUBJID"].isin(c["USUBJID"]), "_REVIEW"].max()
        seen = p[p["INFUSION_DATE"] <= review].copy()
        fu = np.minimum((review - seen["INFUSION_DATE"]).dt.days.astype(float),
                        seen["FOLLOWUP_DAY"].astype(float))
        dlt_known = (seen["DLT"] == "yes") & (seen["DLT_ONSET_DAY"].astype(float) <= fu)
        left = seen["DEATH_DAY"].notna() | seen["WITHDRAWN"].astype(bool)
        status = np.where(dlt_known, "yes", np.where((fu >= window) | left, "no", "pending"))
        asof = pd.DataFrame({"USUBJID": seen["USUBJID"], "DOSE_INDEX": seen["DOSE_INDEX"],
                             "INFUSION_DATE": seen["INFUSION_DATE"], "DLT": status,
                             "FOLLOWUP_DAY": fu, "DLT_EVALUABLE": dlt_known | (fu >= window)})
        rec = recommend(asof, protocol)
        d = rec.decision
        at = asof[asof["DOSE_INDEX"] == int(c["DOSE_INDEX"].iloc[0])]
        nxt = protocol.dose_ids[d.next_dose] if d.next_dose is not None else "-"
        rows.append({
            "Cohort": str(k), "Review date": review.strftime("%Y-%m-%d"),
            "Dose level": protocol.dose_ids[int(c["DOSE_INDEX"].iloc[0])],
            "Patients in cohort": str(len(c)),
            "DLTs in cohort": str(int((c["DLT"] == "yes").sum())),
            "At dose: DLT/evaluable": f"{int((at['DLT'] == 'yes').sum())}/"
                                      f"{int(at['DLT_EVALUABLE'].sum())}",
            "Pending": str(int((asof["DLT"] == "pending").sum())),
            "Decision": f"{d.action} -> {nxt}" if d.action not in ("stop",) else "stop",
            "Rule": d.reason,
        })
    return pd.DataFrame(rows)


def table_escalation(adsl, dlt_patients, protocol: Protocol, number: str) -> ReportTable:
    h = escalation_history(adsl, dlt_patients, protocol)
    return table_from_wide(number, "Dose-escalation history by cohort (committee record)",
                           "DLT-evaluable escalation cohorts", h, row_label="Cohort", footnotes=(
        f"Design: {protocol.design.name.upper()}, target DLT rate {protocol.design.target:.2f}, "
        f"cohorts of {protocol.design.cohort_size}, DLT window {protocol.design.dlt_window_days} "
        f"days, maximum {protocol.design.max_sample_size} patients "
        f"(cap {protocol.design.cap_per_dose} per dose).",
        "Each cohort is reviewed when all its patients completed the DLT window or had a DLT; "
        "the decision is the design's, re-derived from the data known on the review date; "
        "the rule column quotes the design's reason.",
        "Escalation cohorts: the first infused patients, in infusion order, up to the "
        "design's maximum sample size; later patients are expansion."),
        source="ADSL, DLT adjudication (safety engine)")


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

def swimmer_data(adsl: pd.DataFrame, adrs: pd.DataFrame | None,
                 limit: int = SWIMMER_MAX) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Lanes and events of the swimmer plot (days from infusion) for infused patients, the
    first ``limit`` in infusion order; returns (lanes, events, number of infused patients)."""
    s = adsl[adsl["SAFFL"] == "Y"].sort_values(["TRTSDT", "USUBJID"], kind="stable")
    n_all = len(s)
    s = s.head(limit)
    inf = s["TRTSDT"]
    end = s["DTHDT"].fillna(s["LSTALVDT"])
    lanes = pd.DataFrame({
        "USUBJID": s["USUBJID"].to_numpy(), "GROUP": dose_id(s["TRT01A"]).to_numpy(),
        "START": (s["APHDT"] - inf).dt.days.fillna(0).to_numpy(dtype=float),
        "END": (end - inf).dt.days.to_numpy(dtype=float),
        "ONGOING": ((s["EOSSTT"] == "ONGOING") & (s["DTHFL"] != "Y")).to_numpy()})
    ev = [pd.DataFrame({"USUBJID": lanes["USUBJID"], "DAY": lanes["START"], "EVENT": "Apheresis"}),
          pd.DataFrame({"USUBJID": lanes["USUBJID"], "DAY": 0.0, "EVENT": "Infusion"})]
    dead = s["DTHDT"].notna().to_numpy()
    ev.append(pd.DataFrame({"USUBJID": lanes["USUBJID"][dead], "DAY": lanes["END"][dead],
                            "EVENT": "Death"}))
    if adrs is not None and len(adrs):
        o = adrs[(adrs["PARAMCD"] == "COVR") & adrs["USUBJID"].isin(lanes["USUBJID"])
                 & adrs["AVALC"].isin(["sCR", "CR", "VGPR", "PR", "PD"])]
        first = o.sort_values("ADT", kind="stable").drop_duplicates(["USUBJID", "AVALC"])
        day = (first["ADT"] - first["USUBJID"].map(s.set_index("USUBJID")["TRTSDT"])).dt.days
        ev.append(pd.DataFrame({"USUBJID": first["USUBJID"], "DAY": day.astype(float),
                                "EVENT": first["AVALC"]}))
    return lanes, pd.concat(ev, ignore_index=True), n_all


def waterfall_data(adrs: pd.DataFrame, adsl: pd.DataFrame) -> pd.DataFrame:
    """Best (lowest) % change of the measurable marker per efficacy-evaluable patient."""
    o = adrs[(adrs["PARAMCD"] == "OVR") & adrs["PCHG"].notna() & (adrs["EFFFL"] == "Y")]
    best = o.groupby("USUBJID", as_index=False)["PCHG"].min()
    best["GROUP"] = dose_id(best["USUBJID"].map(adsl.set_index("USUBJID")["TRT01A"]))
    return best


def spider_data(adrs: pd.DataFrame, adsl: pd.DataFrame) -> pd.DataFrame:
    o = adrs[(adrs["PARAMCD"] == "OVR") & adrs["PCHG"].notna() & (adrs["EFFFL"] == "Y")]
    return pd.DataFrame({"USUBJID": o["USUBJID"].to_numpy(),
                         "GROUP": dose_id(o["TRT01A"]).to_numpy(),
                         "DAY": (o["ADY"].astype(float) - 1).to_numpy(),
                         "PCHG": o["PCHG"].to_numpy(dtype=float)})


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
                          f"{n_pct} [{_ci(r['lower'], r['upper'])}]", 0, r["group"]))
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
                  for n, d, lo, hi in zip(m["n"], m["N"], m["lower"], m["upper"], strict=True)]
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
            lo = "NE" if r["lower"] != r["lower"] else f"{r['lower']:.1f}"
            hi = "NR" if r["upper"] != r["upper"] else f"{r['upper']:.1f}"
            cells.append((f"{ep}: median (95% CI), months", head, f"{med} ({lo}, {hi})", 1))
    for _, r in landmarks.iterrows():
        v = "NE" if r["surv"] != r["surv"] else (
            f"{100 * r['surv']:.1f}% ({_ci(r['lower'], r['upper'])})")
        cells.append((f"{r['endpoint']}: event-free at {r['month']:g} months (95% CI)",
                      f"{r['group']}", v, 1))
    df = pd.DataFrame(cells, columns=["row", "column", "value", "indent"]).drop_duplicates(
        ["row", "column"])
    ep_order = {"PFS": 0, "OS": 1, "DOR": 2, "TTR": 3}
    df["_e"] = df["row"].str.split(":").str[0].map(ep_order)
    df = df.sort_values(["_e"], kind="stable").drop(columns="_e")
    return ReportTable(number, "Time-to-event endpoints", "Leukapheresed (PFS, OS, TTR); "
                       "responders (DOR)", df.reset_index(drop=True), tuple(footnotes), "ADTTE")


def km_figures(km: dict, summary: pd.DataFrame, start: int, endpoints: Sequence[str],
               figures: dict, notes: Sequence[str]) -> list[ReportFigure]:
    out = []
    titles = {"PFS": "Progression-free survival", "OS": "Overall survival",
              "DOR": "Duration of response"}
    for i, ep in enumerate(endpoints):
        curves = {g: fit.table.assign(time=fit.table["time"]) for (e, g), fit in km.items()
                  if e == ep and g != OVERALL}
        if not curves:
            continue
        med = {}
        for (e, g), fit in km.items():
            if e == ep and g in curves:
                m = fit.median
                med[g] = "NR" if m != m else f"{m:.1f}"
        out.append(_fig(f"14.4.{start + i}", f"Kaplan-Meier curve of {titles.get(ep, ep)} by "
                        "dose level", km_figure(curves, xlabel="Months", medians=med),
                        notes, "Leukapheresed" if ep != "DOR" else "Responders", figures,
                        f"km_{ep.lower()}"))
    return out
