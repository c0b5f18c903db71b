"""Unit conversion into the standard unit of each test (data model tests section)."""

from __future__ import annotations

import numpy as np
import pytest

from cartrial.data.spec import data_model
from cartrial.data.units import conversion_factor, convert


@pytest.mark.parametrize(
    ("testcd", "frm", "to", "value", "expected"),
    [
        ("HGB", "g/dL", "g/L", 10.2, 102.0),
        ("MPROTEIN", "g/dL", "g/L", 1.0, 10.0),  # IMWG serum measurable: 1 g/dL = 10 g/L
        ("KAPPAFLC", "mg/dL", "mg/L", 10.0, 100.0),  # involved FLC 10 mg/dL = 100 mg/L
        ("MPROTEIN", "g/24h", "mg/24h", 0.2, 200.0),
        ("NEUT", "cells/uL", "10^9/L", 1500.0, 1.5),
        ("CREAT", "mg/dL", "umol/L", 1.0, 88.42),
        ("BILI", "mg/dL", "umol/L", 1.0, 17.104),
        ("CA", "mg/dL", "mmol/L", 10.0, 2.495),
        ("IL6", "pg/mL", "ng/L", 85.2, 85.2),
        ("TEMP", "F", "C", 100.4, 38.0),
        ("WEIGHT", "LB", "kg", 100.0, 45.359237),
    ],
)
def test_conversions(testcd, frm, to, value, expected) -> None:
    assert convert(np.array([value]), testcd, frm, to)[0] == pytest.approx(expected)


def test_unknown_pair_is_none_not_guessed() -> None:
    assert conversion_factor("HGB", "mmol/L", "mg/L") is None
    assert convert(np.array([1.0]), "IL6", "mg/dL", "ng/L") is None


def test_every_accepted_unit_converts_to_the_standard_unit() -> None:
    for dom, tests in data_model().tests.items():
        for code, t in tests.items():
            specs = list(t.accept_by_spec) or [None]
            for spec in specs:
                for u in t.accepted_units(spec):
                    assert convert(np.array([1.0]), code, u, t.standard_unit(spec)) is not None, (
                        dom, code, u)
