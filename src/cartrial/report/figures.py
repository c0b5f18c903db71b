"""Shared drawing conventions of the report's figures (matplotlib, Agg), the cytokine figure,
and the title and caption every figure carries.

Each figure function takes tidy frames and returns a :class:`matplotlib.figure.Figure`; nothing
is read or written here. The figures themselves live in ``fig_swimmer`` (swimmer plot),
``fig_response`` (waterfall and spider), ``fig_km`` (Kaplan-Meier with numbers at risk),
``fig_kinetics`` (CAR-T expansion with the LLOQ) and ``fig_crs`` (CRS / ICANS onset and
duration). :func:`figure_bytes` serialises deterministically: SVG ids come from a fixed
``svg.hashsalt`` and no date is embedded, so the same data give the same bytes.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

import matplotlib

matplotlib.use("Agg")

import io  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.layout_engine import PlaceHolderLayoutEngine  # noqa: E402

from cartrial.errors import InputError, require_columns  # noqa: E402
from cartrial.report.fig_glyphs import glyphs_once  # noqa: E402
from cartrial.report.fig_text import shared_text  # noqa: E402
from cartrial.report.fig_ticks import ticks_once  # noqa: E402
from cartrial.report.labels import CYTOKINE_LABELS  # noqa: E402

# Okabe-Ito colour-blind-safe palette (Okabe M, Ito K, Color Universal Design, 2008; the palette
# of Wong B, Nat Methods 2011;8:441): distinguishable with protanopia, deuteranopia, tritanopia
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#E69F00", "#CC79A7", "#56B4E9", "#000000",
           "#F0E442")
# Best response (IMWG 2016): responders in blues that darken with depth of response (so their
# order survives greyscale printing), non-responders hatched (legible without colour)
RESPONSE_ORDER = ("sCR", "CR", "VGPR", "PR", "MR", "SD", "PD", "NE")
RESPONSE_STYLE = {"sCR": ("#08306b", ""), "CR": ("#2171b5", ""), "VGPR": ("#6baed6", ""),
                  "PR": ("#c6dbef", ""), "MR": ("#fdd0a2", "\\\\\\"),
                  "SD": ("#d9d9d9", "..."), "PD": ("#D55E00", "xxx"), "NE": ("#ffffff", "///")}
RESPONSE_COLORS = {k: c for k, (c, _) in RESPONSE_STYLE.items()}
# grades 0-5: light to dark (greyscale order kept), grade 3+ hatched
GRADE_STYLE = ((("#f7f7f7", ""), ("#fee08b", ""), ("#fdae61", ""), ("#d73027", "//"),
                ("#67001f", "xx"), ("#000000", "")))
GRADE_COLORS = tuple(c for c, _ in GRADE_STYLE)
DENSE = 400  # above this many lines or bars, collections are rasterised inside the SVG

_RC = {"svg.hashsalt": "cartrial", "svg.fonttype": "none", "font.size": 8,
       "axes.spines.top": False, "axes.spines.right": False, "figure.dpi": 100,
       "hatch.linewidth": 0.6}
_CUTOFF: ContextVar[str] = ContextVar("cartrial_figure_cutoff", default="")


def _require(df: pd.DataFrame, cols: Sequence[str], where: str) -> None:
    require_columns(df, cols, where=where)


def _fig(w: float = 7.5, h: float = 4.5, **kw: object) -> tuple[Figure, object]:
    with plt.rc_context(_RC):
        fig = Figure(figsize=(w, h))
        axes = fig.subplots(**kw)
    return fig, axes


def _lay_out(fig: Figure) -> None:
    """``fig.tight_layout()``, its texts measured by :func:`shared_text` and each axis's ticks
    computed once (:func:`ticks_once`): the same layout."""
    with shared_text(), ticks_once():
        fig.tight_layout()


def _colors(groups: Sequence[str]) -> dict[str, str]:
    return {g: PALETTE[i % len(PALETTE)] for i, g in enumerate(groups)}


def figure_bytes(fig: Figure, fmt: str) -> bytes:
    """SVG or PNG bytes without timestamps (same figure, same bytes).

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    fmt : str
        "svg" or "png" (150 dpi).

    Returns
    -------
    bytes
        The encoded image.

    Raises
    ------
    InputError
        ``fmt`` is neither "svg" nor "png".

    Examples
    --------
    >>> from matplotlib.figure import Figure
    >>> fig = Figure(figsize=(2, 2)); _ = fig.subplots().plot([0, 1], [0, 1])
    >>> figure_bytes(fig, "svg") == figure_bytes(fig, "svg"), figure_bytes(fig, "png")[:4]
    (True, b'\\x89PNG')
    """
    buf = io.BytesIO()
    engine = fig.get_layout_engine()
    # one drawing: ticks once; texts measured and glyphs rasterised once per process
    with plt.rc_context(_RC), shared_text(), ticks_once(), glyphs_once():
        # after fig.tight_layout() the figure keeps a placeholder engine that lays out nothing,
        # yet makes savefig draw the whole figure twice (a layout pass, then the real one)
        if isinstance(engine, PlaceHolderLayoutEngine):
            fig.set_layout_engine(None)
        try:
            if fmt == "svg":
                fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": "cartrial"})
            elif fmt == "png":
                fig.savefig(buf, format="png", dpi=150, metadata={"Software": "cartrial"})
            else:
                raise InputError(f"figure format must be 'svg' or 'png', but was {fmt!r}")
        finally:
            fig.set_layout_engine(engine)
    return buf.getvalue()


def _quartile_1(s: pd.Series) -> float:
    """``s.quantile(0.25)``: numpy's linear percentile, which pandas calls, without building
    a frame per group."""
    return np.percentile(s.to_numpy(dtype=float), 25.0)


def _quartile_3(s: pd.Series) -> float:
    """``s.quantile(0.75)`` (as :func:`_quartile_1`)."""
    return np.percentile(s.to_numpy(dtype=float), 75.0)


def _polylines(df: pd.DataFrame, x: str, y: str) -> tuple[list[np.ndarray], list[str]]:
    """Split a frame sorted by USUBJID into one (k, 2) array per patient (no per-row loop)."""
    if df.empty:
        return [], []
    xy = df[[x, y]].to_numpy(dtype=float)
    ids = df["USUBJID"].to_numpy()
    cut = np.flatnonzero(ids[1:] != ids[:-1]) + 1
    return np.split(xy, cut), [ids[0], *ids[cut].tolist()]


def cytokine_figure(values: pd.DataFrame, *,
                    xlabel: str = "Day (day 0 = CAR-T infusion)") -> Figure:
    """Median cytokine profile per dose level with its interquartile band, one panel per
    cytokine (titled by its clinical label), log concentration, linear time; dose levels differ
    by colour, marker and line style (legible in greyscale).

    Parameters
    ----------
    values : pandas.DataFrame
        GROUP, CYTOKINE (LBTESTCD), NOMDAY (nominal day since infusion), VALUE (> 0), UNIT.
    xlabel : str
        Time axis label.

    Returns
    -------
    matplotlib.figure.Figure
        One axes per cytokine; ``lines[i]`` the medians of dose level i.

    Raises
    ------
    InputError
        ``values`` lacks a column (named in the message).

    Examples
    --------
    >>> v = pd.DataFrame({"GROUP": ["DL1"] * 2, "CYTOKINE": ["IL6"] * 2, "NOMDAY": [1, 3],
    ...                   "VALUE": [10.0, 5.0], "UNIT": "ng/L"})
    >>> cytokine_figure(v).axes[0].get_title()
    'IL-6 (ng/L)'
    """
    _require(values, ["GROUP", "CYTOKINE", "NOMDAY", "VALUE", "UNIT"], "cytokine_figure")
    v = values[values["VALUE"] > 0]
    cyts = list(dict.fromkeys(values["CYTOKINE"])) or ["none"]
    ncol = min(3, len(cyts))
    nrow = int(np.ceil(len(cyts) / ncol))
    fig, axes = _fig(7.5, 2.4 * nrow + 0.4, nrows=nrow, ncols=ncol, squeeze=False)
    groups = list(dict.fromkeys(values["GROUP"]))
    cols = _colors(groups)
    med = v.groupby(["CYTOKINE", "GROUP", "NOMDAY"], sort=True)["VALUE"].agg(
        ["median", _quartile_1, _quartile_3])
    med.columns = ["med", "q1", "q3"]
    med = med.reset_index()
    for k, ax in enumerate(axes.ravel()):
        if k >= len(cyts):
            ax.set_visible(False)
            continue
        cy = cyts[k]
        for i, g in enumerate(groups):  # marker and line style tell dose levels apart in grey
            m = med[(med["CYTOKINE"] == cy) & (med["GROUP"] == g)]
            x = m["NOMDAY"].to_numpy(dtype=float)
            ax.plot(x, m["med"], marker="os^D"[i % 4], ls=("-", "--", ":", "-.")[i % 4],
                    color=cols[g], ms=2.5, lw=1.2, label=g)
            ax.fill_between(x, m["q1"], m["q3"], color=cols[g], alpha=0.15, lw=0)
        unit = values.loc[values["CYTOKINE"] == cy, "UNIT"]
        ax.set_title(f"{CYTOKINE_LABELS.get(cy, cy)} ({unit.iloc[0] if len(unit) else ''})",
                     fontsize=8)
        ax.set_yscale("log")
        ax.set_xlabel(xlabel, fontsize=7)
        ax.set_ylabel(f"{unit.iloc[0] if len(unit) else ''}, log scale", fontsize=7)
    axes[0][0].legend(frameon=False, fontsize=6)
    _lay_out(fig)
    return fig


@contextmanager
def figure_cutoff(cutoff: str) -> Iterator[None]:
    """Within this block, :func:`stamp` writes ``cutoff`` as the data cut-off of every figure.

    Parameters
    ----------
    cutoff : str
        The data cut-off date (ISO 8601); empty when not known.

    Returns
    -------
    contextmanager
        Restores the previous cut-off on exit.

    Examples
    --------
    >>> with figure_cutoff("2025-06-01"):
    ...     pass
    """
    token = _CUTOFF.set(cutoff)
    try:
        yield
    finally:
        _CUTOFF.reset(token)


def with_cutoff(population: str) -> str:
    """``population`` followed by the data cut-off of :func:`figure_cutoff` (when set).

    Parameters
    ----------
    population : str
        The population a figure draws.

    Returns
    -------
    str
        E.g. "Safety (infused), N = 18. Data cut-off: 2025-06-01".

    Examples
    --------
    >>> with figure_cutoff("2025-06-01"):
    ...     with_cutoff("Safety (infused)")
    'Safety (infused). Data cut-off: 2025-06-01'
    """
    cut = _CUTOFF.get()
    return f"{population}. Data cut-off: {cut}" if cut else population


def stamp(fig: Figure, title: str, population: str, notes: Sequence[str] = ()) -> Figure:
    """Give ``fig`` its title (top) and a caption (bottom) naming the population and the data
    cut-off (and the figure's notes), growing the figure so the axes keep their size.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        A drawn figure (axes placed in figure coordinates, no figure-level text yet).
    title : str
        E.g. "Figure 14.4.1 Swimmer plot of treatment course and response".
    population : str
        The analysis population drawn, as the table of the same endpoint states it.
    notes : sequence of str
        Footnotes printed under the population line.

    Returns
    -------
    matplotlib.figure.Figure
        The same figure.

    Examples
    --------
    >>> fig, ax = _fig(4, 3)
    >>> stamp(fig, "Figure 1 Test", "Safety (infused)").texts[0].get_text()
    'Figure 1 Test'
    """
    cutoff = _CUTOFF.get() or "not stated"
    w, h = fig.get_figwidth(), fig.get_figheight()
    chars = int(w * 15)
    head = textwrap.wrap(title, chars)
    foot = [f"Population: {population or 'not stated'}. Data cut-off: {cutoff}."]
    foot += [ln for n in notes for ln in textwrap.wrap(n, int(w * 17))]
    top, bot = 0.2 + 0.17 * len(head), 0.12 + 0.135 * len(foot)
    new_h = h + top + bot
    for ax in fig.axes:
        p = ax.get_position()
        ax.set_position((p.x0, (p.y0 * h + bot) / new_h, p.width, p.height * h / new_h))
    fig.set_figheight(new_h)
    with plt.rc_context(_RC):
        fig.text(0.01, 1 - 0.1 / new_h, "\n".join(head), ha="left", va="top", fontsize=9,
                 fontweight="bold")
        fig.text(0.01, 0.06 / new_h, "\n".join(foot), ha="left", va="bottom", fontsize=6.5,
                 color="#333333", linespacing=1.3)
    return fig


def add_legend(ax: object, handles: Sequence[object], **kw: object) -> None:
    """The report's legend: outside the axes on the right, no frame, small type."""
    opts = {"frameon": False, "fontsize": 6.5, "loc": "upper left",
            "bbox_to_anchor": (1.01, 1.0), "borderaxespad": 0.0}
    opts.update(kw)
    ax.legend(handles=list(handles), **opts)


def dose_rules(ax: object, group: np.ndarray, y: np.ndarray,
               totals: dict[str, int] | None = None) -> None:
    """Rows grouped by dose level: a dashed rule between levels and the level's name at the top
    of each block, "DLx (n = k)" or, with ``totals``, "DLx (k of N)" (``group`` and ``y`` in
    display order, top first), written at the right edge of the axes."""
    if not len(group):
        return
    cut = np.flatnonzero(group[1:] != group[:-1]) + 1
    for i in cut:
        ax.axhline((y[i - 1] + y[i]) / 2, color="#777777", lw=0.6, ls="--")
    for s, e in zip(np.r_[0, cut], np.r_[cut, len(group)], strict=True):
        n = f"{e - s} of {totals[group[s]]}" if totals and group[s] in totals else f"n = {e - s}"
        ax.text(0.995, y[s], f"{group[s]} ({n})", transform=ax.get_yaxis_transform(),
                ha="right", va="center", fontsize=6.5, fontweight="bold", color="#333333")
