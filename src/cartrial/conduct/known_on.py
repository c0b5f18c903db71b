"""The safety engine's inputs of the escalation patients as known on any date, built once.

The escalation history (:mod:`cartrial.conduct.history`) asks for the DLT status at many
cut-offs of one study. Each used to rebuild ``safety_inputs`` from ``snapshot(study, date)``;
here the study is read once and each cut-off is a set of vectorised masks:

- a record is known on date D when its event date (imputed to its first possible day, the rule
  of :func:`cartrial.data.snapshot`) is on or before D, and an end or death date after D is
  blanked; the per-record imputed dates are computed once, so the study as known on D (only the
  small domains the per-patient builders read) is a take of rows per domain;
- the laboratory and weight records and the adverse events are the whole study's frames cut by
  those masks: a row built from a complete --DTC at ``DAY`` days after the infusion is known on
  D exactly when ``DAY < (D - infusion).days + 1``; an adverse event's end is blanked when its
  end date is after D;
- the per-patient frames (follow-up, ICAHT censoring, the CRS flow sheet and ICANS assessments,
  whose merges and flags depend on what else is known) are built by the safety engine's own
  functions on the study as known on D.

Where a cut could differ from a rebuild (a baseline flag on a record after D, a cut that leaves
a frame empty, infusion dates that two readers of EX would place differently) the frame is
rebuilt from the study as known on D instead; when the whole study's inputs cannot be built
(data the engines refuse), every cut-off takes the old path. A regression test compares the
inputs and every decision of the history with the rebuild on the example trial, its BOIN12
scenario and seeded random trials.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np
import pandas as pd

from cartrial.data import Study
from cartrial.data.batches import concat_consuming, take_rows
from cartrial.data.dates import impute_date
from cartrial.data.snapshot import END_DATE, EVENT_DATE
from cartrial.protocol import Protocol

#: domains the CRS / ICANS builders read; LB, VS only when a lab frame must be rebuilt
_DOMAINS = ("DM", "EX", "AE", "VS", "FA", "QS", "CM", "LB")
_LB_USED = ["USUBJID", "LBSEQ", "LBTESTCD", "LBSTRESN", "LBSTRESU", "LBSTNRLO", "LBSTNRHI",
            "LBDTC", "LBBLFL", "LBSPEC"]
_DM_BLANKED = ("RFSTDTC", "RFENDTC", "DTHDTC")
_ACTIVE: ContextVar[KnownOn | None] = ContextVar("cartrial_known_on", default=None)
_UNSET = object()


def _starts(values: pd.Series) -> np.ndarray:
    return impute_date(values, "start")[0].to_numpy()


class _Domain:
    """One domain with what every cut needs: subjects, event dates and dates to blank."""

    def __init__(self, name: str, df: pd.DataFrame, columns: list[str] | None = None) -> None:
        if columns is not None:
            df = df[[c for c in columns if c in df.columns]]
        self.name, self.df = name, df
        self.subj = df["USUBJID"].astype(str).to_numpy() if "USUBJID" in df else None
        var = EVENT_DATE.get(name)
        self.event = _starts(df[var]) if var and var in df else None
        ends = [v for v in END_DATE.get(name, []) if v.endswith("DTC") and v in df]
        ends += [v for v in _DM_BLANKED if name == "DM" and v in df]
        self.ends = {v: _starts(df[v]) for v in ends}

    def at(self, ids: np.ndarray, cut: np.datetime64) -> pd.DataFrame:
        """The rows of ``ids`` known on ``cut``: ``snapshot(_subset(study, ids), cut)``."""
        keep = np.ones(len(self.df), dtype=bool)
        if self.subj is not None:
            keep &= np.isin(self.subj, ids)
        if self.event is not None:
            keep &= ~(self.event > cut)
        df = self.df.loc[keep].reset_index(drop=True)
        for var, starts in self.ends.items():
            late = pd.Series(starts[keep] > cut)
            df.loc[late, var] = pd.NA
            if self.name == "AE" and "AEOUT" in df:  # the outcome was not known either
                df.loc[late, "AEOUT"] = "NOT RECOVERED/NOT RESOLVED"
            if self.name == "DM" and var == "DTHDTC" and "DTHFL" in df:
                df.loc[late, "DTHFL"] = pd.NA
        return df


class _Cut:
    """The study as known on a date, each domain cut when a builder first asks for it."""

    def __init__(self, domains: dict[str, _Domain], ids: np.ndarray, cut: np.datetime64) -> None:
        self._domains, self._ids, self._cut = domains, ids, cut
        self._done: dict[str, pd.DataFrame] = {}

    def get(self, name: str) -> pd.DataFrame | None:
        if name not in self._done and name in self._domains:
            self._done[name] = self._domains[name].at(self._ids, self._cut)
        return self._done.get(name)


class KnownOn:
    """A study's escalation safety inputs at any cut-off (module docstring), built when first
    asked for: the whole study's inputs on the first call, the cut machinery on the first cut.

    Parameters
    ----------
    source : Study
        The study (``decide_study``'s, or already restricted to its escalation subjects).
    protocol : Protocol
        The protocol the trial is conducted with.

    Attributes
    ----------
    parts : pandas.DataFrame
        ``study_parts(source)`` (read once; ``decide_study`` reads it from here).
    cutting : bool
        Whether ``dlt_status`` at a date cuts (inside the history) or rebuilds (one date).

    Examples
    --------
    >>> from cartrial import data, example, protocol
    >>> p = protocol.load_protocol("ct071")
    >>> s = data.Study(example.simulate_trial(p, n_patients=6).domains)
    >>> k = KnownOn(s, p)
    >>> k.serves(s, p), k.serves(k.study, p), len(k.esc)
    (True, True, 6)
    """

    def __init__(self, source: Study, protocol: Protocol) -> None:
        from cartrial.conduct.from_study import escalation_subjects
        from cartrial.data.study_parts import study_parts

        self.source, self.protocol, self.cutting = source, protocol, False
        self.parts = study_parts(source)  # ``study_parts(source)``, read once
        self.esc_source = escalation_subjects(source, self.parts)
        self._study: Study | None = None
        self._esc: pd.DataFrame | None = None
        self._full: object = _UNSET
        self._cuts: bool | None = None
        self._graded = None  # the whole study's laboratory records graded once
        self._cut_rows: tuple = (None, None)  # the latest cut and its lab rows in the whole

    @property
    def study(self) -> Study:
        """``source`` restricted to its escalation subjects (what the history walks through)."""
        if self._study is None:
            from cartrial.conduct.from_study import _subset

            self._study = _subset(self.source, set(self.esc_source["USUBJID"]))
        return self._study

    @property
    def esc(self) -> pd.DataFrame:
        """``escalation_subjects(study)``."""
        if self._esc is None:
            from cartrial.conduct.from_study import escalation_subjects

            self._esc = escalation_subjects(self.study)
        return self._esc

    def serves(self, study: Study, protocol: Protocol) -> bool:
        """Whether this object answers for ``(study, protocol)`` (the very same objects).

        Parameters
        ----------
        study, protocol : Study, Protocol
            What ``dlt_status`` was called with.

        Returns
        -------
        bool
        """
        return protocol is self.protocol and (study is self.source or study is self._study)

    def escalation(self, study: Study) -> pd.DataFrame:
        """``escalation_subjects(study)`` for a study this object serves (computed once)."""
        return self.esc_source if study is self.source else self.esc

    @property
    def full(self):
        """The inputs at ``as_of=None`` (every treated escalation patient, all data); None
        when the engines refuse the whole study (a cut-off may still be usable)."""
        if self._full is _UNSET:
            from cartrial.conduct.from_study import _subset
            from cartrial.errors import InputError
            from cartrial.safety.sdtm import safety_inputs

            treated = self.esc.loc[self.esc["INFUSION_DATE"].notna(), "USUBJID"]
            self._treated = _subset(self.study, set(treated))
            try:
                self._full = safety_inputs(self._treated, self.protocol)
            except InputError:
                self._full = None
        return self._full

    @property
    def usable(self) -> bool:
        """Whether dates can be cut (else each date is rebuilt as before)."""
        if self._cuts is None:
            self._cuts = self.full is not None and self._prepare()
        return self._cuts

    def _prepare(self) -> bool:
        from cartrial.conduct.known_subjects import KnownSubjects
        from cartrial.conduct.known_syndromes import KnownSyndromes
        from cartrial.errors import InputError
        from cartrial.safety.sdtm_base import infusion_dates
        from cartrial.safety.sdtm_labs import lab_records, weight_records

        full, esc = self._treated, self.esc
        try:
            self._labs = lab_records(full), weight_records(full)
        except InputError:  # pragma: no cover - the whole study's inputs were built
            return False
        # safety_inputs joins the same two frames of the same study: the same rows in order
        whole = self.full.labs
        self._rows_match = (len(whole) == sum(len(p) for p in self._labs)
                            and all(list(p.columns) == list(whole.columns) for p in self._labs))
        inf = infusion_dates(full)
        treated = esc[esc["INFUSION_DATE"].notna()]
        mine = pd.Series(treated["INFUSION_DATE"].to_numpy(), index=treated["USUBJID"])
        # one reading of the infusion date (EX upper-cased or not): else every date rebuilds
        if not (len(inf) == len(mine) and set(inf.index) == set(mine.index)
                and bool((inf.reindex(mine.index) == mine).all())):
            return False
        self.inf = inf
        self._subjects = KnownSubjects(full, self.full.subjects, inf)
        self._syndromes = KnownSyndromes(full, inf)
        self.domains = {n: _Domain(n, self.study.domains[n], _LB_USED if n == "LB" else None)
                        for n in _DOMAINS if n in self.study.domains}
        ae = full.domains.get("AE")
        self._ae_end = (_starts(ae.loc[ae["USUBJID"].astype(str).isin(inf.index).to_numpy(),
                                       "AEENDTC"])
                        if ae is not None and "AEENDTC" in ae else None)
        return True

    def inputs(self, ids: set[str], cut: pd.Timestamp | None):
        """``safety_inputs(snapshot(_subset(study, ids), cut), protocol)``, built by cuts.

        Parameters
        ----------
        ids : set of str
            The escalation patients infused by ``cut``.
        cut : pandas.Timestamp or None
            The cut-off (midnight); None: all data.

        Returns
        -------
        SafetyInputs or None
            None when this object cannot answer (the caller takes the old path).
        """
        if cut is None:
            full = self.full
            treated = set(self.esc.loc[self.esc["INFUSION_DATE"].notna(), "USUBJID"])
            return full if full is not None and ids == treated else None
        if not self.usable:
            return None
        return self._at(np.array(sorted(ids), dtype=object), cut)

    def _at(self, ids: np.ndarray, cut: pd.Timestamp):
        from cartrial.safety.sdtm import SafetyInputs, crs_observations, icans_assessments

        c64 = np.datetime64(cut.to_datetime64(), "ns")
        mini = _Cut(self.domains, ids, c64)
        limit = self._limit(cut)
        fu = self._subjects.at(ids, limit, cut)
        deaths = fu.loc[fu["DEATH_DAY"].notna(), "USUBJID"].to_numpy()
        crs, icans = self._syndromes.at(ids, limit, c64, deaths, mini)
        crs = crs_observations(mini) if crs is None else crs
        icans = icans_assessments(mini) if icans is None else icans
        ae = self._ae(mini, ids, limit, c64)
        labs, rows = self._labs_at(mini, ids, limit)
        # the one note (calcium graded as given) is the whole study's when CA is known by now
        notes = self.full.notes if (labs["PARAMCD"] == "CA").any() else ()
        out = SafetyInputs(subjects=fu, crs=crs, icans=icans, labs=labs, ae=ae, notes=notes)
        self._cut_rows = out, rows
        return out

    def graded_labs(self, inputs) -> pd.DataFrame | None:
        """``grade_labs`` of ``inputs.labs`` cut from the whole study's grading, for inputs
        this object returned (the whole study, or the latest cut whose laboratory frame is a
        cut, not a rebuild); None otherwise (the caller grades them).

        Parameters
        ----------
        inputs : SafetyInputs
            What :meth:`inputs` returned.

        Returns
        -------
        pandas.DataFrame or None
            See :class:`cartrial.safety.graded_once.GradedLabs`.
        """
        full = self.full
        if full is None:
            return None
        cut, rows = self._cut_rows  # one read: the cut and its rows belong together
        if inputs is full:
            rows = None
        elif cut is not inputs or rows is None:
            return None
        if self._graded is None:
            from cartrial.safety.graded_once import GradedLabs

            self._graded = GradedLabs(full.labs, self.protocol)
        return self._graded.take(rows)

    def _limit(self, cut: pd.Timestamp) -> pd.Series:
        """Per patient: rows with ``DAY`` below this were recorded on or before ``cut``."""
        return ((cut - self.inf).dt.days + 1).astype(float)

    def _known(self, frame: pd.DataFrame, day: str, ids: np.ndarray,
               limit: pd.Series) -> np.ndarray:
        subj = frame["USUBJID"].to_numpy()
        lim = pd.Series(subj).map(limit).to_numpy(dtype=float)
        return np.isin(subj, ids) & (frame[day].to_numpy(dtype=float) < lim)

    def _ae(self, mini: _Cut, ids: np.ndarray, limit: pd.Series, c64) -> pd.DataFrame:
        from cartrial.safety.sdtm_subjects import adverse_events

        full = self.full.ae
        keep = self._known(full, "START_DAY", ids, limit)
        if not keep.any():  # an empty frame keeps the dtypes a rebuild gives it
            return adverse_events(mini, self.protocol)
        out = take_rows(full, keep)
        if self._ae_end is not None:
            late = self._ae_end[keep] > c64
            out["END_DAY"] = np.where(late, np.nan, out["END_DAY"].to_numpy())
        return out

    def _labs_at(self, mini: _Cut, ids: np.ndarray,
                 limit: pd.Series) -> tuple[pd.DataFrame, np.ndarray | None]:
        from cartrial.safety.sdtm_labs import lab_records, weight_records

        parts, rows, offset = [], [], 0
        for part, build in zip(self._labs, (lab_records, weight_records), strict=True):
            keep = self._known(part, "DAY", ids, limit)
            subj = np.isin(part["USUBJID"].to_numpy(), ids)
            # a baseline flag on a record not yet known changes the baseline: rebuild
            late_base = (subj & ~keep & (part["ABLFL"].to_numpy() == "Y")).any()
            cut = not (late_base or not keep.any())
            parts.append(take_rows(part, keep) if cut else build(mini))
            rows.append(offset + np.flatnonzero(keep) if cut else None)
            offset += len(part)
        # the whole study's labs are these two parts joined (safety_inputs): row positions
        whole = self._rows_match and all(r is not None for r in rows)
        return concat_consuming(parts), (np.concatenate(rows) if whole else None)


@contextmanager
def known_on(k: KnownOn, *, cutting: bool = False) -> Iterator[KnownOn]:
    """Within this block ``conduct.dlt_status`` on ``k``'s study answers from ``k``.

    Parameters
    ----------
    k : KnownOn
        The inputs built once.
    cutting : bool
        Cut the inputs at each date (the history: many dates of one study); otherwise only the
        whole study's inputs are shared and a single date is rebuilt as before.

    Yields
    ------
    KnownOn
        ``k``.

    Examples
    --------
    >>> with known_on(KnownOn(study, protocol), cutting=True) as k:  # doctest: +SKIP
    ...     dlt_status(k.study, protocol, "2024-03-01")
    """
    token = _ACTIVE.set(k)
    was, k.cutting = k.cutting, k.cutting or cutting
    try:
        yield k
    finally:
        k.cutting = was
        _ACTIVE.reset(token)


def active(study: Study, protocol: Protocol) -> KnownOn | None:
    """The :class:`KnownOn` of the enclosing :func:`known_on` block when it serves ``study``.

    Parameters
    ----------
    study, protocol : Study, Protocol
        What ``dlt_status`` was called with.

    Returns
    -------
    KnownOn or None

    Examples
    --------
    >>> active(None, None) is None
    True
    """
    k = _ACTIVE.get()
    return k if k is not None and k.serves(study, protocol) else None
