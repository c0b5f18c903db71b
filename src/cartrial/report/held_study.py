"""What ``analyze`` keeps of the study once the ADaM datasets are built (issue #18: memory).

Once ADSL, ADAE and ADLB are derived, the ADaM datasets still to be built read EX, RS, PC and
IS only: FA, QS, VS and LB's other records are freed then (:func:`release_after_adlb`), so the
rest of the build (ADRS, ADPC, ADPP, ADCYT, ADAB, ADSYND, ADHTOX) does not carry them.
After ADaM only the kinetics figures (DM, EX, PC and LB's cytokine records,
:func:`cartrial.kinetics.sdtm.cytokine_data`) and the swimmer plot (CM) read the study; ADLB
holds its own encoded copy of LB (:func:`cartrial.adam.adlb_batched.adlb_batched`). The other
domains (FA, QS, VS: millions of records for a large trial) and LB's other records (about 90 %
of them) are freed then, so the stages that follow do not carry the whole study.
"""

from __future__ import annotations

from cartrial.data import Study
from cartrial.data.batches import take_rows
from cartrial.protocol.model import Protocol

#: the domains the report reads from the study after the ADaM datasets are built
READ_AFTER_ADAM = ("DM", "EX", "PC", "LB", "CM")
#: the domains freed once ADLB is derived: no later ADaM dataset or report part reads them
FREED_AFTER_ADLB = ("FA", "QS", "VS")


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
    domains = {k: v for k, v in study.domains.items() if k in READ_AFTER_ADAM}
    _cytokines_only(domains, protocol)
    study.domains = domains


def release_after_adlb(study: Study, protocol: Protocol) -> None:
    """Free, in ``study``, what neither the rest of the ADaM build nor the report reads once
    ADLB is derived: the domains :data:`FREED_AFTER_ADLB`, and LB's records of tests other
    than the protocol's cytokines (as :func:`keep_after_adam`, which may follow: it then
    keeps the same LB records). Passed by ``analyze`` to
    :func:`cartrial.adam.build.build_adam` as its ``release``.

    Parameters
    ----------
    study, protocol : Study, Protocol
        As for :func:`keep_after_adam` (``study.domains`` is replaced).

    Examples
    --------
    >>> import pandas as pd
    >>> from cartrial.protocol import load_protocol
    >>> lb = pd.DataFrame({"LBTESTCD": ["IL6", "HGB"], "LBSEQ": [1.0, 2.0]})
    >>> st = Study({"LB": lb, "VS": lb.iloc[:0], "RS": pd.DataFrame({"RSSEQ": [1.0]})})
    >>> release_after_adlb(st, load_protocol("ct071"))
    >>> list(st.domains), st["LB"]["LBTESTCD"].tolist()
    (['LB', 'RS'], ['IL6'])
    """
    domains = {k: v for k, v in study.domains.items() if k not in FREED_AFTER_ADLB}
    _cytokines_only(domains, protocol)
    study.domains = domains


def _cytokines_only(domains: dict, protocol: Protocol) -> None:
    """LB reduced to the records of the protocol's cytokine tests (every column kept)."""
    lb = domains.get("LB")
    if lb is not None and "LBTESTCD" in lb.columns:  # without it cytokine_data refuses LB
        keep = lb["LBTESTCD"].astype(str).isin(protocol.kinetics.cytokines).to_numpy()
        if not keep.all():  # already reduced (release_after_adlb): not copied again
            domains["LB"] = take_rows(lb, keep)
