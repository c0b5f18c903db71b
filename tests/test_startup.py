"""Start-up: each verb imports only what its work needs (issue 18, point 1).

``SPEC`` is the specification, one row per verb: the command line and the heavy modules that must
not be in ``sys.modules`` after it ran in a fresh interpreter. Which modules a process imports does
not depend on the machine's speed, so these are facts, not timings (timings are in
``benchmarks/bench_startup.py`` and BENCHMARKS.md, "Start-up").
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

#: what no table-, boundary- or listing-verb needs
LIGHT = ("pandas", "scipy.stats", "matplotlib", "pyarrow", "statsmodels", "dask", "fastapi",
         "sqlalchemy")
#: what no analysis short of the report needs
NO_REPORT = ("matplotlib", "statsmodels", "dask", "fastapi", "docx", "rtflite")
CT071_EXACT = ["design", "simulate", "--protocol", "ct071", "--true-tox", "0.15,0.3",
               "--method", "exact"]

# (command line after `cartrial`, modules it must not import); {study} is a written SDTM study
SPEC: list[tuple[list[str], tuple[str, ...]]] = [
    # the version is read from the package metadata only for --version (cartrial.__getattr__)
    (["--help"], LIGHT + ("importlib.metadata",)),
    (["--version"], LIGHT),
    # BOIN's elimination count is a closed-form binomial tail: no scipy at all
    (["design", "boundaries", "--target", "0.3"], LIGHT + ("scipy",)),
    # DecisionTable holds rows; its .summary / .grid frames are built on first use
    (["design", "table", "--design", "boin"], LIGHT),
    (["design", "table", "--design", "mtpi2", "--extrasafe"], LIGHT),
    # cli to_jsonable looks pandas up in sys.modules and never imports it
    (["design", "table", "--design", "boin", "--json"], LIGHT),
    (["design", "boundaries", "--target", "0.3", "--json"], LIGHT + ("scipy",)),
    (["protocol", "list"], LIGHT),
    (["protocol", "show", "ct071"], LIGHT),
    (["example", "list"], LIGHT),
    (CT071_EXACT, ("scipy", "matplotlib", "statsmodels", "dask", "fastapi")),
    # the example is CSV: the SAS transport reader (pyreadstat) is imported for .xpt files only
    (["validate", "{study}", "--protocol", "ct071"], NO_REPORT + ("scipy.stats", "pyreadstat")),
    # select_mtd's credible interval is scipy.special.betaincinv, not scipy.stats.beta.ppf;
    # its isotonic fit is pava's own loop, not scipy.optimize (whose import costs more)
    (["decide", "{study}", "--protocol", "ct071"],
     NO_REPORT + ("scipy.stats", "scipy.optimize", "pyreadstat")),
]

_PROBE = """
import contextlib, io, json, sys
from cartrial.cli.main import main
code = 0
with contextlib.redirect_stdout(io.StringIO()):
    try:
        main(json.loads(sys.argv[1]))
    except SystemExit as exc:
        code = exc.code or 0
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def _run(code: str, *args: str) -> dict:
    res = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                         check=False, timeout=600)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> str:
    from cartrial.data import write_study
    from tests.data.minimal_study import minimal_domains

    out = tmp_path_factory.mktemp("startup") / "study"
    write_study(minimal_domains(), out)
    return str(out)


@pytest.mark.parametrize(("argv", "forbidden"), SPEC, ids=[" ".join(a[:2]) for a, _ in SPEC])
def test_verb_imports_only_what_it_uses(argv: list[str], forbidden: tuple[str, ...],
                                        study: str) -> None:
    """Regression test of the import graph: the verb runs (exit 0) without the heavy modules."""
    got = _run(_PROBE, json.dumps([a.format(study=study) for a in argv]))
    assert got["code"] == 0
    assert sorted(set(forbidden) & set(got["modules"])) == []


def test_subverb_table_matches_the_design_commands() -> None:
    """Regression test: `SUBVERBS` routes every `design` sub-command to the module defining it."""
    import typer.main

    from cartrial.cli.main import SUBVERBS, app

    group = typer.main.get_command(app).commands["design"]
    assert set(SUBVERBS["design"]) == set(group.commands)  # type: ignore[attr-defined]


PACKAGES = ("adam", "committee", "conduct", "data", "design", "efficacy", "example", "kinetics",
            "protocol", "report", "safety", "sweep")


def test_importing_a_package_imports_none_of_its_modules() -> None:
    """Regression test of the lazy ``__init__``: ``import cartrial.<pkg>`` loads no submodule."""
    code = ("import json, sys\n"
            f"for p in {PACKAGES!r}:\n    __import__('cartrial.' + p)\n"
            "print(json.dumps({'modules': sorted(sys.modules)}))")
    mods = _run(code)["modules"]
    loaded = [m for m in mods if m.count(".") >= 2 and m.split(".")[1] in PACKAGES]
    assert loaded == []
    assert not {"pandas", "scipy", "numpy", "pydantic"} & set(mods)


@pytest.mark.parametrize("name", PACKAGES)
def test_every_public_name_resolves_to_its_module(name: str) -> None:
    """Regression test: each name of ``__all__`` resolves, is listed by ``dir`` and comes from
    the module its ``TYPE_CHECKING`` import names (functions that share a submodule's name, such
    as ``design.exact_oc``, stay functions after the submodule is imported)."""
    import importlib

    from cartrial._lazy import _exports

    pkg = importlib.import_module(f"cartrial.{name}")
    table = _exports(pkg.__file__)
    assert set(pkg.__all__) <= set(table) and set(pkg.__all__) <= set(dir(pkg))
    for public in pkg.__all__:
        obj = getattr(pkg, public)
        assert obj is getattr(importlib.import_module(table[public]), public)
    with pytest.raises(AttributeError):
        pkg.no_such_name  # noqa: B018


def test_submodule_sharing_a_function_name_keeps_the_function() -> None:
    """Regression test: importing ``cartrial.design.exact_oc`` leaves the function bound."""
    code = ("import json, cartrial.design as d\nimport cartrial.design.exact_oc\n"
            "from cartrial.design import exact_oc\n"
            "print(json.dumps({'kind': [type(d.exact_oc).__name__, type(exact_oc).__name__]}))")
    assert _run(code)["kind"] == ["function", "function"]


def test_beta_closed_forms_equal_scipy_stats() -> None:
    """The Beta CDF / survival function used by BOIN, mTPI-2 and elimination (scipy.special's
    regularised incomplete beta I_x(a, b), Abramowitz & Stegun 1964, 26.5.1) equals
    ``scipy.stats.beta`` bit for bit on the grid the designs use (n <= 60, every y, x in [0, 1]);
    the designs' own numbers are checked against R BOIN 2.7.2 in tests/design."""
    from scipy.special import betainc, betaincc
    from scipy.stats import beta

    n = np.arange(0, 61)[:, None, None]
    y = np.arange(0, 61)[None, :, None]
    x = np.linspace(0, 1, 41)[None, None, :]
    ok = np.broadcast_to(y <= n, (61, 61, 41))
    a, b = (y + 1) * np.ones_like(x), (n - y + 1) * np.ones_like(x)
    xx = np.broadcast_to(x, a.shape)
    np.testing.assert_array_equal(betainc(a, b, xx)[ok], beta.cdf(xx, a, b)[ok])
    np.testing.assert_array_equal(betaincc(a, b, xx)[ok], beta.sf(xx, a, b)[ok])


def test_beta_quantile_closed_form_equals_scipy_stats() -> None:
    """select_mtd's credible interval: ``scipy.special.betaincinv`` (the inverse of the
    regularised incomplete beta, Abramowitz & Stegun 1964, 26.5.1) equals
    ``scipy.stats.beta.ppf`` bit for bit for the Beta(y + 0.05, n - y + 0.05) posteriors of BOIN
    ``select.mtd`` (n <= 60, every y) at the quantiles of the usual confidence levels; the
    selection itself is checked against R BOIN 2.7.2 ``select.mtd`` in tests/design."""
    from scipy.special import betaincinv
    from scipy.stats import beta

    from cartrial.design.selection import PRIOR_A, PRIOR_B

    n = np.arange(0, 61)[:, None]
    y = np.arange(0, 61)[None, :]
    ok = np.broadcast_to(y <= n, (61, 61))
    a = np.broadcast_to(y + PRIOR_A, ok.shape)[ok]
    b = np.broadcast_to(n - y + PRIOR_B, ok.shape)[ok]
    for level in (0.8, 0.9, 0.95, 0.99):
        for q in ((1 - level) / 2, 1 - (1 - level) / 2):
            np.testing.assert_array_equal(betaincinv(a, b, q), beta.ppf(q, a, b))


@pytest.mark.parametrize(("design", "kw"), [("boin", {}), ("boin", {"extrasafe": True}),
                                            ("boin", {"cohort_size": 1, "max_n": 12}),
                                            ("3+3", {}), ("i3+3", {"max_n": 18}),
                                            ("mtpi2", {"extrasafe": True})])
def test_decision_table_text_equals_pandas_rendering(design: str, kw: dict) -> None:
    """The decision-table writers render rows without pandas; their CSV equals pandas'
    ``DataFrame.to_csv`` of the lazily built ``summary`` frame (nullable Int64, empty = never) and
    the JSON rows equal the frames' records (an outside writer, not the code under test)."""
    import pandas as pd

    from cartrial.design.tables import decision_table, decision_table_csv, decision_table_json

    t = decision_table(design, 0.3, **kw)  # type: ignore[arg-type]
    assert decision_table_csv(t) == t.summary.to_csv(index=False, lineterminator="\n")
    assert t.summary["escalate_if_le"].dtype == "Int64"
    js = json.loads(decision_table_json(t))
    for key, frame in (("summary", t.summary), ("grid", t.grid)):
        want = [{k: None if pd.isna(v) else v if k == "decision" else int(v) for k, v in r.items()}
                for r in frame.to_dict(orient="records")]
        assert js[key] == want


def test_the_pipeline_module_leaves_the_later_stages_libraries_to_them() -> None:
    """Regression test of the import graph: ``import cartrial.report.pipeline`` (what
    ``analyze`` imports before it reads the study) imports neither the engines' and figures'
    libraries (scipy.stats, matplotlib: imported while a forked process reads the study,
    ``cartrial.report.study_read``), nor jinja2, nor statsmodels (nor formulaic, narwhals and
    polars, which it brings), nor the RTF and DOCX writers, nor the section builders: each
    section imports what it uses when it is built (``cartrial.report.section_build``), so
    14.5, built by a forked process, is not imported by the main one, and 14.4's Cox model
    and cumulative incidence only when 14.4 is built."""
    code = ("import json, sys\nimport cartrial.report.pipeline\n"
            "print(json.dumps({'modules': sorted(sys.modules)}))")
    mods = set(_run(code)["modules"])
    assert sorted({"scipy.stats", "matplotlib", "jinja2", "statsmodels", "formulaic",
                   "narwhals", "polars", "rtflite", "docx", "cartrial.adam.build",
                   "cartrial.report.kinetics_items", "cartrial.report.section_items",
                   "cartrial.report.listings"} & mods) == []
