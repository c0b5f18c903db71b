"""Dose-transition pathways: the decision after every outcome of the next k cohorts.

As brockk/escalation ``get_dose_paths`` (Yap C et al., Clin Cancer Res 2017;23:7440-7):
starting from a trial state, each cohort at the recommended dose can end with 0..m DLTs; the
design decides again after each outcome. Cohorts are assumed fully followed up (no pending
patients) and backfill is not simulated. Outcomes use the compact notation "2NNT" (dose 2, two
patients without and one with a DLT).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from cartrial.design.state import Design, TrialState
from cartrial.errors import InputError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

MAX_NODES = 50_000
PATH_COLUMNS = (
    "node_id",
    "parent_id",
    "cohort",
    "dose",
    "outcome",
    "n_tox",
    "path",
    "action",
    "next_dose",
    "eliminated",
    "reason",
)


def dose_paths(
    design: Design,
    state: TrialState | None = None,
    *,
    cohorts: int = 2,
    cohort_size: int | None = None,
) -> pd.DataFrame:
    """Tidy table of every path over the next ``cohorts`` cohorts.

    One row per node: ``node_id`` (0 = the decision from ``state``), ``parent_id``, ``cohort``
    (0 for the root), ``dose`` treated in that cohort (1-based), ``outcome`` ("NNT"), ``n_tox``,
    ``path`` (e.g. "1NNN 2NTN"), then the design's ``action``, ``next_dose`` (1-based, empty on
    stop), ``eliminated`` (1-based doses, comma-separated) and ``reason``. Paths end at "stop"
    and "suspend".

    Parameters
    ----------
    design : Design
        Any escalation design (its ``decide`` is called at every node).
    state : TrialState, optional
        Where the paths start (default: no patient yet, lowest dose).
    cohorts : int, default 2
        Number of future cohorts to enumerate.
    cohort_size : int, optional
        Patients per future cohort (default: the design's).

    Returns
    -------
    pandas.DataFrame
        One row per node, columns as above.

    Raises
    ------
    InputError
        When ``cohorts`` or ``cohort_size`` < 1, or the tree would exceed ``MAX_NODES`` leaves.

    Examples
    --------
    BOIN, target 0.3, one cohort of 3 at dose 1: 0/3 escalates, 3/3 eliminates dose 1 and stops:

    >>> from cartrial.design import Boin
    >>> p = dose_paths(Boin(n_doses=3, target=0.3), cohorts=1)
    >>> p[["path", "action"]].values.tolist()[1:]
    [['1NNN', 'escalate'], ['1NNT', 'stay'], ['1NTT', 'stay'], ['1TTT', 'stop']]
    """
    if cohorts < 1:
        raise InputError(f"dose_paths: cohorts must be >= 1, but was {cohorts!r}")
    m = design.cohort_size if cohort_size is None else cohort_size
    if m < 1:
        raise InputError(f"dose_paths: cohort_size must be >= 1, but was {m!r}")
    if (m + 1) ** cohorts > MAX_NODES:
        raise InputError(
            f"dose_paths: {(m + 1) ** cohorts} leaves for {cohorts} cohorts of {m}; "
            f"more than {MAX_NODES} -- ask for fewer cohorts"
        )
    state = TrialState.empty(design.n_doses) if state is None else state
    rows: list[dict] = []
    root = design.decide(state)
    rows.append(_row(0, None, 0, None, "", 0, "", root))
    frontier = [(0, state, root, "")]
    for c in range(1, cohorts + 1):
        nxt = []
        for pid, st, dec, path in frontier:
            if dec.action in ("stop", "suspend") or dec.next_dose is None:
                continue
            for y in range(m + 1):
                s2 = st.add_cohort(dec.next_dose, m, y, eliminated=dec.eliminated)
                d2 = design.decide(s2)
                outcome = "N" * (m - y) + "T" * y
                p2 = (path + " " if path else "") + f"{dec.next_dose + 1}{outcome}"
                nid = len(rows)
                rows.append(_row(nid, pid, c, dec.next_dose + 1, outcome, y, p2, d2))
                nxt.append((nid, s2, d2, p2))
        frontier = nxt
    df = pd.DataFrame(rows, columns=list(PATH_COLUMNS))
    df["parent_id"] = pd.array(df["parent_id"].tolist(), dtype="Int64")
    df["dose"] = pd.array(df["dose"].tolist(), dtype="Int64")
    df["next_dose"] = pd.array(df["next_dose"].tolist(), dtype="Int64")
    return df


def _row(nid, pid, cohort, dose, outcome, y, path, dec) -> dict:
    return {
        "node_id": nid,
        "parent_id": pid,
        "cohort": cohort,
        "dose": dose,
        "outcome": outcome,
        "n_tox": y,
        "path": path,
        "action": dec.action,
        "next_dose": None if dec.next_dose is None else dec.next_dose + 1,
        "eliminated": ",".join(str(e + 1) for e in dec.eliminated),
        "reason": dec.reason,
    }


ACTION_COLOURS = {
    "escalate": "#1b9e77",
    "stay": "#7570b3",
    "de-escalate": "#d95f02",
    "stop": "#e7298a",
    "suspend": "#666666",
}


def dose_paths_figure(paths: pd.DataFrame, *, title: str | None = None) -> Figure:
    """Tree figure of :func:`dose_paths` (matplotlib, no I/O): depth = cohort, each node shows
    the next dose (or "stop"), edges are labelled with the cohort outcome. Returns the Figure.

    Parameters
    ----------
    paths : pandas.DataFrame
        The table from :func:`dose_paths`.
    title : str, optional
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        The tree (not saved; the caller writes it).

    Raises
    ------
    InputError
        When ``paths`` is empty.

    Examples
    --------
    >>> from cartrial.design import Boin
    >>> fig = dose_paths_figure(dose_paths(Boin(n_doses=3, target=0.3), cohorts=1))
    >>> type(fig).__name__
    'Figure'
    """
    from matplotlib.figure import Figure

    if paths.empty:
        raise InputError("dose_paths_figure: no paths to draw")
    children, ypos, n_leaves = _layout(paths)
    depth = int(paths["cohort"].max())
    fig = Figure(figsize=(2.2 + 2.0 * depth, max(2.5, 0.22 * n_leaves + 1)))
    ax = fig.add_subplot(1, 1, 1)
    by_id = paths.set_index("node_id")
    small = n_leaves > 40
    _edges(ax, by_id, children, ypos, small)
    _nodes(ax, by_id, ypos, small)
    ax.set_xticks(range(depth + 1))
    ax.set_xticklabels(["now"] + [f"cohort {i}" for i in range(1, depth + 1)])
    ax.set_yticks([])
    ax.invert_yaxis()
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    handles = [ax.scatter([], [], color=c, label=a) for a, c in ACTION_COLOURS.items()]
    ax.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
        fontsize=7,
        frameon=False,
        title="decision",
        title_fontsize=7,
    )
    ax.set_title(title or "Dose-transition pathways (node: next dose)", fontsize=9)
    fig.tight_layout()
    return fig


def _layout(paths: pd.DataFrame) -> tuple[dict[int, list[int]], dict[int, float], float]:
    """(children of each node, vertical position of each node, number of leaves): leaves one
    row apart in path order, a parent at the mean of its children."""
    children: dict[int, list[int]] = {}
    for nid, pid in zip(paths["node_id"], paths["parent_id"], strict=True):
        if not pd.isna(pid):
            children.setdefault(int(pid), []).append(int(nid))
    ypos: dict[int, float] = {}
    counter = [0.0]

    def place(nid: int) -> float:
        kids = children.get(nid, [])
        if not kids:
            ypos[nid] = counter[0]
            counter[0] += 1
        else:
            ypos[nid] = sum(place(k) for k in kids) / len(kids)
        return ypos[nid]

    place(0)
    return children, ypos, max(counter[0], 1)


def _edges(ax: Any, by_id: pd.DataFrame, children: dict[int, list[int]],
           ypos: dict[int, float], small: bool) -> None:
    """Grey edges, labelled with the cohort outcome unless the tree is large."""
    for nid, kids in children.items():
        for k in kids:
            x0, x1 = by_id.at[nid, "cohort"], by_id.at[k, "cohort"]
            ax.plot([x0, x1], [ypos[nid], ypos[k]], color="#bbbbbb", lw=0.8, zorder=1)
            if not small:
                ax.text(
                    (x0 + x1) / 2,
                    (ypos[nid] + ypos[k]) / 2,
                    by_id.at[k, "outcome"],
                    fontsize=6,
                    ha="center",
                    va="bottom",
                    color="#444444",
                )


def _nodes(ax: Any, by_id: pd.DataFrame, ypos: dict[int, float], small: bool) -> None:
    """One disc per node, coloured by the decision, showing the next dose ("X" stop, "wait")."""
    for nid, r in by_id.iterrows():
        label = "X" if pd.isna(r["next_dose"]) else str(int(r["next_dose"]))
        if r["action"] == "suspend":
            label = "wait"
        ax.scatter(
            [r["cohort"]],
            [ypos[nid]],
            s=120 if not small else 40,
            color=ACTION_COLOURS.get(r["action"], "#000000"),
            zorder=2,
        )
        ax.text(
            r["cohort"],
            ypos[nid],
            label,
            fontsize=6 if small else 7,
            ha="center",
            va="center",
            color="white",
            zorder=3,
        )
