"""Reading a design sweep's results folder back: every stored cell verified, then merged.

Split from :mod:`cartrial.sweep.store` (which writes and verifies the cell files); the import path
``cartrial.sweep.store.read_sweep`` still works.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from cartrial.design.oc_result import OVERALL_COLUMNS, PER_DOSE_COLUMNS
from cartrial.errors import InputError
from cartrial.sweep.store import CellProblem, read_cell, read_manifest


@dataclass(frozen=True)
class SweepResults:
    """All stored cells of a results folder.

    Attributes
    ----------
    per_dose : pandas.DataFrame
        One row per design x scenario x dose (the per-dose operating characteristics).
    overall : pandas.DataFrame
        One row per cell with ``seed``, ``n_trials``, ``cartrial_version``, ``true_tox`` and the
        overall operating characteristics.
    grid, grid_hash : dict, str
        The sweep definition of the manifest and its hash.
    missing : tuple of (str, str)
        (design_id, scenario_id) cells of the manifest without a file.
    problems : tuple of CellProblem
        Files that failed verification (not merged).

    Examples
    --------
    >>> import pandas as pd
    >>> r = SweepResults(pd.DataFrame(), pd.DataFrame(), {}, "", (("boin", "s1"),), ())
    >>> r.complete
    False
    """

    per_dose: pd.DataFrame
    overall: pd.DataFrame
    grid: dict[str, Any]
    grid_hash: str
    missing: tuple[tuple[str, str], ...]
    problems: tuple[CellProblem, ...]

    @property
    def complete(self) -> bool:
        return not self.missing and not self.problems


def read_sweep(out: str | Path) -> SweepResults:
    """Read every cell listed in the manifest, verifying each (checksum and definition hash);
    unusable files are listed in ``problems`` and left out, never merged.

    Parameters
    ----------
    out : str or pathlib.Path
        The results folder of ``cartrial design sweep`` (its ``manifest.json`` and cells).

    Returns
    -------
    SweepResults
        The merged cells, the cells missing and the files refused.

    Raises
    ------
    InputError
        No manifest, or a manifest that is not one (named with the file).

    Examples
    --------
    >>> read_sweep("/no/such/sweep")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    cartrial.errors.InputError: /no/such/sweep/manifest.json: ...
    """
    out = Path(out)
    man = read_manifest(out)
    per, rows, missing, problems = [], [], [], []
    for c in man.get("cells", []):
        path = out / c["file"]
        if not path.exists():
            missing.append((c["design_id"], c["scenario_id"]))
            continue
        try:
            df, meta = read_cell(path)
            if meta.get("cell_hash") != c["cell_hash"]:
                raise InputError(f"{path.name}: stored for a different cell definition")
            if not all(k in meta for k in ("seed", "n_trials", "cartrial_version", "true_tox")):
                raise InputError(f"{path.name}: cartrial.sweep metadata is incomplete")
        except InputError as exc:
            problems.append(
                CellProblem(path.name, c["design_id"], c["scenario_id"], str(exc), None)
            )
            continue
        per.append(df.loc[:, ["design_id", "scenario_id", *PER_DOSE_COLUMNS]])
        first = df.iloc[0]
        rows.append(
            {
                "design_id": c["design_id"],
                "scenario_id": c["scenario_id"],
                "seed": meta["seed"],
                "n_trials": meta["n_trials"],
                "cartrial_version": meta["cartrial_version"],
                "true_tox": tuple(meta["true_tox"]),
            }
            | {col: first[f"oc_{col}"] for col in OVERALL_COLUMNS}
        )
    per_dose = (
        pd.concat(per, ignore_index=True)
        if per
        else pd.DataFrame(columns=["design_id", "scenario_id", *PER_DOSE_COLUMNS])
    )
    overall = pd.DataFrame(
        rows,
        columns=[
            "design_id",
            "scenario_id",
            "seed",
            "n_trials",
            "cartrial_version",
            "true_tox",
            *OVERALL_COLUMNS,
        ],
    )
    return SweepResults(
        per_dose,
        overall,
        man.get("grid", {}),
        man.get("grid_hash", ""),
        tuple(missing),
        tuple(problems),
    )
