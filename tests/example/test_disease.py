"""The example's own IMWG 2016 categories and confirmation (cartrial.example.disease).

Cases from IMWG 2016 (Kumar S et al., Lancet Oncol 2016;17:e328-46): response categories,
progression
(progression from nadir), 4.4 (admiralonco confirmation examples) and section 5 (pPCL blood).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cartrial.example.disease import RANKS, confirm, imwg_category


def rows(values: list[dict], mdtype="SERUM", s0=30.0, u0=50.0, dflc0=200.0, ppcl=False,
         pb0=0.0, same=False) -> pd.DataFrame:
    """One assessment per row; separate patients unless ``same`` (then in time order)."""
    base = {"pat": 0, "mdtype": mdtype, "light": "KAPPA", "S": 10.0, "U": 10.0, "K": 100.0,
            "L": 8.0, "SIFE": True, "UIFE": True, "BM": 20.0, "CLON": True, "PB": np.nan,
            "ppcl": ppcl, "S0": s0, "U0": u0, "DFLC0": dflc0, "PB0": pb0}
    return pd.DataFrame([{**base, "pat": 0 if same else i, **v} for i, v in enumerate(values)])


def cats(df: pd.DataFrame) -> list[str]:
    return [RANKS[c] for c in imwg_category(df)]


def test_serum_bands():
    # 4.2: >= 90 % and urine < 100 = VGPR; >= 50 % PR; 25-49 % MR; else SD
    df = rows([{"S": 3.0}, {"S": 15.0}, {"S": 15.1}, {"S": 22.5}, {"S": 22.6}])
    assert cats(df) == ["VGPR", "PR", "MR", "MR", "SD"]


def test_ife_only_is_vgpr_and_negative_ife_with_marrow_is_cr():
    df = rows([{"S": 0.0, "U": 0.0}, {"S": 0.0, "U": 0.0, "SIFE": False, "UIFE": False,
                                      "BM": 2.0},
               {"S": 0.0, "U": 0.0, "SIFE": False, "UIFE": False, "BM": 2.0, "CLON": False,
                "K": 12.0, "L": 10.0},
               {"S": 0.0, "U": 0.0, "SIFE": False, "UIFE": False, "BM": 6.0}])
    assert cats(df) == ["VGPR", "CR", "sCR", "VGPR"]


def test_urine_only():
    # PR: >= 90 % or < 200 mg/24 h; VGPR: < 100 mg/24 h; MR: 50-89 %
    df = rows([{"U": 90.0}, {"U": 150.0}, {"U": 400.0}, {"U": 700.0}], mdtype="URINE", s0=0.0,
              u0=1000.0)
    assert cats(df) == ["VGPR", "PR", "MR", "SD"]


def test_flc_only_vgpr_boundary_inclusive():
    # FLC-only: dFLC decrease >= 90 % is VGPR (open decision, inclusive default); no MR
    df = rows([{"K": 28.0, "L": 8.0}, {"K": 28.1, "L": 8.0}, {"K": 108.0, "L": 8.0},
               {"K": 150.0, "L": 8.0}], mdtype="FLC", dflc0=200.0)
    assert cats(df) == ["VGPR", "PR", "PR", "SD"]


def test_serum_progression_from_nadir():
    # 4.3: >= 25 % and >= 5 g/L above the lowest value (baseline 30 -> nadir 10)
    df = rows([{"S": 10.0}, {"S": 14.9}, {"S": 15.0}], same=True)
    assert cats(df) == ["PR", "PR", "PD"]  # 14.9 g/L is still a 50.3 % reduction


def test_flc_progression_needs_more_than_100():
    # dFLC nadir 20 mg/L; +100 exactly is not PD (> 10 mg/dL), +100.1 is
    df = rows([{"K": 28.0, "L": 8.0}, {"K": 128.0, "L": 8.0}, {"K": 128.2, "L": 8.0}],
              mdtype="FLC", dflc0=200.0, same=True)
    assert cats(df)[1:] == ["SD", "PD"]


def test_ppcl_blood_plasma_cells():
    # section 5: blood PCs 1-5 % cap at PR, > 5 % at SD, +5 % absolute from nadir is PD
    df = rows([{"S": 3.0, "PB": 0.0}, {"S": 3.0, "PB": 4.0}, {"S": 3.0, "PB": 5.1}],
              ppcl=True, pb0=20.0)
    assert cats(df) == ["VGPR", "PR", "SD"]
    df = rows([{"S": 3.0, "PB": 0.0}, {"S": 3.0, "PB": 5.0}, {"S": 3.0, "PB": 5.1}],
              ppcl=True, pb0=20.0, same=True)
    assert cats(df) == ["VGPR", "PR", "PD"]


LABELS = RANKS + ["NE"]


@pytest.mark.parametrize(
    ("seq", "expected"),
    [  # confirmation examples of IMWG 2016 (as in the admiralonco vignette)
        (["CR", "VGPR"], "VGPR"), (["PR", "PD"], "SD"), (["PD", "PD"], "PD"),
        (["PD", "PR"], "NE"),                   # serum PD followed by non-PD: not confirmed
    ],
)
def test_confirmation(seq, expected):
    c = np.array([RANKS.index(s) for s in seq])
    conf, has_next = confirm(np.zeros(len(c), int), c)
    assert LABELS[conf[0]] == expected
    assert not has_next[-1]


def test_last_assessment_unconfirmed():
    # a response without a confirming assessment counts as SD; an unconfirmed PD is NE
    conf, _ = confirm(np.array([0, 1]), np.array([1, 6]))
    assert [LABELS[c] for c in conf] == ["SD", "NE"]


def test_ppcl_response_must_persist_six_weeks():
    # section 5: serological response maintained >= 6 weeks; the stretch runs to the first
    # assessment >= 42 days later and its worst category is the confirmed one
    cat = np.array([RANKS.index(s) for s in ["VGPR", "VGPR", "PR", "VGPR"]])
    day = np.array([28, 56, 90, 120])
    conf, _ = confirm(np.zeros(4, int), cat, day, np.full(4, 42))
    assert [LABELS[c] for c in conf] == ["PR", "PR", "SD", "SD"]
    conf, _ = confirm(np.zeros(4, int), cat, day, np.zeros(4))
    assert [LABELS[c] for c in conf] == ["VGPR", "PR", "PR", "SD"]
