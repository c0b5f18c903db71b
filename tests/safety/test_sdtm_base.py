"""Days since infusion from --DTC texts: each distinct text's date-time read once (issue #18),
the same days and the same refusals as parsing every record (``parse_dtc``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cartrial.data.dates import parse_dtc
from cartrial.errors import RecordError
from cartrial.safety.sdtm_base import _day


def _old_day(df: pd.DataFrame, dtc: str, inf: pd.Series) -> np.ndarray:
    dt = parse_dtc(df[dtc])["dt"]
    ref = df["USUBJID"].astype(str).map(inf)
    return ((dt - ref).dt.total_seconds() / 86400.0).to_numpy(dtype=float)


@pytest.mark.parametrize("dtype", [object, "string"])
def test_days_equal_record_wise_parse(dtype) -> None:  # noqa: ANN001
    """Regression: the same days, from a text column of either dtype, subjects looked up by
    text or given by the caller (``ref``)."""
    inf = pd.Series(pd.to_datetime(["2026-03-01", "2026-03-02"]), index=["S1", "S2"])
    df = pd.DataFrame({"USUBJID": ["S1", "S2", "S1", "S2"], "SEQ": [1, 2, 3, 4],
                       "DTC": pd.array(["2026-03-02T06:00", "2026-03-02", "2026-02-27T23:00",
                                        "2026-03-02T06:00"], dtype=dtype)})
    want = _old_day(df, "DTC", inf)
    np.testing.assert_array_equal(_day(df, "DTC", inf, domain="VS", seq="SEQ"), want)
    ref = inf.reindex(df["USUBJID"]).to_numpy()
    np.testing.assert_array_equal(_day(df, "DTC", inf, domain="VS", ref=ref), want)
    assert want.tolist() == [1.25, 0.0, -1 - 1 / 24, 0.25]


@pytest.mark.parametrize("text, rule", [("2026-03", "complete to the day"),
                                        ("2026-02-30", "complete to the day"),
                                        (None, "date is required")])
def test_partial_invalid_or_missing_date_names_the_record(text, rule) -> None:  # noqa: ANN001
    inf = pd.Series(pd.to_datetime(["2026-03-01"]), index=["S1"])
    df = pd.DataFrame({"USUBJID": ["S1", "S1"], "VSSEQ": [1, 7],
                       "VSDTC": pd.array(["2026-03-02", text], dtype="string")})
    with pytest.raises(RecordError, match=rule) as exc:
        _day(df, "VSDTC", inf, domain="VS", seq="VSSEQ")
    assert (exc.value.finding.seq, exc.value.finding.variable) == (7, "VSDTC")


def test_infusion_dates_derived_once_per_study_inside_the_block(monkeypatch, tmp_path) -> None:  # noqa: ANN001
    """The adapters of ``safety_inputs`` read the infusion dates of one study: derived once,
    each caller given its own copy; outside the block derived on each call, as before."""
    import cartrial.safety.sdtm_base as base
    from cartrial.safety.sdtm import safety_inputs
    from cartrial.safety.sdtm_base import infusion_dates, infusion_memo
    from tests.safety._generated import loaded

    study, protocol = loaded(tmp_path, 5, 12)
    want = infusion_dates(study)
    calls = []
    real = base._infusion_dates
    monkeypatch.setattr(base, "_infusion_dates", lambda s: calls.append(1) or real(s))
    inputs = safety_inputs(study, protocol)
    assert len(calls) == 1 and len(inputs.subjects)
    with infusion_memo():
        a, b = infusion_dates(study), infusion_dates(study)
        assert a is not b
        a.iloc[0] = pd.NaT  # a caller's change stays its own
        pd.testing.assert_series_equal(infusion_dates(study), want)
    infusion_dates(study)
    infusion_dates(study)
    assert len(calls) == 4
