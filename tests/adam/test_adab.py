"""ADAB (anti-drug antibodies, BDS; cartrial.adam.adab).

Outside reference: the harmonised ADA categories of Shankar G et al., AAPS J 2014;16:658-73
(treatment-induced: baseline negative and a positive post-baseline sample; treatment-boosted:
baseline positive and a post-baseline titer >= 4-fold the baseline titer, which the pharmaverse
admiral ADAB template writes as a log10-titer change >= 0.6; treatment-emergent = induced or
boosted), applied by hand to hand-made samples and, for the example trial, by pandas to SDTM IS
directly (without the kinetics engine).
"""

from __future__ import annotations

import pandas as pd
import pytest

from cartrial.adam import derive_adab
from cartrial.errors import InputError
from cartrial.kinetics import classify_ada
from tests.adam._analysed import analysed

INF = pd.Timestamp("2024-01-10")


def _is(rows):
    d = pd.DataFrame(rows, columns=["USUBJID", "ISDTC", "ISSTRESC", "ISSTRESN"])
    d["ISSEQ"] = d.groupby("USUBJID").cumcount() + 1
    d["ISTESTCD"], d["ISTEST"] = "ADA_BAB", "Binding Antidrug Antibody"
    return d


def _adsl(ids):
    return pd.DataFrame({"USUBJID": ids, "STUDYID": "X", "TRT01A": "DL1", "TRT01AN": 1,
                         "TRTSDT": INF, "INFDT": INF})


def _derive(is_):
    day = (pd.to_datetime(is_["ISDTC"]) - INF).dt.days
    ada = classify_ada(pd.DataFrame({"USUBJID": is_["USUBJID"], "ISTESTCD": is_["ISTESTCD"],
                                     "time_days": day, "positive": is_["ISSTRESC"] ==
                                     "POSITIVE", "titer": is_["ISSTRESN"]}),
                       by=("USUBJID", "ISTESTCD"))
    return derive_adab(is_, ada, _adsl(sorted(is_["USUBJID"].unique())))


def _status(ab, code):
    return ab[ab["PARAMCD"] == code].set_index("USUBJID")["AVALC"].to_dict()


def test_shankar_categories_by_hand():
    """A: negative -> positive (induced); B: titer 10 -> 80, 8-fold >= 4 (boosted); C: titer
    10 -> 20, 2-fold < 4 (baseline positive, not boosted); D: no post-baseline sample."""
    ab = _derive(_is([("A", "2024-01-09", "NEGATIVE", None), ("A", "2024-02-07", "POSITIVE", 40),
                      ("B", "2024-01-09", "POSITIVE", 10), ("B", "2024-02-07", "POSITIVE", 80),
                      ("C", "2024-01-09", "POSITIVE", 10), ("C", "2024-02-07", "POSITIVE", 20),
                      ("D", "2024-01-09", "NEGATIVE", None)]))
    assert _status(ab, "BFLAGB") == {"A": "N", "B": "Y", "C": "Y", "D": "N"}
    assert _status(ab, "INDUCDB") == {"A": "Y", "B": "N", "C": "N", "D": "N"}
    assert _status(ab, "ENHANCB") == {"A": "N", "B": "Y", "C": "N", "D": "N"}
    assert _status(ab, "EMERPOSB") == {"A": "Y", "B": "Y", "C": "N", "D": "N"}
    ev = ab[ab["PARAMCD"] == "EMERPOSB"].set_index("USUBJID")["ADPBLPFL"].to_dict()
    assert ev == {"A": "Y", "B": "Y", "C": "Y", "D": ""}
    res = ab[ab["PARAMCD"] == "RESULTB"]
    assert res["AVAL"].tolist() == [0, 1, 1, 1, 1, 1, 0]
    assert res.loc[res["ABLFL"] == "Y", "AFRLT"].tolist() == [-1.0] * 4
    assert ab.loc[ab["PARAMCD"] == "TITERB", "AVAL"].tolist() == [40, 10, 80, 10, 20]
    assert ab.groupby("PARAMCD")["PARAM"].nunique().eq(1).all()  # one PARAM per PARAMCD


def test_tests_sharing_a_letter_are_refused():
    is_ = _is([("A", "2024-01-09", "NEGATIVE", None)])
    two = pd.concat([is_, is_.assign(ISTESTCD="ADA_BXX", ISSEQ=2)], ignore_index=True)
    ada = pd.DataFrame({"USUBJID": ["A"], "ISTESTCD": ["ADA_BAB"], "NPOST": [0],
                        "BASEPOS": [False], "TI": [False], "TB": [False], "TE": [False],
                        "PERSIST": [None]})
    with pytest.raises(InputError, match="share a PARAMCD letter"):
        derive_adab(two, ada, _adsl(["A"]))


def test_example_adab_against_is_by_hand(tmp_path_factory):
    """Every example subject's treatment-induced / -emergent status equals Shankar's rule
    applied with pandas to SDTM IS (the last sample on or before infusion is the baseline)."""
    _, frames = analysed(tmp_path_factory)
    ab, adsl = frames["ADAB"], frames["ADSL"]
    is_ = ab[ab["PARAMCD"] == "RESULTB"].copy()
    pos = is_["AVALC"] == "POSITIVE"
    base = is_[is_["ABLFL"] == "Y"].set_index("USUBJID")["AVALC"].eq("POSITIVE")
    post_pos = is_[pos & (is_["AFRLT"] > 0)].groupby("USUBJID").size()
    for u in adsl.loc[adsl["SAFFL"] == "Y", "USUBJID"]:
        if u not in set(is_["USUBJID"]):
            continue
        induced = not base.get(u, False) and post_pos.get(u, 0) > 0
        got = _status(ab, "INDUCDB")[u]
        assert got == ("Y" if induced else "N"), u
    assert set(_status(ab, "INDUCDB").values()) == {"Y", "N"}  # the example has both
