"""Every table of the example report carries analysis-results metadata (CDISC ARS v1.0 in
spirit), and a script that knows nothing of cartrial (tools/recompute_tables.py: pandas, numpy,
scipy only) recomputes every count, percentage and Clopper-Pearson interval of the tables
described cell by cell from the ADaM CSV files ``cartrial analyze`` wrote, and finds the ARD values
(unrounded) and the numbers displayed in the rendered tables."""

from __future__ import annotations

import ast
import importlib.util
import json
import math
from pathlib import Path

import pandas as pd
import pytest

from tests.report._pipeline import analysed

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tools" / "recompute_tables.py"

# tables recomputed cell by cell from ADaM on the example
RECOMPUTED = {"14.1.1", "14.1.2", "14.1.3", "14.1.4", "14.2.3", "14.3.1", "14.3.1.1", "14.3.2",
              "14.3.3", "14.3.4", "14.3.5", "14.3.6", "14.3.6.1", "14.3.7", "14.3.7.1", "14.3.8",
              "14.3.9", "14.3.9.1", "14.3.10", "14.3.11", "14.3.12", "14.4.1", "14.4.2", "14.4.3",
              "14.4.4", "14.5.1", "14.5.2", "14.5.3", "14.5.4", "14.5.5", "14.6.1"}
# rows of those tables that no ADaM where-clause describes (a fragment of the row label), and why
NO_WHERE = {
    "Planned dose": "the protocol's dose of the planned level: a label, not a statistic",
}


def _script():
    spec = importlib.util.spec_from_file_location("recompute_tables", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    return analysed(tmp_path_factory).out


@pytest.fixture(scope="module")
def docs(out) -> dict[str, dict]:
    return {json.loads(p.read_text(encoding="utf-8"))["caption"]: json.loads(
        p.read_text(encoding="utf-8")) for p in sorted((out / "tables").glob("*.ard.json"))}


def test_script_imports_nothing_of_cartrial():
    """The script and its helpers (tools/recompute_safety.py, recompute_efficacy.py,
    recompute_dose.py) import only the standard library, numpy, pandas, scipy and statsmodels
    (and each other)."""
    for script in (SCRIPT, SCRIPT.with_name("recompute_safety.py"),
                   SCRIPT.with_name("recompute_efficacy.py"),
                   SCRIPT.with_name("recompute_dose.py")):
        tree = ast.parse(script.read_text(encoding="utf-8"))
        names = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import)
                 for a in n.names} | {n.module.split(".")[0] for n in ast.walk(tree)
                                      if isinstance(n, ast.ImportFrom) and n.module}
        assert names <= {"__future__", "json", "math", "sys", "decimal", "pathlib", "numpy",
                         "pandas", "scipy", "statsmodels", "recompute_safety",
                         "recompute_efficacy", "recompute_dose"}, (script.name, names)


def test_every_table_has_metadata_and_ard(tmp_path_factory, docs, out):
    summary = analysed(tmp_path_factory)
    assert set(docs) == set(summary.tables)
    for caption, doc in docs.items():
        a = doc["analysis"]
        assert a["id"] == f"AN{doc['table']}" and a["datasets"] is not None and a["where"] \
            is not None, caption
        if doc["kind"] == "table":
            assert a["method"] and ("population" in a) and ("grouping" in a), caption
            assert a["recomputable"] or a["reason"], caption
            stem = "table_" + doc["table"].replace(".", "_")
            csv = pd.read_csv(out / "tables" / f"{stem}.ard.csv", keep_default_na=False,
                              dtype=str)
            assert len(csv) == len(doc["results"]), caption
            assert csv["shown"].tolist() == [r["shown"] for r in doc["results"]], caption


def test_recomputable_tables_are_the_described_ones(docs):
    got = {d["table"] for d in docs.values() if d["analysis"].get("recomputable")}
    assert got == RECOMPUTED


def test_every_number_recomputed_from_adam_alone(docs, out):
    """The outside reference: counts by pandas on the ADaM CSV files, Clopper-Pearson limits by
    scipy.stats.beta, in a script that does not import cartrial."""
    mod = _script()
    adam = mod.read_adam(out / "adam")
    total = 0
    for doc in docs.values():
        if not doc["analysis"].get("recomputable"):
            continue
        done, diffs, skipped = mod.check_table(doc, adam)
        assert diffs == [], diffs
        rows = list(dict.fromkeys(s.split(" [", 1)[1].split(" | ")[0] for s in skipped))
        assert rows == doc["analysis"]["rows_not_recomputed"]
        # every number of every row recomputed, but the efficacy rows named in NO_WHERE
        assert all(any(k in r for k in NO_WHERE) for r in rows), (doc["table"], rows)
        total += done
    assert total > 800
    assert mod.main(str(out)) == 0


def test_ard_text_is_the_displayed_cell(docs, out):
    """Each ARD row's cell text is on the row's line of the rendered table (tables/*.txt)."""
    for doc in docs.values():
        if doc["kind"] != "table" or not doc["analysis"].get("recomputable"):
            continue
        lines = (out / "tables" / ("table_" + doc["table"].replace(".", "_") + ".txt")
                 ).read_text(encoding="utf-8").splitlines()
        for r in doc["results"]:
            row_lines = [ln for ln in lines if ln.strip().startswith(r["row"])]
            assert any(r["text"] in ln for ln in row_lines), (doc["table"], r["row"], r["text"])


def test_clopper_pearson_closed_form(docs):
    """x = n: the lower 95% limit is (alpha/2)^(1/n) (Clopper & Pearson, Biometrika 1934);
    x = 0: the upper limit is 1 - (alpha/2)^(1/n)."""
    doc = next(d for d in docs.values() if d["table"] == "14.4.1")
    checked = 0
    for r in doc["results"]:
        if r["statistic"] not in ("ci_low", "ci_high") or r["value_source"] != "ADaM":
            continue
        cell = [x for x in doc["results"] if x["row"] == r["row"] and x["column"] ==
                r["column"] and x["statistic"] == "n"][0]
        big = int(r["column"].split("(N=")[1].rstrip(")"))
        n = int(cell["value"])
        if n == big and r["statistic"] == "ci_low":
            assert r["value"] == pytest.approx(100 * 0.025 ** (1 / big), rel=1e-12)
            checked += 1
        if n == 0 and r["statistic"] == "ci_high":
            assert r["value"] == pytest.approx(100 * (1 - 0.025 ** (1 / big)), rel=1e-12)
            checked += 1
    assert checked >= 2


def test_ard_values_are_unrounded(docs):
    """A percentage in the ARD is 100 n / N, not the one-decimal number shown (e.g. 2/3)."""
    doc = next(d for d in docs.values() if d["table"] == "14.3.1")
    pct = [r for r in doc["results"] if r["statistic"] == "pct" and r["value"] not in (None,)]
    assert any(not math.isclose(r["value"], round(r["value"], 1)) for r in pct)


# R survival's aml data, maintained group (Miller RG, Survival Analysis, Wiley 1997): time in
# weeks, 0 = censored
AML_T = [9, 13, 13, 18, 23, 28, 31, 34, 45, 48, 161]
AML_E = [1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0]


def test_script_kaplan_meier_matches_r_survfit_aml():
    """R survival (Therneau TM), ``summary(survfit(Surv(time, status) ~ 1, data = aml,
    subset = x == "Maintained"))`` with its default log transform: S = 0.909, 0.818, 0.716,
    0.614, 0.491, 0.368, 0.184 at 9, 13, 18, 23, 31, 34, 48; 95% limits at 31 weeks 0.2549 and
    0.946; ``print`` gives median 31, 0.95LCL 18, 0.95UCL NA."""
    import numpy as np

    mod = _script()
    times, s, lo, hi = mod.kaplan_meier(np.array(AML_T, float), np.array(AML_E, bool), 0.95,
                                        "log")
    got = dict(zip(times.tolist(), s.tolist(), strict=True))
    for t, r in ((9, 0.909), (13, 0.818), (18, 0.716), (23, 0.614), (31, 0.491), (34, 0.368),
                 (48, 0.184)):
        assert round(got[t], 3) == r
    k = times.tolist().index(31)
    assert (round(lo[k], 4), round(hi[k], 3)) == (0.2549, 0.946)
    assert mod.first_at_half(times, s) == 31
    assert mod.first_at_half(times, lo) == 18
    assert math.isnan(mod.first_at_half(times, hi))


def test_script_quartiles_and_sd_match_r():
    """R: ``quantile(1:10, c(0.25, 0.75))`` = 3.25, 7.75 (type 7); ``sd(1:10)`` = 3.0276504;
    ``quantile(c(1, 2, 3, 4), 0.25)`` = 1.75."""
    import numpy as np

    mod = _script()
    v = np.arange(1, 11, dtype=float)
    assert mod.quantile7(v, 0.25) == 3.25 and mod.quantile7(v, 0.75) == 7.75
    assert mod.quantile7(np.array([1.0, 2, 3, 4]), 0.25) == 1.75
    assert mod.summary(pd.Series(v), "sd") == pytest.approx(3.0276504, abs=1e-7)
