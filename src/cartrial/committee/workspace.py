"""What the committee looks at: the live trial picture computed once per data snapshot.

Pure library code (no web): per-dose table, the design's recommendation and rule, the
dose-transition pathways of the next cohort, and per-patient safety detail.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from cartrial.committee.start_up import StartUp
from cartrial.data import load_study
from cartrial.data.dates import parse_dtc
from cartrial.data.load import Study
from cartrial.errors import Finding, FindingsError, InputError
from cartrial.protocol import Protocol, load_protocol, protocol_hash
from cartrial.study_reads import subject_frame

if TYPE_CHECKING:  # the engines are imported by the build (serve answers before it ends)
    from cartrial.committee.first_build import FirstDecisions
    from cartrial.conduct.from_study import StudyDecision
    from cartrial.data.validate import ValidationReport
    from cartrial.efficacy.imwg import ImwgResult
    from cartrial.safety.analysis import SafetyAnalysis
    from cartrial.safety.sdtm import SafetyInputs


@dataclass(frozen=True)
class Analysis:
    """The part of the workspace the patient pages need beyond the decisions: the safety
    engine's inputs and analysis, and the IMWG responses (or why they could not be derived)."""

    safety: SafetyAnalysis
    inputs: SafetyInputs
    response: ImwgResult | None = None  # IMWG responses (None: could not be derived)
    response_error: str = ""            # why not, shown on the patient pages


@dataclass(frozen=True)
class Workspace:
    """The trial as the committee sees it on ``as_of`` (data files hashed in ``data_hash``).

    ``analysis`` may still be being computed (``cartrial serve``'s start-up computes it after
    the decisions): :attr:`analysed` says whether it is there without waiting; ``safety``,
    ``inputs``, ``response`` and ``response_error`` wait for it.
    """

    protocol: Protocol
    protocol_ref: str
    protocol_hash: str
    data_dir: Path
    as_of: date
    decision: StudyDecision
    paths: pd.DataFrame
    study_domains: dict[str, pd.DataFrame]
    study: Study
    analysis: StartUp

    @property
    def analysed(self) -> bool:
        """Whether the safety analysis and responses are computed (never waits)."""
        ended, why = self.analysis.poll()
        return ended and not why

    def _analysis(self) -> Analysis:
        value, why = self.analysis.result()
        if value is None:
            raise InputError(f"The data could not be analysed: {why}")
        return value

    @property
    def safety(self) -> SafetyAnalysis:
        return self._analysis().safety

    @property
    def inputs(self) -> SafetyInputs:
        return self._analysis().inputs

    @property
    def response(self) -> ImwgResult | None:
        return self._analysis().response

    @property
    def response_error(self) -> str:
        return self._analysis().response_error

    @property
    def data_hash(self) -> str:
        return self.decision.data_hash

    def recommendation_summary(self) -> dict[str, object]:
        d = self.decision.recommendation.decision
        ids = self.protocol.dose_ids
        return {"design": self.decision.recommendation.design, "action": d.action,
                "next_dose": None if d.next_dose is None else ids[d.next_dose],
                "eliminated": [ids[j] for j in d.eliminated], "reason": d.reason,
                "rule": d.rule, "as_of": self.as_of.isoformat(), "data_hash": self.data_hash}

    def patient(self, usubjid: str) -> dict[str, pd.DataFrame]:
        """Dosing, CRS / ICANS grades over days, cytopenias, kinetics, cytokines, DLT row."""
        def sub(df: pd.DataFrame | None) -> pd.DataFrame:
            if df is None or "USUBJID" not in df:
                return pd.DataFrame()
            return df[df["USUBJID"].astype(str) == usubjid].reset_index(drop=True)

        s = self.safety
        lb = subject_frame(self.study, "LB", {usubjid})  # the patient's records only (#18)
        lb = pd.DataFrame() if lb is None or "USUBJID" not in lb else lb.reset_index(drop=True)
        cyt = lb[lb.get("LBCAT", pd.Series(dtype=str)) == "CYTOKINES"] if len(lb) else lb
        return {
            "dosing": sub(self.study_domains.get("EX")),
            "crs": sub(s.crs.timepoints),
            "icans": sub(s.icans.timepoints),
            "cytopenias": sub(s.cytopenias),
            "kinetics": sub(self.study_domains.get("PC")),
            "cytokines": cyt,
            "dlt": sub(self.decision.patients),
        }


def load_checked(protocol_ref: str, data_dir: str | Path, *,
                 loaded: tuple[Protocol, Study] | None = None) -> tuple[Protocol, Study]:
    """The protocol and the folder's study, loaded and validated (the first step of
    :func:`build_workspace`, which ``cartrial serve`` takes before it answers).

    ``loaded``: the protocol and study already read from ``protocol_ref`` and ``data_dir``
    (``cartrial serve`` reads them before it forks, :mod:`cartrial.committee.first_build`):
    validated, not read again.

    Raises
    ------
    FindingsError
        The data fails validation (:func:`cartrial.data.validate_study`; error findings).
    InputError
        The protocol or the data cannot be read.
    """
    from cartrial.data import validate_study  # not in serve's forked child (first_build)

    proto, study = loaded or (load_protocol(protocol_ref), load_study(data_dir))
    report = validate_study(study, proto)
    if not report.ok:
        raise FindingsError(findings=_named_errors(report))
    return proto, study


def build_workspace(protocol_ref: str, data_dir: str | Path,
                    as_of: date | None = None, *,
                    checked: tuple[Protocol, Study] | None = None,
                    analysis_later: bool = False,
                    gate: threading.Event | None = None,
                    first: FirstDecisions | None = None) -> Workspace:
    """Load and validate the data, adjudicate DLTs, get the design's recommendation and the
    next cohort's dose-transition paths, and analyse safety and responses.

    ``checked``: what :func:`load_checked` returned for this folder (not loaded again);
    without it the folder is loaded and validated here, raising as :func:`load_checked` does.
    ``analysis_later``: return once the decisions are computed and compute the safety
    analysis and responses on a thread (the workspace's ``analysis``; an ``InputError`` of the
    engines is then kept as its reason instead of raised); ``gate``: that thread begins once
    the caller sets it (``cartrial serve`` first prepares the overview of the decisions).
    ``first``: the decisions being computed in a forked child at start-up
    (:mod:`cartrial.committee.first_build`), taken when made on the study and protocol of
    ``checked`` (without ``as_of``), else computed here.
    """
    proto, study = checked or load_checked(protocol_ref, data_dir)
    taken = first.take(study, proto) if first is not None and as_of is None else None
    cut, decision, paths = taken or decisions(study, proto, as_of)
    analysis = (StartUp(lambda: _analyse(study, proto), name="cartrial-workspace-analysis",
                        gate=gate)
                if analysis_later else StartUp.finished(_analyse(study, proto)))
    return Workspace(proto, str(protocol_ref), protocol_hash(protocol_ref), Path(data_dir), cut,
                     decision, paths, study.domains, study, analysis)


def decisions(study: Study, protocol: Protocol,
              as_of: date | None = None) -> tuple[date, StudyDecision, pd.DataFrame]:
    """What the overview shows first: the data cut-off, the decisions on the study at it
    (:func:`cartrial.conduct.decide_study`) and the next cohort's dose-transition paths.

    Parameters
    ----------
    study : Study
        The study (validated).
    protocol : Protocol
        The protocol the trial is conducted with.
    as_of : date, optional
        The cut-off (default: the latest complete date recorded anywhere in the study).

    Returns
    -------
    tuple
        ``(cut-off, StudyDecision, paths)``.

    Raises
    ------
    InputError
        Data the engines cannot use.

    Examples
    --------
    >>> cut, decision, paths = decisions(study, load_protocol("ct071"))  # doctest: +SKIP
    """
    from cartrial.conduct import decide_study

    cut = as_of or latest_date(study.domains)
    decision = decide_study(study, protocol, cut)
    return cut, decision, next_cohort_paths(protocol, decision)


def next_cohort_paths(protocol: Protocol, decision: StudyDecision) -> pd.DataFrame:
    """The next cohort's dose-transition paths from the design's state in ``decision``
    (:func:`cartrial.design.paths.dose_paths`, one cohort), as the overview shows them: one
    rule for the engine's decisions and the committee's adjudicated ones.

    Parameters
    ----------
    protocol : Protocol
        The protocol (its design and dose levels).
    decision : StudyDecision
        The decisions (:func:`cartrial.conduct.decide_study`).

    Returns
    -------
    pandas.DataFrame
        The paths, as :func:`cartrial.design.paths.dose_paths` gives them.

    Examples
    --------
    >>> next_cohort_paths(protocol, decide_study(study, protocol))  # doctest: +SKIP
    """
    from cartrial.design.factory import design_from_spec
    from cartrial.design.paths import dose_paths

    design = design_from_spec(protocol.design, len(protocol.dose_levels))
    return dose_paths(design, decision.recommendation.state, cohorts=1)


def _analyse(study: Study, proto: Protocol) -> Analysis:
    """The safety engine's inputs and analysis and the IMWG responses of the whole study."""
    from cartrial.safety.analysis import analyse_safety
    from cartrial.safety.sdtm import safety_inputs

    inputs = safety_inputs(study, proto)
    safety = analyse_safety(inputs, proto, tables=False)  # the pages show no safety table
    response, why = _responses(study, proto)
    return Analysis(safety, inputs, response, why)


def _named_errors(report: ValidationReport) -> list[Finding]:
    """The error findings, each rule text led by its rule id (``[ARM_NOT_IN_PROTOCOL] ...``),
    so that the workspace's notice names the rule, domain, subject, record and variable."""
    f = report.findings
    f = f[f["severity"] == "error"]
    return [Finding(r.domain, r.usubjid, r.seq, r.variable, r.value,
                    f"[{r.rule_id}] {r.rule}" if r.rule_id else r.rule, r.severity)
            for r in f.itertuples(index=False)]


def _responses(study: Study, proto: Protocol) -> tuple[ImwgResult | None, str]:
    """IMWG responses for the patient pages; a study whose response data cannot be used
    still has its safety pages (the reason is shown instead of the response)."""
    from cartrial.efficacy.sdtm import efficacy_from_study

    try:
        return efficacy_from_study(study, proto, summaries=False)[1], ""
    except InputError as exc:
        return None, str(exc).splitlines()[0]


def latest_date(domains: dict[str, pd.DataFrame]) -> date:
    """The data cut-off: the latest complete date recorded anywhere in the study.

    Parameters
    ----------
    domains : dict of str to pandas.DataFrame
        The study's domains.

    Returns
    -------
    datetime.date

    Examples
    --------
    >>> import pandas as pd
    >>> latest_date({"AE": pd.DataFrame({"AESTDTC": ["2024-03-01", "2024-05"]})})
    datetime.date(2024, 3, 1)
    """
    latest = pd.Timestamp("1900-01-01")
    for df in domains.values():
        for col in (c for c in df.columns if c.endswith("DTC")):
            d = parse_dtc(df[col])["dt"].max()
            if pd.notna(d) and d > latest:
                latest = d
    return latest.date()
