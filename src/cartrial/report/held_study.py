"""What ``analyze`` keeps of the study once the ADaM datasets are built (issue #18: memory).

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
    lb = domains.get("LB")
    if lb is not None and "LBTESTCD" in lb.columns:  # without it cytokine_data refuses LB
        keep = lb["LBTESTCD"].astype(str).isin(protocol.kinetics.cytokines).to_numpy()
        domains["LB"] = take_rows(lb, keep)
    study.domains = domains
