"""A study built from data frames in memory, read exactly as ``load_study`` reads files."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import pandas as pd

from cartrial.data.load import Study, frame_columns, prepare_domain
from cartrial.data.spec import data_model
from cartrial.errors import InputError


def study_from_frames(domains: Mapping[str, pd.DataFrame]) -> Study:
    """A :class:`Study` from SDTM domains held in memory (a database query, the example trial).

    Each frame goes through the loader's own steps: upper-case variable names, text stripped of
    blanks (with a warning), numeric variables parsed (a value that is not a number is a
    finding), controlled terms' case set and findings results standardised to one unit per test
    (``--STRESN``), so the engines see exactly what ``load_study`` would give for the same
    records written to CSV.

    Parameters
    ----------
    domains : mapping of str to pandas.DataFrame
        Domain code (any case) -> records as SDTM has them (``--ORRES`` / ``--ORRESU`` text).

    Returns
    -------
    Study
        ``format`` is ``"memory"``; ``load_findings`` holds what reading found; each domain's
        SHA-256 is taken over its CSV text, so ``data_hash`` identifies the records.

    Raises
    ------
    InputError
        A value that is not a data frame, or no domain at all.

    Examples
    --------
    >>> vs = pd.DataFrame({"USUBJID": ["S1"], "VSSEQ": [1], "VSTESTCD": ["TEMP"],
    ...                    "VSORRES": ["101.3"], "VSORRESU": ["F"],
    ...                    "VSDTC": ["2026-03-03T08:00"]})
    >>> st = study_from_frames({"vs": vs})
    >>> round(float(st["VS"]["VSSTRESN"].iloc[0]), 2), st["VS"]["VSSTRESU"].iloc[0]
    (38.5, 'C')
    """
    if not domains:
        raise InputError("study_from_frames: no domain given")
    model = data_model()
    study = Study(domains={}, format="memory")
    for key, df in domains.items():
        name = str(key).upper()
        if not isinstance(df, pd.DataFrame):
            raise InputError(f"{name}: expected a pandas DataFrame, got {type(df).__name__}")
        study.file_hashes[f"{name} (memory)"] = hashlib.sha256(
            df.to_csv(index=False).encode()).hexdigest()
        nul: set[str] = set()
        padded: dict = {}
        raw = frame_columns(df, nul, padded)
        study.domains.hold(name, prepare_domain(name, raw, model, study.load_findings, nul,
                                                padded))
    return study
