"""Validation findings carry their rule id as data (issue #19 point 2).

Regression tests: the ids are the project's own names (docs/data-model.md lists them).
"""

from __future__ import annotations

from types import SimpleNamespace

from cartrial.data.completeness import file_finding
from cartrial.data.validate import _load_findings
from cartrial.errors import Finding


def test_file_finding_carries_its_id() -> None:
    f = file_finding("VS", "vs.csv", "FILE_EMPTY", "no header line")
    assert f.rule_id == "FILE_EMPTY"
    assert f.as_dict()["rule_id"] == "FILE_EMPTY"


def test_the_report_takes_the_id_from_the_finding_not_its_text() -> None:
    """A message whose text looks like another id keeps the finding's own id."""
    study = SimpleNamespace(load_findings=[
        Finding("LB", "S1", 3, "LBORRES", "1,5", "[OTHER] decimal comma", rule_id="DECIMAL_COMMA"),
        Finding("LB", "S1", 4, "LBORRES", "x", "value is not a number", rule_id="NOT_NUMBER"),
        Finding("AE", None, None, None, "ae.csv", "text without an id"),
    ])
    frames = _load_findings(study)  # type: ignore[arg-type]
    assert [f["rule_id"].iloc[0] for f in frames] == ["DECIMAL_COMMA", "NOT_NUMBER", "LOAD"]
    assert frames[1]["rule"].iloc[0] == "value is not a number"
