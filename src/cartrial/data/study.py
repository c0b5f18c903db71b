"""A trial's SDTM domains as loaded: the :class:`Study` every stage reads.

Consumers read a domain whole (``study["LB"]``) or, for a large one, only the variables and
records they use (:meth:`Study.frame`), so a domain held encoded is decoded only for those
(issue #18: memory).
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from cartrial.data.domains import Domains
from cartrial.errors import Finding, InputError


@dataclass
class Study:
    """A trial's SDTM domains, one typed DataFrame each (upper-case domain names).

    The domains are a :class:`cartrial.data.domains.Domains` (any mapping given is taken as
    one): the loader holds the large findings domains encoded, decoded when read whole and
    only in part by :meth:`frame`.

    ``unread`` maps a domain whose file could not be used to that file's name (the reason is in
    ``load_findings``); ``mtime`` is the newest modification time of the files read (seconds
    since the epoch), the latest moment the transfer can describe.

    Attributes
    ----------
    domains : Domains (a mapping of str to pandas.DataFrame)
        Domain code -> dataset.
    path : pathlib.Path or None
        Directory read (None when built in memory).
    format : str
        ``"csv"``, ``"xpt"``, ``"dataset-json"`` or ``"memory"`` (built by
        :func:`cartrial.data.study_from_frames`).
    load_findings : list of Finding
        What loading found (unreadable files, unconvertible units, ...).
    file_hashes : dict of str to str
        SHA-256 of each file read (``data_hash`` combines them).

    Examples
    --------
    >>> st = Study({"DM": pd.DataFrame({"USUBJID": ["S1"]})})
    >>> "DM" in st, len(st["DM"])
    (True, 1)
    >>> st["LB"]
    Traceback (most recent call last):
    ...
    cartrial.errors.InputError: domain LB is not in the study (DM)
    """

    domains: Domains
    path: Path | None = None
    format: str = "csv"
    load_findings: list[Finding] = field(default_factory=list)
    file_hashes: dict[str, str] = field(default_factory=dict)
    unread: dict[str, str] = field(default_factory=dict)
    mtime: float | None = None

    def __setattr__(self, attr: str, value: object) -> None:
        if attr == "domains" and not isinstance(value, Domains):
            value = Domains(value)  # a dict given (or assigned): read as it always was
        super().__setattr__(attr, value)

    def __getitem__(self, name: str) -> pd.DataFrame:
        try:
            return self.domains[name]
        except KeyError:
            raise InputError(
                f"domain {name} is not in the study ({', '.join(self.domains)})"
            ) from None

    def __contains__(self, name: str) -> bool:
        return name in self.domains

    def get(self, name: str) -> pd.DataFrame | None:
        return self.domains.get(name)

    def frame(self, name: str, columns: Sequence[str] | None = None,
              where: Mapping[str, Collection[str]] | None = None) -> pd.DataFrame | None:
        """The domain's records, only the variables and rows a consumer reads (issue #18:
        memory; a large domain held encoded is decoded only for these).

        Parameters
        ----------
        name : str
            Domain code.
        columns : sequence of str, optional
            The variables wanted, in this order; those the domain lacks are left out (so a
            consumer's ``"LBSTNRLO" in df`` still tells). All variables when None.
        where : mapping of str to collection of str, optional
            Keep only the records whose value of each named variable is one of the values
            given (a missing value never matches; a variable the domain lacks matches no
            record). Records keep their order and index labels.

        Returns
        -------
        pandas.DataFrame or None
            The records asked for, a frame of its own (changing it does not change the
            study); None when the domain is not in the study.

        Examples
        --------
        >>> lb = pd.DataFrame({"USUBJID": ["S1", "S2", "S1"], "LBTESTCD": ["IL6", "HGB", None],
        ...                    "LBSTRESN": [40.0, 9.1, 1.0]})
        >>> st = Study({"LB": lb})
        >>> st.frame("LB", ["LBTESTCD", "LBSTRESN", "LBORNRLO"], where={"LBTESTCD": {"IL6"}})
          LBTESTCD  LBSTRESN
        0      IL6      40.0
        >>> st.frame("PC") is None
        True
        """
        return self.domains.frame(name, columns, where)

    def distinct(self, name: str, variable: str) -> np.ndarray | None:
        """The distinct values of one variable of a domain, missing ones left out, without
        reading its records where the domain is held encoded (its distinct values are held).

        Parameters
        ----------
        name : str
            Domain code.
        variable : str
            Variable name.

        Returns
        -------
        numpy.ndarray of object or None
            Each value once, order unspecified (empty when the domain lacks the variable);
            None when the domain is not in the study.

        Examples
        --------
        >>> st = Study({"LB": pd.DataFrame({"LBTESTCD": ["IL6", None, "IL6"]})})
        >>> st.distinct("LB", "LBTESTCD").tolist(), st.distinct("PC", "PCTESTCD")
        (['IL6'], None)
        """
        return self.domains.distinct(name, variable)

    def variables(self, name: str) -> list[str]:
        """The domain's variable names (without reading its records).

        Examples
        --------
        >>> Study({"DM": pd.DataFrame({"USUBJID": ["S1"], "AGE": [60.0]})}).variables("DM")
        ['USUBJID', 'AGE']
        """
        if name not in self.domains:
            self[name]  # the error naming the domains held
        return list(self.domains.held(name).columns)

    def records(self, name: str) -> int:
        """The domain's number of records (0 when it is not in the study).

        Examples
        --------
        >>> Study({"DM": pd.DataFrame({"USUBJID": ["S1", "S2"]})}).records("DM")
        2
        """
        return len(self.domains.held(name)) if name in self.domains else 0

    @property
    def data_hash(self) -> str:
        """SHA-256 over the input files' hashes (provenance for reports and committee records)."""
        h = hashlib.sha256()
        for name in sorted(self.file_hashes):
            h.update(f"{name}:{self.file_hashes[name]}\n".encode())
        return h.hexdigest()
