"""Tables 14.4.1, 14.4.2, 14.4.3 and 14.4.4 built from the ADaM datasets alone (ADSL, ADRS,
ADTTE: no efficacy-engine result), equal to the tables the engine's own frames give.

This is a regression test (the code against itself: the ADaM path against the engine path on
the same simulated trial). The outside references of the numbers are elsewhere:
tests/report/test_ars_recompute.py recomputes every cell of these tables from the ADaM CSV files
with a script that does not import cartrial (scipy's beta quantiles, a numpy Kaplan-Meier checked
against R survfit, statsmodels survdiff / PHReg / SurvfuncRight, a numpy Aalen-Johansen checked by
hand), and tests/efficacy checks the estimators against R.
"""

from __future__ import annotations

from functools import cache

import pandas as pd
import pytest

from cartrial.adam import build_adam
from cartrial.data import load_study
from cartrial.efficacy.sdtm import efficacy_from_study, mrd_from_sdtm
from cartrial.example import simulate_trial, write_example
from cartrial.protocol import load_protocol
from cartrial.report import sections as S
from cartrial.report.dose_comparisons import table_dose_comparisons
from cartrial.report.section_items import efficacy_tables

SEED = 20240228


@cache
def _trial(root: str):
    proto = load_protocol("ct071")
    write_example(simulate_trial(proto, seed=SEED), f"{root}/sdtm")
    study = load_study(f"{root}/sdtm")
    res, imwg, _ = efficacy_from_study(study, proto)
    ds = build_adam(study, proto, imwg=imwg, efficacy=res, mrd=mrd_from_sdtm(study["LB"])
                    ).datasets
    adam = {k: ds[k] for k in ("ADSL", "ADRS", "ADTTE")}  # nothing else reaches the builders
    return proto, res, adam


@pytest.fixture(scope="module")
def trial(tmp_path_factory):
    return _trial(str(tmp_path_factory.mktemp("efficacy_adam")))


def _same(a, b) -> None:
    assert (a.number, a.title, a.population, a.footnotes, a.source) == (
        b.number, b.title, b.population, b.footnotes, b.source)
    pd.testing.assert_frame_equal(a.cells.reset_index(drop=True), b.cells.reset_index(drop=True))


def test_tables_from_adam_alone_equal_the_engine_frames(trial):
    proto, res, adam = trial
    notes = list(res.footnotes)
    got = {t.number: t for t in efficacy_tables(adam, proto, res.footnotes)}
    assert sorted(got) == ["14.4.1", "14.4.2", "14.4.3", "14.4.4"]
    _same(got["14.4.1"], S.table_response(res.rates, "14.4.1", "Leukapheresed "
                                          "(intent-to-treat), by dose level infused",
                                          [notes[0], notes[1]]))
    _same(got["14.4.2"], S.table_mrd(res.mrd, "14.4.2", [
        notes[-1], "n (%) [95% CI, Clopper-Pearson] of the patients in the denominator."]))
    _same(got["14.4.3"], S.table_tte(res.tte_summary, res.landmarks, "14.4.3", [
        notes[2], notes[3], "NR = not reached; NE = not estimable."]))
    _same(got["14.4.4"], table_dose_comparisons(
        res.tte, res.subjects.set_index("USUBJID")["DOSE"], proto.endpoints,
        list(proto.dose_ids), "14.4.4"))


def test_the_tables_read_the_adam_records(trial):
    """A responder's CBOR record removed from ADRS makes one fewer responder (NE) in 14.4.1;
    every OS record censored in ADTTE leaves no OS event in 14.4.3."""
    proto, res, adam = trial
    adrs = adam["ADRS"]
    cbor = adrs[(adrs["PARAMCD"] == "CBOR") & adrs["AVALC"].isin(["sCR", "CR", "VGPR", "PR"])]
    gone = {**adam, "ADRS": adrs.drop(index=cbor.index[:1])}
    orr = "Overall response (PR or better), n (%) [95% CI]"

    def overall(tables, row):
        c = tables[0].cells
        return c[(c["row"] == row) & c["column"].str.startswith("Overall")]["value"].iloc[0]

    before = overall(efficacy_tables(adam, proto, res.footnotes), orr)
    after = overall(efficacy_tables(gone, proto, res.footnotes), orr)
    assert int(after.split()[0]) == int(before.split()[0]) - 1
    tte = adam["ADTTE"].assign(CNSR=lambda d: d["CNSR"].where(d["PARAMCD"] != "OS", 1))
    t = efficacy_tables({**adam, "ADTTE": tte}, proto, res.footnotes)[2].cells
    ev = t[(t["row"] == "OS: events / censored") & (t["column"] == "Overall")]["value"].iloc[0]
    assert ev.startswith("0 / ")


def test_mrd_reads_only_its_variables(trial):
    """Regression (issue #18: memory): Table 14.4.2's rates from ADRS reduced to the
    variables mrd_from_adam names (MRD_VARIABLES) equal those from the whole ADRS, which it
    no longer copies (ADRS at 10,000 patients: +89 MiB)."""
    from cartrial.report.efficacy_adam import MRD_VARIABLES, mrd_from_adam

    proto, _, adam = trial
    doses = list(proto.dose_ids)
    full = mrd_from_adam(adam["ADSL"], adam["ADRS"], proto.endpoints, doses)
    cut = mrd_from_adam(adam["ADSL"], adam["ADRS"][MRD_VARIABLES], proto.endpoints, doses)
    assert len(full)
    pd.testing.assert_frame_equal(cut, full)
