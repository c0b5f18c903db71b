"""build_adam's ADAE with the safety engine's derived grades keyed on the AE records (issue
#18: ADAE was derived twice, the first time only for its USUBJID / AESEQ keys).

Regression tests: the reference is the replaced code, kept here (ADAE derived once without
grades, the grades keyed on it, ADAE derived again); the result must be the same frame, on the
example trial and on its AE records with a repeated key (which takes the replaced path)."""

from __future__ import annotations

import pandas as pd
import pytest

from cartrial.adam.adae import derive_adae
from cartrial.adam.adsl import derive_adsl
from cartrial.adam.build import _adae, derived_ae_grades
from cartrial.data import load_study
from cartrial.protocol import load_protocol
from cartrial.safety.analysis import analyse_safety
from cartrial.safety.sdtm import safety_inputs
from tests.report._pipeline import analysed

P = load_protocol("ct071")


@pytest.fixture(scope="module")
def parts(tmp_path_factory):
    study = load_study(analysed(tmp_path_factory).out.parent / "sdtm")
    safety = analyse_safety(safety_inputs(study, P), P, keep_labs=False, tables=False)
    return study["AE"], derive_adsl(study, P, dlt_patients=safety.dlt.patients), safety


def _reference(ae: pd.DataFrame, adsl: pd.DataFrame, safety) -> pd.DataFrame:  # noqa: ANN001
    first = derive_adae(ae, adsl, P)
    return derive_adae(ae, adsl, P, derived_grades=derived_ae_grades(first, safety))


def test_adae_equals_the_twice_derived_adae(parts) -> None:
    ae, adsl, safety = parts
    got = _adae(ae, adsl, P, safety)
    assert got["DTOXGRN"].notna().any()  # the example's CRS / ICANS records are graded
    pd.testing.assert_frame_equal(got, _reference(ae, adsl, safety), check_exact=True)


def test_a_repeated_key_takes_the_twice_derived_path(parts) -> None:
    ae, adsl, safety = parts
    crs = ae[ae["AEDECOD"] == "Cytokine release syndrome"].iloc[[0]]
    twice = pd.concat([ae, crs.assign(AESTDTC="2099-01-01")], ignore_index=True)
    pd.testing.assert_frame_equal(_adae(twice, adsl, P, safety),
                                  _reference(twice, adsl, safety), check_exact=True)


def test_without_the_safety_engine_no_derived_grade(parts) -> None:
    ae, adsl, _ = parts
    pd.testing.assert_frame_equal(_adae(ae, adsl, P, None), derive_adae(ae, adsl, P))
