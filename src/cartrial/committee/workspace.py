"""What the committee looks at: the live trial picture computed once per data snapshot.

Pure library code (no web): per-dose table, the design's recommendation and rule, the
dose-transition pathways of the next cohort, and per-patient safety detail.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from cartrial.conduct import decide_study
from cartrial.conduct.from_study import StudyDecision
from cartrial.data import load_study, validate_study
from cartrial.data.dates import parse_dtc
from cartrial.design.factory import design_from_spec
from cartrial.design.paths import dose_paths
from cartrial.errors import FindingsError
from cartrial.protocol import Protocol, load_protocol, protocol_hash
from cartrial.safety.analysis import SafetyAnalysis, analyse_safety
from cartrial.safety.sdtm import safety_inputs


@dataclass(frozen=True)
class Workspace:
    """The trial as the committee sees it on ``as_of`` (data files hashed in ``data_hash``)."""

    protocol: Protocol
    protocol_ref: str
    protocol_hash: str
    data_dir: Path
    as_of: date
    decision: StudyDecision
    safety: SafetyAnalysis
    paths: pd.DataFrame
    study_domains: dict[str, pd.DataFrame]

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
        lb = sub(self.study_domains.get("LB"))
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


def build_workspace(protocol_ref: str, data_dir: str | Path,
                    as_of: date | None = None) -> Workspace:
    """Load and validate the data, adjudicate DLTs, get the design's recommendation and the
    next cohort's dose-transition paths.

    Raises
    ------
    FindingsError
        The data fails validation (:func:`cartrial.data.validate_study`; error findings).
    InputError
        The protocol or the data cannot be read.
    """
    proto = load_protocol(protocol_ref)
    study = load_study(data_dir)
    report = validate_study(study, proto)
    if not report.ok:
        raise FindingsError(findings=[f for f in report.as_findings() if f.severity == "error"])
    cut = as_of or _latest_date(study.domains)
    decision = decide_study(study, proto, cut)
    safety = analyse_safety(safety_inputs(study, proto), proto)
    design = design_from_spec(proto.design, len(proto.dose_levels))
    paths = dose_paths(design, decision.recommendation.state, cohorts=1)
    return Workspace(proto, str(protocol_ref), protocol_hash(protocol_ref), Path(data_dir), cut,
                     decision, safety, paths, study.domains)


def _latest_date(domains: dict[str, pd.DataFrame]) -> date:
    """The data cut-off: the latest complete date recorded anywhere in the study."""
    latest = pd.Timestamp("1900-01-01")
    for df in domains.values():
        for col in (c for c in df.columns if c.endswith("DTC")):
            d = parse_dtc(df[col])["dt"].max()
            if pd.notna(d) and d > latest:
                latest = d
    return latest.date()
