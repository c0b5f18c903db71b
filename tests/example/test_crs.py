"""The example's own ASTCT grader (cartrial.example.crs) against the guideline's worked cases.

Cases: the ASTCT CRS consensus grading (Lee DW et al., Biol Blood Marrow Transplant 2019;25:625-38)
and rules
1-6; section 2 "Test cases" for ICANS.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cartrial.example.crs import (
    DEVICE_TIER,
    astct_crs_grade,
    astct_icans_grade,
    hypoxia_tier,
)


def grade(temp=38.5, hyp=False, press=0, vasopressin=False, device="ROOM AIR", flow=np.nan,
          masked=False, fever_other=False, hypo_other=False, hypox_other=False) -> int:
    return int(astct_crs_grade(np.array([temp]), np.array([fever_other]), np.array([hyp]),
                               np.array([press]), np.array([vasopressin]), np.array([hypo_other]),
                               np.array([device], dtype=object), np.array([flow]),
                               np.array([hypox_other]), np.array([masked]))[0])


@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        ({"temp": 37.9, "press": 2}, 0),                                   # row 1: no fever
        ({}, 1),                                                           # row 2
        ({"hyp": True}, 2),                                                # row 3: fluids only
        ({"device": "NASAL CANNULA", "flow": 6.0}, 2),                     # row 4: 6 L/min
        ({"device": "NASAL CANNULA", "flow": 6.5}, 3),                     # row 5: 6.5 L/min
        ({"hyp": True, "press": 1, "vasopressin": True, "device": "NASAL CANNULA",
          "flow": 2.0}, 3),                                                # row 6
        ({"hyp": True, "press": 1, "device": "NASAL CANNULA", "flow": 4.0}, 3),  # row 7
        ({"hyp": True, "press": 2}, 4),                                    # row 8
        ({"device": "BIPAP"}, 4), ({"device": "CPAP"}, 4),                 # row 9
        ({"device": "MECHANICAL VENTILATION"}, 4),
    ],
)
def test_decision_table(kw, expected):
    assert grade(**kw) == expected


def test_fever_exactly_38_counts():
    assert grade(temp=38.0) == 1 and grade(temp=37.9) == 0


def test_vasopressin_never_makes_multiple():
    # rule 6: one vasopressor + vasopressin = grade 3, not 4
    assert grade(hyp=True, press=1, vasopressin=True) == 3


def test_masked_fever():
    # rule 2: after CRS-directed therapy fever is not required; afebrile without organ = 0
    assert grade(temp=37.0, device="FACE MASK", masked=True) == 3
    assert grade(temp=37.0, device="FACE MASK", masked=False) == 0
    assert grade(temp=37.0, masked=True) == 0


def test_other_cause_does_not_count():
    # rules 1 and 4
    assert grade(fever_other=True, hyp=True) == 0
    assert grade(hyp=True, press=1, hypo_other=True) == 1
    assert grade(device="CPAP", hypox_other=True) == 1


@given(st.sampled_from(sorted(DEVICE_TIER)), st.floats(0, 60), st.integers(0, 3), st.booleans())
def test_grade_is_worst_component(device, flow, press, fever):
    g = grade(temp=38.6 if fever else 36.8, hyp=press > 0, press=press, device=device, flow=flow)
    organ = max(int(hypoxia_tier(np.array([device], dtype=object), np.array([flow]))[0]),
                {0: 0, 1: 3}.get(press, 4))
    assert g == (max(organ, 1) if fever else 0)


@pytest.mark.parametrize(
    ("ice", "loc", "seizure", "motor", "icp", "expected"),
    [  # ICANS cases worked from Lee DW et al. 2019 (adult ICANS grading)
        (8, "AWAKENS SPONTANEOUSLY", "NONE", "NONE", "NONE", 1),
        (9, "AWAKENS TO VOICE", "NONE", "NONE", "NONE", 2),
        (0, "AWAKENS SPONTANEOUSLY", "NONE", "NONE", "NONE", 3),
        (0, "UNAROUSABLE", "NONE", "NONE", "NONE", 4),
        (10, "AWAKENS SPONTANEOUSLY", "NONE", "DEEP FOCAL MOTOR WEAKNESS", "NONE", 4),
        (7, "AWAKENS SPONTANEOUSLY", "NONE", "NONE", "FOCAL OEDEMA", 3),
        (7, "AWAKENS SPONTANEOUSLY", "NONE", "NONE", "DIFFUSE OEDEMA OR ICP SIGNS", 4),
        (3, "AWAKENS SPONTANEOUSLY", "CLINICAL OR EEG SEIZURE RESOLVING", "NONE", "NONE", 3),
        (10, "", "NONE", "NONE", "NONE", 0),                       # rule 4: alert, ICE 10
        (10, "AWAKENS SPONTANEOUSLY", "NONE", "NONE", "NONE", 1),  # 2.2 consciousness, grade 1
    ],
)
def test_icans_cases(ice, loc, seizure, motor, icp, expected):
    g = astct_icans_grade(np.array([ice]), np.array([loc], dtype=object),
                          np.array([seizure], dtype=object), np.array([motor], dtype=object),
                          np.array([icp], dtype=object), np.array([False]))
    assert int(g[0]) == expected


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_observations_realise_the_intended_grade_at_every_time_point(seed):
    """The flow sheet drawn for an intended grade path yields exactly that path when graded."""
    from cartrial.example.crs import plan_crs
    from cartrial.example.crs_records import crs_observations, icans_observations

    rng = np.random.default_rng(seed)
    n = 60
    dlt = rng.choice(np.array(["", "CRS4", "CRS3_72H"], dtype=object), n, p=[0.8, 0.1, 0.1])
    plan = plan_crs(rng, rng.integers(0, 2, n), np.array([0.7, 0.9]), dlt,
                    rng.integers(2, 6, n), 0.3, 0.05, 3.0, 4.5, 0.3)
    inf = np.full(n, np.datetime64("2024-01-10", "D"))
    obs = crs_observations(rng, plan, inf, np.full(n, 400))["obs"]
    assert (obs["grade"].to_numpy() == obs["intended"].to_numpy()).all()
    ice = icans_observations(rng, plan, np.full(n, 400))
    assert (ice["grade"].to_numpy() == ice["intended"].to_numpy()).all()
