"""When a BOIN12 history looks again, and which dose it names (issue #20 point 2).

Outside reference: the protocol's own windows (ct071: DLT window 28 days; IMWG PR or better by
day 28 with a 7-day visit window, so a non-response is known on day 36) and BOIN12's selection
rule (Lin et al., JCO Precis Oncol 2020: the OBD, not the MTD). The history against the example
trial's truth is in tests/example/test_boin12_scenario.py.
"""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from cartrial.conduct.phase12_history import (
    complete_after_days,
    is_phase12,
    next_input_change,
    selected_index,
)
from cartrial.example.trial import conducted_protocol
from cartrial.protocol import load_protocol


def test_windows_of_a_boin12_protocol():
    ct071 = load_protocol("ct071")
    b12 = conducted_protocol(ct071, "boin12")
    assert not is_phase12(ct071) and is_phase12(b12)
    assert complete_after_days(ct071) == 28  # BOIN: the DLT window only
    assert complete_after_days(b12) == 36    # day 28 + 7, known the day after


def test_the_selected_dose_is_the_obd_when_there_is_one():
    assert selected_index(SimpleNamespace(obd=0, mtd=1)) == 0
    assert selected_index(SimpleNamespace(obd=None, mtd=1)) is None
    assert selected_index(SimpleNamespace(mtd=1)) == 1


def test_nothing_open_means_no_next_look():
    b12 = conducted_protocol(load_protocol("ct071"), "boin12")
    t = pd.Timestamp("2024-03-01")
    done = pd.DataFrame({"USUBJID": ["a"], "INFUSION_DATE": [t - pd.Timedelta(days=60)],
                         "DLT": ["no"], "RESPONSE": ["yes"]})
    assert next_input_change(None, b12, t, done) is None  # type: ignore[arg-type]
    assert next_input_change(None, b12, t, done.iloc[:0]) is None  # type: ignore[arg-type]


def test_boin12_does_not_wait_at_a_dose_the_completed_data_eliminate():
    """Found by conducting the example (seed 1): a patient still pending at a dose that the
    completed data already eliminate (Lin et al. 2020: futility when P(p_E < phi_E | data) >
    c_E; toxicity when P(p_T > phi_T | data) > c_T) used to suspend *at* the eliminated dose,
    breaking the design invariant; the design now decides on the completed data at once."""
    from cartrial.design import PendingPatient, TrialState
    from cartrial.design.boin12 import Boin12

    d = Boin12(n_doses=2, target=0.3, phi_e=0.4, cap_per_dose=12)
    assert d.tables(12).eliminate_eff[6] == 0  # 0 responses in 6 is futile at phi_E 0.4
    pend = (PendingPatient(0, 20.0),)
    futile = TrialState(n=(7, 0), y=(0, 0), responses=(0, 0), current=0, pending=pend,
                        dlt_window=28.0)
    dec = d.decide(futile)
    assert dec.action == "escalate" and dec.next_dose == 1 and dec.eliminated == (0,)
    toxic = TrialState(n=(4, 0), y=(3, 0), responses=(2, 0), current=0, pending=pend,
                       dlt_window=28.0)
    assert d.decide(toxic).action == "stop"  # 3/3 DLTs: dose 1 and above eliminated
    open_ = TrialState(n=(4, 0), y=(0, 0), responses=(2, 0), current=0, pending=pend,
                       dlt_window=28.0)
    assert d.decide(open_).action == "suspend"  # nothing eliminated: wait as before
