"""The synthetic CT071-like trial: conduct, physiology, SDTM domains and ground truth.

``simulate_trial(protocol, seed=..., n_patients=..., scenario=...)`` draws every component from
its own child stream of ``SeedSequence(seed)`` (adding a component never changes the others),
conducts the dose finding with the protocol's design, generates each patient's journey and
writes the SDTM domains of docs/data-model.md together with the truth the engines are tested
against (docs/example.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from cartrial.data import write_study
from cartrial.data.write import ordered_columns
from cartrial.errors import InputError
from cartrial.example import assemble
from cartrial.example.conduct import conduct_trial
from cartrial.example.population import draw_pool
from cartrial.example.scenarios import get_scenario
from cartrial.example.sdtm import csv_text
from cartrial.protocol import Protocol

COMPONENTS = ("pool", "conduct", "crs", "icans", "disease", "kinetics", "labs", "events",
              "untidy", "visits")


@dataclass(frozen=True)
class ExampleTrial:
    """A generated trial: SDTM ``domains``, ``truth`` tables and the escalation ``history``."""

    domains: dict[str, pd.DataFrame]
    truth: dict[str, pd.DataFrame]
    history: pd.DataFrame
    scenario: str
    seed: int
    selected_dose: str | None


def simulate_trial(protocol: Protocol, *, seed: int = 20240228, n_patients: int | None = None,
                   scenario: str = "default") -> ExampleTrial:
    """Generate the example trial (``n_patients`` = patients infused; None = design + expansion).

    Patients beyond what the escalation needs are the expansion at the selected dose.
    """
    if n_patients is not None and n_patients < 1:
        raise InputError(f"example: --patients must be >= 1, but was {n_patients!r}")
    if seed < 0:
        raise InputError(f"example: --seed must be >= 0, but was {seed!r}")
    sc = get_scenario(scenario)
    streams = dict(zip(COMPONENTS, np.random.SeedSequence(seed).spawn(len(COMPONENTS)),
                       strict=True))
    rng = {k: np.random.default_rng(v) for k, v in streams.items()}
    target = (n_patients or 0) + protocol.design.max_sample_size + 40
    size = int(np.ceil(target / (1 - sc.not_infused_fraction) * 1.3)) + 60
    pool = draw_pool(rng["pool"], size, sc, protocol.design.accrual.patients_per_month)
    enr = conduct_trial(rng["conduct"], protocol, sc, pool, n_patients)
    domains, truth = assemble.build(rng, protocol, sc, pool, enr)
    hist = enr.history.copy()
    sel = None if enr.selected is None else protocol.dose_ids[enr.selected]
    truth["escalation"] = hist
    return ExampleTrial(domains, truth, hist, sc.name, seed, sel)


def write_example(trial: ExampleTrial, out: str | Path,
                  format: Literal["csv", "xpt"] = "csv") -> list[Path]:
    """Write ``out/<domain>.csv|xpt`` and ``out/truth/*.csv`` (deterministic bytes)."""
    if format not in ("csv", "xpt"):
        raise InputError(f"format must be 'csv' or 'xpt', but was {format!r}")
    out = Path(out)
    if format == "xpt":
        paths = write_study(trial.domains, out, format="xpt")
    else:  # same bytes as cartrial.data.write_study, formatted column-wise for speed
        out.mkdir(parents=True, exist_ok=True)
        paths = []
        for name in sorted(trial.domains):
            df = trial.domains[name]
            p = out / f"{name.lower()}.csv"
            p.write_text(csv_text(df[ordered_columns(name, df)]), encoding="utf-8")
            paths.append(p)
    tdir = out / "truth"
    tdir.mkdir(parents=True, exist_ok=True)
    for name in sorted(trial.truth):
        p = tdir / f"{name}.csv"
        p.write_text(csv_text(trial.truth[name]), encoding="utf-8")
        paths.append(p)
    return paths
