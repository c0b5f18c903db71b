"""Follow-up at a data cut-off (``conduct.followed_to_cutoff``): one rule for `decide --as-of`,
the escalation history and `analyze --cutoff`. Expected values are counted by hand on the
calendar (2024 is a leap year)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.conduct import followed_to_cutoff


def _subjects(**kw):
    base = {"USUBJID": ["A", "B", "C", "D"], "FOLLOWUP_DAY": [27.6, 30.0, 12.5, 28.4],
            "DEATH_DAY": [np.nan, np.nan, 12.5, np.nan],
            "WITHDRAWN": [False, True, False, False]}
    base.update(kw)
    return pd.DataFrame(base)


INFUSION = pd.Series(pd.to_datetime(["2024-02-01 09:15", "2024-02-01", "2024-02-10",
                                     "2024-02-01 08:00"], format="ISO8601"),
                     index=["A", "B", "C", "D"])


def test_alive_patients_are_followed_in_whole_days_to_the_cutoff() -> None:
    out = followed_to_cutoff(_subjects(), INFUSION, "2024-02-29")
    # A: 1 Feb -> 29 Feb is 28 days; a record at a clock time never adds a fraction.
    # D: recorded 28.4 (a record on the cut-off day at 17:36) also counts 28, not 28.4.
    assert out.set_index("USUBJID")["FOLLOWUP_DAY"].to_dict() == {
        "A": 28.0, "B": 30.0, "C": 12.5, "D": 28.0}


def test_died_or_withdrew_keep_the_recorded_followup() -> None:
    out = followed_to_cutoff(_subjects(), INFUSION, "2024-03-31")
    assert out["FOLLOWUP_DAY"].tolist() == [59.0, 30.0, 12.5, 59.0]


def test_input_is_not_modified() -> None:
    subj = _subjects()
    followed_to_cutoff(subj, INFUSION, "2024-02-29")
    assert subj["FOLLOWUP_DAY"].tolist() == [27.6, 30.0, 12.5, 28.4]
