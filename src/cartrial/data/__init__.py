"""SDTM ingestion: reading CSV / XPT, dates, units, validation and writing."""

from typing import TYPE_CHECKING

from cartrial._lazy import attach

if TYPE_CHECKING:
    from cartrial.data.batches import subject_batches
    from cartrial.data.dates import impute_date, parse_dtc, study_day
    from cartrial.data.frames import study_from_frames
    from cartrial.data.load import Study, load_study
    from cartrial.data.manifest import check_manifest, write_manifest
    from cartrial.data.snapshot import snapshot
    from cartrial.data.spec import DataModel, DomainSpec, TestSpec, data_model
    from cartrial.data.standardize import standardize_results
    from cartrial.data.units import conversion_factor, convert
    from cartrial.data.validate import ValidationReport, validate_study
    from cartrial.data.write import to_csv_text, write_study, write_xpt

__all__ = [
    "DataModel",
    "DomainSpec",
    "Study",
    "TestSpec",
    "ValidationReport",
    "check_manifest",
    "conversion_factor",
    "convert",
    "data_model",
    "impute_date",
    "load_study",
    "parse_dtc",
    "snapshot",
    "standardize_results",
    "study_day",
    "study_from_frames",
    "subject_batches",
    "to_csv_text",
    "validate_study",
    "write_manifest",
    "write_study",
    "write_xpt",
]

__getattr__, __dir__ = attach(__name__, __file__, __all__)
