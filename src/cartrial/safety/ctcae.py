"""NCI CTCAE laboratory grading, v5.0 (default) or v6.0 (version pinned by the protocol).

Input: one row per laboratory result (ADLB-like), columns

==========  ==========================================================================
USUBJID     subject
PARAMCD     test code (LBTESTCD): NEUT, PLAT, HGB, LYM, WBC, CD4, ALT, AST, BILI, ALP, GGT,
            CREAT, FIBRINO, K, SODIUM, CA, MG, ALB, INR, APTT, URATE (aliases in the YAML)
DAY         days since infusion (infusion = day 0); baseline records are on or before day 0
AVAL        result in SI units (counts 10^9/L, Hb g/L, electrolytes mmol/L, enzymes U/L,
            bilirubin/creatinine umol/L, fibrinogen g/L)
LLN, ULN    local normal range (LBSTNRLO / LBSTNRHI)
UNIT        optional; checked against the term's unit when given
ABLFL       "Y" on the baseline record (optional when BASE and BNRIND are given)
BASE        optional baseline value (else taken from the ABLFL record)
BNRIND      optional baseline range indicator NORMAL / LOW / HIGH (else derived from the
            baseline record against its own LLN / ULN)
SEQ         optional record id for error messages
==========  ==========================================================================

Semantics (admiral ``derive_var_atoxgr``): grades checked 4 -> 1, first match wins; 0 when gradable
and no criterion met; missing (NaN) when the value is missing, or a reference the term needs (LLN /
ULN) is missing where admiral's metadata says so: before any grade (``requires``, e.g. ALT without
ULN) or once the grades that do not need it are not met (``na_if_missing``, e.g. ANC 0.3 x10^9/L
without LLN is grade 4, ANC 1.2 without LLN not gradable); comparisons after rounding both sides to
``significant_digits``. Baseline-dependent terms (ALT, AST, ALP, GGT, bilirubin) use multiples of
the baseline value when the baseline indicator is abnormal in the term's direction (HIGH or
ABNORMAL for increases, LOW or ABNORMAL for decreases: admiral's ``high_indicator`` /
``low_indicator``, see :data:`ABNORMAL_INDICATORS`), else multiples of ULN (a missing indicator
counts as normal). Alternatives that need BASE are not met when BASE is missing (creatinine then
grades on ULN only). Purely clinical grades (anaemia 4, hypoalbuminaemia 4) are never assigned.

Values between the bounds of a criterion are read as admiral's ``ncictcaev5`` metadata reads
them, never rounded to the integers of the CTCAE text: hyponatraemia "125-129 mmol/L" (grade 3,
lab-only worst case) and "120-124 mmol/L" are ``AVAL <= 129``, so 129.5 mmol/L is grade 1
(below LLN), 129.0 is grade 3 and 119.9 is grade 4; "<LLN - 130" (grade 1) covers 129 < AVAL
< LLN. Increases "by 1.5 - 3.0 x baseline" are read with each row's own operator (ALT / AST
grade 1 ``>= 1.5 x BASE``, ALP ``>= 2 x BASE``, GGT ``> 2 x BASE``, bilirubin ``> BASE``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.errors import InputError
from cartrial.safety import _frames
from cartrial.safety._frames import as_float, as_text, fail, require_columns
from cartrial.safety.guidelines import Condition, CtcaeLabCriteria, LabTerm, ctcae_lab_criteria

DOMAIN = "LB"
CTCAE_VERSION = "5.0"             # the default; the protocol pins safety.ctcae_version
CTCAE_VERSIONS = ("5.0", "6.0")   # bundled: criteria/ctcae_v5_lab.yaml, ctcae_v6_lab.yaml
#: BNRIND values that make the baseline abnormal, per graded direction (admiral's
#: ``high_indicator`` / ``low_indicator``); a plain "ABNORMAL" counts in both directions.
ABNORMAL_INDICATORS = {"H": ("HIGH", "ABNORMAL"), "L": ("LOW", "ABNORMAL")}


def _signif(x: np.ndarray, digits: int) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        mag = np.floor(np.log10(np.abs(x)))
    tiny = ~np.isfinite(mag) | (mag < -290)   # 0, NaN and subnormals: nothing to round
    mag = np.where(tiny, 0.0, mag)
    scale = 10.0 ** (digits - 1 - mag)
    return np.where(tiny, x, np.round(x * scale) / scale)


def _compare(lhs: np.ndarray, op: str, rhs: np.ndarray, digits: int) -> np.ndarray:
    a, b = _signif(lhs, digits), _signif(rhs, digits)
    with np.errstate(invalid="ignore"):
        if op == "<":
            return a < b
        if op == "<=":
            return a <= b
        if op == ">":
            return a > b
        return a >= b


def _condition(cond: Condition, v: dict[str, np.ndarray],
               digits: int) -> tuple[np.ndarray, np.ndarray]:
    """(met, unknown): a condition on a missing value is not met and unknown."""
    lhs = v[cond.var]
    rhs = np.full(len(lhs), cond.value) if cond.ref == "CONST" else cond.value * v[cond.ref]
    unknown = np.isnan(lhs) | np.isnan(rhs)
    return _compare(lhs, cond.op, rhs, digits) & ~unknown, unknown


def _baseline_gate(when: str, base_abn: np.ndarray, base_low: np.ndarray) -> np.ndarray:
    return {"any": np.ones(len(base_abn), dtype=bool), "baseline_normal": ~base_abn,
            "baseline_abnormal": base_abn, "baseline_low": base_low,
            "baseline_not_low": ~base_low}[when]


def _grade_term(term: LabTerm, v: dict[str, np.ndarray], abnormal: dict[str, np.ndarray],
                digits: int) -> np.ndarray:
    """The term's grade per record of ``v``; ``abnormal``: per direction, whether the
    record's BNRIND is one of :data:`ABNORMAL_INDICATORS` (the baseline gates)."""
    n = len(v["AVAL"])
    base_abn, base_low = abnormal[term.direction], abnormal["L"]
    grade = np.full(n, np.nan)
    gradable = ~np.isnan(v["AVAL"])
    for ref in term.requires:
        gradable &= ~np.isnan(v[ref])
    if term.baseline_dependent:
        gradable &= ~(base_abn & np.isnan(v["BASE"]))
    assigned = np.zeros(n, dtype=bool)
    undecided = np.zeros(n, dtype=bool)   # an alternative not decidable for a missing value
    for g in sorted(term.grades, reverse=True):
        hit = np.zeros(n, dtype=bool)
        for alt in term.grades[g]:
            ok = _baseline_gate(alt.when, base_abn, base_low).copy()
            unknown = np.zeros(n, dtype=bool)
            false = ~ok
            for cond in alt.all:
                met, unk = _condition(cond, v, digits)
                ok &= met
                unknown |= unk
                false |= ~met & ~unk
            hit |= ok
            undecided |= unknown & ~false
        new = hit & ~assigned & gradable
        grade[new] = g
        assigned |= new
        for ref, at in term.na_if_missing.items():
            if at == g:
                gradable &= assigned | ~np.isnan(v[ref])
    zero = gradable & ~assigned
    if term.unknown_is_missing:
        zero &= ~undecided
    grade[zero] = 0
    return grade


def _baseline(df: pd.DataFrame, group: np.ndarray, n_groups: int, bl: np.ndarray | None,
              v: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """BASE and BNRIND per record, from the columns or the ABLFL record (``bl``) of its
    (subject, test) ``group``; ``v``: AVAL, LLN and ULN as numbers."""
    base = as_float(df, "BASE", domain=DOMAIN)
    bnr = as_text(df, "BNRIND")
    if "BASE" in df.columns and "BNRIND" in df.columns:
        return base, bnr
    if bl is None:
        if "BASE" in df.columns or "BNRIND" in df.columns:
            raise InputError("grade_labs: give both BASE and BNRIND, or an ABLFL column")
        return base, bnr
    per_group = np.bincount(group[bl], minlength=n_groups)
    fail(df, bl & (per_group[group] > 1), domain=DOMAIN, variable="ABLFL",
         rule="more than one baseline record for this subject and test")
    rows = np.flatnonzero(bl)  # the indicator of the baseline records only, spread below
    aval, lln, uln = (v[k][rows] for k in ("AVAL", "LLN", "ULN"))
    ind = np.where(aval > uln, "HIGH", np.where(aval < lln, "LOW", "NORMAL"))
    ind = np.where(np.isnan(aval), "", ind)
    at = np.full(n_groups, -1, dtype=np.intp)  # each group's baseline record (-1: none)
    at[group[rows]] = np.arange(len(rows))
    row = at[group]  # -1 picks the value appended: NaN, ""
    b = np.append(aval, np.nan)[row]
    i = np.append(ind.astype(object), "")[row]
    return (base if "BASE" in df.columns else b), (bnr if "BNRIND" in df.columns else i)


def _abnormal_baselines(df: pd.DataFrame, bnr: np.ndarray) -> dict[str, np.ndarray]:
    """Per direction, whether each record's BNRIND is one of :data:`ABNORMAL_INDICATORS`; a
    BNRIND outside the terms raises. Asked of its few distinct values and spread by code
    (np.isin of every record's text sorts Python strings: twice per term, every batch of a
    large trial)."""
    codes, values = _frames.factorize_text(bnr)

    def among(terms: tuple[str, ...]) -> np.ndarray:
        return np.append(np.isin(values, list(terms)), False)[codes]

    fail(df, ~among(("", "NORMAL", "LOW", "HIGH", "ABNORMAL")), domain=DOMAIN,
         variable="BNRIND", rule="baseline indicator must be NORMAL, LOW, HIGH or ABNORMAL",
         values=bnr)
    return {d: among(ABNORMAL_INDICATORS[d]) for d in ("L", "H")}


def _test_key(df: pd.DataFrame, known: dict[str, tuple | None],
              order: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`cartrial.safety._frames.subject_test_key` of the sorted frame, from the sorted
    codes its USUBJID and PARAMCD were sorted by when both are exact (text without a NUL:
    equal codes, equal text) instead of factorising them again."""
    if known["USUBJID"] is None or known["PARAMCD"] is None:
        return _frames.subject_test_key(df)
    pcodes, pvals = known["PARAMCD"][0][order], known["PARAMCD"][1]
    return known["USUBJID"][0][order].astype(np.int64) * (len(pvals) + 1) + pcodes, pcodes, pvals


def grade_labs(labs: pd.DataFrame, *, criteria: CtcaeLabCriteria | None = None,
               treatment_emergent_until_day: float = 365.0) -> pd.DataFrame:
    """CTCAE grade per laboratory record, low and high direction (admiral rules).

    Parameters
    ----------
    labs : pandas.DataFrame
        One row per result, columns in the module docstring (AVAL in SI units).
    criteria : CtcaeLabCriteria, optional
        ``ctcae_lab_criteria("5.0")`` (the default) or ``ctcae_lab_criteria("6.0")``.
    treatment_emergent_until_day : float, default 365
        Last day since infusion on which a record worse than baseline is treatment-emergent.

    Returns
    -------
    pandas.DataFrame
        The input rows (sorted by USUBJID, PARAMCD, DAY) with CTCAE_VERSION, BASE, BNRIND,
        PCHG, ATOXDSCL / ATOXGRL (low-direction term and grade), ATOXDSCH / ATOXGRH (high),
        BTOXGRL / BTOXGRH (baseline) and TRTEMFL; NaN grades for tests without a CTCAE term.

    Examples
    --------
    CTCAE v5.0 platelet count decreased: grade 3 < 50, grade 4 < 25 x 10^9/L:
    >>> df = pd.DataFrame({"USUBJID": "P", "PARAMCD": "PLAT", "DAY": [7.0, 8.0],
    ...                    "AVAL": [20.0, 49.9], "LLN": 150.0, "ULN": 400.0})
    >>> grade_labs(df)["ATOXGRL"].tolist()
    [4.0, 3.0]
    """
    c = criteria or ctcae_lab_criteria()
    if c.version not in CTCAE_VERSIONS:
        raise InputError(f"cartrial grades with CTCAE {' or '.join(CTCAE_VERSIONS)}, "
                         f"not {c.version!r}")
    require_columns(labs, ["USUBJID", "PARAMCD", "DAY", "AVAL", "LLN", "ULN"], where="grade_labs")
    made = {"USUBJID": labs["USUBJID"].astype(str).to_numpy(dtype=object),
            "PARAMCD": _frames.upper_codes(labs["PARAMCD"]),
            "DAY": as_float(labs, "DAY", domain=DOMAIN, required=True)}  # DAY: no NaN
    known = {k: _frames.exact_sorted_codes(made[k]) for k in ("USUBJID", "PARAMCD")}
    order = _frames.sort_order(made, ["USUBJID", "PARAMCD", "DAY"],
                               {k: c[0] for k, c in known.items() if c is not None})
    df = _frames.frame_in_order(labs, made, order)
    aval = as_float(df, "AVAL", domain=DOMAIN)
    lln = as_float(df, "LLN", domain=DOMAIN)
    uln = as_float(df, "ULN", domain=DOMAIN)
    fail(df, ~np.isnan(lln) & ~np.isnan(uln) & (lln > uln), domain=DOMAIN, variable="LLN",
         rule="lower limit of normal above the upper limit")
    fail(df, aval < 0, domain=DOMAIN, variable="AVAL", rule="a laboratory value cannot be < 0")
    key, pcodes, pvals = _test_key(df, known, order)
    group, firsts = pd.factorize(key)  # 0..n-1 per (subject, test): counted and indexed below
    bl = as_text(df, "ABLFL") == "Y" if "ABLFL" in df.columns else None
    base, bnr = _baseline(df, group, len(firsts), bl, {"AVAL": aval, "LLN": lln, "ULN": uln})
    abnormal = _abnormal_baselines(df, bnr)
    with np.errstate(divide="ignore", invalid="ignore"):
        pchg = np.where(base > 0, (aval - base) / base * 100.0, np.nan)
    v = {"AVAL": aval, "LLN": lln, "ULN": uln, "BASE": base, "PCHG": pchg}
    n = len(df)
    out = {d: (np.full(n, "", dtype=object), np.full(n, np.nan)) for d in ("L", "H")}
    units = as_text(df, "UNIT") if "UNIT" in df.columns else None
    ucodes, uvals = _frames.factorize_text(units) if units is not None else (None, None)
    for term in c.terms:  # tests and units looked up per distinct value (-1: none, never hit)
        rows = np.append(np.isin(pvals, [p.upper() for p in term.paramcd]), False)[pcodes]
        if not rows.any():
            continue
        if units is not None:
            bad = (uvals != "") & ~np.isin(uvals, [u.upper() for u in term.units])
            fail(df, rows & np.append(bad, False)[ucodes], domain=DOMAIN,
                 variable="UNIT", rule=f"{term.term} is graded in {term.units[0]} (SI)",
                 values=units)
        rows = np.flatnonzero(rows)  # positions: each array below read at these only
        sub = {k: a[rows] for k, a in v.items()}
        g = _grade_term(term, sub, {d: a[rows] for d, a in abnormal.items()},
                        c.significant_digits)
        dsc, grd = out[term.direction]
        dsc[rows] = term.term
        grd[rows] = g
    res = df  # built here (sorted_frame): the columns are added to it, nothing copied
    res["CTCAE_VERSION"] = c.version
    res["BASE"] = base
    res["BNRIND"] = bnr
    res["PCHG"] = pchg
    res["ATOXDSCL"], res["ATOXGRL"] = out["L"]
    res["ATOXDSCH"], res["ATOXGRH"] = out["H"]
    # baseline grade: grade of the record with ABLFL = Y (else of the last record on/before day 0)
    if bl is not None:
        is_bl = bl
    else:
        pre = df["DAY"].to_numpy() <= 0
        last_pre = pd.Series(np.where(pre, np.arange(n), -1)).groupby(
            key).transform("max").to_numpy()
        is_bl = pre & (np.arange(n) == last_pre)
    for d in ("L", "H"):  # the largest grade of the group's baseline records (NaN: none)
        worst = np.full(len(firsts), np.nan)
        np.fmax.at(worst, group[is_bl], out[d][1][is_bl])  # fmax: a NaN grade is skipped
        res[f"BTOXGR{d}"] = worst[group]
    post = (res["DAY"] > 0) & (res["DAY"] <= treatment_emergent_until_day)
    te = np.zeros(n, dtype=bool)
    for d in ("L", "H"):
        g = res[f"ATOXGR{d}"].to_numpy()
        b = res[f"BTOXGR{d}"].to_numpy()
        te |= (g >= 1) & (np.isnan(b) | (g > np.nan_to_num(b, nan=0.0)))
    res["TRTEMFL"] = _frames.yes_flags(post.to_numpy() & te)
    return res


def __getattr__(name: str) -> object:
    """The cytopenia and IgG flags moved to :mod:`cartrial.safety.cytopenia`; their old import
    path from here still works (PEP 562, no import cycle)."""
    if name in ("CYTOPENIA_TERMS", "cytopenia_recovery", "hypogammaglobulinemia"):
        from cartrial.safety import cytopenia

        return getattr(cytopenia, name)
    if name in ("lab_grades_long", "pooled_lab_terms", "worst_lab_grades"):
        from cartrial.safety import ctcae_long

        return getattr(ctcae_long, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
