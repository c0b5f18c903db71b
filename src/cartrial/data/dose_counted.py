"""At which dose level a patient counts for the escalation: assigned or received.

A CAR-T product can fail its release specification (too few viable CAR+ cells) and be infused
at a lower dose level than the design assigned. The data record it as ``DM.ARMCD`` the level
assigned, ``DM.ACTARMCD`` and ``EX.EXDOSE`` the level received, and ``EX.EXADJ = "PRODUCT OUT
OF SPECIFICATION"`` (docs/data-model.md). The protocol's ``conduct.count_dose_as`` says where
such a patient counts for the escalation decision and DLT evaluability:

- ``assigned``: at the assigned level (the cohort's), as if fully dosed;
- ``received``: at the level received (a toxicity is never attributed to a dose higher than
  the one given).

Either way the patient stays in the decision. The safety engine's DLT table and trial conduct
both count the patient here (``DLT_DOSE_LEVEL`` of the safety inputs, ``conduct.dlt_status``);
the other safety tables are as treated (``ACTARMCD``). Devlin SM, Iasonos A, O'Quigley J. Phase I
clinical trials in adoptive T-cell therapies. J R Stat Soc Ser C Appl Stat 2021;70(4):815-34
(ignoring or discarding incompletely dosed patients biases the design).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.data.study_parts import OUT_OF_SPEC
from cartrial.protocol import Protocol


def counted_dose(parts: pd.DataFrame, protocol: Protocol) -> pd.DataFrame:
    """Assigned and counted dose level of each subject (rows of ``study_parts``).

    Parameters
    ----------
    parts : pandas.DataFrame
        ``study_parts`` rows (``DOSE_LEVEL`` = ACTARMCD, ``ASSIGNED_LEVEL``, ``DOSE_ADJ``),
        index kept.
    protocol : Protocol
        Dose levels and ``conduct.count_dose_as``.

    Returns
    -------
    pandas.DataFrame
        Same index: ``ASSIGNED_INDEX`` and ``RECEIVED_INDEX`` (0-based levels of
        ``ASSIGNED_LEVEL`` and ``DOSE_LEVEL``; -1 when not a protocol level), ``OUT_OF_SPEC``
        (a documented out-of-specification product infused at a lower level),
        ``COUNTED_INDEX`` (the level the patient counts at) and ``COUNTED_AS`` (``assigned``,
        ``received``).

    Raises
    ------
    KeyError
        ``parts`` lacks one of the columns above.

    References
    ----------
    Devlin SM, Iasonos A, O'Quigley J, J R Stat Soc Ser C Appl Stat 2021;70(4):815-34.

    Examples
    --------
    >>> from cartrial.protocol import load_protocol
    >>> parts = pd.DataFrame({"DOSE_LEVEL": ["DL1"], "ASSIGNED_LEVEL": ["DL2"],
    ...                       "DOSE_ADJ": ["PRODUCT OUT OF SPECIFICATION"]})
    >>> counted_dose(parts, load_protocol("ct071"))[["COUNTED_INDEX", "COUNTED_AS"]].values.tolist()
    [[1, 'assigned']]
    """
    index = {d: i for i, d in enumerate(protocol.dose_ids)}
    assigned = parts["ASSIGNED_LEVEL"].map(index).fillna(-1).astype(int).to_numpy()
    received = parts["DOSE_LEVEL"].map(index).fillna(-1).astype(int).to_numpy()
    oos = ((parts["DOSE_ADJ"] == OUT_OF_SPEC).to_numpy(dtype=bool) & (received >= 0)
           & (received < assigned))
    at_assigned = oos & (protocol.conduct.count_dose_as == "assigned")
    return pd.DataFrame({
        "ASSIGNED_INDEX": np.where(oos, assigned, received), "RECEIVED_INDEX": received,
        "OUT_OF_SPEC": oos, "COUNTED_INDEX": np.where(at_assigned, assigned, received),
        "COUNTED_AS": np.where(oos & ~at_assigned, "received", "assigned"),
    }, index=parts.index)
