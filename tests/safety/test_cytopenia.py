"""Cytopenia recovery (:func:`cartrial.safety.cytopenia.cytopenia_recovery`): no column set on a
slice of a frame (pandas' SettingWithCopyWarning, raised on some batches of a large trial)."""

from __future__ import annotations

import warnings

import pandas as pd

from cartrial.safety import grade_labs
from cartrial.safety.cytopenia import cytopenia_recovery


def test_recovery_sets_no_column_on_a_slice(monkeypatch) -> None:  # noqa: ANN001
    """P2's neutropenia never reaches grade 3, so its row is dropped before the flags are
    added: the flags are made on a new frame (pandas warns only while the frame sliced is
    still alive, which depends on garbage collection: checked here on every slice), with the
    values they had."""
    check = pd.DataFrame._check_setitem_copy

    def strict(self, t: str = "setting", force: bool = False):  # noqa: ANN202
        assert self._is_copy is None, "a column set on a slice of a frame"
        return check(self, t=t, force=force)

    monkeypatch.setattr(pd.DataFrame, "_check_setitem_copy", strict)
    labs = pd.DataFrame({"USUBJID": ["P1"] * 4 + ["P2"] * 3, "PARAMCD": "ANC",
                         "DAY": [-5.0, 7.0, 14.0, 21.0, -5.0, 7.0, 14.0],
                         "AVAL": [2.5, 0.3, 0.8, 1.6, 2.5, 1.9, 1.5], "LLN": 2.0, "ULN": 7.5})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = cytopenia_recovery(grade_labs(labs))
    assert out[["USUBJID", "FIRST_DAY", "WORST_GRADE", "RECOVERED", "RECOVERY_DAY"]].to_dict(
        "records") == [{"USUBJID": "P1", "FIRST_DAY": 7.0, "WORST_GRADE": 4.0, "RECOVERED": True,
                        "RECOVERY_DAY": 21.0}]
    assert out["PROLONGED"].dtype == "boolean" and out["PROLONGED"].tolist() == [False]
    assert out["RECOVERED"].dtype == bool
