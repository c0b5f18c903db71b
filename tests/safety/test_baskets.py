"""Event baskets defined in the protocol (safety.baskets) and their tables. No guideline defines
the baskets (sponsor data); the counts below are worked out by hand from the AE rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from cartrial.protocol import load_protocol
from cartrial.protocol.model import EventBasket, SafetySettings
from cartrial.safety import basket_events, basket_summary, basket_table, basket_tables

SUBJECTS = pd.DataFrame({"USUBJID": ["a", "b", "c", "d", "e"],
                         "DOSE_LEVEL": ["DL1", "DL1", "DL1", "DL2", "DL2"]})


def ct071_baskets():
    return load_protocol("ct071").safety.baskets


def cell(t: pd.DataFrame, row: str, column: str) -> pd.Series:
    return t[(t["ROW"] == row) & (t["COLUMN"] == column)].iloc[0]


def test_ct071_defines_its_baskets_as_protocol_data() -> None:
    b = ct071_baskets()
    gprc5d = [x.name for x in b if x.category == "GPRC5D on-target"]
    assert gprc5d == ["Nail", "Skin", "Oral / taste", "Weight loss", "Cerebellar"]
    cats = list(dict.fromkeys(x.category for x in b))
    assert cats == ["GPRC5D on-target", "Infections by pathogen",
                    "Neurotoxicity other than ICANS", "Second primary malignancies"]
    assert {x.name for x in b if x.category == "Infections by pathogen"} == {
        "Bacterial", "Viral", "Fungal", "Pathogen not specified"}


def test_basket_definitions_are_validated() -> None:
    with pytest.raises(ValidationError, match="listed twice"):
        EventBasket(name="Nail", category="G", terms=["Nail disorder", "nail disorder "])
    with pytest.raises(ValidationError, match="in both"):
        SafetySettings(baskets=[{"name": "A", "category": "G", "terms": ["Rash"]},
                                {"name": "B", "category": "G", "terms": ["rash"]}])
    with pytest.raises(ValidationError, match="listed twice"):
        SafetySettings(baskets=[{"name": "A", "category": "G", "terms": ["Rash"]},
                                {"name": "A", "category": "G", "terms": ["Pruritus"]}])
    # the same term in two categories is allowed (e.g. a cerebellar event and a neurotoxicity)
    SafetySettings(baskets=[{"name": "A", "category": "G", "terms": ["Ataxia"]},
                            {"name": "B", "category": "N", "terms": ["Ataxia"]}])


def test_gprc5d_baskets_by_grade_and_dose() -> None:
    ae = pd.DataFrame({"USUBJID": ["a", "b", "d", "e"],
                       "AEDECOD": ["Nail disorder", "Dysgeusia", "Ataxia", "Headache"],
                       "GRADE": [1, 2, 3, 1]})
    t = basket_tables(ae, SUBJECTS, ct071_baskets())["gprc5d"]
    assert cell(t, "Nail: any grade", "DL1")["N"] == 1
    assert cell(t, "Nail: grade 1", "DL1")["VALUE"] == "1 (33.3%)"
    assert cell(t, "Oral / taste: any grade", "Overall")["N"] == 1
    assert cell(t, "Cerebellar: grade >= 3", "DL2")["VALUE"] == "1 (50.0%)"
    assert cell(t, "Weight loss: any grade", "Overall")["N"] == 0
    assert set(t["TABLE"]) == {"GPRC5D on-target"}


def test_onset_resolution_and_matching() -> None:
    # subject a: Dysgeusia day 20-60 (grade 1), Dry mouth day 25-90 (grade 2): Oral basket worst
    # grade 2, onset 20, resolved on 90 -> 70 days; subject b: Dysgeusia from day 30, ongoing
    ae = pd.DataFrame({"USUBJID": ["a", "a", "b", "c"],
                       "AEDECOD": ["DYSGEUSIA", "Dry mouth", "Dysgeusia", "Bacteremia"],
                       "GRADE": [1, 2, 1, 3], "START_DAY": [20.0, 25.5, 30.0, 10.0],
                       "END_DAY": [60.0, 90.0, np.nan, 15.0]})
    s = basket_summary(ae, ct071_baskets()).set_index(["USUBJID", "BASKET"])
    assert s.loc[("a", "Oral / taste"), ["WORST_GRADE", "ONSET_DAY", "DAYS_TO_RESOLUTION"]
                 ].tolist() == [2.0, 20.0, 70.0]
    assert not s.loc[("b", "Oral / taste"), "RESOLVED"]
    assert np.isnan(s.loc[("b", "Oral / taste"), "DAYS_TO_RESOLUTION"])
    assert s.loc[("c", "Bacterial"), "WORST_GRADE"] == 3   # Bacteraemia = Bacteremia
    t = basket_table(ae, SUBJECTS, [b for b in ct071_baskets() if b.name == "Oral / taste"])
    assert cell(t, "Oral / taste: resolved (every event ended)", "DL1")["VALUE"] == "1 (33.3%)"
    assert cell(t, "Oral / taste: days from infusion to first onset", "DL1")["VALUE"] == \
        "25 (20-30)"
    assert cell(t, "Oral / taste: days from onset to resolution (resolved)", "Overall")[
        "VALUE"] == "70 (70-70)"


def test_treatment_emergent_only_and_several_categories() -> None:
    ae = pd.DataFrame({"USUBJID": ["a", "b"], "AEDECOD": ["Rash", "Herpes zoster"],
                       "GRADE": [2, 2], "TRTEMFL": ["", "Y"]})
    ev = basket_events(ae, ct071_baskets())
    assert ev["BASKET"].tolist() == ["Viral"]
    t = basket_table(ae, SUBJECTS, ct071_baskets())
    assert cell(t, "Infections by pathogen / Viral: any grade", "DL1")["N"] == 1
    assert cell(t, "GPRC5D on-target / Skin: any grade", "DL1")["N"] == 0
    keys = list(basket_tables(ae, SUBJECTS, ct071_baskets()))
    assert keys == ["gprc5d", "baskets_infections_by_pathogen",
                    "baskets_neurotoxicity_other_than_icans",
                    "baskets_second_primary_malignancies"]
