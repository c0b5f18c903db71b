"""Waterfall and spider plots of the disease marker, coloured by best overall response.

Thresholds are the IMWG 2016 response criteria (Kumar S et al., Lancet Oncol 2016;17:e328-46):
reduction from baseline of the serum M-protein >= 25 % minimal response, >= 50 % partial
response, >= 90 % very good partial response; of the 24-h urine M-protein >= 90 % partial
response; of the difference between involved and uninvolved free light chains (dFLC, when
neither M-protein is measurable) >= 50 % partial response. Each bar says which marker it
measures (S, U, F), so a line is only read against the marker it applies to. Progression
(>= 25 % increase from the nadir, not from baseline) is not a line on these axes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from cartrial.report.figures import (
    DENSE,
    RESPONSE_ORDER,
    RESPONSE_STYLE,
    _fig,
    _lay_out,
    _polylines,
    _require,
    add_legend,
)

# (% change, label): IMWG 2016 thresholds per marker (module docstring)
THRESHOLDS = ((-25.0, "-25%: MR (serum)"), (-50.0, "-50%: PR (serum, dFLC)"),
              (-90.0, "-90%: VGPR (serum), PR (urine)"))
MARKER_CODE = {"SERUM": "S", "SERUM_URINE": "S", "URINE": "U", "FLC": "F"}
CLIP = 100.0  # % change drawn at most; larger values are drawn at the clip and counted


def waterfall_figure(best: pd.DataFrame, *,
                     ylabel: str = "Best change from baseline in the measurable marker (%)"
                     ) -> Figure:
    """One bar per patient, best (lowest) % change, sorted from worst to best, coloured and
    hatched by best response, with the IMWG 2016 thresholds drawn and labelled.

    Parameters
    ----------
    best : pandas.DataFrame
        USUBJID, PCHG (best % change), BEST (best overall response), MARKER (SERUM, URINE, FLC).
    ylabel : str
        Axis label (with unit).

    Returns
    -------
    matplotlib.figure.Figure
        ``ax.patches``: one bar per patient (left to right), clipped at +/-100 %.

    Raises
    ------
    InputError
        ``best`` lacks a column (named in the message).

    Examples
    --------
    >>> b = pd.DataFrame({"USUBJID": ["a", "b"], "PCHG": [-95.0, 10.0],
    ...                   "BEST": ["VGPR", "SD"], "MARKER": ["SERUM", "FLC"]})
    >>> [float(p.get_height()) for p in waterfall_figure(b).axes[0].patches]
    [10.0, -95.0]
    """
    _require(best, ["USUBJID", "PCHG", "BEST", "MARKER"], "waterfall_figure")
    b = best.dropna(subset=["PCHG"]).sort_values(["PCHG", "USUBJID"], ascending=[False, True],
                                                 kind="stable")
    n = len(b)
    fig, ax = _fig(7.5, 4.2)
    x = np.arange(n)
    v = np.clip(b["PCHG"].to_numpy(dtype=float), -CLIP, CLIP)
    style = [RESPONSE_STYLE.get(r, RESPONSE_STYLE["NE"]) for r in b["BEST"]]
    if n > DENSE:  # thousands of bars: one rasterised collection (hatches would not show)
        ax.add_collection(LineCollection(
            np.stack([np.c_[x, np.zeros(n)], np.c_[x, v]], axis=1),
            colors=[c for c, _ in style], linewidths=max(0.5, 400.0 / n), rasterized=True))
    else:
        bars = ax.bar(x, v, width=0.8, color=[c for c, _ in style], edgecolor="#444444", lw=0.4)
        for bar, (_, h) in zip(bars, style, strict=True):
            bar.set_hatch(h)
    if n <= 60:
        for xi, vi, mk in zip(x, v, b["MARKER"].map(MARKER_CODE).fillna("?"), strict=True):
            ax.text(xi, 3 if vi < 0 else -3, mk, ha="center", va="bottom" if vi < 0 else "top",
                    fontsize=5.5, color="#333333")
    for lvl, lab in THRESHOLDS:
        ax.axhline(lvl, color="#555555", lw=0.6, ls=(0, (4, 2)))
        ax.text(1.01, lvl, lab, transform=ax.get_yaxis_transform(), ha="left", va="center",
                fontsize=6, color="#333333")
    ax.axhline(0, color="#222222", lw=0.6)
    ax.set_xlim(-0.8, max(n, 1) - 0.2)
    ax.set_ylim(-CLIP - 5, CLIP + 5)
    ax.set_xticks([])
    ax.set_xlabel(f"Patients, worst to best (n = {n}); S = serum M-protein, U = urine "
                  "M-protein, F = dFLC")
    ax.set_ylabel(ylabel)
    add_legend(ax, _response_handles(set(b["BEST"])), title="Best response (IMWG 2016)",
               title_fontsize=6.5)
    _lay_out(fig)
    return fig


def _response_handles(present: set[str]) -> list:
    return [Patch(facecolor=RESPONSE_STYLE[r][0], hatch=RESPONSE_STYLE[r][1],
                  edgecolor="#444444", lw=0.4, label=r) for r in RESPONSE_ORDER if r in present]


def spider_figure(series: pd.DataFrame, *,
                  xlabel: str = "Days since CAR-T infusion (day 0 = infusion)",
                  ylabel: str = "Change from baseline in the measurable marker (%)") -> Figure:
    """Per-patient trajectories of % change in the disease marker, coloured by best response,
    clipped at +100 % (clipped points marked with an open triangle).

    Parameters
    ----------
    series : pandas.DataFrame
        USUBJID, DAY, PCHG, BEST (best overall response).
    xlabel, ylabel : str
        Axis labels (with units).

    Returns
    -------
    matplotlib.figure.Figure
        ``ax.collections[0]``: one polyline per patient (values clipped); the line labelled
        "Clipped at +100%" holds the clipped points.

    Raises
    ------
    InputError
        ``series`` lacks a column (named in the message).

    Examples
    --------
    >>> s = pd.DataFrame({"USUBJID": ["a", "a"], "DAY": [28, 56], "PCHG": [-20.0, 250.0],
    ...                   "BEST": ["PD", "PD"]})
    >>> spider_figure(s).axes[0].collections[0].get_segments()[0][:, 1].tolist()
    [-20.0, 100.0]
    """
    _require(series, ["USUBJID", "DAY", "PCHG", "BEST"], "spider_figure")
    s = series.dropna(subset=["PCHG", "DAY"]).sort_values(["USUBJID", "DAY"], kind="stable")
    clipped = s["PCHG"].to_numpy(dtype=float) > CLIP
    s = s.assign(PCHG=np.minimum(s["PCHG"].to_numpy(dtype=float), CLIP))
    fig, ax = _fig(7.5, 4.2)
    segs, ids = _polylines(s, "DAY", "PCHG")
    best = s.drop_duplicates("USUBJID").set_index("USUBJID")["BEST"]
    st = [RESPONSE_STYLE.get(best[u], RESPONSE_STYLE["NE"]) for u in ids]
    ax.add_collection(LineCollection(segs, colors=[c for c, _ in st], linewidths=1.1,
                                     linestyles=["--" if h else "-" for _, h in st],
                                     rasterized=len(segs) > DENSE))
    ax.plot(s["DAY"].to_numpy(dtype=float)[clipped], np.full(clipped.sum(), CLIP), "^",
            mfc="white", mec="#000000", ms=5, ls="none", label=f"Clipped at +{CLIP:.0f}%")
    for lvl, lab in THRESHOLDS:
        ax.axhline(lvl, color="#555555", lw=0.6, ls=(0, (4, 2)))
        ax.text(1.01, lvl, lab, transform=ax.get_yaxis_transform(), ha="left", va="center",
                fontsize=6, color="#333333")
    ax.axhline(0, color="#222222", lw=0.6)
    if len(s):
        ax.set_xlim(0.0, float(s["DAY"].max()) * 1.03 + 1)
    ax.set_ylim(-CLIP - 5, CLIP + 8)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    handles = [Line2D([], [], color=RESPONSE_STYLE[r][0], lw=1.5,
                      ls="--" if RESPONSE_STYLE[r][1] else "-", label=r)
               for r in RESPONSE_ORDER if r in set(best)]
    handles.append(Line2D([], [], marker="^", mfc="white", mec="#000000", ls="none",
                          label=f"Clipped at +{CLIP:.0f}%"))
    add_legend(ax, handles, title="Best response (IMWG 2016)", title_fontsize=6.5)
    _lay_out(fig)
    return fig


def n_clipped(series: pd.DataFrame) -> int:
    """Number of patients with a % change above the clip (stated in the spider caption).

    Parameters
    ----------
    series : pandas.DataFrame
        USUBJID, PCHG.

    Returns
    -------
    int
        Patients with at least one value > +100 %.

    Examples
    --------
    >>> n_clipped(pd.DataFrame({"USUBJID": ["a", "a", "b"], "PCHG": [150.0, 300.0, 5.0]}))
    1
    """
    return int(series.loc[series["PCHG"] > CLIP, "USUBJID"].nunique())
