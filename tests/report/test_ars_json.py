"""report.ars_json.json_text against the standard library's ``json.dumps(doc, indent=1,
ensure_ascii=False, allow_nan=False)`` (the reference: what the ARS files were written with).

Regression tests: the faster writer of the ``results`` records must give the same bytes as the
``json`` encoder it replaces, on seeded documents with every kind of value a record holds.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from cartrial.report.ars_json import json_text

TEXTS = ["", "DL1 (N=4)", "AEDECOD == 'Anaemia'", 'say "x"', "back\\slash", "tab\there",
         "new\nline", "\x00\x1f ctrl", "Ä é ü ≥ – µ", "emoji \U0001f600", "\u2028\u2029",
         "\u200b zero width"]


def _reference(doc: dict) -> str:
    return json.dumps(doc, indent=1, ensure_ascii=False, allow_nan=False)


def _value(rng: np.random.Generator) -> object:
    k = rng.integers(7)
    if k == 0:
        return None
    if k == 1:
        return TEXTS[rng.integers(len(TEXTS))]
    if k == 2:
        return bool(rng.integers(2))
    if k == 3:
        return int(rng.integers(-10**12, 10**12))
    if k == 4:
        return float(rng.choice([0.0, -0.0, 1e-300, 5e-324, 1.7976931348623157e308, 1e16,
                                 123456789.0, 0.1 + 0.2, 100 / 3]))
    return float(rng.normal(0, 10.0 ** rng.integers(-8, 9)))


def _doc(rng: np.random.Generator, n: int) -> dict:
    cols = [TEXTS[i] or "key" for i in rng.choice(len(TEXTS), 4, replace=False)]
    return {"table": "14.3.1", "kind": "table", "caption": TEXTS[rng.integers(len(TEXTS))],
            "analysis": {"id": "AN1", "datasets": ["ADAE"], "recomputable": True,
                         "x": [1.5, None, {"y": "z"}]},
            "results": [{c: _value(rng) for c in ["table", *cols, "value"]} for _ in range(n)]}


@pytest.mark.parametrize("seed", range(40))
def test_seeded_documents_are_written_as_json_writes_them(seed: int) -> None:
    rng = np.random.default_rng(seed)
    doc = _doc(rng, int(rng.integers(1, 60)))
    assert json_text(doc) == _reference(doc)


@pytest.mark.parametrize("doc", [
    {"table": "1", "results": []},  # no records
    {"table": "1", "results": [{"a": [1, 2]}]},  # a record with a list: json writes it
    {"table": "1", "results": [{}]},
    {"results": [{"a": 1}], "table": "1"},  # results not last
    {},
])
def test_other_documents_are_left_to_json(doc: dict) -> None:
    assert json_text(doc) == _reference(doc)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_a_number_json_refuses_is_refused(bad: float) -> None:
    doc = {"table": "1", "results": [{"value": 1.0}, {"value": bad}]}
    with pytest.raises(ValueError, match="Out of range float values are not JSON compliant"):
        _reference(doc)
    with pytest.raises(ValueError, match="Out of range float values are not JSON compliant"):
        json_text(doc)


def test_numpy_numbers_are_written_as_their_float() -> None:
    """A float subclass (numpy.float64) is written by float's repr, as json does."""
    doc = {"table": "1", "results": [{"value": np.float64(0.1) * 3, "n": np.float64(2.0)}]}
    assert json_text(doc) == _reference(doc)
