"""Regression test (issue #18): Table 14.6.2's patients computed beside the escalation history
(``report.recommended_dose.history_and_patients``: one ``conduct.known_on.KnownOn`` for both,
as ``cartrial analyze`` does in its history process) equal those computed on their own, and so
do the history, section 14.6 and a refusal.

This is a regression test - it compares the shared path with the separate computations it
replaces, not with an outside reference (the selection is checked against the example's truth
in ``test_recommended_dose.py``, the history in ``tests/conduct/test_history.py``).
"""

from __future__ import annotations

from functools import partial

import pytest
from pandas.testing import assert_frame_equal

from cartrial.conduct import escalation_history
from cartrial.conduct import history as hist_mod
from cartrial.data import Study, load_study
from cartrial.errors import InputError
from cartrial.example import simulate_trial, write_example
from cartrial.protocol import load_protocol
from cartrial.report.recommended_dose import (
    history_and_patients,
    recommended_dose_section,
    selection_patients,
)
from tests._scratch import scratch_dir

pytestmark = pytest.mark.slow

#: the example as ``cartrial example ct071`` writes it (seed 20240228), a toxic dose, a phase
#: I/II design (efficacy inside ``dlt_status``) and BOIN-ET
CASES = [("default", 20240228), ("toxic-dose", 4), ("boin12", 5), ("boin-et", 2)]


def _trial(scenario: str, seed: int):
    """(study read from disk, as ``analyze`` reads it; the conducted protocol)."""
    out = scratch_dir(prefix=f"cartrial-hp-{scenario}-")
    write_example(simulate_trial(load_protocol("ct071"), seed=seed, scenario=scenario,
                                 n_patients=15), out)
    return load_study(out), load_protocol(out / "protocol.yaml")


@pytest.mark.parametrize(("scenario", "seed"), CASES)
def test_patients_beside_the_history_equal_those_computed_alone(scenario, seed):
    study, proto = _trial(scenario, seed)
    alone = selection_patients(study, proto)
    hist_alone = escalation_history(study, proto)
    hist_mod._CACHE.clear()  # computed again, not taken from the cache
    hist, shared = history_and_patients(study, proto, partial(escalation_history, study, proto))
    assert len(alone) and len(hist)
    assert_frame_equal(shared, alone, check_exact=True)
    assert_frame_equal(hist, hist_alone, check_exact=True)
    a = recommended_dose_section(study, proto, object(), None, None)
    b = recommended_dose_section(study, proto, object(), None, None, patients=shared)
    assert a.intro == b.intro
    assert len(a.items) == len(b.items)
    for x, y in zip(a.items, b.items, strict=True):
        assert_frame_equal(x.wide(), y.wide(), check_exact=True)
        assert x.footnotes == y.footnotes


def test_refused_data_leave_the_patients_to_section_14_6():
    """A dose level the protocol does not know: both refuse; the history's refusal is kept and
    the patients are None, so 14.6 computes them and reports the same refusal."""
    study, proto = _trial("default", 20240228)
    dm = study.domains["DM"].copy()
    dm.loc[dm.index[0], "ACTARMCD"] = "DL9"
    bad = Study({**study.domains, "DM": dm})

    def kept():
        try:
            return escalation_history(bad, proto)
        except InputError as exc:
            return str(exc)

    refused, pts = history_and_patients(bad, proto, kept)
    assert pts is None
    with pytest.raises(InputError) as alone:
        selection_patients(bad, proto)
    assert isinstance(refused, str) and refused == str(alone.value)
    assert "not a protocol dose level" in refused
