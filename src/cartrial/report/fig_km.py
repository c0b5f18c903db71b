"""Kaplan-Meier figure as CAR-T publications draw it: the step curve of the population the table
states, its pointwise confidence band, censoring marks, and the number at risk under the axis.

The number at risk at a tick t is the KM engine's (:func:`cartrial.efficacy.numbers_at_risk`:
patients whose time is >= t), which is what R ``summary(survfit(...), times = t)`` reports as
``n.risk`` (Kaplan EL, Meier P, J Am Stat Assoc 1958;53:457-81).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from cartrial.efficacy.km import KmResult, numbers_at_risk
from cartrial.errors import InputError
from cartrial.report.figures import PALETTE, _fig, _lay_out, _require, add_legend

LINESTYLES = ("-", "--", ":", "-.")  # second and later curves differ without colour too
NICE_STEPS = (1.0, 2.0, 3.0, 6.0, 12.0, 24.0)


def risk_ticks(tmax: float) -> np.ndarray:
    """Ticks 0, s, 2s ... covering ``tmax`` with s the smallest of 1, 2, 3, 6, 12, 24 (months)
    giving at most 8 intervals."""
    step = next((s for s in NICE_STEPS if tmax / s <= 8), NICE_STEPS[-1] * np.ceil(tmax / 192))
    return np.arange(0.0, tmax + step * 0.999, step)


def km_figure(curves: Mapping[str, KmResult], *, xlabel: str = "Months since leukapheresis",
              ylabel: str = "Probability", risk_times: Sequence[float] | None = None,
              medians: Mapping[str, str] | None = None, band: bool = True) -> Figure:
    """Kaplan-Meier step curves with a confidence band, '|' censoring marks and a
    numbers-at-risk table under the axis (TLG Catalog KMG01 layout).

    Parameters
    ----------
    curves : mapping of str to KmResult
        Label -> fitted curve (:func:`cartrial.efficacy.kaplan_meier`). The first curve is drawn
        solid, the others dashed / dotted.
    xlabel, ylabel : str
        Axis labels (with units).
    risk_times : sequence of float, optional
        Ticks of the time axis and of the at-risk table (default :func:`risk_ticks`).
    medians : mapping of str to str, optional
        Label -> formatted median (with CI) shown in a box.
    band : bool
        Draw the pointwise confidence band (needs ci_low and ci_high).

    Returns
    -------
    matplotlib.figure.Figure
        Axes 0 the curves, axes 1 the at-risk table (one text per curve and tick).

    Raises
    ------
    InputError
        No curve, or a table lacks a column.

    Examples
    --------
    >>> from cartrial.efficacy import kaplan_meier
    >>> km = kaplan_meier([1.0, 2.0, 3.0], np.array([True, False, True]))
    >>> [t.get_text() for t in km_figure({"All": km}, risk_times=[0, 2]).axes[1].texts]
    ['3', '2']
    """
    if not curves:
        raise InputError("km_figure: no curves to draw")
    for k, km in curves.items():
        need = ["time", "n_risk", "n_censor", "surv", *(["ci_low", "ci_high"] if band else [])]
        _require(km.table, need, f"km_figure[{k}]")
    fig, (ax, axr) = _fig(7.5, 4.2 + 0.18 * len(curves), nrows=2,
                          gridspec_kw={"height_ratios": [4, 0.5 + 0.3 * len(curves)]})
    tmax = max((float(km.table["time"].max()) for km in curves.values() if len(km.table)),
               default=1.0)
    rt = np.asarray(risk_ticks(tmax) if risk_times is None else risk_times, dtype=float)
    handles: list = []
    for i, (lab, km) in enumerate(curves.items()):
        tb = km.table
        col, ls = PALETTE[i % len(PALETTE)], LINESTYLES[i % len(LINESTYLES)]
        t = np.r_[0.0, tb["time"].to_numpy(dtype=float)]
        ax.step(t, np.r_[1.0, tb["surv"].to_numpy(dtype=float)], where="post", color=col,
                lw=1.5, ls=ls, label=lab)
        handles.append(Line2D([], [], color=col, lw=1.5, ls=ls, label=lab))
        if band:
            ax.fill_between(t, np.r_[1.0, tb["ci_low"].to_numpy(dtype=float)],
                            np.r_[1.0, tb["ci_high"].to_numpy(dtype=float)], step="post",
                            color=col, alpha=0.18, lw=0)
        cens = tb["n_censor"].to_numpy() > 0
        ax.plot(tb["time"].to_numpy()[cens], tb["surv"].to_numpy()[cens], "|", color=col,
                ms=7, mew=1.2, ls="none", label=f"_censored {lab}")
        for x, v in zip(rt, numbers_at_risk(km, rt)["n_risk"], strict=True):
            axr.text(x, -i, str(v), ha="center", va="center", fontsize=7)
    if band:
        handles.append(Patch(color=PALETTE[0], alpha=0.18, label="95% CI (pointwise)"))
    handles.append(Line2D([], [], marker="|", color="#333333", ls="none", ms=7, mew=1.2,
                          label="Censored"))
    ax.set_ylim(0, 1.04)
    ax.set_xlim(min(rt[0], 0.0), max(rt[-1], tmax) * 1.02 if tmax > 0 else 1)
    ax.set_xticks(rt)
    ax.set_ylabel(ylabel)
    ax.set_xlabel(xlabel)
    add_legend(ax, handles)
    if medians:
        ax.text(0.99, 0.98, "\n".join(f"{k}: median {v}" for k, v in medians.items()),
                transform=ax.transAxes, ha="right", va="top", fontsize=7,
                bbox={"boxstyle": "round", "fc": "white", "ec": "#999999"})
    _risk_axis(axr, ax, list(curves))
    _lay_out(fig)
    return fig


def _risk_axis(axr: object, ax: object, labels: list[str]) -> None:
    axr.set_xlim(ax.get_xlim())
    axr.set_ylim(-len(labels) + 0.5, 0.5)
    axr.set_yticks(-np.arange(len(labels)), labels)
    axr.set_xticks([])
    axr.set_title("Number at risk", loc="left", fontsize=7)
    for s in ("left", "bottom"):
        axr.spines[s].set_visible(False)
    axr.tick_params(length=0)
    axr.tick_params(axis="y", pad=16)  # labels clear of the count at time 0
