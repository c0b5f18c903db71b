"""Protocol files: the bundled CT071 loads; errors point at the right key path."""

from __future__ import annotations

import pytest
import yaml

from cartrial.protocol import ProtocolError, load_protocol, parse_protocol, protocol_text


@pytest.fixture()
def ct071_dict() -> dict:
    return yaml.safe_load(protocol_text("ct071")[1])


def test_ct071_bundled_loads_with_published_doses() -> None:
    p = load_protocol("ct071")
    assert p.study_id == "CT071"
    assert [d.dose for d in p.dose_levels] == [0.1, 0.3]
    assert p.starting_dose == "DL1"
    assert p.endpoints.time_origin == "apheresis"
    assert {pop.code for pop in p.populations} == {"RRMM", "PPCL"}
    assert 21 <= p.design.dlt_window_days <= 28


def _problems(d: dict) -> list[str]:
    with pytest.raises(ProtocolError) as exc:
        parse_protocol(yaml.safe_dump(d), "test")
    return exc.value.problems


def test_error_names_nested_key_value_and_expectation(ct071_dict: dict) -> None:
    ct071_dict["dose_levels"][1]["dose"] = -0.3
    (msg,) = _problems(ct071_dict)
    assert msg.startswith("dose_levels[1].dose: found -0.3; expected")
    assert "greater than 0" in msg


def test_unknown_key_is_refused_with_its_path(ct071_dict: dict) -> None:
    ct071_dict["design"]["targett"] = 0.3
    (msg,) = _problems(ct071_dict)
    assert msg.startswith("design.targett: found 0.3")
    assert "unknown keys are refused" in msg


def test_missing_required_key(ct071_dict: dict) -> None:
    del ct071_dict["design"]["dlt_window_days"]
    (msg,) = _problems(ct071_dict)
    assert msg == "design.dlt_window_days: found (missing); expected a value (required)"


def test_every_problem_reported_in_one_pass(ct071_dict: dict) -> None:
    ct071_dict["design"]["target"] = 0.9
    ct071_dict["design"]["name"] = "bion"
    ct071_dict["dlt"]["rules"][0]["min_grade"] = 7
    probs = _problems(ct071_dict)
    paths = sorted(p.split(":")[0] for p in probs)
    assert paths == ["design.name", "design.target", "dlt.rules[0].min_grade"]


def test_starting_dose_must_be_a_dose_level(ct071_dict: dict) -> None:
    ct071_dict["starting_dose"] = "DL9"
    (msg,) = _problems(ct071_dict)
    assert "starting_dose 'DL9' is not a dose level id" in msg


def test_dose_levels_must_increase(ct071_dict: dict) -> None:
    ct071_dict["dose_levels"][1]["dose"] = 0.05
    (msg,) = _problems(ct071_dict)
    assert "increasing dose" in msg


def test_duration_condition_needs_exactly_one_form(ct071_dict: dict) -> None:
    ct071_dict["dlt"]["rules"][1]["duration"] = {"within_hours": 72}
    (msg,) = _problems(ct071_dict)
    assert msg.startswith("dlt.rules[1].duration:")


def test_backfill_only_for_boin(ct071_dict: dict) -> None:
    ct071_dict["design"]["name"] = "3+3"
    ct071_dict["design"]["backfill"] = {"enabled": True}
    (msg,) = _problems(ct071_dict)
    assert "backfill is an option of boin and tite-boin" in msg


def test_unknown_name_is_clear() -> None:
    with pytest.raises(Exception, match="neither a file nor a bundled protocol"):
        load_protocol("nope")
