"""The IMWG steps as their own modules, each on hand-worked values from the criteria's text.

Kumar S et al., Lancet Oncol 2016;17:e328-46: PR is a >= 50 % serum M-protein reduction, VGPR
>= 90 %; progression a >= 25 % increase from the lowest confirmed value with an absolute
increase >= 0.5 g/dL (serum) or >= 200 mg/24 h (urine). Each expected value is worked by hand.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.efficacy.imwg_levels import (
    RANK,
    DiseaseType,
    reductions,
    response_category,
)
from cartrial.efficacy.imwg_progression import progression, running_nadir
from cartrial.protocol.model import ImwgSettings


def _serum(spep: list[float], base: float = 2.0) -> pd.DataFrame:
    n = len(spep)
    return pd.DataFrame({
        "USUBJID": "S1", "SPEP": spep, "UPEP": np.nan, "KAPPA": np.nan, "LAMBDA": np.nan,
        "BMPC": np.nan, "SPD": np.nan, "PBPC": np.nan, "SIFE": "POSITIVE", "UIFE": None,
        "IFEINTF": np.nan, "BMPC_USED": np.nan, "BMCLONAL_USED": np.nan, "NEWLES": np.nan,
        "FLCINV": None, "MDTYPE": "SERUM", "ANL01FL": "Y",
        "B_SPEP": base, "B_UPEP": np.nan, "B_KAPPA": np.nan, "B_LAMBDA": np.nan,
        "B_BMPC": np.nan, "B_SPD": np.nan, "B_PBPC": np.nan}, index=range(n))


def test_serum_reductions_at_the_printed_boundaries_are_inclusive():
    # 2.0 -> 1.0 g/dL is exactly 50 % (PR); 2.0 -> 0.2 exactly 90 % (VGPR); 2.0 -> 1.02 is 49 %
    # (MR: >= 25 %); 2.0 -> 1.6 is 20 % (SD)
    p = _serum([1.0, 0.2, 1.02, 1.6])
    r = reductions(p)
    assert np.allclose(p["PCHG_SPEP"], [-50.0, -90.0, -49.0, -20.0])
    k = DiseaseType.of(p["MDTYPE"])
    level, _ = response_category(p, r, k, pd.Series(False, index=p.index), ImwgSettings())
    assert level.tolist() == [RANK["PR"], RANK["VGPR"], RANK["MR"], RANK["SD"]]


def test_progression_needs_25_percent_and_half_a_gram_over_the_nadir():
    # baseline 2.0; nadir 1.0 at the first assessment; +0.3 (30 %, < 0.5 g/dL): no PD;
    # +0.5 (50 % and 0.5 g/dL, inclusive): PD by the laboratory
    p = _serum([1.0, 1.3, 1.5])
    reductions(p)   # adds DFLC and B_DFLC, as classify_assessments does
    k = DiseaseType.of(p["MDTYPE"])
    prog = progression(p, k, pd.Series(False, index=p.index), ImwgSettings())
    assert prog.any.tolist() == [False, False, True]
    assert p["N_SPEP"].tolist() == [2.0, 1.0, 1.0]
    assert p["PDTYPE"].tolist() == [None, None, "LAB"]
    strict = _serum([1.0, 1.5])
    reductions(strict)
    prog = progression(strict, DiseaseType.of(strict["MDTYPE"]),
                       pd.Series(False, index=strict.index),
                       ImwgSettings(pd_absolute_inclusive=False))
    assert prog.any.tolist() == [False, False]   # > 0.5 g/dL required: 0.5 is not enough


def test_the_nadir_ignores_assessments_not_used():
    v = pd.DataFrame({"SPEP": [1.0, np.nan, 3.0]})   # the second one after new therapy
    nad = running_nadir(v, pd.DataFrame({"SPEP": [2.0] * 3}), pd.Series(["A"] * 3))
    assert nad["SPEP"].tolist() == [2.0, 1.0, 1.0]


def test_a_baseline_without_a_measurement_column_is_named_not_a_key_error():
    """A baseline frame lacking a parameter IMWG reads is an InputError naming it (was a raw
    KeyError)."""
    import pytest

    from cartrial.efficacy.imwg_levels import measurable_disease
    from cartrial.errors import InputError

    b = pd.DataFrame({"USUBJID": ["01"], "SPEP": [1.2], "UPEP": [0.0], "KAPPA": [2.0],
                      "LAMBDA": [1.0], "BMPC": [40.0], "SPD": [0.0]})
    with pytest.raises(InputError, match=r"IMWG baseline: missing column\(s\) \['PBPC'\]"):
        measurable_disease(b)
