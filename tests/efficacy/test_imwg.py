"""IMWG 2016 derivation: hand-worked histories for every category, boundary and confirmation rule.

References are to IMWG 2016 (Kumar S et al., Lancet Oncol 2016;17:e328-46): measurable disease,
response categories, progression, confirmation (admiralonco adrs_imwg vignette examples), relapse.
Units: serum M-protein g/dL, urine mg/24 h, FLC mg/dL, marrow %.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cartrial.efficacy import derive_imwg_response, measurable_disease
from cartrial.efficacy.imwg import classify_assessments
from cartrial.errors import RecordError
from cartrial.protocol.model import ImwgSettings

from ._imwg_helpers import D0, frame, history

NEG = {"SIFE": "NEGATIVE", "UIFE": "NEGATIVE"}


def one_visit(baseline: dict, visit: dict, s: ImwgSettings | None = None) -> str:
    """Unconfirmed response of a single post-baseline assessment."""
    r = derive_imwg_response(frame(history("S1", [dict(baseline), dict(visit)])), settings=s)
    return r.assessments["AVALC"].iloc[0]


# --- measurable disease, strict hierarchy ---------------------------------------------
@pytest.mark.parametrize(
    ("baseline", "expected"),
    [
        ({"SPEP": 1.0, "UPEP": 100}, "SERUM"),  # serum >= 1.0 g/dL (boundary inclusive)
        ({"SPEP": 0.99, "UPEP": 200}, "URINE"),  # urine >= 200 mg/24 h (boundary)
        ({"SPEP": 2.0, "UPEP": 250}, "SERUM_URINE"),
        ({"SPEP": 0.5, "UPEP": 199, "KAPPA": 10.0, "LAMBDA": 1.0}, "FLC"),  # involved 10 mg/dL
        ({"SPEP": 0.5, "KAPPA": 9.99, "LAMBDA": 1.0, "BMPC": 40}, "MARROW"),
        ({"SPEP": 0.5, "KAPPA": 12.0, "LAMBDA": 8.0, "BMPC": 29}, "NONE"),  # ratio 1.5 normal
        ({"SPEP": 0.5, "KAPPA": 1.0, "LAMBDA": 12.0}, "FLC"),  # lambda involved, ratio 0.083
        ({"SPEP": 0.2, "SPD": 400.0}, "PLASMACYTOMA"),
    ],
)
def test_measurable_disease_hierarchy(baseline, expected):
    df = frame(history("S1", [dict(baseline), {"SPEP": 0.1}]))
    r = derive_imwg_response(df)
    assert r.subjects["MDTYPE"].iloc[0] == expected


def test_measurable_disease_function_reports_involved_chain():
    b = pd.DataFrame(
        {
            "USUBJID": ["A"],
            "SPEP": [0.1],
            "UPEP": [10.0],
            "KAPPA": [1.0],
            "LAMBDA": [30.0],
            "BMPC": [np.nan],
            "SPD": [np.nan],
            "PBPC": [np.nan],
        }
    )
    out = measurable_disease(b)
    assert out["FLCINV"].iloc[0] == "LAMBDA" and out["MDTYPE"].iloc[0] == "FLC"


# --- categories, serum-measurable (baseline 2.0 g/dL, urine not measurable) -------------
SERUM_BL = {"SPEP": 2.0, "UPEP": 50.0}


@pytest.mark.parametrize(
    ("visit", "expected"),
    [
        ({"SPEP": 1.0, "UPEP": 40}, "PR"),  # exactly 50 % reduction
        ({"SPEP": 1.01, "UPEP": 40}, "MR"),  # 49.5 %
        ({"SPEP": 1.5, "UPEP": 40}, "MR"),  # exactly 25 %
        ({"SPEP": 1.51, "UPEP": 40}, "SD"),  # 24.5 %
        ({"SPEP": 0.2, "UPEP": 40}, "VGPR"),  # exactly 90 % and urine < 100
        ({"SPEP": 0.2, "UPEP": 100}, "PR"),  # 90 % but urine 100 is not < 100
        ({"SPEP": 0.21, "UPEP": 40}, "PR"),  # 89.5 %
        ({"SPEP": 0.0, "UPEP": 0, "SIFE": "POSITIVE", "UIFE": "NEGATIVE"}, "VGPR"),  # IFE only
        ({"SPEP": 0.0, "UPEP": 0, **NEG, "BMPC": 4.9}, "CR"),
        ({"SPEP": 0.0, "UPEP": 0, **NEG, "BMPC": 5.0}, "VGPR"),  # CR needs < 5 %
        ({"SPEP": 0.0, "UPEP": 0, **NEG}, "VGPR"),  # no marrow: missing data downgrade
        ({"SPEP": 0.0, "UPEP": 0, "SIFE": "NEGATIVE", "BMPC": 1}, "VGPR"),  # no urine IFE
        (
            {
                "SPEP": 0.0,
                "UPEP": 0,
                **NEG,
                "BMPC": 1,
                "KAPPA": 1.0,
                "LAMBDA": 1.0,
                "BMCLONAL": "N",
            },
            "sCR",
        ),
        (
            {
                "SPEP": 0.0,
                "UPEP": 0,
                **NEG,
                "BMPC": 1,
                "KAPPA": 2.0,
                "LAMBDA": 1.0,
                "BMCLONAL": "N",
            },
            "CR",  # ratio 2.0 abnormal: not sCR
        ),
        (
            {
                "SPEP": 0.0,
                "UPEP": 0,
                **NEG,
                "BMPC": 1,
                "KAPPA": 1.0,
                "LAMBDA": 1.0,
                "BMCLONAL": "Y",
            },
            "CR",  # clonal cells: not sCR
        ),
        ({"UPEP": 40}, "NE"),  # serum not measured: not evaluable
    ],
)
def test_serum_categories_and_boundaries(visit, expected):
    assert one_visit(SERUM_BL, visit) == expected


@pytest.mark.parametrize(
    ("visit", "expected"),
    [
        ({"SPEP": 0.8, "UPEP": 50}, "PR"),  # urine 90 % reduction (500 -> 50)
        ({"SPEP": 0.8, "UPEP": 199}, "PR"),  # urine < 200
        ({"SPEP": 0.8, "UPEP": 250}, "MR"),  # serum 60 %, urine only 50 %: MR
        ({"SPEP": 1.5, "UPEP": 250}, "MR"),  # serum 25 %, urine 50 %
        ({"SPEP": 1.5, "UPEP": 251}, "SD"),  # urine 49.8 %
        ({"SPEP": 0.2, "UPEP": 99}, "VGPR"),
        ({"SPEP": 0.8}, "SD"),  # urine followed but missing: cannot be PR
    ],
)
def test_serum_and_urine_measurable(visit, expected):
    assert one_visit({"SPEP": 2.0, "UPEP": 500.0}, visit) == expected


@pytest.mark.parametrize(
    ("upep", "expected"), [(99, "VGPR"), (150, "PR"), (50, "VGPR"), (250, "MR"), (251, "SD")]
)
def test_urine_only(upep, expected):
    # baseline 500 mg/24 h: 150 -> < 200 (PR); 250 -> 50 % (MR); VGPR needs < 100
    assert one_visit({"SPEP": 0.5, "UPEP": 500.0}, {"SPEP": 0.5, "UPEP": upep}) == expected


FLC_BL = {"SPEP": 0.2, "UPEP": 20.0, "KAPPA": 51.0, "LAMBDA": 1.0}  # dFLC 50


@pytest.mark.parametrize(
    ("kappa", "inclusive", "expected"),
    [
        (6.0, True, "VGPR"),  # dFLC 5: exactly 90 % decrease, inclusive default
        (6.0, False, "PR"),  # "> 90 %" reading
        (5.9, False, "VGPR"),
        (26.0, True, "PR"),  # exactly 50 %
        (26.1, True, "SD"),  # no MR for FLC-only disease
    ],
)
def test_flc_only_vgpr_boundary_setting(kappa, inclusive, expected):
    s = ImwgSettings(vgpr_dflc_inclusive=inclusive)
    visit = {"SPEP": 0.1, "UPEP": 10.0, "KAPPA": kappa, "LAMBDA": 1.0}
    assert one_visit(FLC_BL, visit, s) == expected


def test_flc_only_cr_needs_normal_ratio():
    visit = {"SPEP": 0.0, "UPEP": 0.0, "KAPPA": 3.0, "LAMBDA": 1.0, **NEG, "BMPC": 2}
    assert one_visit(FLC_BL, visit) == "VGPR"  # ratio 3.0 abnormal
    visit.update(KAPPA=1.5)
    assert one_visit(FLC_BL, visit) == "CR"  # ratio 1.5 normal


@pytest.mark.parametrize(("bmpc", "expected"), [(20, "PR"), (20.5, "SD"), (4, "PR")])
def test_marrow_only(bmpc, expected):
    # baseline BMPC 40 % (>= 30): PR = >= 50 % reduction; no IFE -> 4 % is PR, not CR
    assert one_visit({"SPEP": 0.1, "BMPC": 40.0}, {"SPEP": 0.1, "BMPC": bmpc}) == expected


def test_plasmacytoma_must_shrink_for_pr_and_vanish_for_cr():
    bl = {"SPEP": 2.0, "UPEP": 10.0, "SPD": 400.0}
    assert one_visit(bl, {"SPEP": 0.8, "UPEP": 10, "SPD": 200.0}) == "PR"
    assert one_visit(bl, {"SPEP": 0.8, "UPEP": 10, "SPD": 201.0}) == "SD"
    assert one_visit(bl, {"SPEP": 0.8, "UPEP": 10}) == "SD"  # SPD not measured
    full = {"SPEP": 0.0, "UPEP": 0, **NEG, "BMPC": 1}
    assert one_visit(bl, {**full, "SPD": 100.0}) == "VGPR"
    assert one_visit(bl, {**full, "SPD": 0.0}) == "CR"


def test_ife_interference_flag_and_setting():
    visit = {
        "SPEP": 0.0,
        "UPEP": 0,
        "SIFE": "POSITIVE",
        "UIFE": "NEGATIVE",
        "BMPC": 1,
        "IFEINTF": "Y",
    }
    df = frame(history("S1", [dict(SERUM_BL), dict(visit)]))
    r = derive_imwg_response(df)
    assert r.assessments["AVALC"].iloc[0] == "VGPR"
    assert r.assessments["IFEINTFL"].iloc[0] == "Y"
    r2 = derive_imwg_response(df, settings=ImwgSettings(ife_interference="ignore_positive"))
    assert r2.assessments["AVALC"].iloc[0] == "CR"


# --- progression from the nadir -------------------------------------------------------
def _pd_after_nadir(nadir_visit: dict, visit: dict, baseline: dict, s=None) -> str:
    df = frame(history("S1", [dict(baseline), dict(nadir_visit), dict(visit)]))
    return derive_imwg_response(df, settings=s).assessments["AVALC"].iloc[1]


@pytest.mark.parametrize(
    ("value", "inclusive", "expected"),
    [(1.5, True, "PD"), (1.49, True, "PR"), (1.5, False, "PR"), (1.51, False, "PD")],
)
def test_serum_pd_absolute_boundary(value, inclusive, expected):
    # nadir 1.0 (from 4.0): +0.5 g/dL is also +50 %; ">= 0.5" default, "> 0.5" as option
    s = ImwgSettings(pd_absolute_inclusive=inclusive)
    bl = {"SPEP": 4.0, "UPEP": 10.0}
    got = _pd_after_nadir({"SPEP": 1.0, "UPEP": 10}, {"SPEP": value, "UPEP": 10}, bl, s)
    assert got == expected


def test_serum_pd_needs_25_percent_from_nadir():
    # nadir 3.0: +0.7 g/dL is only 23 %: not PD; +0.75 is 25 %: PD
    bl = {"SPEP": 7.0, "UPEP": 10.0}
    assert _pd_after_nadir({"SPEP": 3.0}, {"SPEP": 3.7}, bl) == "MR"
    assert _pd_after_nadir({"SPEP": 3.0}, {"SPEP": 3.75}, bl) == "PD"


def test_serum_pd_high_nadir_one_gram_suffices():
    # nadir 5.0 g/dL: +1.0 g/dL (20 %) is PD; +0.99 is not
    bl = {"SPEP": 12.0, "UPEP": 10.0}
    assert _pd_after_nadir({"SPEP": 5.0}, {"SPEP": 6.0}, bl) == "PD"
    assert _pd_after_nadir({"SPEP": 5.0}, {"SPEP": 5.99}, bl) == "PR"


@pytest.mark.parametrize(("upep", "expected"), [(300, "PD"), (299, "MR")])
def test_urine_pd_absolute_200(upep, expected):
    bl = {"SPEP": 0.5, "UPEP": 1000.0}
    assert _pd_after_nadir({"UPEP": 100.0}, {"UPEP": upep}, bl) == expected


@pytest.mark.parametrize(("kappa", "expected"), [(31.0, "PR"), (31.01, "PD")])
def test_dflc_pd_strictly_more_than_10(kappa, expected):
    # nadir dFLC 20 (kappa 21 / lambda 1); +10 mg/dL is not "> 10" (dFLC 30 of 60: PR)
    bl = {"SPEP": 0.2, "UPEP": 20.0, "KAPPA": 61.0, "LAMBDA": 1.0}
    got = _pd_after_nadir({"KAPPA": 21.0, "LAMBDA": 1.0}, {"KAPPA": kappa, "LAMBDA": 1.0}, bl)
    assert got == expected


def test_new_lesion_is_pd_without_confirmation():
    df = frame(history("S1", [dict(SERUM_BL), {"SPEP": 0.5, "NEWLES": "Y"}, {"SPEP": 0.5}]))
    r = derive_imwg_response(df)
    a = r.assessments
    assert a["AVALC"].tolist() == ["PD", "PR"]
    assert a["PDTYPE"].iloc[0] == "IMAGING" and a["CONFC"].iloc[0] == "PD"
    assert r.subjects["PDDT"].iloc[0] == D0 + pd.Timedelta(days=28)


def test_marrow_only_pd_is_not_confirmed():
    df = frame(history("S1", [{"BMPC": 40.0}, {"BMPC": 15.0}, {"BMPC": 25.0}]))
    a = derive_imwg_response(df).assessments
    assert a["AVALC"].tolist() == ["PR", "PD"]  # +10 points and +67 % from nadir 15
    assert a["CONFC"].tolist() == ["PR", "PD"]  # marrow results need no confirmation


# --- confirmation ----------------------------------------------------------------------
def _conf(values: list, s=None, subjects=None):
    visits = [dict(SERUM_BL)] + [
        v if isinstance(v, dict) else {"SPEP": v, "UPEP": 10} for v in values
    ]
    r = derive_imwg_response(frame(history("S1", visits)), subjects=subjects, settings=s)
    return r


CR_VISIT = {"SPEP": 0.0, "UPEP": 0, **NEG, "BMPC": 1}


def test_cr_then_vgpr_is_confirmed_vgpr():
    r = _conf([CR_VISIT, 0.1])
    assert r.assessments["AVALC"].tolist() == ["CR", "VGPR"]
    assert r.assessments["CONFC"].tolist()[0] == "VGPR"
    assert r.assessments["CONFC"].tolist()[1] == "SD"  # the last VGPR is unconfirmed
    assert r.subjects["BOR"].iloc[0] == "VGPR"


def test_pr_then_pd_is_sd():
    r = _conf([0.9, 1.5, 1.6])  # PR, then PD (+0.6, 67 % from 0.9), PD confirms
    assert r.assessments["CONFC"].tolist() == ["SD", "PD", "NE"]
    assert r.subjects["BOR"].iloc[0] == "SD"
    assert r.subjects["PDDT"].iloc[0] == D0 + pd.Timedelta(days=56)  # first of the two


def test_pd_date_setting():
    r = _conf([0.9, 1.5, 1.6])  # PD on day 56 confirmed on day 84
    assert r.assessments["CONFADT"].tolist()[1] == D0 + pd.Timedelta(days=84)
    assert r.subjects["PDDT"].iloc[0] == D0 + pd.Timedelta(days=56)
    r = _conf([0.9, 1.5, 1.6], s=ImwgSettings(pd_date="confirming"))
    assert r.subjects["PDDT"].iloc[0] == D0 + pd.Timedelta(days=84)
    # imaging PD needs no confirmation: its own date either way
    r = _conf([0.9, {"SPEP": 0.9, "NEWLES": "Y"}], s=ImwgSettings(pd_date="confirming"))
    assert r.subjects["PDDT"].iloc[0] == D0 + pd.Timedelta(days=56)


def test_pd_followed_by_non_pd_is_not_confirmed():
    r = _conf([0.9, 1.5, 0.9, 0.9])
    assert r.assessments["AVALC"].tolist() == ["PR", "PD", "PR", "PR"]
    assert r.assessments["CONFC"].tolist()[1] == "NE"
    assert pd.isna(r.subjects["PDDT"].iloc[0])
    assert r.subjects["BOR"].iloc[0] == "PR"


def test_ne_visits_are_skipped_when_confirming():
    r = _conf([0.9, {"UPEP": 10}, 0.9])  # PR, NE (no serum), PR
    assert r.assessments["AVALC"].tolist() == ["PR", "NE", "PR"]
    assert r.assessments["CONFC"].tolist()[0] == "PR"
    assert r.subjects["FRSPDT"].iloc[0] == D0 + pd.Timedelta(days=28)
    strict = ImwgSettings(skip_ne_when_confirming=False)
    r = _conf([0.9, {"UPEP": 10}, 0.9, 0.9], s=strict)
    assert r.assessments["CONFC"].tolist() == ["SD", "NE", "PR", "SD"]
    assert r.subjects["FRSPDT"].iloc[0] == D0 + pd.Timedelta(days=84)
    r = _conf([0.9, 1.5, {"UPEP": 10}, 1.6], s=strict)  # PD, NE, PD: PD not confirmed
    assert r.assessments["CONFC"].tolist()[1] == "NE"


def test_confirmation_window_setting():
    visits = [dict(SERUM_BL), {"SPEP": 0.9, "day": 28}, {"SPEP": 0.9, "day": 128}]
    df = frame(history("S1", visits))
    assert derive_imwg_response(df).subjects["BOR"].iloc[0] == "PR"
    s = ImwgSettings(confirmation_window_days=84)
    assert derive_imwg_response(df, settings=s).subjects["BOR"].iloc[0] == "SD"


def test_assessments_after_new_therapy_are_not_used():
    subjects = pd.DataFrame({"USUBJID": ["S1"], "NACTDT": [D0 + pd.Timedelta(days=60)]})
    r = _conf([0.9, 0.9, 0.9], subjects=subjects)  # days 28, 56, 84; new therapy day 60
    a = r.assessments
    assert a["ANL01FL"].tolist() == ["Y", "Y", None]
    assert a["CONFC"].tolist() == ["PR", "SD", "NE"]  # day 56 can no longer be confirmed
    assert r.subjects["LSTADT"].iloc[0] == D0 + pd.Timedelta(days=56)


def test_unconfirmed_pd_at_last_assessment_setting():
    # admiralonco adrs_imwg table: serum PD then nothing -> NE; PD then death due to PD -> PD
    r = _conf([0.9, 1.5])
    assert pd.isna(r.subjects["PDDT"].iloc[0])
    assert r.subjects["BOR"].iloc[0] == "SD"
    death = pd.DataFrame(
        {"USUBJID": ["S1"], "DTHDT": [D0 + pd.Timedelta(days=70)], "DTHPDFL": ["Y"]}
    )
    assert pd.isna(_conf([0.9, 1.5], subjects=death).subjects["PDDT"].iloc[0])  # default
    by_death = ImwgSettings(unconfirmed_pd_at_last_assessment="progression_if_pd_death")
    r = _conf([0.9, 1.5], s=by_death, subjects=death)
    assert r.subjects["PDDT"].iloc[0] == D0 + pd.Timedelta(days=56)
    other = death.assign(DTHPDFL=None)  # death from another cause does not confirm
    assert pd.isna(_conf([0.9, 1.5], s=by_death, subjects=other).subjects["PDDT"].iloc[0])
    always = ImwgSettings(unconfirmed_pd_at_last_assessment="progression")
    assert _conf([0.9, 1.5], s=always).subjects["PDDT"].iloc[0] == D0 + pd.Timedelta(days=56)


def test_relapse_from_cr():
    r = _conf([CR_VISIT, CR_VISIT, {**CR_VISIT, "SIFE": "POSITIVE"}, CR_VISIT])
    s = r.subjects.iloc[0]
    assert s["BOR"] == "CR"
    assert s["FCRDT"] == D0 + pd.Timedelta(days=28)
    assert s["RELCRDT"] == D0 + pd.Timedelta(days=84)  # IFE reappears: relapse, not PD
    assert pd.isna(s["PDDT"])


def test_marrow_result_carried_forward_for_cr():
    r = _conf([{"SPEP": 0.0, "UPEP": 0, **NEG, "BMPC": 2}, {"SPEP": 0.0, "UPEP": 0, **NEG}])
    assert r.assessments["AVALC"].tolist() == ["CR", "CR"]
    s = ImwgSettings(carry_forward_marrow=False)
    r = _conf([{"SPEP": 0.0, "UPEP": 0, **NEG, "BMPC": 2}, {"SPEP": 0.0, "UPEP": 0, **NEG}], s)
    assert r.assessments["AVALC"].tolist() == ["CR", "VGPR"]


# --- bad input (issue #6 item 8) -----------------------------------------------------------
def _bad(rows: list[dict]) -> pd.DataFrame:
    return frame(history("S9", rows))


def test_assessment_before_baseline_names_the_record():
    df = _bad([{"SPEP": 2.0, "day": 10}, {"SPEP": 1.0, "day": 5}])
    df["SRCDOM"] = "LB"
    df["SRCSEQ"] = [1, 2]
    with pytest.raises(RecordError, match=r"LB USUBJID=S9 LBSEQ=2 ADT=.*before the baseline"):
        derive_imwg_response(df)


def test_negative_m_protein_is_refused():
    with pytest.raises(RecordError, match=r"SPEP=-0.1.*>= 0"):
        derive_imwg_response(_bad([{"SPEP": 2.0}, {"SPEP": -0.1}]))


def test_flc_ratio_inconsistent():
    with pytest.raises(RecordError, match="FLCRATIO.*inconsistent"):
        derive_imwg_response(
            _bad([{"SPEP": 2.0, "KAPPA": 4.0, "LAMBDA": 2.0, "FLCRATIO": 0.5}, {"SPEP": 1.0}])
        )
    ok = _bad([{"SPEP": 2.0, "KAPPA": 4.0, "LAMBDA": 3.0, "FLCRATIO": 1.33}, {"SPEP": 1.0}])
    assert derive_imwg_response(ok).assessments["AVALC"].iloc[0] == "PR"  # rounded ratio ok


def test_ife_without_result():
    with pytest.raises(RecordError, match="immunofixation record without a result"):
        derive_imwg_response(_bad([{"SPEP": 2.0}, {"SPEP": 1.0, "SIFE": ""}]))
    with pytest.raises(RecordError, match="POSITIVE or NEGATIVE"):
        derive_imwg_response(_bad([{"SPEP": 2.0}, {"SPEP": 1.0, "SIFE": "TRACE"}]))


def test_missing_baseline():
    df = _bad([{"SPEP": 2.0}, {"SPEP": 1.0}])
    df["ABLFL"] = None
    with pytest.raises(RecordError, match="no baseline"):
        derive_imwg_response(df)


# --- properties (many subjects per call: the derivation is vectorised over subjects) --------
ORDER = ["PD", "SD", "MR", "PR", "VGPR", "CR", "sCR"]


@settings(max_examples=10, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(1.0, 8.0), st.floats(0.0, 10.0), st.floats(0.0, 10.0)),
        min_size=1,
        max_size=30,
    )
)
def test_lower_serum_value_never_gives_a_worse_response(cases):
    hs = []
    for k, (b, v1, v2) in enumerate(cases):
        lo, hi = sorted((v1, v2))
        hs.append(history(f"L{k}", [{"SPEP": b, "UPEP": 10.0}, {"SPEP": lo, "UPEP": 10.0}]))
        hs.append(history(f"H{k}", [{"SPEP": b, "UPEP": 10.0}, {"SPEP": hi, "UPEP": 10.0}]))
    a = derive_imwg_response(frame(*hs)).assessments.set_index("USUBJID")["AVALC"]
    for k in range(len(cases)):
        assert ORDER.index(a[f"L{k}"]) >= ORDER.index(a[f"H{k}"])


@settings(max_examples=10, deadline=None)
@given(st.lists(st.lists(st.floats(0.0, 4.0), min_size=1, max_size=8), min_size=1, max_size=20))
def test_bor_is_best_confirmed_and_confirmed_never_exceeds_observed(series):
    hs = [
        history(f"S{k}", [{"SPEP": 3.0, "UPEP": 10.0}] + [{"SPEP": v, "UPEP": 10.0} for v in vals])
        for k, vals in enumerate(series)
    ]
    r = derive_imwg_response(frame(*hs))
    a = r.assessments
    non_pd = a["AVALN"] != 1
    assert (a.loc[non_pd, "CONFN"] <= a.loc[non_pd, "AVALN"]).all()
    for _, subj in r.subjects.iterrows():
        rows = a[a["USUBJID"] == subj["USUBJID"]]
        if not pd.isna(subj["PDDT"]):
            rows = rows[rows["ADT"] <= subj["PDDT"]]
        assert subj["BORN"] == max(rows["CONFN"].max(), 0)


def test_subject_without_post_baseline_assessment_is_ne():
    df = frame(history("A", [dict(SERUM_BL), {"SPEP": 0.9}]), history("B", [dict(SERUM_BL)]))
    subj = derive_imwg_response(df).subjects.set_index("USUBJID")
    assert subj.loc["B", "BOR"] == "NE" and subj.loc["B", "NASSESS"] == 0
    assert subj.loc["A", "BOR"] == "SD"  # a single PR is unconfirmed


def _reference_confirmation(levels: list[int]) -> list[int]:
    """admiralonco adrs_imwg confirmation table, one patient, written as a plain loop (oracle).

    Levels: NE 0, PD 1, SD 2, MR 3, PR 4, VGPR 5, CR 6, sCR 7; NE assessments are skipped.
    """
    ev = [i for i, v in enumerate(levels) if v != 0]
    out = [0] * len(levels)
    for k, i in enumerate(ev):
        cur = levels[i]
        nxt = levels[ev[k + 1]] if k + 1 < len(ev) else None
        if cur == 1:
            out[i] = 1 if nxt == 1 else 0
        elif cur == 2:
            out[i] = 2
        elif nxt is None or nxt == 1:
            out[i] = 2
        else:
            out[i] = min(cur, nxt)
    return out


@settings(max_examples=10, deadline=None)
@given(
    st.lists(
        st.lists(st.one_of(st.none(), st.floats(0.0, 6.0)), min_size=1, max_size=10),
        min_size=1,
        max_size=25,
    )
)
def test_vectorised_confirmation_equals_plain_loop(series):
    hs = [
        history(
            f"S{k:02d}", [{"SPEP": 4.0, "UPEP": 10.0}] + [{"SPEP": v, "UPEP": 10.0} for v in vals]
        )
        for k, vals in enumerate(series)
    ]
    a = derive_imwg_response(frame(*hs)).assessments
    for _, g in a.groupby("USUBJID"):
        assert g["CONFN"].tolist() == _reference_confirmation(g["AVALN"].tolist())


def test_classified_rows_are_numbered_from_zero_whether_or_not_a_copy_is_made() -> None:
    """The post-baseline rows come from a merge, numbered 0..n-1 already and no longer copied
    to renumber them: the frame is numbered as before, with and without subject data."""
    a = pd.DataFrame({"USUBJID": ["02", "01", "01", "02"], "ABLFL": ["Y", "Y", None, None],
                      "ADT": pd.to_datetime(["2026-01-01", "2026-01-02", "2026-02-01",
                                             "2026-02-03"]), "SPEP": [2.0, 1.0, 0.4, 2.2]})
    subjects = pd.DataFrame({"USUBJID": ["01", "02"], "NACTDT": pd.NaT, "DTHDT": pd.NaT})
    for subj in (None, subjects):
        got = classify_assessments(a, subj)
        assert type(got.index) is pd.RangeIndex and got.index.tolist() == [0, 1]
        assert got["USUBJID"].tolist() == ["01", "02"]
        assert got["AVALC"].tolist() == ["PR", "SD"]
