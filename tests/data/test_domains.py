"""The study's large findings domains held dictionary-encoded (issue #18: memory): every way
of reading a domain gives the frame the loader gave when it held frames.

Regression tests: the same files loaded with the domains held encoded and with every domain
held as a frame (``HELD_ENCODED`` emptied: the path replaced), compared through every access
path (``study[name]``, ``get``, ``domains[name]``, ``items()``, ``{**domains}``, ``frame()``
with columns and ``where``), on the example trial, on seeded messy copies of it (padded,
lower-cased, blank and malformed cells, NULs: tests/data/_messy.py) and on a generated
300-patient trial; validation's findings alike. The memory test is about what is held (bytes
of arrays), not about speed.
"""

from __future__ import annotations

import gc
import pickle
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import cartrial.data.domains as domains_module
from cartrial.data import Study, load_study, validate_study
from cartrial.data.compact import CompactFrame
from cartrial.data.domains import HELD_ENCODED, Domains
from cartrial.protocol import load_protocol
from tests.data.test_compact import assert_same

sys.path.insert(0, str(Path(__file__).parent))
from _messy import SEED, make_messy  # noqa: E402

P = load_protocol("ct071")


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> Path:
    from cartrial.example import simulate_trial, write_example

    root = tmp_path_factory.mktemp("domains")
    write_example(simulate_trial(P), root)
    return root


@pytest.fixture(scope="module", params=["clean", 0, 1, 2, "300 patients"])
def studies(request, example, tmp_path_factory) -> tuple[Study, Study]:
    """(encoded, plain): the same folder loaded both ways (the example, messy copies of it, a
    generated 300-patient trial)."""
    folder = example
    if request.param == "300 patients":
        from cartrial.example import simulate_trial, write_example

        folder = tmp_path_factory.mktemp("trial300")
        write_example(simulate_trial(P, n_patients=300), folder)
    elif request.param != "clean":
        folder = tmp_path_factory.mktemp(f"messy{request.param}")
        shutil.copytree(example, folder, dirs_exist_ok=True)
        make_messy(folder, SEED + request.param, rate=0.03)
    encoded = load_study(folder)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(domains_module, "HELD_ENCODED", ())
        plain = load_study(folder)
    return encoded, plain


def test_the_large_findings_domains_are_held_encoded(studies):
    encoded, plain = studies
    for name in encoded.domains:
        held = encoded.domains.held(name)
        assert isinstance(held, CompactFrame) == (name in HELD_ENCODED), name
        assert isinstance(plain.domains.held(name), pd.DataFrame)
    assert list(encoded.domains) == list(plain.domains)
    assert encoded.load_findings == plain.load_findings


def test_every_access_path_gives_the_plain_frame(studies):
    encoded, plain = studies
    unpacked = {**encoded.domains}
    for (name, got), want_name in zip(encoded.domains.items(), plain.domains, strict=True):
        assert name == want_name
        want = plain[name]
        assert_same(got, want)
        assert_same(encoded[name], want)
        assert_same(encoded.get(name), want)
        assert_same(encoded.domains[name], want)
        assert_same(unpacked[name], want)
        assert name in encoded.domains and name in encoded
        assert encoded.variables(name) == plain.variables(name)
        assert encoded.records(name) == plain.records(name) == len(want)
    assert encoded.get("XX") is None and "XX" not in encoded.domains


def test_distinct_values_are_those_of_the_plain_frame(studies):
    """Regression: ``Study.distinct`` from an encoded domain's held values is the set of the
    plain frame's non-missing values, for every variable of every domain."""
    encoded, plain = studies
    for name in plain.domains:
        for var in [*plain.variables(name), "NOSUCH"]:
            col = plain[name].get(var, pd.Series(dtype=object))
            want = {v for v in pd.unique(col.to_numpy(dtype=object)) if not pd.isna(v)}
            for study in (encoded, plain):
                got = study.distinct(name, var)
                assert len(got) == len(want) and set(got) == want, (name, var)
    assert encoded.distinct("XX", "USUBJID") is None


def test_frame_on_an_encoded_domain_is_frame_on_the_plain_one(studies):
    encoded, plain = studies
    rng = np.random.default_rng(7)
    for name in HELD_ENCODED:
        cols = plain.variables(name)
        tcd = f"{name}TESTCD"
        tests = plain[name][tcd].dropna().unique().tolist()
        asks = [
            (None, None),
            ([cols[3], "NOSUCH", cols[0]], None),
            (None, {tcd: tests[:2]}),
            ([tcd, f"{name}STRESN", "USUBJID"], {tcd: set(tests[1:4]) | {"", "il6"}}),
            (cols, {tcd: tests, "USUBJID": plain[name]["USUBJID"].iloc[:50].tolist()}),
            ([tcd], {"NOSUCH": ["A"]}),
            ([f"{name}STRESN"], {f"{name}STRESN": [float(plain[name][f"{name}STRESN"]
                                                          .dropna().iloc[0]), np.nan]}),
            (list(rng.permutation(cols)[:5]), {}),
        ]
        for columns, where in asks:
            got = encoded.frame(name, columns, where)
            assert_same(got, plain.frame(name, columns, where))
            if len(got.columns):
                got.iloc[:, 0] = got.iloc[::-1, 0].to_numpy()  # changed in place
        assert_same(encoded[name], plain[name])  # a frame of its own: the study unchanged


def test_validation_finds_the_same(studies):
    encoded, plain = studies
    pd.testing.assert_frame_equal(validate_study(encoded, P).findings,
                                  validate_study(plain, P).findings, check_exact=True)


def test_a_decoded_frame_is_shared_while_held_and_freed_after(example):
    study = load_study(example)
    lb = study["LB"]
    assert study["LB"] is lb and study.domains["LB"] is lb
    ref = __import__("weakref").ref(lb)
    del lb
    gc.collect()
    assert ref() is None  # the study keeps only the codes
    assert isinstance(study.domains.held("LB"), CompactFrame)


def test_studies_built_from_frames_and_pickled(example):
    study = load_study(example)
    again = pickle.loads(pickle.dumps(study))
    assert isinstance(again.domains, Domains)
    assert isinstance(again.domains.held("LB"), CompactFrame)
    assert_same(again["LB"], study["LB"])
    frames = Study(domains={"DM": study["DM"], "LB": study["LB"]})
    assert isinstance(frames.domains, Domains) and frames["LB"] is study["LB"]
    frames.domains = {"DM": study["DM"]}  # assigned as a dict: still a Domains
    assert isinstance(frames.domains, Domains) and list(frames.domains) == ["DM"]


def test_held_in_a_fraction_of_the_frames_memory(example):
    """What the study holds (bytes of arrays: codes and distinct values against the frames'
    columns) for the generated trial: the encoded domains in under a quarter."""
    encoded = load_study(example)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(domains_module, "HELD_ENCODED", ())
        plain = load_study(example)
    for name in HELD_ENCODED:
        small = encoded.domains.only([name]).nbytes()
        assert small < 0.25 * plain.domains.only([name]).nbytes(), name
    assert encoded.domains.nbytes() < 0.4 * plain.domains.nbytes()


def test_frame_where_never_matches_a_missing_value_held_either_way():
    """Study.frame's documented rule (a missing value never matches), encoded or not, even
    when the values asked include None / NaN."""
    import numpy as np
    import pandas as pd

    from cartrial.data.domains import Domains

    df = pd.DataFrame({"A": pd.array(["x", "y", None], dtype=pd.StringDtype("python")),
                       "B": [1.0, 2.0, np.nan], "C": [1, 2, 3]}, index=[5, 6, 7])
    plain, held = Domains(), Domains()
    plain._held["ZZ"] = df
    held.hold("LB", df)
    for where, rows in (({"A": ["x", None]}, [5]), ({"B": [2.0, np.nan]}, [6]),
                        ({"Q": ["x"]}, [])):
        a, b = plain.frame("ZZ", ["C", "A", "B"], where), held.frame("LB", ["C", "A", "B"], where)
        assert list(a.index) == rows and a.equals(b)
