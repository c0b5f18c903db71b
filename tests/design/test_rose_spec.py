"""``design.randomised_stage`` in the protocol: validation with clear errors, the stage's design
and its seeded randomisation list (design/rose_spec.py)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from cartrial.design.rose_spec import randomisation_list, stage_design
from cartrial.protocol import Protocol, RandomisedStageSpec, load_protocol

CT071 = load_protocol("ct071")


def _protocol(stage: dict) -> Protocol:
    data = CT071.model_dump()
    data["design"]["randomised_stage"] = stage
    return Protocol.model_validate(data)


def test_protocol_accepts_a_stage_and_dumps_it_only_when_present() -> None:
    p = _protocol({"doses": ["DL1", "DL2"], "p_high": 0.6, "margin": 0.15})
    assert p.design.randomised_stage is not None
    assert p.design.randomised_stage.doses == ("DL1", "DL2")
    assert "randomised_stage" in p.design.model_dump()
    assert "randomised_stage" not in CT071.design.model_dump()


@pytest.mark.parametrize(
    ("stage", "message"),
    [
        ({"p_high": 0.6, "margin": 0.15}, "exactly one of them"),
        ({"doses": ["DL1", "DL2"], "rule": "selected-and-next-lower", "p_high": 0.6,
          "margin": 0.15}, "exactly one of them"),
        ({"doses": ["DL1", "DL9"], "p_high": 0.6, "margin": 0.15}, r"\['DL9'\] are not dose"),
        ({"doses": ["DL2", "DL1"], "p_high": 0.6, "margin": 0.15}, "lower dose first"),
        ({"doses": ["DL1", "DL1"], "p_high": 0.6, "margin": 0.15}, "two distinct"),
        ({"doses": ["DL1", "DL2"], "p_high": 0.6, "margin": 0.15, "n_per_arm": 20},
         "n_per_arm and boundary go together"),
        ({"doses": ["DL1", "DL2"], "p_high": 0.1, "margin": 0.15}, "must not exceed p_high"),
        ({"doses": ["DL1", "DL2"], "p_high": 0.6, "margin": 0.15, "pcs_low": 0.4},
         "pcs_low"),
        ({"doses": ["DL1", "DL2"], "p_high": 0.6, "margin": 0.15, "allocation": [0, 1]},
         "positive integers"),
        ({"rule": "best", "p_high": 0.6, "margin": 0.15}, "selected-and-next-lower"),
        ({"doses": ["DL1", "DL2"], "p_high": 0.6, "margin": 0.15, "n_per_arm": 20,
          "boundary": 0.05, "interim_fraction": 0.5}, "one-stage design"),
    ],
)
def test_bad_stage_is_refused_with_a_clear_message(stage: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        _protocol(stage)


def test_stage_design_sized_or_fixed() -> None:
    """Sized from the targets (Table 1 of Wang et al. 2025: p = 0.4, PCS 0.65/0.65 -> 28 per
    arm, normal) or fixed (n_per_arm + boundary, with its exact PCS)."""
    sized = RandomisedStageSpec(doses=("DL1", "DL2"), p_high=0.4, margin=0.1, method="normal")
    assert stage_design(sized).n_low == 28
    fixed = RandomisedStageSpec(doses=("DL1", "DL2"), p_high=0.4, margin=0.1, n_per_arm=20,
                                boundary=0.05)
    d = stage_design(fixed)
    assert (d.n_low, d.boundary, d.method) == (20, 0.05, "fixed")
    assert 0.5 < d.exact_low < 1 and 0.5 < d.exact_high < 1


def test_randomisation_list_is_seeded_balanced_in_blocks() -> None:
    st = RandomisedStageSpec(doses=("DL1", "DL2"), p_high=0.4, margin=0.1, allocation=(1, 2),
                             seed=123)
    arms = randomisation_list(st, 10, 20)
    assert arms == randomisation_list(st, 10, 20)
    assert arms != randomisation_list(st.model_copy(update={"seed": 124}), 10, 20)
    block = 2 * 3
    assert len(arms) == 30 and len(arms) % block == 0
    for i in range(0, len(arms), block):
        assert arms[i:i + block].count("low") == 2  # each block 1:2
