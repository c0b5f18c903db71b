"""CAR-T expansion and persistence over time since infusion: individual profiles and the median
per dose level on a linear time axis, the concentration on a log axis, and the assay's lower
limit of quantification drawn and labelled (samples below it are not drawn as values).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from cartrial.report.figures import DENSE, PALETTE, _fig, _lay_out, _polylines, _require, add_legend


def kinetics_figure(conc: pd.DataFrame, *, lloq: float | None, unit: str,
                    analyte: str = "CAR transgene by qPCR",
                    xlabel: str = "Days since CAR-T infusion (day 0 = infusion)") -> Figure:
    """One panel per dose level: thin individual profiles, thick median at each nominal day,
    the LLOQ as a labelled dashed line; time linear, concentration log.

    Parameters
    ----------
    conc : pandas.DataFrame
        USUBJID, GROUP, DAY (> 0), NOMDAY, CONC (> 0; quantifiable samples only).
    lloq : float or None
        Lower limit of quantification (PC PCLLOQ) in ``unit``; None when the samples disagree
        or it is not recorded (then no line, and the caller says so).
    unit : str
        Concentration unit, e.g. "copies/\u00b5g gDNA".
    analyte : str
        Axis label text before the unit.
    xlabel : str
        Time axis label.

    Returns
    -------
    matplotlib.figure.Figure
        Per panel: ``lines[0]`` the medians, the line labelled "LLOQ" the limit;
        ``get_xscale() == "linear"``.

    Raises
    ------
    InputError
        ``conc`` lacks a column (named in the message).

    Examples
    --------
    >>> c = pd.DataFrame({"USUBJID": ["a", "a"], "GROUP": ["DL1"] * 2, "DAY": [7.0, 14.0],
    ...                   "NOMDAY": [7, 14], "CONC": [100.0, 1000.0]})
    >>> kinetics_figure(c, lloq=10.0, unit="copies/ug").axes[0].get_xscale()
    'linear'
    """
    _require(conc, ["USUBJID", "GROUP", "DAY", "NOMDAY", "CONC"], "kinetics_figure")
    c = conc[(conc["CONC"] > 0) & (conc["DAY"] > 0)].sort_values(["USUBJID", "DAY"],
                                                                 kind="stable")
    groups = list(dict.fromkeys(conc["GROUP"])) or ["All"]
    fig, axes = _fig(3.2 * len(groups) + 1.6, 3.9, ncols=len(groups), sharey=True,
                     squeeze=False)
    lo = min(float(c["CONC"].min()) if len(c) else 1.0, lloq or np.inf) / 2
    hi = float(c["CONC"].max()) * 2 if len(c) else 10.0
    for k, (ax, g) in enumerate(zip(axes[0], groups, strict=True)):
        col = PALETTE[k % len(PALETTE)]
        cg = c[c["GROUP"] == g]
        segs, _ = _polylines(cg, "DAY", "CONC")
        ax.add_collection(LineCollection(segs, colors="#888888", linewidths=0.5, alpha=0.6,
                                         rasterized=len(segs) > DENSE))
        med = cg.groupby("NOMDAY", sort=True)["CONC"].median()
        ax.plot(med.index.to_numpy(dtype=float), med.to_numpy(), "o-", color=col, lw=2, ms=3,
                label="Median")
        if lloq is not None:
            ax.axhline(lloq, color="#000000", lw=0.8, ls="--", label="LLOQ")
            ax.text(0.99, lloq * 1.12, f"LLOQ {lloq:g} {unit}", transform=ax.get_yaxis_transform(),
                    ha="right", va="bottom", fontsize=6)
        ax.set_yscale("log")
        ax.set_title(f"{g} (n = {cg['USUBJID'].nunique()})")
        ax.set_xlabel(xlabel, fontsize=7)
        ax.set_xlim(0, float(c["DAY"].max()) * 1.03 if len(c) else 28)
        ax.set_ylim(lo, hi)
    axes[0][0].set_ylabel(f"{analyte} ({unit}), log scale")
    handles = [Line2D([], [], color="#888888", lw=0.8, label="Individual patients"),
               Line2D([], [], color="#333333", marker="o", lw=2, ms=3,
                      label="Median at each nominal day")]
    if lloq is not None:
        handles.append(Line2D([], [], color="#000000", lw=0.8, ls="--", label="LLOQ"))
    add_legend(axes[0][-1], handles)
    _lay_out(fig)
    return fig


def common_lloq(lloq: pd.Series) -> float | None:
    """The LLOQ shared by all samples, or None when it is missing or differs between samples.

    Parameters
    ----------
    lloq : pandas.Series
        Per-sample LLOQ (``pc_profiles`` column ``lloq``).

    Returns
    -------
    float or None
        The single value, or None.

    Examples
    --------
    >>> common_lloq(pd.Series([10.0, 10.0])), common_lloq(pd.Series([10.0, 5.0]))
    (10.0, None)
    """
    v = pd.unique(lloq.dropna().astype(float))
    return float(v[0]) if len(v) == 1 else None
