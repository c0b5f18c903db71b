"""CRS and ICANS onset and duration per patient, grouped by dose level: one bar per episode from
onset to resolution (to the last graded assessment when unresolved, with an arrow), coloured
and hatched by the episode's worst grade (ASTCT 2019: Lee DW et al., Biol Blood Marrow
Transplant 2019;25:625-38), with markers at the first assessment on tocilizumab and on a
corticosteroid.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from cartrial.report.figures import GRADE_STYLE, _fig, _lay_out, _require, add_legend, dose_rules

SYNDROMES = ("CRS", "ICANS")
NOT_REPORTED = ("#ffffff", "..")  # an episode no AE record reports (primary = reported grade)
# therapy -> (marker, face colour, label, offset from the bar's centre line: both stay visible
# when given on the same day)
THERAPY = {"TOCILIZUMAB": ("v", "#ffffff", "Tocilizumab (first dose)", 0.17),
           "STEROID": ("o", "#000000", "Corticosteroid (first dose)", -0.17)}


def syndrome_bars(episodes: dict[str, pd.DataFrame], timepoints: dict[str, pd.DataFrame],
                  dose: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Bars and therapy markers of :func:`crs_icans_figure` from the safety engine's episodes.

    Parameters
    ----------
    episodes : dict
        "CRS" / "ICANS" -> episodes (:func:`cartrial.safety.summarise_episodes`: USUBJID,
        EPISODE, ONSET_DAY, LAST_DAY, RESOLVED, RESOLUTION_DAY, MAX_GRADE).
    timepoints : dict
        "CRS" / "ICANS" -> graded time points (USUBJID, DAY, EPISODE and the therapy flags
        TOCILIZUMAB, STEROID where the syndrome records them).
    dose : pandas.Series
        USUBJID -> dose level of the infused patients (the patients drawn).

    Returns
    -------
    tuple of pandas.DataFrame
        (bars: USUBJID, GROUP, SYNDROME, EPISODE, START, END, GRADE (the worst derived
        grade), RESOLVED;
        therapy: USUBJID, SYNDROME, DAY, THERAPY), days since infusion.

    Examples
    --------
    >>> ep = pd.DataFrame({"USUBJID": ["A"], "EPISODE": [1], "ONSET_DAY": [2.0],
    ...     "LAST_DAY": [4.0], "RESOLVED": [True], "RESOLUTION_DAY": [5.0], "MAX_GRADE": [2]})
    >>> tp = pd.DataFrame({"USUBJID": ["A", "A"], "DAY": [2.0, 3.0], "EPISODE": [1, 1],
    ...                    "TOCILIZUMAB": [False, True], "STEROID": [False, False]})
    >>> bars, tx = syndrome_bars({"CRS": ep}, {"CRS": tp}, pd.Series({"A": "DL1"}))
    >>> bars[["START", "END", "GRADE"]].values.tolist(), tx["DAY"].tolist()
    ([[2.0, 5.0, 2.0]], [3.0])
    """
    bars, tx = [], []
    for syn in SYNDROMES:
        ep = episodes.get(syn)
        if ep is None or not len(ep):
            continue
        ep = ep[ep["USUBJID"].isin(dose.index)]
        end = np.where(ep["RESOLVED"].astype(bool), ep["RESOLUTION_DAY"], ep["LAST_DAY"])
        bars.append(pd.DataFrame({
            "USUBJID": ep["USUBJID"].to_numpy(), "GROUP": ep["USUBJID"].map(dose).to_numpy(),
            "SYNDROME": syn, "EPISODE": ep["EPISODE"].to_numpy(dtype=float),
            "START": ep["ONSET_DAY"].to_numpy(dtype=float),
            "END": end.astype(float), "GRADE": ep["MAX_GRADE"].to_numpy(dtype=float),
            "RESOLVED": ep["RESOLVED"].to_numpy(dtype=bool)}))
        tp = timepoints.get(syn, pd.DataFrame())
        for flag in THERAPY:
            if flag not in tp.columns:
                continue
            on = tp[(tp["EPISODE"] > 0) & tp[flag].astype(bool) & tp["USUBJID"].isin(dose.index)]
            first = on.groupby(["USUBJID", "EPISODE"], sort=True)["DAY"].min().reset_index()
            tx.append(pd.DataFrame({"USUBJID": first["USUBJID"], "SYNDROME": syn,
                                    "DAY": first["DAY"].astype(float), "THERAPY": flag}))
    cols_b = ["USUBJID", "GROUP", "SYNDROME", "EPISODE", "START", "END", "GRADE", "RESOLVED"]
    cols_t = ["USUBJID", "SYNDROME", "DAY", "THERAPY"]
    return (pd.concat(bars, ignore_index=True) if bars else pd.DataFrame(columns=cols_b),
            pd.concat(tx, ignore_index=True) if tx else pd.DataFrame(columns=cols_t))


def primary_grades(bars: pd.DataFrame, events: pd.DataFrame, source: str) -> pd.DataFrame:
    """``bars`` with GRADE the episode's worst grade by the protocol's primary grade source.

    With ``source == "derived"`` the bars keep the derived grade. With ``"reported"`` each
    episode takes the worst investigator-reported grade of the AE records matched to it
    (``events``: :func:`cartrial.safety.grade_source.syndrome_events`, whose EPISODE links a
    record to its derived episode); an episode no AE record reports gets NaN (drawn as "not
    reported as an AE").

    Parameters
    ----------
    bars : pandas.DataFrame
        :func:`syndrome_bars` bars (USUBJID, SYNDROME, EPISODE, GRADE ...).
    events : pandas.DataFrame
        USUBJID, EVENT, EPISODE, REPORTED_GRADE.
    source : str
        ``"derived"`` or ``"reported"``.

    Returns
    -------
    pandas.DataFrame
        A copy of ``bars`` with GRADE by the primary source.

    References
    ----------
    Lee DW et al., Biol Blood Marrow Transplant 2019;25:625-38 (the derived grade).

    Examples
    --------
    >>> b = pd.DataFrame({"USUBJID": ["A", "A"], "SYNDROME": ["CRS", "CRS"],
    ...                   "EPISODE": [1.0, 2.0], "GRADE": [1.0, 2.0]})
    >>> ev = pd.DataFrame({"USUBJID": ["A"], "EVENT": ["CRS"], "EPISODE": [1.0],
    ...                    "REPORTED_GRADE": [2.0]})
    >>> primary_grades(b, ev, "reported")["GRADE"].tolist()
    [2.0, nan]
    """
    if source == "derived":
        return bars.copy()
    worst = (events.dropna(subset=["EPISODE"])
             .groupby(["USUBJID", "EVENT", "EPISODE"], sort=False)["REPORTED_GRADE"].max())
    key = pd.MultiIndex.from_arrays([bars["USUBJID"].astype(str), bars["SYNDROME"],
                                     bars["EPISODE"].astype(float)])
    return bars.assign(GRADE=worst.reindex(key).to_numpy(dtype=float))


def crs_icans_figure(bars: pd.DataFrame, therapy: pd.DataFrame, *, max_day: float = 28.0,
                     totals: dict[str, int] | None = None,
                     xlabel: str = "Days since CAR-T infusion (day 0 = infusion)") -> Figure:
    """Two panels (CRS, ICANS) sharing one row per patient with an episode, patients grouped
    by dose level and ordered by first onset.

    Parameters
    ----------
    bars : pandas.DataFrame
        USUBJID, GROUP, SYNDROME, START, END, GRADE, RESOLVED (:func:`syndrome_bars`).
    therapy : pandas.DataFrame
        USUBJID, SYNDROME, DAY, THERAPY (keys of :data:`THERAPY`).
    max_day : float
        The time axis runs at least from 0 to this day.
    totals : dict, optional
        Dose level -> patients drawn from (the labels then read "DL2 (13 of 15)").
    xlabel : str
        Time axis label.

    Returns
    -------
    matplotlib.figure.Figure
        Axes 0 CRS, axes 1 ICANS; ``ax.patches`` one bar per episode; one line per therapy,
        labelled as in :data:`THERAPY`.

    Raises
    ------
    InputError
        ``bars`` or ``therapy`` lacks a column (named in the message).

    Examples
    --------
    >>> b = pd.DataFrame({"USUBJID": ["A"], "GROUP": ["DL1"], "SYNDROME": ["CRS"],
    ...     "START": [2.0], "END": [5.0], "GRADE": [2.0], "RESOLVED": [True]})
    >>> t = pd.DataFrame(columns=["USUBJID", "SYNDROME", "DAY", "THERAPY"])
    >>> len(crs_icans_figure(b, t).axes[0].patches)
    1
    """
    _require(bars, ["USUBJID", "GROUP", "SYNDROME", "START", "END", "GRADE", "RESOLVED"],
             "crs_icans_figure")
    _require(therapy, ["USUBJID", "SYNDROME", "DAY", "THERAPY"], "crs_icans_figure")
    order = (bars.groupby(["GROUP", "USUBJID"], sort=True)["START"].min().reset_index()
             .sort_values(["GROUP", "START", "USUBJID"], kind="stable"))
    n = len(order)
    ypos = dict(zip(order["USUBJID"], np.arange(n)[::-1].astype(float), strict=True))
    fig, axes = _fig(7.5, max(2.4, 0.2 * n + 1.5), ncols=2, sharey=True, squeeze=False)
    hi = max(max_day, float(bars["END"].max()) + 1 if len(bars) else max_day)
    for ax, syn in zip(axes[0], SYNDROMES, strict=True):
        b = bars[bars["SYNDROME"] == syn]
        for _, r in b.iterrows():
            col, hatch = (NOT_REPORTED if pd.isna(r["GRADE"])
                          else GRADE_STYLE[int(min(max(r["GRADE"], 0), 5))])
            ax.barh(ypos[r["USUBJID"]], r["END"] - r["START"], left=r["START"], height=0.6,
                    color=col, hatch=hatch, edgecolor="#333333", lw=0.5)
            if not r["RESOLVED"]:
                ax.annotate("", xy=(r["END"] + 1.5, ypos[r["USUBJID"]]),
                            xytext=(r["END"], ypos[r["USUBJID"]]),
                            arrowprops={"arrowstyle": "-|>", "color": "#222222", "lw": 0.8})
        t = therapy[(therapy["SYNDROME"] == syn) & therapy["USUBJID"].isin(ypos)]
        for flag, (m, fc, lab, dy) in THERAPY.items():
            e = t[t["THERAPY"] == flag]
            ax.plot(e["DAY"].to_numpy(dtype=float),
                    e["USUBJID"].map(ypos).to_numpy(dtype=float) + dy, m, mfc=fc, mec="#000000",
                    mew=0.8, ms=4, ls="none", label=lab)
        ax.set_title(f"{syn} (ASTCT 2019)")
        ax.set_xlim(0, hi)
        ax.set_xlabel(xlabel, fontsize=7)
        dose_rules(ax, order["GROUP"].to_numpy(), np.arange(n)[::-1].astype(float), totals)
    axes[0][0].set_yticks(list(ypos.values()), list(ypos) if n <= 80 else [""] * n, fontsize=6)
    axes[0][0].set_ylim(-0.8, max(n, 1) - 0.2)
    axes[0][0].set_ylabel("Patient")
    present = sorted({int(g) for g in bars["GRADE"].dropna()})
    handles: list = [Patch(facecolor=GRADE_STYLE[g][0], hatch=GRADE_STYLE[g][1],
                           edgecolor="#333333", lw=0.5, label=f"Grade {g}") for g in present]
    if bars["GRADE"].isna().any():
        handles.append(Patch(facecolor=NOT_REPORTED[0], hatch=NOT_REPORTED[1],
                             edgecolor="#333333", lw=0.5, label="Not reported as an AE"))
    handles += [Line2D([], [], marker=m, mfc=fc, mec="#000000", mew=0.8, ls="none", label=lab)
                for m, fc, lab, _ in THERAPY.values()]
    handles.append(Line2D([], [], marker=r"$\rightarrow$", color="#222222", ls="none", ms=9,
                          label="Unresolved at last assessment"))
    add_legend(axes[0][1], handles, title="Worst grade of the episode", title_fontsize=6.5)
    _lay_out(fig)
    return fig

