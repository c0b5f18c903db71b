"""The report's numbered figures (Figure 14.3.1, 14.4.1-6, 14.5.1) from ADaM, SDTM and the
engines' results: the data each figure draws, its population and its caption.

Day convention: days since CAR-T infusion, day 0 = the day of infusion, in every figure (ADaM
ADY is the CDISC study day, infusion = day 1, so day = ADY - 1).
"""

from __future__ import annotations

import pandas as pd

from cartrial.efficacy.rates import OVERALL  # the one word for all patients, as in the tables
from cartrial.report.document import ReportFigure
from cartrial.report.fig_crs import crs_icans_figure, primary_grades, syndrome_bars
from cartrial.report.fig_kinetics import common_lloq, kinetics_figure
from cartrial.report.fig_km import km_figure
from cartrial.report.fig_response import CLIP, n_clipped, spider_figure, waterfall_figure
from cartrial.report.fig_swimmer import swimmer_data, swimmer_figure

DAY0 = "Days since CAR-T infusion (day 0 = infusion)."
IMWG = "IMWG 2016 (Kumar S et al., Lancet Oncol 2016;17:e328-46)"
MAX_PATIENTS = 100  # per-patient figures (swimmer, CRS / ICANS) draw the first infused
KM_TITLES = {"PFS": ("Progression-free survival", "Months since leukapheresis"),
             "OS": ("Overall survival", "Months since leukapheresis"),
             "DOR": ("Duration of response", "Months since first response")}


def _dose(trt01a: pd.Series) -> pd.Series:
    return trt01a.fillna("").astype(str).str.split(" ").str[0]


def marker_data(adrs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-assessment and best % change of the measurable marker (efficacy-evaluable patients,
    ADRS PARAMCD = OVR), with each patient's best overall response (CBOR).

    Parameters
    ----------
    adrs : pandas.DataFrame
        ADRS (USUBJID, PARAMCD, AVALC, PCHG, ADY, MDTYPE, EFFFL).

    Returns
    -------
    tuple of pandas.DataFrame
        (best: USUBJID, PCHG, BEST, MARKER; series: USUBJID, DAY, PCHG, BEST).

    Examples
    --------
    >>> a = pd.DataFrame({"USUBJID": ["A"] * 3, "PARAMCD": ["OVR", "OVR", "CBOR"],
    ...     "AVALC": ["PR", "VGPR", "VGPR"], "PCHG": [-60.0, -92.0, None],
    ...     "ADY": [29, 57, None], "MDTYPE": ["SERUM", "SERUM", None], "EFFFL": ["Y"] * 3})
    >>> best, series = marker_data(a)
    >>> best[["PCHG", "BEST", "MARKER"]].values.tolist(), series["DAY"].tolist()
    ([[-92.0, 'VGPR', 'SERUM']], [28.0, 56.0])
    """
    cb = adrs[adrs["PARAMCD"] == "CBOR"].drop_duplicates("USUBJID").set_index("USUBJID")["AVALC"]
    o = adrs[(adrs["PARAMCD"] == "OVR") & adrs["PCHG"].notna() & (adrs["EFFFL"] == "Y")]
    o = o.assign(BEST=o["USUBJID"].map(cb).fillna("NE"))
    best = o.sort_values(["USUBJID", "PCHG"], kind="stable").drop_duplicates("USUBJID")
    best = pd.DataFrame({"USUBJID": best["USUBJID"].to_numpy(),
                         "PCHG": best["PCHG"].to_numpy(dtype=float),
                         "BEST": best["BEST"].to_numpy(), "MARKER": best["MDTYPE"].to_numpy()})
    series = pd.DataFrame({"USUBJID": o["USUBJID"].to_numpy(),
                           "DAY": o["ADY"].to_numpy(dtype=float) - 1.0,
                           "PCHG": o["PCHG"].to_numpy(dtype=float),
                           "BEST": o["BEST"].to_numpy()})
    return best, series


def efficacy_figures(adsl: pd.DataFrame, adrs: pd.DataFrame, cm: pd.DataFrame | None,
                     efficacy, figures: dict) -> list[ReportFigure]:
    """Figures 14.4.1 (swimmer), 14.4.2 (waterfall), 14.4.3 (spider) and 14.4.4-6 (PFS, OS,
    DOR Kaplan-Meier over the population of Table 14.4.3)."""
    from cartrial.report.sections import _fig

    lanes, events, k = swimmer_data(adsl, adrs, cm, limit=MAX_PATIENTS)
    note = [f"{DAY0} Bar from infusion to death or last contact, coloured by best overall "
            f"response ({IMWG}); markers at the first assessment of each event (response = "
            "first confirmed PR or better; MRD negativity in bone marrow; new therapy = first "
            "subsequent anti-myeloma therapy, CM)."]
    if k["new_therapy_month_only"]:
        note.append(f"{k['new_therapy_month_only']} new-therapy start(s) known only to the "
                    "month are not drawn.")
    if len(lanes) < k["infused"]:
        note.append(f"First {len(lanes)} of {k['infused']} infused patients in infusion order.")
    items = [_fig("14.4.1", "Swimmer plot of time on study and response",
                  swimmer_figure(lanes, events), note, f"Safety (infused), N = {k['infused']}",
                  figures, "swimmer")]
    best, series = marker_data(adrs)
    if len(best):
        thr = (f"Thresholds of {IMWG}, read against the marker each bar measures: serum "
               "M-protein -25% MR, -50% PR, -90% VGPR; urine M-protein -90% PR; dFLC -50% PR. "
               "Progression (+25% from the nadir) is not drawn.")
        items.append(_fig("14.4.2", "Waterfall plot of the best change in the disease marker",
                          waterfall_figure(best), [
                              "Best = lowest post-baseline value of the measurable marker "
                              f"(IMWG hierarchy: serum M-protein, urine M-protein, dFLC); bars "
                              f"above +{CLIP:.0f}% drawn at +{CLIP:.0f}%.", thr],
                          f"Efficacy-evaluable, N = {len(best)}", figures, "waterfall"))
        items.append(_fig("14.4.3", "Spider plot of the change in the disease marker over time",
                          spider_figure(series), [
                              f"{DAY0} Values above +{CLIP:.0f}% are drawn at +{CLIP:.0f}% "
                              f"(open triangles; {n_clipped(series)} patient(s) clipped); "
                              "non-responders dashed.", thr],
                          f"Efficacy-evaluable, N = {len(best)}", figures, "spider"))
    items += km_items(efficacy, figures, 4)
    return items


def km_items(efficacy, figures: dict, start: int) -> list[ReportFigure]:
    """The overall Kaplan-Meier curve of PFS, OS and DOR (the population of Table 14.4.3)."""
    from cartrial.report.sections import _fig

    notes = list(efficacy.footnotes)
    out = []
    for i, (ep, (title, xlab)) in enumerate(KM_TITLES.items()):
        fit = efficacy.km.get((ep, OVERALL))
        if fit is None:
            continue
        # as Table 14.4.3: a missing lower limit is not estimable, a missing upper not reached
        med = "not reached" if fit.median != fit.median else f"{fit.median:.1f} months"
        lo_v, hi_v = fit.median_ci
        lo = "NE" if lo_v != lo_v else f"{lo_v:.1f}"
        hi = "NR" if hi_v != hi_v else f"{hi_v:.1f}"
        pop = ("Responders" if ep == "DOR" else "Leukapheresed (intent-to-treat)") + \
            f", N = {fit.n}"
        out.append(_fig(f"14.4.{start + i}", f"Kaplan-Meier curve of {title.lower()}",
                        km_figure({OVERALL: fit}, xlabel=xlab,
                                  ylabel=f"{title} probability",
                                  medians={OVERALL: f"{med} (95% CI {lo}, {hi}); "
                                           f"{fit.n_events} events"}),
                        [*notes[2:4], "| = censored; band = pointwise "
                         f"{100 * fit.confidence_level:g}% CI; NR = not reached."], pop,
                        figures, f"km_{ep.lower()}"))
    return out


def crs_icans_item(adsl: pd.DataFrame, safety, primary: str, crit: str,
                   figures: dict) -> ReportFigure:
    """Figure 14.3.1: CRS and ICANS onset and duration, by dose level, with tocilizumab and
    corticosteroid markers."""
    from cartrial.report.sections import _fig

    s = adsl[adsl["SAFFL"] == "Y"].sort_values(["TRTSDT", "USUBJID"], kind="stable")
    n_all = len(s)
    s = s.head(MAX_PATIENTS)  # a lane per patient: a large trial shows its first infused
    dose = pd.Series(_dose(s["TRT01A"]).to_numpy(), index=s["USUBJID"].to_numpy())
    bars, tx = syndrome_bars({"CRS": safety.crs.episodes, "ICANS": safety.icans.episodes},
                             {"CRS": safety.crs.timepoints, "ICANS": safety.icans.timepoints},
                             dose)
    source = safety.method.get("crs_icans_grade_source", "derived")
    bars = primary_grades(bars, safety.syndrome_events, source)
    colour = ("worst derived grade of the episode" if source == "derived" else
              "worst investigator-reported grade of the AE records matched to the episode "
              "(dotted: an episode no AE record reports)")
    note = [crit, f"{DAY0} Bar from onset to resolution of each episode derived from the daily "
            "assessments (to the last graded assessment when unresolved, arrow); colour = "
            f"{colour}.", primary + " Events whose reported and derived "
            "grades differ: Table 14.3.2.1.",
            f"Patients without CRS or ICANS are not drawn ({len(dose) - bars['USUBJID'].nunique()}"
            f" of {len(dose)})."]
    if len(dose) < n_all:
        note.append(f"First {len(dose)} of {n_all} infused patients in infusion order.")
    return _fig("14.3.1", "CRS and ICANS onset and duration by dose level",
                crs_icans_figure(bars, tx, totals=dose.value_counts().to_dict()), note,
                f"Safety (infused), N = {n_all}", figures, "crs_icans_timeline")


def kinetics_item(prof: pd.DataFrame, dose: pd.Series, schedule, figures: dict
                  ) -> ReportFigure | None:
    """Figure 14.5.1: CAR transgene in whole blood (``pc_profiles`` rows), linear time, LLOQ."""
    from cartrial.report.labels import ANALYTE_LABELS
    from cartrial.report.sections import _fig, nominal_day

    p = prof[(prof["PCTESTCD"] == "CARTRNSG") & (prof["time_days"] > 0)]
    if "PCSPEC" in p:
        p = p[p["PCSPEC"] == "WHOLE BLOOD"]
    q = p[~p["blq"].astype(bool)]
    if not len(q):
        return None
    conc = pd.DataFrame({"USUBJID": q["USUBJID"].to_numpy(),
                         "GROUP": q["USUBJID"].map(dose).to_numpy(),
                         "DAY": q["time_days"].to_numpy(dtype=float),
                         "NOMDAY": nominal_day(q["time_days"].to_numpy(dtype=float), schedule),
                         "CONC": q["conc"].to_numpy(dtype=float)})
    conc = conc.sort_values(["GROUP", "USUBJID", "DAY"], kind="stable")
    lloq = common_lloq(p["lloq"])
    label = ANALYTE_LABELS["CARTRNSG"]
    unit = label[label.rindex("(") + 1:-1]
    note = [f"{DAY0} Thin grey lines = patients, coloured line = median at each nominal day; "
            f"time on a linear axis, concentration on a log axis.",
            (f"Dashed line = LLOQ ({lloq:g} {unit}, PC PCLLOQ); " if lloq is not None else
             "LLOQ not drawn (not recorded or not the same for every sample); ")
            + f"{int(p['blq'].astype(bool).sum())} samples below it are not drawn."]
    return _fig("14.5.1", "CAR transgene in whole blood over time: individual profiles and "
                "median by dose level", kinetics_figure(conc, lloq=lloq, unit=unit,
                                                        analyte=label[:label.rindex("(")].strip()),
                note, f"Infused with kinetics samples, N = {conc['USUBJID'].nunique()}", figures,
                "kinetics")
