"""PFS / OS / DOR / TTR derivation and censoring (IMWG 2016 endpoint definitions, Kumar S et al.,
Lancet Oncol 2016;17:e328-46; FDA 2018 guidance on clinical trial endpoints for cancer).

Hand-worked: apheresis 2023-12-01 (origin), infusion 2024-01-01 (day 0), response assessments on
days 28, 56, 84, ... Days are counted as date - origin + 1 (admiral add_one = TRUE).
"""

from __future__ import annotations

import pandas as pd
import pytest

from cartrial.efficacy import derive_imwg_response, derive_time_to_event, event_from_cnsr
from cartrial.errors import RecordError
from cartrial.protocol.model import EndpointSettings

from ._imwg_helpers import D0, frame, history

APH = pd.Timestamp("2023-12-01")
SCHED = [28, 56, 84, 112, 140, 168, 196]


def _day(n: int) -> pd.Timestamp:
    return D0 + pd.Timedelta(days=n)


def _run(
    spep: list[tuple[int, float | None]],
    death=None,
    alive=None,
    nact=None,
    settings=None,
    schedule=SCHED,
):
    visits = [{"SPEP": 2.0, "UPEP": 10.0, "day": -7}] + [
        {"day": d, "SPEP": v, "UPEP": 10.0} for d, v in spep
    ]
    subj = pd.DataFrame(
        {
            "USUBJID": ["S1"],
            "APHDT": [APH],
            "INFDT": [D0],
            "DTHDT": [death],
            "LSTALVDT": [alive if alive is not None else _day(300)],
            "NACTDT": [nact],
        }
    )
    imwg = derive_imwg_response(frame(history("S1", visits)), subjects=subj)
    tte = derive_time_to_event(subj, imwg, settings, schedule_days=schedule)
    return tte.set_index("PARAMCD")


def test_confirmed_pd_is_the_pfs_event_at_the_first_confirming_date():
    t = _run([(28, 0.9), (56, 0.8), (84, 1.5), (112, 1.6)])
    pfs = t.loc["PFS"]
    assert pfs["CNSR"] == 0 and pfs["EVNTDESC"] == "Disease progression"
    assert pfs["ADT"] == _day(84)
    assert pfs["AVAL"] == (_day(84) - APH).days + 1  # 31 + 84 + 1 = 116
    assert pfs["AVAL"] == 116
    dor = t.loc["DOR"]
    assert dor["STARTDT"] == _day(28) and dor["AVAL"] == 84 - 28 + 1
    ttr = t.loc["TTR"]
    assert ttr["AVAL"] == 31 + 28 + 1
    assert t.loc["OS"]["CNSR"] == 1 and t.loc["OS"]["ADT"] == _day(300)


def test_no_event_censored_at_last_adequate_assessment():
    t = _run([(28, 0.9), (56, 0.8), (84, None)])  # day 84 serum missing: NE, not adequate
    pfs = t.loc["PFS"]
    assert pfs["CNSR"] == 1 and pfs["ADT"] == _day(56)
    assert pfs["CNSDTDSC"] == "Last adequate assessment"


def test_death_without_assessment_before_first_visit_is_an_event():
    t = _run([], death=_day(20), alive=_day(20))
    assert t.loc["PFS"]["CNSR"] == 0 and t.loc["PFS"]["EVNTDESC"] == "Death"
    assert t.loc["OS"]["CNSR"] == 0 and t.loc["OS"]["AVAL"] == 31 + 20 + 1


def test_no_assessment_and_alive_is_censored_at_origin():
    t = _run([])
    assert t.loc["PFS"]["CNSR"] == 1 and t.loc["PFS"]["AVAL"] == 1


def test_new_therapy_censors_at_last_adequate_assessment_before_it():
    t = _run([(28, 0.9), (56, 0.8), (84, 1.5), (112, 1.6)], nact=_day(70))
    pfs = t.loc["PFS"]
    assert pfs["CNSR"] == 1 and pfs["ADT"] == _day(56)
    assert pfs["CNSDTDSC"].startswith("New anti-myeloma therapy")
    off = _run(
        [(28, 0.9), (56, 0.8)],
        nact=_day(70),
        death=_day(100),
        alive=_day(100),
        settings=EndpointSettings(censor_on_new_therapy=False),
    )
    assert off.loc["PFS"]["CNSR"] == 0 and off.loc["PFS"]["ADT"] == _day(100)


@pytest.mark.parametrize(("death_day", "censored"), [(100, False), (120, True)])
def test_event_after_two_missed_assessments_is_censored(death_day, censored):
    # last adequate day 56; visits 84 and 112 missed when death is on day 120, only 84 on day 100
    t = _run([(28, 0.9), (56, 0.8)], death=_day(death_day), alive=_day(death_day))
    pfs = t.loc["PFS"]
    assert pfs["CNSR"] == int(censored)
    assert pfs["ADT"] == (_day(56) if censored else _day(death_day))
    assert pfs["NMISSED"] == (2 if censored else 1)
    sens = _run(
        [(28, 0.9), (56, 0.8)],
        death=_day(death_day),
        alive=_day(death_day),
        settings=EndpointSettings(missed_assessments_as_event=True),
    )
    assert sens.loc["PFS"]["CNSR"] == 0


def test_infusion_origin_option():
    t = _run(
        [(28, 0.9), (56, 0.8), (84, 1.5), (112, 1.6)],
        settings=EndpointSettings(time_origin="infusion"),
    )
    assert t.loc["PFS"]["AVAL"] == 85 and t.loc["PFS"]["STARTDT"] == D0


def test_alive_without_last_known_alive_date_is_an_error():
    subj = pd.DataFrame(
        {"USUBJID": ["S1"], "APHDT": [APH], "INFDT": [D0], "DTHDT": [pd.NaT], "LSTALVDT": [pd.NaT]}
    )
    imwg = derive_imwg_response(frame(history("S1", [{"SPEP": 2.0}, {"SPEP": 1.0}])))
    with pytest.raises(RecordError, match="USUBJID=S1.*last-known-alive"):
        derive_time_to_event(subj, imwg)


def test_event_from_cnsr_is_the_one_conversion():
    assert event_from_cnsr(pd.Series([0, 1, 2])).tolist() == [True, False, False]


def test_death_before_origin_is_an_error():
    with pytest.raises(
        RecordError, match="DM USUBJID=S1 ADT=.2023-11-28.: PFS date before its origin"
    ):
        _run([], death=APH - pd.Timedelta(days=3), alive=APH - pd.Timedelta(days=3))
