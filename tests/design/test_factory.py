"""design_from_spec: every protocol design name builds the matching design with its options."""

from __future__ import annotations

import pytest

from cartrial.design import (
    Boin,
    Crm,
    Design,
    I3plus3,
    Mtpi2,
    ThreePlusThree,
    TiteBoin,
    TiteCrm,
    TrialState,
    crm_skeleton,
    design_from_spec,
)
from cartrial.errors import InputError
from cartrial.protocol import load_protocol

CT071 = load_protocol("ct071")


def spec(**kw):
    return CT071.design.model_copy(update=kw)


def test_ct071_is_boin_with_its_options():
    d = design_from_spec(CT071.design, len(CT071.dose_levels))
    assert isinstance(d, Boin) and isinstance(d, Design)
    assert (d.n_doses, d.target, d.cohort_size) == (2, 0.3, 3)
    assert (d.cap_per_dose, d.max_sample_size, d.backfill) == (9, 18, False)


@pytest.mark.parametrize(
    "name, cls",
    [
        ("boin", Boin),
        ("tite-boin", TiteBoin),
        ("i3+3", I3plus3),
        ("mtpi2", Mtpi2),
        ("3+3", ThreePlusThree),
        ("crm", Crm),
        ("tite-crm", TiteCrm),
    ],
)
def test_every_name(name, cls):
    d = design_from_spec(spec(name=name), 4)
    assert type(d) is cls and d.name == name
    dec = d.decide(TrialState.empty(4))
    assert (dec.action, dec.next_dose) == ("stay", 0)


def test_tite_and_crm_options():
    t = design_from_spec(spec(name="tite-boin"), 3)
    assert t.dlt_window == 28.0 and t.max_pending_fraction == 0.5
    c = design_from_spec(spec(name="crm", target=0.25), 5)
    assert c.skeleton == crm_skeleton(0.05, 0.25, 1, 5)
    crm_spec = CT071.design.crm.model_copy(update={"skeleton": [0.1, 0.2, 0.3]})
    c = design_from_spec(spec(name="crm", crm=crm_spec), 3)
    assert c.skeleton == (0.1, 0.2, 0.3)


def test_bad_combinations():
    with pytest.raises(InputError):
        design_from_spec(spec(name="3+3", cohort_size=2), 3)
    crm_spec = CT071.design.crm.model_copy(update={"prior_mtd_level": 4})
    with pytest.raises(InputError, match="prior_mtd_level"):
        design_from_spec(spec(name="crm", crm=crm_spec), 3)
