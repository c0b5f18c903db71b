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

import pandas as pd

from cartrial.data import Study
from cartrial.data.batches import take_rows
from cartrial.data.compact import CompactFrame
from cartrial.data.domains import Domains
from cartrial.protocol.model import Protocol

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


def _cytokines_only(domains: Domains, protocol: Protocol) -> None:
    """LB reduced to the records of the protocol's cytokine tests (every column kept), a
    frame: from LB held encoded, only those records are decoded."""
    lb = domains.held("LB") if "LB" in domains else None
    if lb is not None and "LBTESTCD" in lb.columns:  # without it cytokine_data refuses LB
        cytokines = protocol.kinetics.cytokines

        def cytokine(s: pd.Series) -> pd.Series:
            return s.astype(str).isin(cytokines)

        if isinstance(lb, CompactFrame):  # asked once per distinct test code
            keep = lb.mask("LBTESTCD", cytokine)
            if not keep.all():
                kept = lb.take(keep)
                kept.index = pd.RangeIndex(len(kept))  # as take_rows gives it
                domains["LB"] = kept
            return
        keep = cytokine(lb["LBTESTCD"]).to_numpy()
        if not keep.all():  # already reduced (release_after_adlb): not copied again
            domains["LB"] = take_rows(lb, keep)
