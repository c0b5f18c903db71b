"""Tables 14.5.1-14.5.5 from the ADaM datasets alone (issue #22 point 4).

Outside references: hand-worked cases (geometric mean and CV of two values; persistence at a
landmark with a sample not done and one below the LLOQ; Shankar 2014 categories counted by hand)
and Clopper-Pearson limits in closed form (x = 0: upper 1 - (alpha/2)^(1/n); x = n: lower
(alpha/2)^(1/n); Clopper & Pearson, Biometrika 1934). The tables built from the ADaM CSV files
of the analysed example are compared with the tables the report displayed (the pipeline's own
output: a regression test), and the summaries from ADaM with the kinetics engine's frames (the
code against itself, said so).
"""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest

from cartrial.protocol import load_protocol
from cartrial.report.kinetics_adam import ada_status, kinetics_tables, sample_profiles
from cartrial.report.kinetics_items import kinetics_table_items
from tests.report._pipeline import analysed

PROTO = load_protocol("ct071")


def _adsl(n: int) -> pd.DataFrame:
    return pd.DataFrame({"USUBJID": [f"S{i}" for i in range(1, n + 1)], "SAFFL": "Y",
                         "TRT01AN": 1})


def _adpp(values: dict[str, float]) -> pd.DataFrame:
    rows = [(u, p, v) for u, per in values.items() for p, v in per.items()]
    d = pd.DataFrame(rows, columns=["USUBJID", "PPTESTCD", "AVAL"])
    return d.assign(PARCAT1="CARTCELL", PARCAT2="WHOLE BLOOD")


def test_geometric_mean_and_cv_by_hand():
    """Cmax 1 and 2: geometric mean sqrt(2) = 1.414; s = ln 2 / sqrt 2 = 0.490, CV = 100
    sqrt(exp(s^2) - 1) = 52.1 %; median 1.5 (hand)."""
    adpp = _adpp({"S1": {"CMAX": 1.0, "TLST": 30.0}, "S2": {"CMAX": 2.0, "TLST": 10.0}})
    adpc = pd.DataFrame({"USUBJID": ["S1", "S2"], "PARAMCD": "CARTCELL",
                         "PARCAT1": "WHOLE BLOOD", "AVAL": [1.0, 2.0], "AVALC": ["1", "2"],
                         "AFRLT": [30.0, 10.0]})
    t = kinetics_tables({"ADSL": _adsl(2), "ADPP": adpp, "ADPC": adpc}, PROTO)
    row = t.nca_summary.query("PARAMCD == 'CMAX' and DOSELVL == 'DL1'").iloc[0]
    assert row["geo_mean"] == pytest.approx(math.sqrt(2), rel=1e-12)
    assert row["geo_cv_pct"] == pytest.approx(52.11, abs=0.01)
    assert row["median"] == 1.5 and row["n"] == 2
    assert set(t.nca_summary["DOSELVL"]) == {"DL1", "ALL"}
    assert t.cytokine_summary_dose is None and t.ada_summary is None


def test_persistence_at_a_landmark_by_hand():
    """Month 1: window start 30.4375 - 7 = 23.4375 days (ct071). S1 quantifiable on day 28:
    detectable. S2 below the LLOQ on day 28: evaluable, not detectable. S3: its day-28 sample
    not done (no result) and nothing later: not evaluable. 1/2 detectable: 50 %, exact CI
    1 - sqrt(0.975) = 1.26 % to sqrt(0.975) = 98.74 % (closed form, x = 1, n = 2)."""
    adpc = pd.DataFrame({"USUBJID": ["S1", "S1", "S2", "S2", "S3", "S3"],
                         "PARAMCD": "CARTCELL", "PARCAT1": "WHOLE BLOOD",
                         "AVAL": [50.0, 8.0, 40.0, None, 30.0, None],
                         "AVALC": ["50", "8", "40", "<LLOQ", "30", None],
                         "AFRLT": [7.0, 28.0, 7.0, 28.0, 7.0, 28.0]})
    adpp = _adpp({u: {"CMAX": 1.0} for u in ("S1", "S2", "S3")})
    prof = sample_profiles(adpc, adpp, pd.Series({"S1": "DL1", "S2": "DL1", "S3": "DL1"}))
    assert prof["TLST"].tolist() == [28.0, 7.0, 7.0]
    assert prof["TLOBS"].tolist() == [28.0, 28.0, 7.0]
    t = kinetics_tables({"ADSL": _adsl(3), "ADPP": adpp, "ADPC": adpc}, PROTO)
    m1 = t.persistence_summary.query("month == 1 and DOSELVL == 'DL1'").iloc[0]
    assert (m1["n_evaluable"], m1["n_detectable"], m1["pct"]) == (2, 1, 50.0)
    assert m1["ci_low"] == pytest.approx(100 * (1 - math.sqrt(0.975)), rel=1e-9)
    assert m1["ci_high"] == pytest.approx(100 * math.sqrt(0.975), rel=1e-9)
    # the metadata's where-clauses select the same patients (report.ars_kinetics.persistence)
    from cartrial.report.ars_kinetics import persistence

    note = [f"... (month x {PROTO.endpoints.days_per_month:g} days) minus the "
            f"{PROTO.kinetics.persistence_window_days:g}-day window"]
    cell = persistence("CAR+ T cells by flow cytometry (cells/\u00b5L), whole blood: month 1, "
                       "n/N (%) [95% CI]", 0, None, {"footnotes": note})
    assert set(adpc.query(cell["denominator_where"], engine="python")["USUBJID"]) == \
        {"S1", "S2"}
    assert set(adpc.query(cell["where"], engine="python")["USUBJID"]) == {"S1"}


def test_ada_categories_by_hand():
    """Shankar 2014 statuses as ADAB states them: S1 treatment-induced and persistent, S2
    baseline positive and boosted (transient), S3 negative, S4 no post-infusion sample (not
    evaluable). Evaluable 3; treatment-emergent 2 (66.7 %); baseline positive 1."""
    rows = []
    status = {"S1": "NYNYYN", "S2": "YNYYNY", "S3": "NNNNNN", "S4": "NNNNNN"}
    names = ["BFLAGB", "INDUCDB", "ENHANCB", "EMERPOSB", "PERSADAB", "TRANADAB"]
    for u, yn in status.items():
        for p, v in zip(names, yn, strict=True):
            rows.append((u, p, v, "N" if u == "S4" else "Y"))
    ab = pd.DataFrame(rows, columns=["USUBJID", "PARAMCD", "AVALC", "ADPBLPFL"]).assign(
        PARCAT1="ADA_BAB", AVISIT="OVERALL")
    st = ada_status(ab)
    assert st["TE"].tolist() == [True, True, False, False]
    assert st["PERSIST"].tolist() == ["PERSISTENT", "TRANSIENT", None, None]
    adpp = _adpp({u: {"CMAX": 1.0} for u in status})
    adpc = pd.DataFrame(columns=["USUBJID", "PARAMCD", "PARCAT1", "AVAL", "AVALC", "AFRLT"])
    t = kinetics_tables({"ADSL": _adsl(4), "ADPP": adpp, "ADPC": adpc, "ADAB": ab}, PROTO)
    a = t.ada_summary.query("DOSELVL == 'ALL'").iloc[0]
    assert (a["n_evaluable"], a["n_te"], a["n_ti"], a["n_tb"], a["n_baseline_pos"]) == \
        (3, 2, 1, 1, 1)
    assert (a["n_persistent"], a["n_transient"]) == (1, 1)
    assert a["pct_te"] == pytest.approx(200 / 3)


def test_population_is_the_infused_patients():
    """A record of a patient outside ADSL.SAFFL never reaches a table (ARS population)."""
    adsl = _adsl(2).assign(SAFFL=["Y", None], TRT01AN=[1, None])
    adpp = _adpp({"S1": {"CMAX": 4.0}, "S2": {"CMAX": 9.0}})
    adpc = pd.DataFrame({"USUBJID": ["S1", "S2"], "PARAMCD": "CARTCELL",
                         "PARCAT1": "WHOLE BLOOD", "AVAL": [4.0, 9.0], "AVALC": ["4", "9"],
                         "AFRLT": [7.0, 7.0]})
    t = kinetics_tables({"ADSL": adsl, "ADPP": adpp, "ADPC": adpc}, PROTO)
    assert t.nca_summary.query("PARAMCD == 'CMAX'")["max"].tolist() == [4.0, 4.0]


def test_no_profiles_gives_empty_tables():
    """A trial without a kinetics sample: Tables 14.5.1 and 14.5.2 have no cell (no error)."""
    cols = ["USUBJID", "PARCAT1", "PARCAT2", "PPTESTCD", "AVAL"]
    ds = {"ADSL": _adsl(1), "ADPP": pd.DataFrame(columns=cols),
          "ADPC": pd.DataFrame(columns=["USUBJID", "PARAMCD", "PARCAT1", "AVAL", "AVALC",
                                        "AFRLT"])}
    items = kinetics_table_items(ds, PROTO)
    assert [(t.number, len(t.cells)) for t in items] == [("14.5.1", 0), ("14.5.2", 0)]


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    out = analysed(tmp_path_factory).out
    adam = {p.stem.upper(): pd.read_csv(p, keep_default_na=False, na_values=[""],
                                        low_memory=False)
            for p in sorted((out / "adam").glob("*.csv"))}
    return out, adam


def test_kinetics_tables_from_adam_files_alone(example):
    """Regression: the 14.5 tables built from the ADaM CSV files alone (no study, no engine
    result) show, cell by cell, the text the report displayed (its analysis results dataset
    holds every displayed cell)."""
    out, adam = example
    items = kinetics_table_items(adam, PROTO)
    assert [t.number for t in items] == ["14.5.1", "14.5.2", "14.5.3", "14.5.4", "14.5.5"]
    for t in items:
        stem = "table_" + t.number.replace(".", "_")
        doc = json.loads((out / "tables" / f"{stem}.ard.json").read_text(encoding="utf-8"))
        shown = {(r["row"], r["column"]): r["text"] for r in doc["results"]}
        cells = {(str(r).replace("\u200b", ""), str(c)): str(v) for r, c, v in
                 zip(t.cells["row"], t.cells["column"], t.cells["value"], strict=True)}
        assert cells == shown, t.number
        rendered = (out / "tables" / f"{stem}.txt").read_text(encoding="utf-8")
        assert all(v in rendered for v in cells.values()), t.number


def test_tables_read_only_the_variables_named(example):
    """Regression (issue #18: memory): kinetics_tables copies only the variables of
    ``_READ``; the example's ADaM datasets reduced to exactly those (ADSL whole) give the same
    tables, so none is missing from the list."""
    from cartrial.report.kinetics_adam import _READ

    _, adam = example
    full = kinetics_tables(adam, PROTO)
    reduced = {k: (v[list(_READ[k])] if k in _READ else v) for k, v in adam.items()}
    cut = kinetics_tables(reduced, PROTO)
    for name in ("nca", "nca_summary", "persistence_summary", "cytokine_summary_dose",
                 "ada_summary", "exposure_safety", "exposure_safety_tests"):
        pd.testing.assert_frame_equal(getattr(cut, name), getattr(full, name), obj=name)


def test_a_missing_variable_is_named_with_the_dataset_s_variables():
    """A dataset lacking a variable the tables read is handed on whole, so the error lists
    every variable the dataset has (as before the tables read only theirs)."""
    from cartrial.errors import InputError

    adpp = _adpp({"S1": {"CMAX": 1.0}}).drop(columns="PARCAT2").assign(EXTRA=1)
    adpc = pd.DataFrame({"USUBJID": ["S1"], "PARAMCD": "CARTCELL", "PARCAT1": "WHOLE BLOOD",
                         "AVAL": [1.0], "AVALC": ["1"], "AFRLT": [30.0]})
    with pytest.raises(InputError, match="PARCAT2.*present.*EXTRA"):
        kinetics_tables({"ADSL": _adsl(1), "ADPP": adpp, "ADPC": adpc}, PROTO)


def test_one_dataset_s_records_held_at_a_time(example, monkeypatch):
    """Issue #18 (memory): each dataset's population records are read when its summary is
    computed and freed before the next dataset's are read (they were all held together, 175
    MiB at 10,000 patients); the tables are those of the example (tested above)."""
    import weakref

    import cartrial.report.kinetics_adam as K

    _, adam = example
    read, alive_at_read = [], []
    take = K.population_records

    def spy(data, ids, variables):
        alive_at_read.append([n for n, r in read if r() is not None])
        out = take(data, ids, variables)
        read.append((variables, weakref.ref(out)))
        return out

    monkeypatch.setattr(K, "population_records", spy)
    kinetics_tables(adam, PROTO)
    assert len(read) == 5
    assert alive_at_read == [[]] * 5


def test_tables_made_a_few_subjects_at_a_time(example, monkeypatch):
    """Regression (issue #18: memory; code against itself): ADPP, ADPC and ADCYT pivoted
    three subjects at a time give the tables made from all records at once."""
    from functools import partial

    import cartrial.report.kinetics_adam as K
    from cartrial.report.subject_parts import made_by_subjects

    _, adam = example
    whole = kinetics_tables(adam, PROTO)
    monkeypatch.setattr(K, "made_by_subjects", partial(made_by_subjects, at=3))
    reads = []
    take = K.population_records
    monkeypatch.setattr(K, "population_records", lambda *a: reads.append(1) or take(*a))
    cut = kinetics_tables(adam, PROTO)
    assert len(reads) > 5  # batches read (the example's 20 patients: 5 reads at once)
    for name in whole.__dataclass_fields__:
        pd.testing.assert_frame_equal(getattr(cut, name), getattr(whole, name), obj=name)
