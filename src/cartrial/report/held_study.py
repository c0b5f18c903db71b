"""What ``analyze`` keeps of the study while and once the ADaM datasets are built (issue #18:
memory).

:func:`cartrial.adam.build.build_adam` names, as it goes, the domains the rest of the build
still reads (after ADSL: AE, LB, EX, RS, PC, IS; after ADLB: EX, RS, PC, IS); ``analyze``
frees the others then (:func:`release_unread`), keeping those the report reads after ADaM.
After ADaM only the kinetics figures (DM, EX, PC and LB's cytokine records,
:func:`cartrial.kinetics.sdtm.cytokine_data`) and the swimmer plot (CM) read the study; ADLB
reads the study's encoded LB (:func:`cartrial.adam.adlb_batched.adlb_batched`). The other
domains (FA, QS, VS: millions of records for a large trial) and LB's other records (about 90 %
of them) are freed as soon as the build no longer reads them, so neither the rest of the build
nor the stages that follow carry the whole study.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

from cartrial.data import Study
from cartrial.data.batches import take_rows
from cartrial.data.compact import CompactFrame
from cartrial.data.domains import Domains
from cartrial.data.text import factorize_text
from cartrial.protocol.model import Protocol

_TEXT = pd.StringDtype("python")  # the text dtype a CompactFrame encodes

#: the domains the report reads from the study after the ADaM datasets are built
READ_AFTER_ADAM = ("DM", "EX", "PC", "LB", "CM")


def keep_after_adam(study: Study, protocol: Protocol) -> None:
    """Free, in ``study``, what the report does not read after ADaM: the domains other than
    :data:`READ_AFTER_ADAM`, and LB's records of tests other than the protocol's cytokines
    (every column kept; :func:`cytokine_data` selects the same records from either).

    Parameters
    ----------
    study : Study
        The loaded study; its ``domains`` are replaced.
    protocol : Protocol
        The protocol (its ``kinetics.cytokines`` test codes).

    Examples
    --------
    >>> import pandas as pd
    >>> from cartrial.protocol import load_protocol
    >>> st = Study({"LB": pd.DataFrame({"LBTESTCD": ["IL6", "HGB"], "LBSEQ": [1.0, 2.0]}),
    ...             "VS": pd.DataFrame({"VSSEQ": [1.0]})})
    >>> keep_after_adam(st, load_protocol("ct071"))
    >>> list(st.domains), st["LB"]["LBTESTCD"].tolist()
    (['LB'], ['IL6'])
    """
    release_unread(study, protocol, ())


def release_unread(study: Study, protocol: Protocol, still_read: Collection[str]) -> None:
    """Free, in ``study``, the domains neither in ``still_read`` nor in
    :data:`READ_AFTER_ADAM`, and, unless LB is in ``still_read``, LB's records of tests other
    than the protocol's cytokines (as :func:`keep_after_adam`, which is this with nothing
    still read; LB already reduced is not copied again). ``analyze`` passes it, bound to the
    study, as :func:`cartrial.adam.build.build_adam`'s ``release``.

    Parameters
    ----------
    study, protocol : Study, Protocol
        As for :func:`keep_after_adam` (``study.domains`` is replaced).
    still_read : collection of str
        The domains the caller will still read (kept whole).

    Examples
    --------
    >>> import pandas as pd
    >>> from cartrial.protocol import load_protocol
    >>> lb = pd.DataFrame({"LBTESTCD": ["IL6", "HGB"], "LBSEQ": [1.0, 2.0]})
    >>> st = Study({"LB": lb, "VS": lb.iloc[:0], "RS": pd.DataFrame({"RSSEQ": [1.0]})})
    >>> release_unread(st, load_protocol("ct071"), ("RS",))
    >>> list(st.domains), st["LB"]["LBTESTCD"].tolist()
    (['LB', 'RS'], ['IL6'])
    """
    domains = study.domains.only(  # as held: an encoded domain is not decoded for this
        k for k in study.domains if k in READ_AFTER_ADAM or k in still_read)
    if "LB" not in still_read:
        _cytokines_only(domains, protocol)
    study.domains = domains


def rows_encoded(held: CompactFrame, keep: np.ndarray) -> CompactFrame:
    """The records of ``held`` at ``keep``, still encoded, index labels 0, 1, ... (as
    :func:`cartrial.data.batches.take_rows` gives them): decoded a variable at a time, so
    neither all the records nor all the variables are ever decoded at once (issue #18: at
    10,000 patients LB's cytokine records decoded with their 24 variables are ~120 MiB, held
    from ADLB's derivation to the end of the run; encoded, a small part of it).

    Parameters
    ----------
    held : CompactFrame
        A domain held encoded.
    keep : numpy.ndarray of bool
        One value per record: kept or not.

    Returns
    -------
    CompactFrame
        Its :meth:`~cartrial.data.compact.CompactFrame.frame` equals ``held.take(keep)``
        with the index ``RangeIndex`` (same columns in the same order, dtypes, values, attrs).

    Examples
    --------
    >>> import numpy as np
    >>> df = pd.DataFrame({"T": pd.array(["a", None, "b"], dtype=pd.StringDtype("python")),
    ...                    "X": [1.0, 2.0, float("nan")]}, index=[5, 6, 7])
    >>> kept = rows_encoded(CompactFrame(df), np.array([False, True, True]))
    >>> kept.frame().equals(df.iloc[1:].reset_index(drop=True))
    True
    """
    pos = np.flatnonzero(keep)
    plain: dict = {}
    coded: dict = {}
    for c in held.columns:
        col = held.frame([c], pos)[c]  # one variable of the kept records
        if col.dtype == _TEXT:  # encoded again on its own codes (NUL-safe), held small now
            codes, values = factorize_text(col.array._ndarray)
            coded[c] = codes.astype(np.min_scalar_type(-len(values) - 1)), values
        else:
            plain[c] = col.array
    # the decoded arrays themselves (each its own), not a second copy of them in one block
    df = pd.DataFrame(plain, index=pd.RangeIndex(len(pos)), columns=list(plain), copy=False)
    df.attrs = dict(held.attrs)
    return CompactFrame.assemble(df, coded, held.columns)


def _cytokines_only(domains: Domains, protocol: Protocol) -> None:
    """LB reduced to the records of the protocol's cytokine tests (every column kept): LB
    held encoded stays encoded (:func:`rows_encoded`), a frame stays a frame."""
    lb = domains.held("LB") if "LB" in domains else None
    if lb is not None and "LBTESTCD" in lb.columns:  # without it cytokine_data refuses LB
        cytokines = protocol.kinetics.cytokines

        def cytokine(s: pd.Series) -> pd.Series:
            return s.astype(str).isin(cytokines)

        if isinstance(lb, CompactFrame):  # asked once per distinct test code
            keep = lb.mask("LBTESTCD", cytokine)
            if not keep.all():
                domains["LB"] = rows_encoded(lb, keep)
            return
        keep = cytokine(lb["LBTESTCD"]).to_numpy()
        if not keep.all():  # already reduced (release_after_adlb): not copied again
            domains["LB"] = take_rows(lb, keep)
