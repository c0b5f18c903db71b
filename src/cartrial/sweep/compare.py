"""Compare designs across the scenarios of a sweep: tables and figures for a protocol's
statistical section (operating characteristics as BOIN ``get.oc`` reports them).

Per design x scenario: % correct selection (PCS), % selecting a dose above the true MTD, % of
patients treated above the true MTD, % early stop, mean sample size, mean DLTs and mean duration.
Per design: the mean (and worst) of these over scenarios, and the mean rank of PCS (1 = best in a
scenario, ties averaged). Means over scenarios are only taken over scenarios every compared design
has results for, so no design is flattered by a missing hard scenario.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from cartrial.errors import InputError
from cartrial.sweep.results import SweepResults

BY_CELL_COLUMNS = (
    "design_id", "scenario_id", "true_mtd", "pct_correct_selection", "pct_select_above_mtd",
    "pct_patients_above_mtd", "pct_early_stop", "mean_sample_size", "mean_dlts",
    "mean_duration_days", "n_trials", "seed",
)  # fmt: skip
BY_DESIGN_COLUMNS = (
    "design_id", "n_scenarios", "mean_pct_correct_selection", "min_pct_correct_selection",
    "mean_rank_pcs", "mean_pct_select_above_mtd", "max_pct_select_above_mtd",
    "mean_pct_patients_above_mtd", "mean_pct_early_stop", "mean_sample_size", "mean_dlts",
    "mean_duration_days",
)  # fmt: skip


@dataclass(frozen=True)
class SweepComparison:
    """``by_design``: one row per design (:data:`BY_DESIGN_COLUMNS`), ordered by mean PCS
    (best first); ``by_cell``: one row per design x scenario (:data:`BY_CELL_COLUMNS`);
    ``method`` says what was averaged over which scenarios.

    Parameters
    ----------
    by_design : pandas.DataFrame
        Per design: scenarios, mean and worst % correct selection (PCS), mean PCS rank, %
        selecting / % of patients treated above the true MTD, % early stop, mean sample size,
        DLTs and duration (days).
    by_cell : pandas.DataFrame
        The same operating characteristics per design x scenario.
    method : str
        Which scenarios and designs the means are over.

    Examples
    --------
    >>> import pandas as pd
    >>> by_design = pd.DataFrame({"design_id": ["boin", "3+3"], "n_scenarios": [1, 1],
    ...     "mean_pct_correct_selection": [70.0, 28.0], "mean_pct_patients_above_mtd": [9.0, 4.0]})
    >>> by_cell = pd.DataFrame({"design_id": ["boin", "3+3"], "pct_correct_selection": [70, 28],
    ...     "pct_select_above_mtd": [8, 2], "mean_sample_size": [12, 11.4],
    ...     "mean_duration_days": [300, 280]})
    >>> c = SweepComparison(by_design, by_cell, "hand-made")
    >>> c.by_design.iloc[0]["design_id"]
    'boin'
    """

    by_design: pd.DataFrame
    by_cell: pd.DataFrame
    method: str


def select_above_mtd(per_dose: pd.DataFrame, overall: pd.DataFrame) -> pd.Series:
    """% of trials selecting a dose above the true MTD, per (design_id, scenario_id): the sum of
    ``pct_selected`` over doses > true MTD (every dose when no dose is acceptable, true MTD 0)."""
    mtd = overall.set_index(["design_id", "scenario_id"])["true_mtd"]
    p = per_dose.join(mtd, on=["design_id", "scenario_id"])
    above = p["dose"] > p["true_mtd"]
    return (
        p.loc[:, ["design_id", "scenario_id"]]
        .assign(v=np.where(above, p["pct_selected"], 0.0))
        .groupby(["design_id", "scenario_id"], sort=False)["v"]
        .sum()
    )


def compare_designs(results: SweepResults, *, allow_incomplete: bool = False) -> SweepComparison:
    """Summarise designs across scenarios (see module docstring).

    An incomplete sweep (missing cells or files that failed verification) raises
    :class:`~cartrial.errors.InputError` unless ``allow_incomplete``; then only scenarios with
    results for every design enter the means (said in ``method``).

    Parameters
    ----------
    results : SweepResults
        The stored results (:func:`read_sweep`).
    allow_incomplete : bool, optional
        Compare an incomplete sweep over the scenarios every design has results for.

    Returns
    -------
    SweepComparison
        Per-design summary (best mean PCS first) and per-cell table.

    Raises
    ------
    InputError
        No stored results, or an incomplete sweep without ``allow_incomplete``.

    References
    ----------
    Liu S, Yuan Y. J R Stat Soc C 2015;64:507-23 (operating characteristics over scenarios).

    Examples
    --------
    >>> import tempfile
    >>> from cartrial.sweep import expand_grid, read_sweep, run_sweep
    >>> grid = expand_grid({"n_trials": 50, "seed": 1, "scenarios": [
    ...     {"id": "s1", "true_tox": [0.1, 0.3, 0.5]}, {"id": "s2", "true_tox": [0.05, 0.1, 0.3]}],
    ...     "designs": [{"id": d, "name": d, "target": 0.3, "cohort_size": 3,
    ...                  "max_sample_size": 12, "dlt_window_days": 28} for d in ("boin", "3+3")]})
    >>> out = tempfile.mkdtemp(); _ = run_sweep(grid, out)
    >>> c = compare_designs(read_sweep(out))
    >>> c.by_design[["design_id", "mean_pct_correct_selection"]].values.tolist()
    [['boin', 70.0], ['3+3', 28.0]]
    >>> c.method.split(";")[0]
    'means over 2 scenario(s) with results for all 2 design(s)'
    """
    if results.overall.empty:
        raise InputError("the sweep has no stored results to compare")
    if not results.complete and not allow_incomplete:
        raise InputError(
            f"the sweep is incomplete ({len(results.missing)} missing cell(s), "
            f"{len(results.problems)} unusable file(s)); rerun `cartrial design sweep` to "
            "finish it, or allow an incomplete comparison"
        )
    ov = results.overall
    cell = ov.loc[:, ["design_id", "scenario_id", "true_mtd", "pct_correct_selection"]].copy()
    above = select_above_mtd(results.per_dose, ov)
    cell["pct_select_above_mtd"] = above.reindex(
        pd.MultiIndex.from_frame(ov[["design_id", "scenario_id"]])
    ).to_numpy()
    for c in ("pct_patients_above_mtd", "pct_early_stop", "mean_sample_size", "mean_dlts",
              "mean_duration_days", "n_trials", "seed"):  # fmt: skip
        cell[c] = ov[c].to_numpy()
    cell = cell.loc[:, list(BY_CELL_COLUMNS)]
    designs = list(dict.fromkeys(cell["design_id"]))
    counts = cell.groupby("scenario_id", sort=False)["design_id"].nunique()
    common = counts.index[counts == len(designs)]
    n_all = cell["scenario_id"].nunique()
    used = cell[cell["scenario_id"].isin(common)].copy()
    if used.empty:
        raise InputError("no scenario has results for every design; nothing comparable")
    used["rank_pcs"] = used.groupby("scenario_id")["pct_correct_selection"].rank(
        ascending=False, method="average"
    )
    g = used.groupby("design_id", sort=False)
    by_design = pd.DataFrame(
        {
            "design_id": list(g.groups),
            "n_scenarios": g.size().to_numpy(),
            "mean_pct_correct_selection": g["pct_correct_selection"].mean().to_numpy(),
            "min_pct_correct_selection": g["pct_correct_selection"].min().to_numpy(),
            "mean_rank_pcs": g["rank_pcs"].mean().to_numpy(),
            "mean_pct_select_above_mtd": g["pct_select_above_mtd"].mean().to_numpy(),
            "max_pct_select_above_mtd": g["pct_select_above_mtd"].max().to_numpy(),
            "mean_pct_patients_above_mtd": g["pct_patients_above_mtd"].mean().to_numpy(),
            "mean_pct_early_stop": g["pct_early_stop"].mean().to_numpy(),
            "mean_sample_size": g["mean_sample_size"].mean().to_numpy(),
            "mean_dlts": g["mean_dlts"].mean().to_numpy(),
            "mean_duration_days": g["mean_duration_days"].mean().to_numpy(),
        }
    )
    by_design = by_design.sort_values(
        ["mean_pct_correct_selection", "design_id"], ascending=[False, True], kind="mergesort"
    ).reset_index(drop=True)
    method = (
        f"means over {len(common)} scenario(s) with results for all {len(designs)} design(s)"
        + (
            f" ({n_all - len(common)} incomplete scenario(s) left out)"
            if len(common) < n_all
            else ""
        )
        + "; PCS rank 1 = best in a scenario, ties averaged"
    )
    return SweepComparison(by_design, cell.reset_index(drop=True), method)


_PANELS = (
    ("pct_correct_selection", "% correct selection"),
    ("pct_select_above_mtd", "% selecting a dose above the MTD"),
    ("mean_sample_size", "mean sample size"),
    ("mean_duration_days", "mean duration (days)"),
)


def plot_design_comparison(comparison: SweepComparison, *, max_designs: int = 40) -> Figure:
    """Box plots over scenarios, one row per design (the ``max_designs`` best by mean PCS):
    correct selection, overdose selection, sample size and duration.

    Parameters
    ----------
    comparison : SweepComparison
        From :func:`compare_designs`.
    max_designs : int, optional
        Designs shown (the best by mean % correct selection).

    Returns
    -------
    matplotlib.figure.Figure
        One panel per characteristic, one box per design.

    Examples
    --------
    >>> import pandas as pd
    >>> cells = pd.DataFrame({"design_id": ["boin", "boin"], "pct_correct_selection": [70, 60],
    ...                       "pct_select_above_mtd": [8, 12], "mean_sample_size": [12, 11],
    ...                       "mean_duration_days": [300, 290]})
    >>> bd = pd.DataFrame({"design_id": ["boin"], "n_scenarios": [2]})
    >>> fig = plot_design_comparison(SweepComparison(bd, cells, ""))
    >>> len(fig.axes), fig.get_suptitle()
    (4, 'Designs across 2 scenario(s) (box: scenarios; triangle: mean)')
    """
    order = list(comparison.by_design["design_id"])[: int(max_designs)]
    cells = comparison.by_cell
    height = 1.5 + 0.28 * len(order)
    fig = Figure(figsize=(13, height), layout="constrained")
    axes = fig.subplots(1, len(_PANELS), sharey=True)
    for ax, (col, label) in zip(axes, _PANELS, strict=True):
        data = [cells.loc[cells["design_id"] == d, col].to_numpy() for d in order]
        ax.boxplot(data, orientation="horizontal", widths=0.6, showmeans=True)
        ax.set_xlabel(label)
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(range(1, len(order) + 1), order, fontsize=8)
    axes[0].invert_yaxis()
    n = comparison.by_design["n_scenarios"].max()
    fig.suptitle(f"Designs across {n} scenario(s) (box: scenarios; triangle: mean)")
    return fig


def plot_tradeoff(comparison: SweepComparison, *, label_top: int = 10) -> Figure:
    """Mean % correct selection against mean % of patients treated above the MTD, one point per
    design (the ``label_top`` best by mean PCS are labelled).

    Parameters
    ----------
    comparison : SweepComparison
        From :func:`compare_designs`.
    label_top : int, optional
        Designs labelled with their id.

    Returns
    -------
    matplotlib.figure.Figure
        The scatter plot.

    Examples
    --------
    >>> import pandas as pd
    >>> bd = pd.DataFrame({"design_id": ["boin", "3+3"], "mean_pct_correct_selection": [70, 28],
    ...                    "mean_pct_patients_above_mtd": [9.0, 4.0]})
    >>> fig = plot_tradeoff(SweepComparison(bd, pd.DataFrame(), ""), label_top=1)
    >>> [t.get_text() for t in fig.axes[0].texts]
    ['boin']
    """
    bd = comparison.by_design
    fig = Figure(figsize=(7, 5.5), layout="constrained")
    ax = fig.subplots()
    ax.scatter(bd["mean_pct_patients_above_mtd"], bd["mean_pct_correct_selection"], s=18)
    for _, r in bd.head(int(label_top)).iterrows():
        ax.annotate(r["design_id"], (r["mean_pct_patients_above_mtd"],
                                     r["mean_pct_correct_selection"]),
                    fontsize=7, xytext=(3, 3), textcoords="offset points")  # fmt: skip
    ax.set_xlabel("mean % of patients treated above the true MTD")
    ax.set_ylabel("mean % correct selection")
    ax.grid(alpha=0.3)
    ax.set_title("Accuracy against overdosing, mean over scenarios")
    return fig
