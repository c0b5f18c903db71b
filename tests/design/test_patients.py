"""state_from_patients: one row per patient -> TrialState (pending, backfill, current dose)."""

from __future__ import annotations

import pandas as pd
import pytest

from cartrial.design import PendingPatient, TiteBoin, state_from_patients
from cartrial.errors import InputError, RecordError


def table(**over):
    df = pd.DataFrame(
        {
            "subject": ["01", "02", "03", "04", "05", "06", "07"],
            "dose_level": [1, 1, 1, 2, 2, 2, 1],
            "dlt": [False, False, False, True, False, False, False],
            "follow_up_days": [40.0, 35.0, 30.0, 10.0, 14.0, 7.0, 3.0],
            "backfill": [False] * 6 + [True],
            "cohort": [1, 1, 1, 2, 2, 2, None],
        }
    )
    for k, v in over.items():
        df[k] = v
    return df


def test_counts_pending_backfill_and_cohort():
    s = state_from_patients(table(), 3, dlt_window=28)
    assert s.n == (4, 3, 0) and s.y == (0, 1, 0)
    # DLT patients are never pending; no-DLT patients under 28 days are
    assert s.pending == (PendingPatient(1, 14.0), PendingPatient(1, 7.0), PendingPatient(0, 3.0))
    assert s.backfill_n == (1, 0, 0) and s.current == 1 and s.last_cohort == (1, 3, 1)


def test_feeds_tite_boin_worked_example():
    # dose 2: n = 3, y = 1, c = 2 pending with F = 21 days: 2 > 0.5 x 3 -> suspend (TITE-BOIN, Yuan
    # et al., Clin Cancer Res 2018)
    s = state_from_patients(table(), 3, dlt_window=28)
    assert TiteBoin(n_doses=3, target=0.3).decide(s).action == "suspend"


def test_without_cohort_column_last_escalation_row_is_current():
    s = state_from_patients(table().drop(columns=["cohort"]), 3, dlt_window=28)
    assert s.current == 1 and s.last_cohort is None
    s = state_from_patients(table(), 3, dlt_window=28, current_level=1)
    assert s.current == 0


def test_empty_table_is_a_trial_before_the_first_patient():
    s = state_from_patients(table().iloc[:0], 3, dlt_window=28, current_level=2)
    assert s.n == (0, 0, 0) and s.current == 1


@pytest.mark.parametrize(
    "column, value, match",
    [
        ("dose_level", [1, 1, 1, 4, 2, 2, 1], "dose_level=4"),
        ("dlt", [False, "yes", False, True, False, False, False], "dlt='yes'"),
        ("follow_up_days", [40, 35, -1, 10, 14, 7, 3], "follow_up_days=-1"),
        ("subject", ["01", "01", "03", "04", "05", "06", "07"], "one row per subject"),
        ("cohort", [1, 1, 1, 2, None, 2, None], "integer cohort"),
        ("dose_level", [1, 1, 1, 2, 3, 2, 1], "cohort 2 must receive the same dose"),
    ],
)
def test_bad_rows_name_subject_variable_value(column, value, match):
    df = table(**{column: value})
    with pytest.raises(RecordError, match=match) as exc:
        state_from_patients(df, 3, dlt_window=28)
    assert exc.value.finding.domain == "design" and exc.value.finding.usubjid is not None


def test_missing_column():
    with pytest.raises(InputError, match="follow_up_days"):
        state_from_patients(table().drop(columns=["follow_up_days"]), 3, dlt_window=28)


def test_flag_spellings():
    df = table(dlt=["N", "n", 0, "Y", "false", "0", False], backfill=[0, 0, 0, 0, 0, 0, 1])
    s = state_from_patients(df, 3, dlt_window=28)
    assert s.y == (0, 1, 0) and s.backfill_n == (1, 0, 0)
    with pytest.raises(RecordError, match="dlt=2"):
        state_from_patients(table(dlt=[0, 0, 0, 2, 0, 0, 0]), 3, dlt_window=28)


def test_response_column_counts():
    df = table(response=[False, True, False, True, "Y", "N", 0])
    assert state_from_patients(df, 3, dlt_window=28).responses == (1, 2, 0)
