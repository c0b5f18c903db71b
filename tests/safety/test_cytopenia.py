"""Cytopenia recovery (:func:`cartrial.safety.cytopenia.cytopenia_recovery`): no column set on a
slice of a frame (pandas' SettingWithCopyWarning, raised on some batches of a large trial)."""

from __future__ import annotations

import warnings

import numpy as np
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


def _recovery_by_multiindex(long: pd.DataFrame) -> pd.Series:
    """The replaced rule: each record's group's last severe day looked up through a
    MultiIndex of the records' keys, then the first day after it per group."""
    grp = long.groupby(["USUBJID", "TERM"])
    key = pd.MultiIndex.from_frame(long[["USUBJID", "TERM"]])
    ls = grp["_sev_day"].max().reindex(key).to_numpy()
    return pd.Series(np.where(long["DAY"].to_numpy() > ls, long["DAY"], np.nan),
                     index=key).groupby(level=[0, 1]).min()


def test_first_day_after_the_last_severe_equals_the_multiindex_rule() -> None:
    """Regression (against the MultiIndex look-up it replaces), random flow sheets: the same
    Series (values, index, dtype), with and without a missing subject key."""
    from cartrial.safety.cytopenia import _first_after

    rng = np.random.default_rng(20261208)
    for n in (1, 5, 60, 400):
        long = pd.DataFrame({
            "USUBJID": np.array(["S1", "S2", "S10", "S3"], dtype=object)[rng.integers(0, 4, n)],
            "TERM": np.array(["Anemia", "Platelet count decreased"], dtype=object)[
                rng.integers(0, 2, n)],
            "DAY": rng.integers(1, 60, n).astype(float), "GRADE": rng.integers(0, 5, n) * 1.0})
        long["_sev_day"] = np.where(long["GRADE"] >= 3, long["DAY"], np.nan)
        for frame in (long, long.assign(USUBJID=long["USUBJID"].where(long.index % 7 != 3))):
            grp = frame.groupby(["USUBJID", "TERM"])
            pd.testing.assert_series_equal(_first_after(frame, grp, grp["_sev_day"].max()),
                                           _recovery_by_multiindex(frame), check_exact=True)
