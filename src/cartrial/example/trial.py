"""The synthetic CT071-like trial: conduct, physiology, SDTM domains and ground truth.

``simulate_trial(protocol, seed=..., n_patients=..., scenario=...)`` draws every component from
its own child stream of ``SeedSequence(seed)`` (adding a component never changes the others),
conducts the dose finding with the protocol's design, generates each patient's journey and
writes the SDTM domains of docs/data-model.md together with the truth the engines are tested
against (docs/example.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import yaml

from cartrial.data import write_study
from cartrial.data.write import ordered_columns
from cartrial.errors import InputError
from cartrial.example import assemble
from cartrial.example.boin12_efficacy import draw_efficacy
from cartrial.example.conduct import Enrolment, conduct_trial
from cartrial.example.population import draw_pool
from cartrial.example.scenarios import get_scenario
from cartrial.example.sdtm import csv_text
from cartrial.protocol import Protocol

COMPONENTS = ("pool", "conduct", "crs", "icans", "disease", "kinetics", "labs", "events",
              "untidy", "visits", "baseline", "manufacturing", "haematology", "baskets",
              "efficacy",
              "bridging")
CHUNK_PATIENTS = 2500


@dataclass(frozen=True)
class ExampleTrial:
    """A generated trial: SDTM ``domains``, ``truth`` tables and the escalation ``history``.

    Attributes
    ----------
    domains : dict of str to pandas.DataFrame
        SDTM domains by name ("DM", "AE", "EX", ...).
    truth : dict of str to pandas.DataFrame
        What the generator drew (true DLTs, responses, kinetics, ...), to check the engines
        against.
    history : pandas.DataFrame
        The escalation as conducted: one row per decision (date, current dose, action, ...).
    scenario : str
        The scenario's name (:func:`get_scenario`).
    seed : int
        The base seed.
    selected_dose : str or None
        Id of the dose level the escalation selected (None = none selected).
    protocol : Protocol, optional
        The protocol as conducted (the scenario may override the design).

    Examples
    --------
    >>> from cartrial.protocol import load_protocol
    >>> trial = simulate_trial(load_protocol("ct071"), n_patients=6)
    >>> trial.selected_dose, len(trial.domains["DM"]), trial.history["action"].tolist()
    ('DL2', 6, ['stay', 'escalate', 'stop', 'select'])
    """

    domains: dict[str, pd.DataFrame]
    truth: dict[str, pd.DataFrame]
    history: pd.DataFrame
    scenario: str
    seed: int
    selected_dose: str | None
    protocol: Protocol | None = None  # the protocol the trial was conducted with


def _prepare(protocol: Protocol, seed: int, n_patients: int | None, scenario: str):
    if n_patients is not None and n_patients < 1:
        raise InputError(f"example: --patients must be >= 1, but was {n_patients!r}")
    if seed < 0:
        raise InputError(f"example: --seed must be >= 0, but was {seed!r}")
    sc = get_scenario(scenario)
    rng = _streams(np.random.SeedSequence(seed))
    target = (n_patients or 0) + protocol.design.max_sample_size + 40
    size = int(np.ceil(target / (1 - sc.not_infused_fraction) * 1.3)) + 60
    pool = draw_pool(rng["pool"], size, sc, protocol.design.accrual.patients_per_month)
    eff = None if sc.eff_prob is None else draw_efficacy(rng["efficacy"], pool.size, protocol,
                                                          sc.eff_prob)
    enr = conduct_trial(rng["conduct"], conducted_protocol(protocol, sc.name), sc, pool,
                        n_patients, rng["manufacturing"], eff)
    return sc, rng, pool, _within_horizon(enr, sc)


#: no generated record is dated after this day: a large trial (whose accrual and follow-up would
#: run past it) is moved earlier as a whole, so that its data are not dated in the future of any
#: transfer (validation's DATE_FUTURE rule) and stay the same whatever day they are generated on
HORIZON = np.datetime64("2025-12-31", "D")


def _within_horizon(enr: Enrolment, sc) -> Enrolment:  # noqa: ANN001
    """``enr`` with every date moved back by whole weeks when its data cut-off is after
    :data:`HORIZON` (weekdays kept); unchanged otherwise (the bundled example ends in 2025)."""
    late = int((assemble.data_cutoff(enr, sc) - HORIZON).astype(int))
    if late <= 0:
        return enr
    shift = np.timedelta64(-(-late // 7) * 7, "D")
    hist = enr.history.copy()
    if "date" in hist:
        hist["date"] = [str(np.datetime64(d, "D") - shift) if isinstance(d, str) and d else d
                        for d in hist["date"]]
    return replace(enr, consent=enr.consent - shift, apheresis=enr.apheresis - shift,
                   infusion=enr.infusion - shift, dlt_date=enr.dlt_date - shift, history=hist)


def conducted_protocol(protocol: Protocol, scenario: str) -> Protocol:
    """The protocol as the scenario conducts it (its design renamed when the scenario says so).

    Parameters
    ----------
    protocol : Protocol
        The protocol given to the generator.
    scenario : str
        A registered scenario name.

    Returns
    -------
    Protocol
        ``protocol`` itself, or a validated copy whose ``design.name`` is the scenario's design
        and whose design carries the scenario's ``design_settings`` (e.g. BOIN12's block).

    Examples
    --------
    >>> from cartrial.protocol import load_protocol
    >>> conducted_protocol(load_protocol("ct071"), "late-dlt").design.name
    'tite-boin'
    """
    sc = get_scenario(scenario)
    if (sc.design is None or sc.design == protocol.design.name) and not sc.design_settings:
        return protocol
    data = protocol.model_dump(mode="json")
    data["design"].update({"name": sc.design or protocol.design.name, **dict(sc.design_settings)})
    return Protocol.model_validate(data)


def protocol_yaml(protocol: Protocol, scenario: str) -> str:
    """YAML text of the conducted protocol, written beside the example's SDTM (protocol.yaml)."""
    head = (f"# Protocol {protocol.study_id} as the example trial (scenario {scenario}) was "
            f"conducted:\n# design {protocol.design.name}. Re-analyse with "
            "`--protocol <folder>/protocol.yaml`.\n")
    return head + yaml.safe_dump(protocol.model_dump(mode="json"), sort_keys=False,
                                 allow_unicode=True)


def _streams(ss: np.random.SeedSequence) -> dict[str, np.random.Generator]:
    """One child stream per component (adding a component never changes the others)."""
    return {k: np.random.default_rng(v)
            for k, v in zip(COMPONENTS, ss.spawn(len(COMPONENTS)), strict=True)}


def simulate_trial(protocol: Protocol, *, seed: int = 20240228, n_patients: int | None = None,
                   scenario: str = "default") -> ExampleTrial:
    """Generate the example trial (``n_patients`` = patients infused; None = design + expansion).

    Patients beyond what the escalation needs are the expansion at the selected dose.

    Parameters
    ----------
    protocol : Protocol
        The protocol to conduct (dose levels, design, schedule).
    seed : int, optional
        Non-negative base seed; the same seed gives the same trial.
    n_patients : int, optional
        Patients infused (>= 1); None = the design's maximum plus the expansion.
    scenario : str, optional
        A registered scenario (:func:`get_scenario`).

    Returns
    -------
    ExampleTrial
        SDTM domains, truth tables and escalation history.

    Raises
    ------
    InputError
        ``n_patients < 1``, a negative seed or an unknown scenario.

    Examples
    --------
    >>> from cartrial.protocol import load_protocol
    >>> trial = simulate_trial(load_protocol("ct071"), n_patients=6, scenario="toxic-dose")
    >>> trial.scenario, trial.seed, sorted(trial.domains)[:4]
    ('toxic-dose', 20240228, ['AE', 'CM', 'DM', 'DS'])
    """
    sc, rng, pool, enr = _prepare(protocol, seed, n_patients, scenario)
    width = max(3, len(str(len(enr.pool_index))))
    domains, truth = assemble.build(rng, protocol, sc, pool, enr, subject_width=width)
    hist = enr.history.copy()
    sel = None if enr.selected is None else protocol.dose_ids[enr.selected]
    truth["escalation"] = hist
    return ExampleTrial(domains, truth, hist, sc.name, seed, sel,
                        conducted_protocol(protocol, sc.name))


def write_large_example(protocol: Protocol, out: str | Path, *, seed: int = 20240228,
                        n_patients: int, scenario: str = "default",
                        chunk_patients: int = CHUNK_PATIENTS,
                        progress: Callable[[int, int], None] | None = None) -> list[Path]:
    """Write a trial too large for memory (e.g. 100,000 patients) chunk by chunk, as CSV.

    The trial is conducted once; patients are then generated and appended in chunks of
    ``chunk_patients`` enrolled patients (subjects never span chunks, so --SEQ and the truth
    stay per subject). The first chunk uses the same streams as :func:`simulate_trial`, later
    chunks ``SeedSequence([seed, k])``: a trial that fits in one chunk is byte-identical to
    ``write_example(simulate_trial(...))``. Rows are sorted by USUBJID within each chunk.

    Parameters
    ----------
    protocol : Protocol
        The protocol to conduct.
    out : str or pathlib.Path
        Output folder (created).
    seed, scenario
        As in :func:`simulate_trial`.
    n_patients : int
        Patients infused (>= 1).
    chunk_patients : int, optional
        Enrolled patients generated per chunk.
    progress : callable, optional
        ``progress(done, total)`` after each chunk.

    Returns
    -------
    list of pathlib.Path
        The files written (CSV domains, truth tables, protocol).

    Raises
    ------
    InputError
        As :func:`simulate_trial` (patients, seed, scenario).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from cartrial.protocol import load_protocol
    >>> p, big, small = load_protocol("ct071"), tempfile.mkdtemp(), tempfile.mkdtemp()
    >>> _ = write_large_example(p, big, n_patients=6)
    >>> _ = write_example(simulate_trial(p, n_patients=6), small)
    >>> (pathlib.Path(big) / "dm.csv").read_bytes() == (pathlib.Path(small) / "dm.csv").read_bytes()
    True
    """
    if chunk_patients < 1:
        raise InputError(f"chunk_patients must be >= 1, but was {chunk_patients!r}")
    sc, rng, pool, enr = _prepare(protocol, seed, n_patients, scenario)
    cutoff = assemble.data_cutoff(enr, sc)
    total = len(enr.pool_index)
    width = max(3, len(str(total)))
    out = Path(out)
    (out / "truth").mkdir(parents=True, exist_ok=True)
    (out / "protocol.yaml").write_text(protocol_yaml(conducted_protocol(protocol, sc.name),
                                                     sc.name), encoding="utf-8")
    starts = list(range(0, total, chunk_patients))
    written: dict[Path, list[str]] = {}
    for k, a in enumerate(starts):
        sub = _subset(enr, slice(a, a + chunk_patients))
        r = rng if k == 0 else _streams(np.random.SeedSequence([seed, k]))
        domains, truth = assemble.build(r, protocol, sc, pool, sub, cutoff=cutoff,
                                        subject_offset=a, subject_width=width)
        if k == 0:
            truth["escalation"] = enr.history.copy()
        items = [(out / f"{n.lower()}.csv", df[ordered_columns(n, df)])
                 for n, df in domains.items()]
        items += [(out / "truth" / f"{n}.csv", df) for n, df in truth.items()]
        for path, df in items:
            if path in written and list(df.columns) != written[path]:
                raise InputError(f"example: chunk {k} of {path.name} has columns "
                                 f"{list(df.columns)}, the first chunk {written[path]}")
            text = csv_text(df)
            if path in written:
                text = text.split("\n", 1)[1]
            with path.open("a" if path in written else "w", encoding="utf-8") as fh:
                fh.write(text)
            written[path] = list(df.columns)
        if progress is not None:
            progress(k + 1, len(starts))
    return sorted([*written, out / "protocol.yaml"])


def _subset(enr: Enrolment, sl: slice) -> Enrolment:
    return replace(enr, pool_index=enr.pool_index[sl], consent=enr.consent[sl],
                   apheresis=enr.apheresis[sl], infusion=enr.infusion[sl], dose=enr.dose[sl],
                   cohort=enr.cohort[sl], expansion=enr.expansion[sl], dlt=enr.dlt[sl],
                   dlt_date=enr.dlt_date[sl], received=enr.received[sl],
                   out_of_spec=enr.out_of_spec[sl], counted=enr.counted[sl],
                   randomised=None if enr.randomised is None else enr.randomised[sl])


def _write_define(domains: dict[str, pd.DataFrame], out: Path, format: str) -> list[Path]:
    """define.xml and its HTML view beside the SDTM (cartrial.data.define_sdtm)."""
    from cartrial import __version__
    from cartrial.data.define_sdtm import data_date, write_sdtm_define

    study = str(domains["DM"]["STUDYID"].iloc[0]) if "DM" in domains and len(domains["DM"]) \
        else "STUDY"
    return write_sdtm_define(domains, out, study=study, version=__version__,
                             created=data_date(domains),
                             file_ext={"dataset-json": "json"}.get(format, format))


def write_example(trial: ExampleTrial, out: str | Path,
                  format: Literal["csv", "xpt", "dataset-json"] = "csv") -> list[Path]:
    """Write ``out/<domain>.csv|xpt|json`` (json: CDISC Dataset-JSON v1.1), their Define-XML
    2.1 ``out/define.xml`` with its HTML view ``out/define-xml.html``, ``out/protocol.yaml``
    (the protocol as conducted) and ``out/truth/*.csv`` (deterministic bytes).

    Parameters
    ----------
    trial : ExampleTrial
        From :func:`simulate_trial`.
    out : str or pathlib.Path
        Output folder (created).
    format : str, optional
        "csv" (default), "xpt" (SAS transport v5) or "dataset-json".

    Returns
    -------
    list of pathlib.Path
        The files written.

    Raises
    ------
    InputError
        An unknown ``format``.

    Examples
    --------
    >>> import tempfile
    >>> from cartrial.protocol import load_protocol
    >>> trial = simulate_trial(load_protocol("ct071"), n_patients=6)
    >>> files = write_example(trial, tempfile.mkdtemp())
    >>> sorted(f.name for f in files)[:4]
    ['ae.csv', 'baseline.csv', 'basket_events.csv', 'bridging.csv']
    """
    if format not in ("csv", "xpt", "dataset-json"):
        raise InputError(f"format must be 'csv', 'xpt' or 'dataset-json', but was {format!r}")
    out = Path(out)
    if format != "csv":
        paths = write_study(trial.domains, out, format=format)
    else:  # same bytes as cartrial.data.write_study, formatted column-wise for speed
        out.mkdir(parents=True, exist_ok=True)
        paths = []
        for name in sorted(trial.domains):
            df = trial.domains[name]
            p = out / f"{name.lower()}.csv"
            p.write_text(csv_text(df[ordered_columns(name, df)]), encoding="utf-8")
            paths.append(p)
    paths += _write_define(trial.domains, out, format)
    if trial.protocol is not None:
        p = out / "protocol.yaml"
        p.write_text(protocol_yaml(trial.protocol, trial.scenario), encoding="utf-8")
        paths.append(p)
    tdir = out / "truth"
    tdir.mkdir(parents=True, exist_ok=True)
    for name in sorted(trial.truth):
        p = tdir / f"{name}.csv"
        p.write_text(csv_text(trial.truth[name]), encoding="utf-8")
        paths.append(p)
    return paths
