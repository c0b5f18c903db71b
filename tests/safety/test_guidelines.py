"""Guideline tables load into typed objects, every row carries its source text, versions pinned."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from cartrial.safety import crs_criteria, ctcae_lab_criteria, icans_criteria
from cartrial.safety.guidelines import CtcaeLabCriteria, LabTerm


def test_versions_are_pinned() -> None:
    assert crs_criteria().version == "ASTCT 2019"
    assert icans_criteria().version == "ASTCT 2019"
    assert ctcae_lab_criteria().version == "5.0"


def test_every_row_has_source_text() -> None:
    c = crs_criteria()
    assert all(r.text for r in c.hypotension) and all(d.text for d in c.oxygen_devices)
    i = icans_criteria()
    for rows in (i.consciousness, i.seizure, i.motor, i.icp):
        assert all(r.text for r in rows)
    for term in ctcae_lab_criteria().terms:
        assert set(term.grades) <= set(term.text)


def test_crs_table_content_matches_the_paper() -> None:
    c = crs_criteria()
    assert c.fever.min_temp_c == 38.0 and c.low_flow_max_l_min == 6.0
    grades = {d.device: d.grade for d in c.oxygen_devices}
    assert grades["BIPAP"] == grades["CPAP"] == grades["MECHANICAL_VENTILATION"] == 4
    assert grades["FACE_MASK"] == grades["NON_REBREATHER"] == grades["VENTURI"] == 3
    assert i_sum() == 10


def i_sum() -> int:
    return sum(i.points for i in icans_criteria().ice_items)


def test_no_clinical_only_grade_is_assigned_from_labs() -> None:
    terms = {t.term: t for t in ctcae_lab_criteria().terms}
    assert 4 not in terms["Anemia"].grades and 4 not in terms["Hypoalbuminemia"].grades
    assert 1 not in terms["Hypokalemia"].grades      # lab-only worst case: grade 2
    assert 2 not in terms["Hyponatremia"].grades     # lab-only worst case: grade 3


def test_malformed_rows_are_refused() -> None:
    with pytest.raises(ValidationError):
        LabTerm(term="x", paramcd=["X"], direction="L", units=[], text={5: "t"},
                grades={5: [{"all": [{"op": "<", "value": 1}]}]})
    with pytest.raises(ValidationError):
        CtcaeLabCriteria(version="5.0", name="n", source="s", significant_digits=15,
                         terms=[{"term": "x", "paramcd": ["X"], "direction": "L", "units": [],
                                 "text": {1: "t"},
                                 "grades": {1: [{"all": [{"op": "<", "value": 1,
                                                          "code": "eval('1')"}]}]}}])
