"""A CAR-T product out of specification in the example trial: infused at a lower dose level.

One escalation patient per trial receives a product that failed its release specification (too
few viable CAR+ cells) and is infused at the next lower dose level: the ``nth`` patient infused
at a dose above the lowest level, ``nth`` drawn from 1-3 on the generator's own
``manufacturing`` stream (none when fewer are infused). Assumption of the synthetic example;
incomplete dose administration in adoptive T-cell therapy: Devlin SM, Iasonos A, O'Quigley J,
J R Stat Soc Ser C Appl Stat 2021;70(4):815-34. The SDTM record it as ``DM.ARMCD`` the level
assigned, ``DM.ACTARMCD`` and ``EX.EXDOSE`` the level received, ``EX.EXADJ = PRODUCT OUT OF
SPECIFICATION``. The patient's toxicity, CRS and kinetics are drawn at the assigned level
(assumption).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.data.dose_counted import counted_dose
from cartrial.data.study_parts import OUT_OF_SPEC
from cartrial.protocol import Protocol


class OutOfSpec:
    """Which escalation patient receives the out-of-specification product.

    ``take(d)`` is asked for every escalation patient infused, in order; it answers the level
    received, the level the patient counts at under the protocol's ``conduct.count_dose_as``
    (:func:`cartrial.conduct.counted_dose`) and whether the product was out of specification.
    """

    def __init__(self, rng: np.random.Generator, protocol: Protocol) -> None:
        self.nth = int(rng.integers(1, 4))
        self.protocol = protocol
        self.seen = 0

    def take(self, d: int) -> tuple[int, int, bool]:
        """(level received, level counted at, out of specification) of a patient assigned
        ``d`` (0-based)."""
        if d == 0:
            return d, d, False
        self.seen += 1
        if self.seen != self.nth:
            return d, d, False
        ids = self.protocol.dose_ids
        parts = pd.DataFrame({"DOSE_LEVEL": [ids[d - 1]], "ASSIGNED_LEVEL": [ids[d]],
                              "DOSE_ADJ": [OUT_OF_SPEC]})
        return d - 1, int(counted_dose(parts, self.protocol)["COUNTED_INDEX"].iloc[0]), True


def exposure_truth(usubjid: np.ndarray, enr, protocol: Protocol) -> pd.DataFrame:  # noqa: ANN001
    """truth/exposure.csv: per infused patient the planned (assigned) and received dose level,
    the adjustment and the level the patient counts at under ``conduct.count_dose_as``."""
    inf = ~np.isnat(enr.infusion)
    ids = np.array(protocol.dose_ids, dtype=object)
    doses = np.array([d.dose for d in protocol.dose_levels], dtype=float)
    return pd.DataFrame({
        "USUBJID": usubjid[inf], "planned_dose_level": ids[enr.dose[inf]],
        "planned_dose": doses[enr.dose[inf]], "received_dose_level": ids[enr.received[inf]],
        "received_dose": doses[enr.received[inf]],
        "adjustment": np.where(enr.out_of_spec[inf], OUT_OF_SPEC, ""),
        "counted_dose_level": ids[enr.counted[inf]],
        "count_dose_as": protocol.conduct.count_dose_as,
    })
