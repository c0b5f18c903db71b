"""The ADaM datasets of the analysed example compared with the engines' own results, the files
(CSV, XPT v5 labels, define.html) and byte-identical reruns."""

from __future__ import annotations

import filecmp
from datetime import datetime

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from numpy.testing import assert_allclose

from cartrial.adam import DATASETS, variable_label
from cartrial.data import load_study
from cartrial.efficacy.sdtm import efficacy_from_study
from cartrial.kinetics.analysis import analyse_kinetics
from cartrial.protocol import load_protocol
from cartrial.report.pipeline import run_analysis
from cartrial.safety.analysis import analyse_safety
from cartrial.safety.sdtm import safety_inputs
from tests.report._pipeline import RUN_DATE, analysed

P = load_protocol("ct071")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return analysed(tmp_path_factory)


@pytest.fixture(scope="module")
def study(run):
    return load_study(run.out.parent / "sdtm")


def _csv(run, name: str) -> pd.DataFrame:
    return pd.read_csv(run.out / "adam" / f"{name.lower()}.csv", keep_default_na=False,
                       na_values=[""])


def test_adsl_populations_match_the_safety_engine(run, study):
    safety = analyse_safety(safety_inputs(study, P), P)
    adsl = _csv(run, "ADSL").set_index("USUBJID")
    p = safety.dlt.patients.set_index("USUBJID")
    ev = adsl.loc[p.index, "DLTEVLFL"].eq("Y").to_numpy()
    assert np.array_equal(ev, p["DLT_EVALUABLE"].to_numpy(dtype=bool))
    assert np.array_equal(adsl.loc[p.index, "DLTFL"].eq("Y").to_numpy(), (p["DLT"] == "yes"))
    # the safety population is exactly the patients the engine adjudicated
    assert set(adsl.index[adsl["SAFFL"] == "Y"]) == set(p.index)


def test_adtte_matches_the_efficacy_engine(run, study):
    eff, imwg, _ = efficacy_from_study(study, P)
    adtte = _csv(run, "ADTTE")
    m = adtte.merge(eff.tte, on=["USUBJID", "PARAMCD"], suffixes=("", "_E"))
    assert len(m) == len(eff.tte) == len(adtte)
    assert_allclose(m["AVAL"], m["AVAL_E"])
    assert (m["CNSR"] == m["CNSR_E"]).all()
    # CNSR 0 = event: every event has an event description, every censored time a reason
    assert (adtte.loc[adtte["CNSR"] == 0, "EVNTDESC"].str.len() > 0).all()
    assert (adtte.loc[adtte["CNSR"] > 0, "CNSDTDSC"].str.len() > 0).all()
    # ADRS best response equals the engine's BOR for every infused subject
    cbor = _csv(run, "ADRS").query("PARAMCD == 'CBOR'").set_index("USUBJID")["AVALC"]
    bor = imwg.subjects.set_index("USUBJID")["BOR"].reindex(cbor.index).fillna("NE")
    assert (cbor == bor).all()


def test_adpp_matches_the_kinetics_engine(run, study):
    kin = analyse_kinetics(study.domains, P)
    adpp = _csv(run, "ADPP")
    cmax = adpp[adpp["PARAMCD"] == "TCMAX"]  # transgene (CARTRNSG) Cmax in whole blood
    assert set(cmax["PARCAT1"]) == {"CARTRNSG"}
    ref = kin.nca[kin.nca["PCTESTCD"] == "CARTRNSG"]
    m = cmax.merge(ref, left_on=["USUBJID", "PARCAT2"], right_on=["USUBJID", "PCSPEC"])
    assert len(m) == len(ref)
    assert_allclose(m["AVAL"], m["CMAX"], rtol=1e-9)


def test_adpc_is_the_pc_domain_in_time_from_infusion(run, study):
    """ADPC keeps every PC record (traceable by SRCSEQ) with AVAL = PCSTRESN, and its actual
    time from infusion equals the kinetics engine's own time of the same record."""
    adpc = _csv(run, "ADPC")
    pc = study["PC"]
    assert len(adpc) == len(pc)
    m = adpc.merge(pc, left_on=["USUBJID", "SRCSEQ"], right_on=["USUBJID", "PCSEQ"])
    assert len(m) == len(pc) and (m["PARAMCD"] == m["PCTESTCD"]).all()
    assert_allclose(m["AVAL"], pd.to_numeric(m["PCSTRESN"]), rtol=1e-12, equal_nan=True)
    from cartrial.kinetics.sdtm import infusions, pc_profiles
    prof = pc_profiles(pc, infusions(study["EX"], P, study["DM"]))
    t = m.merge(prof, on=["USUBJID", "PCSEQ"])
    assert len(t) == len(prof)
    assert_allclose(t["AFRLT"], t["time_days"])
    # nominal DAY n is n days after the infusion (day 0): actual within the visit window
    assert (t["AFRLT"] - t["NFRLT"]).abs().max() <= 7


def test_adcyt_one_code_per_cytokine_parameter(run, study):
    kin = analyse_kinetics(study.domains, P)
    adcyt = _csv(run, "ADCYT")
    pairs = adcyt[["PARAMCD", "PARAM"]].drop_duplicates()
    assert pairs["PARAMCD"].is_unique and pairs["PARAM"].is_unique
    il6 = adcyt[adcyt["PARAMCD"] == "IL6PK"].set_index("USUBJID")["AVAL"]
    ref = kin.cytokines[kin.cytokines["CYTOKINE"] == "IL6"].set_index("USUBJID")["PEAK"]
    assert_allclose(il6.sort_index(), ref.reindex(il6.index).sort_index(), equal_nan=True)


def test_xpt_v5_with_labels(run):
    for name in DATASETS:
        path = run.out / "adam" / f"{name.lower()}.xpt"
        df, meta = pyreadstat.read_xport(str(path))
        csv = _csv(run, name)
        assert list(df.columns) == list(csv.columns)
        assert len(df) == len(csv)
        labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
        assert all(len(v) <= 40 and v.isascii() for v in labels.values())
        assert labels["USUBJID"] == variable_label("USUBJID") == "Unique Subject Identifier"
        assert meta.table_name == name
        assert path.read_bytes()[:80].startswith(b"HEADER RECORD*******LIBRARY HEADER RECORD")
    define = (run.out / "adam" / "define.html").read_text()
    for name in DATASETS:
        assert f'id="{name}"' in define


def test_same_inputs_same_outputs(run, tmp_path):
    again = run_analysis(run.out.parent / "sdtm", "ct071", tmp_path / "again",
                         run_date=RUN_DATE)
    for sub in ("adam", "tables", "figures"):
        a, b = run.out / sub, again.out / sub
        names = sorted(p.name for p in a.iterdir())
        assert names == sorted(p.name for p in b.iterdir())
        _, mismatch, errors = filecmp.cmpfiles(a, b, names, shallow=False)
        assert mismatch == [] and errors == []
    assert (run.out / "report.html").read_bytes() == (again.out / "report.html").read_bytes()
    # every table also as DOCX and as RTF for regulatory documents
    docx = sorted(p.stem for p in (run.out / "tables").glob("table_*.docx"))
    assert docx and sorted(p.stem for p in (run.out / "tables").glob("table_*.rtf")) == docx


def test_report_records_provenance(run, study):
    html = run.report.read_text()
    assert "cartrial version" in html and RUN_DATE.strftime("%Y-%m-%d %H:%M:%S") in html
    assert study.data_hash in html
    assert isinstance(RUN_DATE, datetime)


def test_text_values_held_once(tmp_path_factory):
    """Regression (issue #18: memory): in the datasets ``analyze`` hands to the writers
    (but ADSL), every text column holds one object per distinct value (pandas makes a new
    string per row on string arithmetic or ``np.where``: millions of copies at 10,000
    patients); columns of other values keep their objects (``share_repeats``)."""
    from tests.adam._analysed import analysed as analysed_frames

    _, frames = analysed_frames(tmp_path_factory)
    checked = 0
    for name, df in frames.items():
        if name == "ADSL":
            continue
        for col in df.columns:
            v = df[col].to_numpy()
            if df[col].dtype != object or pd.api.types.infer_dtype(v, skipna=True) != "string":
                continue
            text = [x for x in v if isinstance(x, str)]
            assert len({id(x) for x in text}) == len(set(text)), (name, col)
            checked += len(text) > len(set(text))
    assert checked > 20  # many columns repeat values in the example
