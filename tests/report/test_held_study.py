"""What analyze keeps of the study after ADaM (issue #18 memory): the kinetics figures read
the same cytokine data from the reduced LB as from the whole one.

Regression test: ``cytokine_data`` of the whole LB (the path replaced) against that of the LB
reduced by ``keep_after_adam``, on the example trial and on a copy with a lower-case,
padded and missing test code and a NOT DONE record (the selection must not differ)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cartrial.data import Study, load_study
from cartrial.kinetics.sdtm import cytokine_data, cytokine_records, infusions
from cartrial.protocol import load_protocol
from cartrial.report.held_study import READ_AFTER_ADAM, keep_after_adam

P = load_protocol("ct071")


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    from cartrial.example import simulate_trial, write_example

    root = tmp_path_factory.mktemp("held")
    write_example(simulate_trial(P), root)
    return load_study(root)


def _same_cytokines(study: Study) -> None:
    inf = infusions(study["EX"], P, study.get("DM"))
    want = cytokine_data(study["LB"], inf, P.kinetics)
    kept = Study(dict(study.domains))
    keep_after_adam(kept, P)
    got = cytokine_data(kept["LB"], inf, P.kinetics)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert got.attrs == want.attrs
    assert set(kept.domains) == set(study.domains) & set(READ_AFTER_ADAM)
    assert len(kept["LB"]) < len(study["LB"]) / 3
    for name in kept.domains:  # the other domains are the very frames
        if name != "LB":
            assert kept[name] is study[name]


def test_example_cytokine_data_unchanged(example):
    _same_cytokines(example)


def test_damaged_test_codes_are_selected_alike(example):
    lb = example["LB"].copy()
    rng = np.random.default_rng(3)
    codes = lb["LBTESTCD"].astype(object).to_numpy()
    i = rng.choice(len(lb), 40, replace=False)
    codes[i[:10]] = "il6"
    codes[i[10:20]] = " IL6"
    codes[i[20:30]] = None
    lb["LBTESTCD"] = pd.array(codes, dtype=pd.StringDtype("python"))
    if "LBSTAT" in lb:
        lb.loc[lb.index[i[30:]], "LBSTAT"] = "NOT DONE"
    _same_cytokines(Study({**example.domains, "LB": lb}))


@pytest.mark.parametrize("damaged", [False, True])
def test_lb_held_encoded_is_reduced_to_the_same_frame(example, damaged):
    """keep_after_adam on the study's encoded LB (only the cytokine records decoded) against
    keep_after_adam on the frame (the path it replaces): the same LB frame (regression)."""
    from cartrial.data.compact import CompactFrame
    from cartrial.data.domains import Domains

    lb = example["LB"].copy()
    if damaged:
        codes = lb["LBTESTCD"].astype(object).to_numpy()
        codes[:: 7] = None
        codes[3:: 11] = "il6"
        codes[5:: 13] = "<NA>"
        lb["LBTESTCD"] = pd.array(codes, dtype=pd.StringDtype("python"))
    encoded = Domains({**example.domains})
    encoded["LB"] = CompactFrame(lb)
    held = Study(encoded)
    plain = Study({**example.domains, "LB": lb})
    keep_after_adam(held, P)
    keep_after_adam(plain, P)
    # the cytokine records stay encoded (issue #18: memory), decoded to the very frame
    assert isinstance(held.domains.held("LB"), CompactFrame)
    pd.testing.assert_frame_equal(held["LB"], plain["LB"], check_exact=True)
    assert held["LB"].attrs == plain["LB"].attrs
    assert list(held.domains) == list(plain.domains)
    # what the kinetics figures read of it (only some variables and records decoded)
    pd.testing.assert_frame_equal(cytokine_records(held, P.kinetics),
                                  cytokine_records(plain, P.kinetics), check_exact=True)


def test_cytokine_records_held_encoded_take_less_memory(example):
    """Memory, not speed: LB's cytokine records kept encoded hold less than half the array
    bytes of the same records decoded (a pointer a record for each text value; the strings
    themselves counted in neither)."""
    from cartrial.data.compact import CompactFrame
    from cartrial.data.domains import Domains

    encoded = Domains({**example.domains})
    encoded["LB"] = CompactFrame(example["LB"])
    held = Study(encoded)
    keep_after_adam(held, P)
    kept = held.domains.held("LB")
    assert isinstance(kept, CompactFrame)
    assert kept.nbytes < held["LB"].memory_usage(index=False).sum() / 2
