"""study_from_frames: a study built in memory reads as the same records written to CSV.

The reference is the file loader (``load_study``) on the CSV files ``write_example`` writes from
the same simulated trial, so this is a regression test of the two read paths against each
other; the unit conversion itself is checked against published factors in tests/data.
"""

from __future__ import annotations

import pandas as pd
import pytest

from cartrial.conduct.from_study import decide_study
from cartrial.data import load_study, study_from_frames
from cartrial.errors import InputError
from cartrial.example import simulate_trial, write_example
from cartrial.protocol import load_protocol


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    p = load_protocol("ct071")
    trial = simulate_trial(p, seed=7, n_patients=8)
    out = tmp_path_factory.mktemp("ex")
    write_example(trial, out)
    return p, study_from_frames(trial.domains), load_study(out)


def test_every_domain_has_the_loaders_values(both):
    _, mem, disk = both
    assert sorted(mem.domains) == sorted(disk.domains)
    for name, d in disk.domains.items():
        m = mem.domains[name]
        assert sorted(m.columns) == sorted(d.columns), name  # the writer orders by SDTMIG
        pd.testing.assert_frame_equal(m[list(d.columns)].reset_index(drop=True),
                                      d.reset_index(drop=True),
                                      check_dtype=False, obj=name)


def test_decide_on_the_study_in_memory_equals_decide_on_the_files(both):
    p, mem, disk = both
    a, b = decide_study(mem, p), decide_study(disk, p)
    assert a.status == b.status
    assert a.recommendation.decision == b.recommendation.decision


def test_what_is_not_a_frame_is_named():
    with pytest.raises(InputError, match="VS: expected a pandas DataFrame, got dict"):
        study_from_frames({"vs": {"USUBJID": ["S1"]}})
    with pytest.raises(InputError, match="no domain given"):
        study_from_frames({})
