"""CTCAE v5.0 and v6.0 lab grades against pharmaverse admiral's own grading metadata.

``data/admiral_atoxgr_v5_v6.json`` holds, unchanged, the R ``case_when`` clauses of admiral's
``ncictcaev5.json`` / ``ncictcaev6.json`` (commit and licence in its ``provenance``) for every term
cartrial grades. This test evaluates those clauses as admiral's ``derive_var_atoxgr_dir`` does
(clauses in order, NA conditions false, ``TRUE ~ "0"`` last; ``high_indicator`` /
``low_indicator`` = HIGH or LOW plus ABNORMAL) on values on and around every number the clauses
name, with each reference range or baseline missing in turn, and compares with
:func:`cartrial.safety.grade_labs` - so neither version's thresholds can leak into the other.
Left out, as documented: INR (cartrial does not assume anticoagulation) and an abnormal
baseline indicator without a baseline value (cartrial: not gradable; admiral: grade 0).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cartrial.safety import ctcae_lab_criteria, grade_labs
from cartrial.safety.ctcae import _signif

DATA = json.loads((Path(__file__).parent / "data" / "admiral_atoxgr_v5_v6.json").read_text())
HIGH, LOW = ["HIGH", "ABNORMAL"], ["LOW", "ABNORMAL"]
SKIP = {"INR INCREASED"}


def _split_top(expr: str, ops: tuple[str, ...]) -> list[str]:
    parts, depth, cur, i = [], 0, "", 0
    while i < len(expr):
        ch = expr[i]
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and any(expr.startswith(f" {o} ", i) for o in ops):
            parts.append(cur)
            cur = ""
            i += 3
            continue
        cur += ch
        i += 1
    return parts + [cur]


def _atom(a: str) -> str:
    a = a.strip()
    if a.startswith("(") and a.endswith(")"):
        return "(" + _py(a[1:-1]) + ")"
    a = re.sub(r"signif\(([^,]+), signif_dig\)", r"_signif(\1, 15)", a)
    a = re.sub(r"!\(BNRIND %in% (high|low)_indicator\)", r"~np.isin(BNRIND, \1)", a)
    a = re.sub(r"BNRIND %in% (high|low)_indicator", r"np.isin(BNRIND, \1)", a)
    a = re.sub(r"!is\.na\((\w+)\)", r"~np.isnan(\1)", a)
    a = re.sub(r"is\.na\((\w+)\)", r"np.isnan(\1)", a)
    return "(" + a + ")"


def _py(expr: str) -> str:
    ors = _split_top(expr, ("|",))
    return " | ".join("(" + " & ".join(_atom(x) for x in _split_top(o, ("&",))) + ")"
                      for o in ors)


def admiral_grade(term: dict, env: dict) -> np.ndarray:
    code = ", ".join(term[k] for k in ("GRADE_NA_CODE", "GRADE_4_CODE", "GRADE_3_CODE",
                                        "GRADE_2_CODE", "GRADE_1_CODE") if k in term)
    clauses = re.findall(r"\s*(.*?)\s*~\s*(NA_character_|\"\d\")\s*(?:,|$)", code)
    n = len(env["AVAL"])
    out = np.full(n, np.nan)
    done = np.zeros(n, dtype=bool)
    scope = {**env, "np": np, "_signif": _signif, "high": HIGH, "low": LOW}
    for cond, val in [*clauses, ("TRUE", '"0"')]:
        hit = np.ones(n, bool) if cond == "TRUE" else np.asarray(eval(_py(cond), scope), bool)
        new = hit & ~done
        out[new] = np.nan if val == "NA_character_" else float(val.strip('"'))
        done |= new
    return out


def _grid(term: dict) -> pd.DataFrame:
    code = " ".join(v for k, v in term.items() if k.endswith("_CODE"))
    nums = {float(x) for x in re.findall(r"(?<![\w.])(\d+(?:\.\d+)?)", code)} | {1.0}
    nan = float("nan")
    rows = []
    # (BASE, BNRIND, LLN, ULN): normal / abnormal baselines, and each reference missing (an
    # abnormal baseline without a value is left out: cartrial does not grade it, admiral gives 0)
    for base, ind, lln, uln in [(30.0, "NORMAL", 3.0, 40.0), (60.0, "HIGH", 3.0, 40.0),
                                (60.0, "ABNORMAL", 3.0, 40.0), (2.0, "LOW", 3.0, 40.0),
                                (2.0, "ABNORMAL", 3.0, 40.0), (20.0, "NORMAL", 3.0, 40.0),
                                (30.0, "NORMAL", nan, 40.0), (30.0, "NORMAL", 3.0, nan),
                                (nan, "NORMAL", 3.0, 40.0), (nan, "", nan, nan)]:
        refs = [r for r in (1.0, lln, uln, base) if r == r]
        vals = {r * n * f for n in nums for r in refs for f in (0.999, 1.0, 1.001)}
        vals |= {129.5, 124.5, 119.5, 0.0}
        rows += [{"AVAL": v, "BASE": base, "BNRIND": ind, "LLN": lln, "ULN": uln}
                 for v in sorted(vals)]
    return pd.DataFrame(rows).assign(USUBJID="P", DAY=7.0)


@pytest.mark.parametrize("version", ["5.0", "6.0"])
def test_every_term_agrees_with_admiral_metadata(version: str) -> None:
    crit = ctcae_lab_criteria(version)
    by_term = {t.term.upper(): t for t in crit.terms}
    checked = 0
    for term in DATA[version]:
        if term["TERM"].upper() in SKIP:
            continue
        ours = by_term[term["TERM"].upper()]
        df = _grid(term).assign(PARAMCD=ours.paramcd[0])
        got = grade_labs(df, criteria=crit)
        got = got[f"ATOXGR{ours.direction}"].to_numpy()
        a = df["AVAL"].to_numpy()
        b = df["BASE"].to_numpy()
        env = {"AVAL": a, "ANRLO": df["LLN"].to_numpy(), "ANRHI": df["ULN"].to_numpy(),
               "BASE": b, "BNRIND": df["BNRIND"].to_numpy(),
               "PCHG": np.where(b > 0, (a - b) / b * 100.0, np.nan)}
        want = admiral_grade(term, env)
        bad = ~((got == want) | (np.isnan(got) & np.isnan(want)))
        assert not bad.any(), (term["TERM"], df[bad].head(3).to_dict("records"),
                               got[bad][:3], want[bad][:3])
        checked += 1
    assert checked >= 19


def test_v5_and_v6_differ_where_nci_changed_them() -> None:
    """Guard: the two versions grade the same record differently where the thresholds moved
    (values checked by hand against each file's GRADE_n text)."""
    df = pd.DataFrame({"USUBJID": "P", "DAY": 7.0, "LLN": [1.8, 135.0, 150.0],
                       "ULN": [7.0, 145.0, 400.0], "PARAMCD": ["NEUT", "SODIUM", "PLAT"],
                       "AVAL": [0.3, 129.5, 20.0], "BASE": np.nan, "BNRIND": "NORMAL"})
    v5 = grade_labs(df, criteria=ctcae_lab_criteria("5.0"))["ATOXGRL"].tolist()
    v6 = grade_labs(df, criteria=ctcae_lab_criteria("6.0"))["ATOXGRL"].tolist()
    # sorted by PARAMCD: NEUT, PLAT, SODIUM
    assert v5 == [4.0, 4.0, 1.0]   # ANC < 0.5 grade 4; PLT < 25 grade 4; Na 129.5 > 129: grade 1
    assert v6 == [3.0, 3.0, 3.0]   # ANC 0.1-<0.5 grade 3; PLT 10-<50 grade 3; Na < 130 grade 3
    g6 = grade_labs(df, criteria=ctcae_lab_criteria("6.0"))
    assert set(g6["CTCAE_VERSION"]) == {"6.0"}
    assert g6.loc[g6["PARAMCD"] == "PLAT", "ATOXDSCL"].item() == "Thrombocytopenia"


def test_protocol_pins_the_version(tmp_path: Path) -> None:
    """Regression test: safety.ctcae_version 6.0 grades the study's labs with the v6 table."""
    from cartrial.data import load_study
    from cartrial.protocol import load_protocol
    from cartrial.safety.analysis import analyse_safety
    from cartrial.safety.sdtm import safety_inputs

    from .sdtm_fixture import write_study

    p5 = load_protocol("ct071")
    p6 = p5.model_copy(update={"safety": p5.safety.model_copy(update={"ctcae_version": "6.0"})})
    inputs = safety_inputs(load_study(write_study(tmp_path)), p6)
    a6 = analyse_safety(inputs, p6)
    assert set(a6.labs["CTCAE_VERSION"]) == {"6.0"} and a6.method["ctcae_version"] == "6.0"
    a5 = analyse_safety(inputs, p5)
    assert set(a5.labs["CTCAE_VERSION"]) == {"5.0"}


def test_pooled_terms_map_v6_to_v5() -> None:
    """NCI v5 -> v6 term map (criteria pooled_term): v6 Thrombocytopenia pools with v5 Platelet
    count decreased; unchanged terms keep their name; grades stay those of their version."""
    from cartrial.safety import pooled_lab_terms

    df = pd.DataFrame({"USUBJID": "P", "DAY": 7.0, "PARAMCD": ["PLAT", "NEUT"],
                       "AVAL": [20.0, 0.3], "LLN": [150.0, 1.8], "ULN": [400.0, 7.0]})
    both = pd.concat([grade_labs(df, criteria=ctcae_lab_criteria(v)) for v in ("5.0", "6.0")])
    p = pooled_lab_terms(both)
    plat = p[p["PARAMCD"] == "PLAT"]
    assert plat["ATOXDSCL"].tolist() == ["Platelet count decreased", "Thrombocytopenia"]
    assert set(plat["POOLED_TERML"]) == {"Platelet count decreased"}
    assert plat["ATOXGRL"].tolist() == [4.0, 3.0]
    assert set(p.loc[p["PARAMCD"] == "NEUT", "POOLED_TERML"]) == {"Neutrophil count decreased"}
