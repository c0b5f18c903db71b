"""Figures of the study report, drawn with matplotlib (Agg) from plain data frames.

Every function takes tidy frames and returns a :class:`matplotlib.figure.Figure`; nothing is read
or written here. :func:`figure_bytes` serialises deterministically: SVG ids come from a fixed
``svg.hashsalt`` and no date is embedded, so the same data give the same bytes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib

matplotlib.use("Agg")

import io  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402
from matplotlib.colors import BoundaryNorm, ListedColormap  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from cartrial.errors import InputError  # noqa: E402

# Okabe-Ito colour-blind-safe palette (Okabe M, Ito K, Color Universal Design, 2008; the palette
# of Wong B, Nat Methods 2011;8:441): distinguishable with protanopia, deuteranopia, tritanopia
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#E69F00", "#CC79A7", "#56B4E9", "#000000",
           "#F0E442")
RESPONSE_COLORS = {"sCR": "#08519c", "CR": "#3182bd", "VGPR": "#6baed6", "PR": "#9ecae1",
                   "MR": "#c6dbef", "SD": "#bdbdbd", "PD": "#de2d26", "NE": "#ffffff"}
GRADE_COLORS = ("#f7f7f7", "#fee08b", "#fdae61", "#f46d43", "#d73027", "#67001f")
DENSE = 400  # above this many lines or bars, collections are rasterised inside the SVG

_RC = {"svg.hashsalt": "cartrial", "svg.fonttype": "none", "font.size": 8,
       "axes.spines.top": False, "axes.spines.right": False, "figure.dpi": 100}


def _require(df: pd.DataFrame, cols: Sequence[str], where: str) -> None:
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise InputError(f"{where}: the data lack column(s) {missing}; has {list(df.columns)}")


def _fig(w: float = 7.5, h: float = 4.5, **kw: object) -> tuple[Figure, object]:
    with plt.rc_context(_RC):
        fig = Figure(figsize=(w, h))
        axes = fig.subplots(**kw)
    return fig, axes


def _colors(groups: Sequence[str]) -> dict[str, str]:
    return {g: PALETTE[i % len(PALETTE)] for i, g in enumerate(groups)}


def figure_bytes(fig: Figure, fmt: str) -> bytes:
    """SVG or PNG bytes without timestamps (same figure, same bytes)."""
    buf = io.BytesIO()
    with plt.rc_context(_RC):
        if fmt == "svg":
            fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": "cartrial"})
        elif fmt == "png":
            fig.savefig(buf, format="png", dpi=150, metadata={"Software": "cartrial"})
        else:
            raise InputError(f"figure format must be 'svg' or 'png', but was {fmt!r}")
    return buf.getvalue()


def at_risk_counts(table: pd.DataFrame, times: np.ndarray) -> np.ndarray:
    """Numbers at risk at each time from a Kaplan-Meier table (time, n_risk columns):
    the risk set of the first observed time >= t, 0 beyond the last time."""
    t = table["time"].to_numpy(dtype=float)
    n = table["n_risk"].to_numpy(dtype=int)
    idx = np.searchsorted(t, times, side="left")
    out = np.zeros(len(times), dtype=int)
    ok = idx < len(t)
    out[ok] = n[idx[ok]]
    return out


def km_figure(curves: Mapping[str, pd.DataFrame], *, xlabel: str = "Months",
              ylabel: str = "Probability", risk_times: Sequence[float] | None = None,
              medians: Mapping[str, str] | None = None) -> Figure:
    """Kaplan-Meier step curves with '+' censor marks and a numbers-at-risk table underneath
    (TLG Catalog KMG01, tern ``g_km`` layout). ``curves``: label -> KM table with time,
    n_risk, n_censor, surv (KmResult.table)."""
    if not curves:
        raise InputError("km_figure: no curves to draw")
    for k, tb in curves.items():
        _require(tb, ["time", "n_risk", "n_censor", "surv"], f"km_figure[{k}]")
    fig, (ax, axr) = _fig(7.5, 5.2, nrows=2, gridspec_kw={"height_ratios": [4, 1]})
    cols = _colors(list(curves))
    tmax = max((float(tb["time"].max()) for tb in curves.values() if len(tb)), default=1.0)
    if risk_times is None:
        step = max(1.0, float(np.ceil(tmax / 6.0)))
        risk_times = np.arange(0.0, tmax + step / 2, step)
    rt = np.asarray(risk_times, dtype=float)
    for i, (lab, tb) in enumerate(curves.items()):
        t = np.r_[0.0, tb["time"].to_numpy(dtype=float)]
        s = np.r_[1.0, tb["surv"].to_numpy(dtype=float)]
        ax.step(t, s, where="post", color=cols[lab], lw=1.4, label=lab)
        cens = tb["n_censor"].to_numpy() > 0
        ax.plot(tb["time"].to_numpy()[cens], tb["surv"].to_numpy()[cens], "+",
                color=cols[lab], ms=6, mew=1.1)
        n = at_risk_counts(tb, rt)
        for x, v in zip(rt, n, strict=True):
            axr.text(x, -i, str(v), ha="center", va="center", color=cols[lab], fontsize=7)
    ax.set_ylim(0, 1.04)
    ax.set_xlim(0, tmax * 1.02 if tmax > 0 else 1)
    ax.set_ylabel(ylabel)
    ax.legend(frameon=False, loc="lower left")
    if medians:
        ax.text(0.99, 0.98, "\n".join(f"{k}: median {v}" for k, v in medians.items()),
                transform=ax.transAxes, ha="right", va="top", fontsize=7,
                bbox={"boxstyle": "round", "fc": "white", "ec": "#999999"})
    axr.set_xlim(ax.get_xlim())
    axr.set_ylim(-len(curves) + 0.5, 0.5)
    axr.set_yticks(-np.arange(len(curves)), list(curves))
    axr.set_xticks(rt)
    axr.set_xlabel(xlabel)
    axr.set_title("Number at risk", loc="left", fontsize=7)
    for s in ("left", "bottom"):
        axr.spines[s].set_visible(False)
    axr.tick_params(length=0)
    axr.tick_params(axis="y", pad=14)
    fig.tight_layout()
    return fig


SWIMMER_MARKERS = {
    "Apheresis": ("v", "#555555"), "Infusion": ("D", "#000000"),
    "PR": ("o", RESPONSE_COLORS["PR"]), "VGPR": ("o", RESPONSE_COLORS["VGPR"]),
    "CR": ("o", RESPONSE_COLORS["CR"]), "sCR": ("o", RESPONSE_COLORS["sCR"]),
    "PD": ("X", RESPONSE_COLORS["PD"]), "Death": ("s", "#000000"),
}


def swimmer_figure(lanes: pd.DataFrame, events: pd.DataFrame, *,
                   xlabel: str = "Days from CAR-T infusion") -> Figure:
    """One lane per patient from apheresis to last contact, coloured by dose level; markers for
    apheresis, infusion, responses, progression and death; an arrow for ongoing follow-up.

    ``lanes``: USUBJID, GROUP, START, END (days from infusion), ONGOING (bool), in display order
    (top first). ``events``: USUBJID, DAY, EVENT (keys of :data:`SWIMMER_MARKERS`).
    """
    _require(lanes, ["USUBJID", "GROUP", "START", "END", "ONGOING"], "swimmer_figure")
    _require(events, ["USUBJID", "DAY", "EVENT"], "swimmer_figure")
    n = len(lanes)
    fig, ax = _fig(7.5, max(2.5, 0.18 * n + 1.2))
    y = np.arange(n)[::-1]
    ypos = dict(zip(lanes["USUBJID"], y, strict=True))
    groups = list(dict.fromkeys(lanes["GROUP"]))
    cols = _colors(groups)
    start = lanes["START"].to_numpy(dtype=float)
    end = lanes["END"].to_numpy(dtype=float)
    segs = np.stack([np.c_[start, y], np.c_[end, y]], axis=1)
    lc = LineCollection(segs, colors=[cols[g] for g in lanes["GROUP"]], linewidths=5,
                        rasterized=n > DENSE)
    ax.add_collection(lc)
    ong = lanes["ONGOING"].to_numpy(dtype=bool)
    ax.plot(end[ong] + 3, y[ong], ">", color="#333333", ms=4, label="Ongoing")
    ev = events[events["USUBJID"].isin(ypos)]
    for name, (m, c) in SWIMMER_MARKERS.items():
        e = ev[ev["EVENT"] == name]
        if len(e):
            ax.plot(e["DAY"].to_numpy(dtype=float), e["USUBJID"].map(ypos).to_numpy(), m,
                    color=c, mec="#222222", mew=0.4, ms=4.5, ls="none", label=name)
    for g in groups:
        ax.plot([], [], color=cols[g], lw=5, label=g)
    ax.set_yticks(y, lanes["USUBJID"].tolist() if n <= 80 else [""] * n)
    ax.set_ylim(-1, n)
    lo = float(np.nanmin(start)) if n else 0.0
    hi = float(np.nanmax(end)) if n else 1.0
    ax.set_xlim(min(lo, 0) - 5, hi + 15)
    ax.axvline(0, color="#999999", lw=0.6, ls=":")
    ax.set_xlabel(xlabel)
    ax.legend(frameon=False, fontsize=6, loc="center left", bbox_to_anchor=(1.0, 0.5))
    fig.tight_layout()
    return fig


def waterfall_figure(best: pd.DataFrame, *, ylabel: str = "Best % change from baseline") -> Figure:
    """One bar per patient, best percentage change of the disease marker, sorted from worst to
    best; bars coloured by dose level. ``best``: USUBJID, GROUP, PCHG."""
    _require(best, ["USUBJID", "GROUP", "PCHG"], "waterfall_figure")
    b = best.dropna(subset=["PCHG"]).sort_values(["PCHG", "USUBJID"], ascending=[False, True],
                                                 kind="stable")
    n = len(b)
    fig, ax = _fig(7.5, 4.0)
    groups = list(dict.fromkeys(best["GROUP"]))
    cols = _colors(groups)
    x = np.arange(n)
    v = np.clip(b["PCHG"].to_numpy(dtype=float), -100, 100)
    segs = np.stack([np.c_[x, np.zeros(n)], np.c_[x, v]], axis=1)
    width = max(0.5, min(12.0, 400.0 / max(n, 1)))
    ax.add_collection(LineCollection(segs, colors=[cols[g] for g in b["GROUP"]],
                                     linewidths=width, rasterized=n > DENSE))
    for g in groups:
        ax.plot([], [], color=cols[g], lw=6, label=g)
    for lvl, lab in ((-50, "PR (-50%)"), (-90, "VGPR (-90%)")):
        ax.axhline(lvl, color="#777777", lw=0.6, ls="--")
        ax.text(n - 0.5, lvl, lab, ha="right", va="bottom", fontsize=6, color="#555555")
    ax.axhline(0, color="#333333", lw=0.6)
    ax.set_xlim(-1, max(n, 1))
    ax.set_ylim(-105, 105)
    ax.set_xticks([])
    ax.set_xlabel(f"Patients (n = {n})")
    ax.set_ylabel(ylabel)
    ax.legend(frameon=False, fontsize=7)
    fig.tight_layout()
    return fig


def spider_figure(series: pd.DataFrame, *, xlabel: str = "Days from CAR-T infusion",
                  ylabel: str = "% change from baseline") -> Figure:
    """Per-patient trajectories of % change in the disease marker, coloured by dose level.
    ``series``: USUBJID, GROUP, DAY, PCHG."""
    _require(series, ["USUBJID", "GROUP", "DAY", "PCHG"], "spider_figure")
    s = series.dropna(subset=["PCHG", "DAY"]).sort_values(["USUBJID", "DAY"], kind="stable")
    fig, ax = _fig(7.5, 4.0)
    groups = list(dict.fromkeys(series["GROUP"]))
    cols = _colors(groups)
    segs, col = _polylines(s, "DAY", "PCHG")
    gmap = s.drop_duplicates("USUBJID").set_index("USUBJID")["GROUP"]
    ax.add_collection(LineCollection(segs, colors=[cols[gmap[u]] for u in col], linewidths=0.8,
                                     alpha=0.8, rasterized=len(segs) > DENSE))
    for g in groups:
        ax.plot([], [], color=cols[g], lw=1.5, label=g)
    ax.axhline(0, color="#333333", lw=0.6)
    ax.axhline(-50, color="#777777", lw=0.6, ls="--")
    if len(s):
        ax.set_xlim(min(0.0, float(s["DAY"].min())), float(s["DAY"].max()) * 1.02 + 1)
    ax.set_ylim(-105, max(105.0, float(np.nanmin([s["PCHG"].max(), 300])) if len(s) else 105))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(frameon=False, fontsize=7)
    fig.tight_layout()
    return fig


def _polylines(df: pd.DataFrame, x: str, y: str) -> tuple[list[np.ndarray], list[str]]:
    """Split a frame sorted by USUBJID into one (k, 2) array per patient (no per-row loop)."""
    if df.empty:
        return [], []
    xy = df[[x, y]].to_numpy(dtype=float)
    ids = df["USUBJID"].to_numpy()
    cut = np.flatnonzero(ids[1:] != ids[:-1]) + 1
    return np.split(xy, cut), [ids[0], *ids[cut].tolist()]


def kinetics_figure(conc: pd.DataFrame, *, ylabel: str = "CAR transgene (copies/ug gDNA)",
                    xlabel: str = "Days from CAR-T infusion") -> Figure:
    """CAR-T expansion and persistence on log axes: thin individual profiles and the median
    per dose level at each nominal day (one panel per dose level).
    ``conc``: USUBJID, GROUP, DAY (> 0), NOMDAY, CONC (> 0; BLQ rows dropped by the caller)."""
    _require(conc, ["USUBJID", "GROUP", "DAY", "NOMDAY", "CONC"], "kinetics_figure")
    c = conc[(conc["CONC"] > 0) & (conc["DAY"] > 0)].sort_values(["USUBJID", "DAY"],
                                                                 kind="stable")
    groups = list(dict.fromkeys(conc["GROUP"])) or ["All"]
    fig, axes = _fig(3.3 * len(groups) + 0.6, 3.8, ncols=len(groups), sharey=True, squeeze=False)
    cols = _colors(groups)
    for ax, g in zip(axes[0], groups, strict=True):
        cg = c[c["GROUP"] == g]
        segs, _ = _polylines(cg, "DAY", "CONC")
        ax.add_collection(LineCollection(segs, colors=cols[g], linewidths=0.5, alpha=0.35,
                                         rasterized=len(segs) > DENSE))
        med = cg.groupby("NOMDAY", sort=True)["CONC"].median()
        ax.plot(med.index.to_numpy(dtype=float), med.to_numpy(), "o-", color=cols[g], lw=2,
                ms=3, label="median")
        ax.set_yscale("log")
        ax.set_xscale("log")  # days after infusion (> 0) on a log axis, as CAR-T papers do
        ax.set_title(f"{g} (n = {cg['USUBJID'].nunique()})")
        ax.set_xlabel(xlabel)
        if len(c):
            ax.set_xlim(float(c["DAY"].min()) / 1.3, float(c["DAY"].max()) * 1.3)
            ax.set_ylim(float(c["CONC"].min()) / 2, float(c["CONC"].max()) * 2)
        ax.legend(frameon=False, fontsize=7)
    axes[0][0].set_ylabel(ylabel)
    fig.tight_layout()
    return fig


def cytokine_figure(values: pd.DataFrame, *, xlabel: str = "Days from CAR-T infusion") -> Figure:
    """Median cytokine profile per dose level, one panel per cytokine, log axis.
    ``values``: GROUP, CYTOKINE, NOMDAY, VALUE (> 0), UNIT."""
    _require(values, ["GROUP", "CYTOKINE", "NOMDAY", "VALUE", "UNIT"], "cytokine_figure")
    v = values[values["VALUE"] > 0]
    cyts = list(dict.fromkeys(values["CYTOKINE"])) or ["none"]
    ncol = min(3, len(cyts))
    nrow = int(np.ceil(len(cyts) / ncol))
    fig, axes = _fig(7.5, 2.4 * nrow + 0.4, nrows=nrow, ncols=ncol, squeeze=False)
    groups = list(dict.fromkeys(values["GROUP"]))
    cols = _colors(groups)
    med = v.groupby(["CYTOKINE", "GROUP", "NOMDAY"], sort=True)["VALUE"].agg(
        ["median", lambda s: s.quantile(0.25), lambda s: s.quantile(0.75)])
    med.columns = ["med", "q1", "q3"]
    med = med.reset_index()
    for k, ax in enumerate(axes.ravel()):
        if k >= len(cyts):
            ax.set_visible(False)
            continue
        cy = cyts[k]
        for g in groups:
            m = med[(med["CYTOKINE"] == cy) & (med["GROUP"] == g)]
            x = m["NOMDAY"].to_numpy(dtype=float)
            ax.plot(x, m["med"], "o-", color=cols[g], ms=2.5, lw=1.2, label=g)
            ax.fill_between(x, m["q1"], m["q3"], color=cols[g], alpha=0.15, lw=0)
        unit = values.loc[values["CYTOKINE"] == cy, "UNIT"]
        ax.set_title(f"{cy} ({unit.iloc[0] if len(unit) else ''})", fontsize=8)
        ax.set_yscale("log")
        ax.set_xlabel(xlabel, fontsize=7)
    axes[0][0].legend(frameon=False, fontsize=6)
    fig.tight_layout()
    return fig


def grade_timeline_figure(grades: pd.DataFrame, *, max_day: int = 28,
                          xlabel: str = "Day after CAR-T infusion (day 0 = infusion)") -> Figure:
    """Per-patient daily worst grade of CRS (left) and ICANS (right) as a heat map: one row per
    patient, one column per day 0..max_day, colour = grade 0-5.
    ``grades``: USUBJID, SYNDROME ("CRS"/"ICANS"), DAY (int), GRADE (int), and the patient order
    is the order of first appearance."""
    _require(grades, ["USUBJID", "SYNDROME", "DAY", "GRADE"], "grade_timeline_figure")
    subj = list(dict.fromkeys(grades["USUBJID"]))
    n = len(subj)
    fig, axes = _fig(7.5, max(2.2, 0.15 * n + 1.3), ncols=2, sharey=True, squeeze=False)
    cmap = ListedColormap(GRADE_COLORS)
    norm = BoundaryNorm(np.arange(-0.5, 6.5), cmap.N)
    row = pd.Series(np.arange(n), index=subj)
    g = grades[(grades["DAY"] >= 0) & (grades["DAY"] <= max_day)]
    for ax, syn in zip(axes[0], ("CRS", "ICANS"), strict=True):
        grid = np.zeros((n, max_day + 1))
        s = g[g["SYNDROME"] == syn]
        if len(s):
            np.maximum.at(grid, (row[s["USUBJID"]].to_numpy(), s["DAY"].to_numpy(dtype=int)),
                          s["GRADE"].to_numpy(dtype=float))
        im = ax.imshow(grid, aspect="auto", cmap=cmap, norm=norm, interpolation="nearest",
                       extent=(-0.5, max_day + 0.5, n - 0.5, -0.5))
        ax.set_title(f"{syn} grade (ASTCT 2019)")
        ax.set_xlabel(xlabel, fontsize=7)
        ax.set_yticks(np.arange(n), subj if n <= 80 else [""] * n, fontsize=6)
    cb = fig.colorbar(im, ax=axes[0].tolist(), ticks=range(6), fraction=0.04, pad=0.02)
    cb.set_label("Grade")
    return fig
