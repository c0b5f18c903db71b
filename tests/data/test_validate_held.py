"""Validation's rules on a domain held encoded (cartrial.data.validate_held).

Regression tests: the rules that ask an encoded domain's codes (nothing decoded) find what
they find on the same records held as a frame, which is how every rule read a domain before
(issue #18); the messy trial's snapshot (test_validate_codes) checks both against the code
before the change.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cartrial.data.compact import CompactFrame
from cartrial.data.spec import data_model
from cartrial.data.study import Study
from cartrial.data.validate import _tests
from cartrial.data.validate_held import Records
from cartrial.data.validate_structure import structure_findings

TEXT = pd.StringDtype("python")


def _domain(name: str, tests: list[str], results: list[str], numbers: list[float],
            n: int = 600, seed: int = 5) -> pd.DataFrame:
    """A findings domain with faults planted among its records: missing identifiers,
    unknown and missing test codes, terms outside their lists, results outside their range
    or not whole, missing and repeated --SEQ, another DOMAIN."""
    rng = np.random.default_rng(seed)

    def text(values: list, p_missing: float = 0.02) -> pd.array:
        out = np.asarray(values, dtype=object)[rng.integers(0, len(values), n)]
        out[rng.random(n) < p_missing] = None
        return pd.array(out, dtype=TEXT)

    seq = rng.integers(1, n // 2, n).astype(float)
    seq[rng.random(n) < 0.02] = np.nan
    cat = {"LB": ["CHEMISTRY", "HEMATOLOGY", "CHEMISTRY ", "XX"], "QS": ["ICE", "ICX"]}[name]
    return pd.DataFrame({
        "STUDYID": text(["CT071"], 0.01),
        "DOMAIN": text([name, name, name, "XX"], 0.0),
        "USUBJID": text([f"S{i}" for i in range(40)], 0.01),
        f"{name}SEQ": seq,
        f"{name}TESTCD": text([*tests, "NOPE"]),
        f"{name}CAT": text(cat),
        f"{name}ORRES": text(results),
        f"{name}STRESC": text(results),
        f"{name}STRESN": np.asarray([*numbers, np.nan])[rng.integers(0, len(numbers) + 1, n)],
        f"{name}DTC": text(["2024-03-05", "2024-02-30", "2024"]),
    })


DOMAINS = {
    "LB": _domain("LB", ["HGB", "IMFIX", "K", "CA"], ["POSITIVE", "NEGATIVE", "MAYBE", "12"],
                  [-1.0, 0.4, 5.0, 12.0, 300.0, -0.0]),
    "QS": _domain("QS", ["ICE01", "ICE06", "ICE03"], ["1", "2.5", "11"],
                  [0.0, 1.0, 2.5, 4.0, 11.0, -3.0]),
}


def _study(encoded: bool) -> Study:
    study = Study(domains={})
    for name, df in DOMAINS.items():
        if encoded:
            study.domains.hold(name, df.copy())
        else:
            study.domains[name] = df.copy()
    return study


def _found(frames: list[pd.DataFrame]) -> pd.DataFrame:
    parts = [f.astype(object) for f in frames if len(f)]
    return pd.concat(parts, ignore_index=True)


def test_rules_on_an_encoded_domain_find_what_they_find_on_its_frame() -> None:
    encoded, frames = _study(True), _study(False)
    assert isinstance(encoded.domains.held("LB"), CompactFrame)
    assert not isinstance(frames.domains.held("LB"), CompactFrame)
    model = data_model()
    for rules in (structure_findings, _tests):
        got, want = _found(rules(encoded, model)), _found(rules(frames, model))
        pd.testing.assert_frame_equal(got, want)
    found = _found(structure_findings(encoded, model) + _tests(encoded, model))
    # every rule asked of codes found something here (the comparison is not vacuous)
    assert {"VAR_EMPTY", "TERM_UNKNOWN", "TESTCD_UNKNOWN", "OUT_OF_RANGE", "KEY_DUPLICATE",
            "DATE_INVALID"} <= set(found["rule_id"])
    assert {"LBCAT", "DOMAIN", "LBORRES", "QSSTRESN", "LBSEQ"} <= set(found["variable"])


@pytest.mark.parametrize("var", ["LBTESTCD", "LBCAT", "LBSEQ", "DOMAIN", "STUDYID"])
def test_records_answer_as_the_decoded_column(var: str) -> None:
    """Each question asked of an encoded domain's codes equals the question asked of its
    decoded column (pandas)."""
    held = Records(_study(True), "LB")
    col = DOMAINS["LB"][var]
    np.testing.assert_array_equal(held.present(var), col.notna().to_numpy())
    if col.dtype == TEXT:
        want = col.isin(["CT071", "HGB", "XX"]).to_numpy()
        np.testing.assert_array_equal(held.by_value(var, lambda u: u in {"CT071", "HGB", "XX"}),
                                      want)
        codes, uniq = held.codes(var)
        assert [None if c < 0 else uniq[c] for c in codes] == [
            None if v is pd.NA else v for v in col]
    else:
        np.testing.assert_array_equal(held.numbers(var, lambda v: v > 100),
                                      (col > 100).to_numpy())
