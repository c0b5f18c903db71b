"""The example writes the baseline disease characteristics (example/baseline.py) in the
documented places, from its own stream, and ADSL reads back the drawn truth."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.adam.adsl import derive_adsl
from cartrial.data import Study, data_model, load_study
from cartrial.example import write_example
from cartrial.example.baseline import FIRST_LINE
from tests.example.conftest import protocol, trial


def _study(t, path) -> Study:
    """The trial as a reader gets it: written, loaded and standardised (LBSTRESN, LBSTNRHI)."""
    write_example(t, path)
    return load_study(path)


def test_every_infused_patient_has_baseline_records_in_the_documented_domains():
    t = trial("default", 1)
    d = t.domains
    infused = set(d["EX"].loc[d["EX"]["EXCAT"] == "INVESTIGATIONAL PRODUCT", "USUBJID"])
    lb = d["LB"]
    for code in ("B2MICG", "LDH", "ALB"):
        assert set(lb.loc[lb["LBTESTCD"] == code, "USUBJID"]) == infused, code
    rs = d["RS"]
    assert set(rs["RSTESTCD"]) == {"ECOG101"} and set(rs["RSCAT"]) == {"ECOG"}
    assert set(rs["USUBJID"]) == infused
    prior = d["CM"][d["CM"]["CMCAT"] == "PRIOR ANTI-MYELOMA THERAPY"]
    assert prior["CMGRPID"].str.fullmatch(r"LINE \d").all()
    lines = prior.drop_duplicates(["USUBJID", "CMGRPID"])
    supp = d["SUPPCM"]
    assert len(supp) == len(lines)  # one refractoriness record per line
    assert set(zip(supp["USUBJID"], supp["IDVARVAL"], strict=True)) == set(
        zip(lines["USUBJID"], lines["CMGRPID"], strict=True))
    first = prior[prior["CMGRPID"] == "LINE 1"].groupby("USUBJID")["CMTRT"].apply(
        lambda s: tuple(sorted(s)))
    assert set(first) <= {tuple(sorted(r)) for r in FIRST_LINE}
    # every written variable and test code is in the data model (docs/data-model.md)
    model = data_model()
    assert "CMGRPID" in model.domains["CM"].optional
    assert {"B2MICG", "LDH"} <= set(model.tests["LB"]) and "ECOG101" in model.tests["RS"]
    assert "SUPPCM" in model.domains


def test_adsl_reads_back_the_drawn_truth(tmp_path):
    t = trial("default", 1)
    adsl = derive_adsl(_study(t, tmp_path), t.protocol).set_index("USUBJID")
    truth = t.truth["baseline"].set_index("USUBJID")
    a = adsl.loc[truth.index]
    assert np.allclose(a["B2MBL"], truth["b2m_mg_l"])
    assert np.allclose(a["LDHBL"], truth["ldh_u_l"])
    assert np.allclose(a["LDHULN"], truth["ldh_uln"])
    assert (a["ECOGBL"].astype(int).to_numpy() == truth["ecog"].to_numpy()).all()
    assert (a["PRLINES"].astype(int).to_numpy() == truth["prior_lines"].to_numpy()).all()
    # a patient with no refractory line cannot be triple-class refractory
    none = truth["refractory_lines"] == 0
    assert (a["TCREFFL"].to_numpy()[none.to_numpy()] != "Y").all()


def test_baseline_records_are_reproducible():
    """Regression test: the same seed gives the same baseline records (seeded draws)."""
    from cartrial.example import simulate_trial

    t1 = trial("default", 1)
    again = simulate_trial(protocol(), seed=1)
    for name in ("CM", "LB", "RS", "SUPPCM"):
        pd.testing.assert_frame_equal(again.domains[name], t1.domains[name])
    pd.testing.assert_frame_equal(again.truth["baseline"], t1.truth["baseline"])
