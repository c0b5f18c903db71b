"""A study's domains by name, the large findings domains held dictionary-encoded (issue #18:
memory).

At 10,000 patients LB (3.5 million records), FA (1.1 million), QS and VS (0.5-0.6 million each)
are about 1.1 GB as frames, most of the study, and every stage after the load sits on them.
:class:`Domains` is the mapping ``Study.domains`` is: reading a domain (``domains["LB"]``,
``.get``, ``.items()``, ``{**domains}``) gives the very frame the loader built; a domain the
loader held encoded (:data:`HELD_ENCODED`, :class:`cartrial.data.compact.CompactFrame`) is
decoded then, whole, and the frame is kept only while someone holds it (a weak reference: two
readers at once share one frame, and a frame nobody holds is freed). Readers of a few
variables or records (``Study.frame``) decode only those.

Which domains: LB, FA, QS, VS and PC, at every trial size (one rule, so the example and a
1,000-patient trial check the same code path a 10,000-patient trial takes). They are the
findings domains with one record per subject, visit and test (90 % of a trial's records) and
few distinct values per variable (PC: 225,000 records at 10,000 patients, 31 MiB as a frame,
under 3 encoded; read whole by three consumers only: the kinetics engine, ADPC and the
kinetics figures); the others (DM, AE, CM, EX, RS, ...) have a few records per subject, are
read whole by many consumers, and would be decoded often for little saved.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from cartrial.data.compact import CompactFrame
from cartrial.data.held_mapping import HeldMapping
from cartrial.data.text import distinct_present, matching

#: the domains the loader holds dictionary-encoded (module docstring)
HELD_ENCODED = ("LB", "FA", "QS", "VS", "PC")


def held_encoded(name: str) -> bool:
    """Whether the loader holds domain ``name`` encoded (:data:`HELD_ENCODED`).

    Examples
    --------
    >>> held_encoded("LB"), held_encoded("DM")
    (True, False)
    """
    return name in HELD_ENCODED


class Domains(HeldMapping):
    """Domain code -> DataFrame; a value may be held as a :class:`CompactFrame`, decoded
    when read (module docstring).

    Parameters
    ----------
    domains : mapping of str to DataFrame or CompactFrame, optional
        The domains, in this order.

    Examples
    --------
    >>> lb = pd.DataFrame({"LBTESTCD": ["IL6", "IL6"], "LBSTRESN": [1.0, 2.0]})
    >>> d = Domains({"DM": pd.DataFrame({"USUBJID": ["S1"]})})
    >>> d.hold("LB", lb)
    >>> isinstance(d.held("LB"), CompactFrame), d["LB"].equals(lb), list(d)
    (True, True, ['DM', 'LB'])
    >>> d["LB"] is d["LB"]  # one frame while it is held
    True
    """

    encoded = (CompactFrame,)

    def __init__(self, domains: Mapping | None = None) -> None:
        super().__init__()
        if isinstance(domains, Domains):
            self._held.update(domains._held)
        elif domains is not None:
            for name, df in domains.items():
                self[name] = df

    def __setitem__(self, name: str, df: pd.DataFrame | CompactFrame) -> None:
        self._held[name] = df
        self._forget(name)

    def __repr__(self) -> str:
        return "Domains({})".format(", ".join(
            f"{n}: {len(v)} records{' (encoded)' if isinstance(v, CompactFrame) else ''}"
            for n, v in self._held.items()))

    def __reduce__(self) -> tuple:
        return (Domains, (dict(self._held),))  # as held: the decoded frames are not sent

    def held(self, name: str) -> pd.DataFrame | CompactFrame:
        """The domain as held (a frame, or its :class:`CompactFrame`), never decoded.

        Examples
        --------
        >>> Domains({"DM": pd.DataFrame({"AGE": [60.0]})}).held("DM").columns.tolist()
        ['AGE']
        """
        return self._held[name]

    def hold(self, name: str, df: pd.DataFrame, known=None) -> None:
        """Keep ``df`` as domain ``name``: encoded when it is one of :data:`HELD_ENCODED`.

        Parameters
        ----------
        name : str
            Domain code.
        df : pandas.DataFrame
            The domain as loaded (not kept when encoded).
        known : callable, optional
            As for :class:`CompactFrame` (text columns' codes already known).

        Examples
        --------
        >>> d = Domains()
        >>> d.hold("VS", pd.DataFrame({"VSSTRESN": [37.0] * 20}))
        >>> type(d.held("VS")).__name__, len(d["VS"])
        ('CompactFrame', 20)
        """
        self[name] = CompactFrame(df, known) if held_encoded(name) else df

    def frame(self, name: str, columns: Sequence[str] | None = None,
              where: Mapping[str, Collection] | None = None) -> pd.DataFrame | None:
        """:meth:`cartrial.data.study.Study.frame` (documented there): an encoded domain
        decodes only the columns and records asked, the records chosen on the codes.

        Examples
        --------
        >>> d = Domains()
        >>> d.hold("LB", pd.DataFrame({"LBTESTCD": ["IL6", "HGB"], "LBSTRESN": [1.0, 2.0]}))
        >>> d.frame("LB", ["LBSTRESN", "LBORRES"], {"LBTESTCD": ["HGB"]})
           LBSTRESN
        1       2.0
        """
        if name not in self._held:
            return None
        held = self._held[name]
        if isinstance(held, CompactFrame):  # only what is kept is decoded
            cols = held.columns if columns is None else [c for c in columns if c in held.columns]
            return held.frame(cols, None if not where else held.where(where))
        df = held
        keep = None
        for var, values in (where or {}).items():
            hit = (matching(df[var], values).to_numpy(dtype=bool) if var in df
                   else np.zeros(len(df), dtype=bool))
            keep = hit if keep is None else keep & hit
        cols = list(df.columns) if columns is None else [c for c in columns if c in df]
        if keep is None:
            return df[cols].copy()
        # the rows first, a column at a time: ``df.loc[keep, cols]`` copies the asked
        # variables for every record before keeping the rows (183 MiB at 3,000 patients' LB
        # to return 0.2 MiB)
        pos = np.flatnonzero(keep)
        return pd.DataFrame({i: df[c].array.take(pos) for i, c in enumerate(cols)},
                            index=df.index.take(pos), copy=False).set_axis(cols, axis=1)

    def distinct(self, name: str, variable: str) -> np.ndarray | None:
        """:meth:`cartrial.data.study.Study.distinct` (documented there).

        Examples
        --------
        >>> d = Domains()
        >>> d.hold("LB", pd.DataFrame({"LBTESTCD": ["IL6", None, "IL6"]}))
        >>> d.distinct("LB", "LBTESTCD").tolist(), d.distinct("LB", "LBSPEC").tolist()
        (['IL6'], [])
        """
        if name not in self._held:
            return None
        held = self._held[name]
        if variable not in held.columns:
            return np.empty(0, dtype=object)
        if isinstance(held, CompactFrame):
            return held.distinct(variable)
        return distinct_present(held[variable].to_numpy(dtype=object))

    def narrow(self, name: str, variables: Sequence[str]) -> pd.DataFrame | None:
        """The domain for a rule that reads a few of its variables and changes nothing
        (validation): a domain held as a frame is given whole, as it is; an encoded one decodes
        only USUBJID, --SEQ (which name a finding's record) and ``variables`` (those present),
        records and index labels as held, each text column shared with the other such frames
        still held (:meth:`CompactFrame.frame`'s ``shared``: what validation remembers of a
        column serves every rule reading it). None when the domain is not held.

        Examples
        --------
        >>> d = Domains()
        >>> d.hold("QS", pd.DataFrame({"USUBJID": ["S1"], "QSSEQ": [1.0], "QSDTC": ["2024"],
        ...                            "QSORRES": ["3"]}))
        >>> d.narrow("QS", ["QSDTC", "QSNONE"]).columns.tolist()
        ['USUBJID', 'QSSEQ', 'QSDTC']
        """
        held = self._held.get(name)
        if not isinstance(held, CompactFrame):
            return held
        cols = [c for c in dict.fromkeys(["USUBJID", f"{name}SEQ", *variables])
                if c in held.columns]
        return held.frame(cols, shared=True)  # read only: columns shared between rules

    def only(self, names: Iterable[str]) -> Domains:
        """These domains (those held), as held: nothing is decoded or copied.

        Examples
        --------
        >>> d = Domains({"DM": pd.DataFrame(), "AE": pd.DataFrame()})
        >>> list(d.only(["AE", "XX"]))
        ['AE']
        """
        return Domains({n: self._held[n] for n in names if n in self._held})

    def nbytes(self) -> int:
        """Bytes of the arrays held (a frame's columns, a CompactFrame's codes and distinct
        values; the Python strings, shared, are not counted).

        Examples
        --------
        >>> Domains({"DM": pd.DataFrame({"AGE": [60.0, 70.0]})}).nbytes()
        16
        """
        return int(sum(v.nbytes if isinstance(v, CompactFrame)
                       else v.memory_usage(index=False).sum() for v in self._held.values()))
