"""LB disease records in long form: one checked value per subject, date and variable.

The IMWG variables of :mod:`cartrial.efficacy.imwg` are read from LB disease tests (numeric:
M-protein, free light chains, ratio, marrow and blood plasma cells, converted to the IMWG
units; coded: immunofixation and clonality) and from TR/TU plasmacytomas
(:mod:`cartrial.efficacy.sdtm_tumours`). A value that
cannot be used raises :class:`~cartrial.errors.RecordError` naming the domain, subject, --SEQ,
variable, value and rule; below-quantification text ("<0.1") is 0, a test marked NOT DONE is
not available.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cartrial.data.batches import take_rows
from cartrial.data.dates import impute_date
from cartrial.data.text import factorize_text, spread, upper_stripped
from cartrial.data.validate_codes import column_codes, object_values
from cartrial.errors import RecordError
from cartrial.study_reads import read_frame

# (LBTESTCD, LBSPEC) -> (IMWG column, divisor applied to LBSTRESN in the standard unit)
LB_NUMERIC: dict[tuple[str, str], tuple[str, float]] = {
    ("MPROTEIN", "SERUM"): ("SPEP", 10.0),  # g/L -> g/dL
    ("MPROTEIN", "URINE"): ("UPEP", 1.0),  # mg/24h
    ("KAPPAFLC", "SERUM"): ("KAPPA", 10.0),  # mg/L -> mg/dL
    ("LAMBDFLC", "SERUM"): ("LAMBDA", 10.0),
    ("KAPLAMB", "SERUM"): ("FLCRATIO", 1.0),
    ("PLASMACE", "BONE MARROW"): ("BMPC", 1.0),  # %
    ("PLASMALE", "BLOOD"): ("PBPC", 1.0),  # % of leukocytes
}
LB_CODED: dict[tuple[str, str], tuple[str, dict[str, str]]] = {
    ("IMFIX", "SERUM"): ("SIFE", {"POSITIVE": "POSITIVE", "NEGATIVE": "NEGATIVE"}),
    ("IMFIX", "URINE"): ("UIFE", {"POSITIVE": "POSITIVE", "NEGATIVE": "NEGATIVE"}),
    ("PCCLON", "BONE MARROW"): ("BMCLONAL", {"CLONAL": "Y", "NOT CLONAL": "N"}),
}
LONG_COLUMNS = ["USUBJID", "ADT", "BLFL", "col", "value", "LBSEQ"]
#: the LB variables :func:`lb_long` reads, and the tests it keeps (issue #18: a large LB is
#: read only for these, :func:`disease_records`)
LB_DISEASE_VARIABLES = ("USUBJID", "LBSEQ", "LBTESTCD", "LBSPEC", "LBDTC", "LBSTRESN",
                        "LBSTRESC", "LBORRES", "LBSTAT", "LBBLFL")
LB_DISEASE_TESTS = frozenset(code for code, _ in (*LB_NUMERIC, *LB_CODED))


def disease_records(study, extra: tuple[str, ...] = ()) -> pd.DataFrame | None:  # noqa: ANN001
    """LB's records of the disease tests, with the variables :func:`lb_long` reads (and
    ``extra``); None without LB.

    Parameters
    ----------
    study : cartrial.data.Study or dict of str to pandas.DataFrame
        The SDTM domains.
    extra : tuple of str, optional
        Further LB variables the caller reads.

    Returns
    -------
    pandas.DataFrame or None
        The records (LB's order and index labels), for :func:`lb_long`.

    Examples
    --------
    >>> lb = pd.DataFrame({"USUBJID": "01", "LBTESTCD": ["MPROTEIN", "HGB"], "LBNAM": "x"})
    >>> disease_records({"LB": lb})
      USUBJID  LBTESTCD
    0      01  MPROTEIN
    """
    return read_frame(study, "LB", [*LB_DISEASE_VARIABLES, *extra],
                      where={"LBTESTCD": LB_DISEASE_TESTS})


def sdtm_day(values: pd.Series) -> pd.Series:
    """--DTC to a day (time dropped); partial dates imputed as start dates (data.impute_date).

    Parameters
    ----------
    values : pandas.Series
        ISO 8601 date texts.

    Returns
    -------
    pandas.Series
        datetime64 days (NaT where no date).

    Examples
    --------
    >>> import pandas as pd
    >>> sdtm_day(pd.Series(["2024-03-05T10:30", "2024-03"])).dt.strftime("%Y-%m-%d").tolist()
    ['2024-03-05', '2024-03-01']
    """
    d, _flag = impute_date(values, kind="start")  # once per distinct text
    return d.dt.normalize()


def latest_days(dom: pd.DataFrame) -> list[pd.DataFrame]:
    """Each subject's latest :func:`sdtm_day` of each ``--DTC`` column of a domain.

    Each distinct date text is read once and each subject's latest kept on integer codes: a
    large LB's million records are not put into a frame of text subjects and grouped again.
    A domain with a missing USUBJID takes the record-wise way (its subject "<NA>" kept).

    Parameters
    ----------
    dom : pandas.DataFrame
        A domain with USUBJID.

    Returns
    -------
    list of pandas.DataFrame
        Per ``--DTC`` column: USUBJID (str), d (datetime64 day; NaT when none is a date).

    Examples
    --------
    >>> lb = pd.DataFrame({"USUBJID": ["S1", "S1", "S2"],
    ...                    "LBDTC": ["2026-03-02T10:00", "2026-04", None]})
    >>> latest_days(lb)[0]
      USUBJID          d
    0      S1 2026-04-01
    1      S2        NaT
    """
    cols = [c for c in dom.columns if c.endswith("DTC")]
    # column_codes: a column decoded whole from a domain held encoded gives its held codes
    # (no factorising of a large LB's millions of records), any other is factorised as text
    subj, names = column_codes(dom["USUBJID"])
    if (subj < 0).any():
        return [pd.DataFrame({"USUBJID": dom["USUBJID"].astype(str), "d": sdtm_day(dom[c])})
                .groupby("USUBJID", as_index=False)["d"].max() for c in cols]
    ids = pd.Series(names, dtype=object).astype(str).to_numpy()
    out = []
    for c in cols:
        codes, texts = column_codes(dom[c])
        day = sdtm_day(pd.Series(texts, dtype=object)).to_numpy(dtype="datetime64[ns]")
        per = pd.Series(spread(day, codes, np.datetime64("NaT", "ns"))).groupby(subj).max()
        out.append(pd.DataFrame({"USUBJID": ids[per.index], "d": per.to_numpy()}))
    return out


def column_or_na(df: pd.DataFrame, name: str) -> pd.Series:
    """A column, or an all-missing one when the (optional) variable is absent.

    Parameters
    ----------
    df : pandas.DataFrame
        A domain.
    name : str
        The variable.

    Returns
    -------
    pandas.Series
        The column, or ``pd.NA`` on every row.

    Examples
    --------
    >>> import pandas as pd
    >>> column_or_na(pd.DataFrame({"A": [1]}), "LBSTAT").isna().tolist()
    [True]
    """
    return df[name] if name in df else pd.Series(pd.NA, index=df.index, dtype="object")


_date, _col, _text = sdtm_day, column_or_na, upper_stripped


def _lb_error(row: pd.Series, variable: str, value: object, rule: str) -> RecordError:
    return RecordError(
        domain="LB",
        usubjid=str(row["USUBJID"]),
        seq=row.get("LBSEQ"),
        variable=variable,
        value=value,
        rule=rule,
    )


def lb_long(lb: pd.DataFrame) -> pd.DataFrame:
    """LB disease records as (USUBJID, ADT, BLFL, col, value, LBSEQ), checked.

    Parameters
    ----------
    lb : pandas.DataFrame
        The LB domain (only the disease tests of :data:`LB_NUMERIC` and :data:`LB_CODED` are
        read).

    Returns
    -------
    pandas.DataFrame
        One row per usable value, in the IMWG unit.

    Raises
    ------
    RecordError
        A record without a valid date, a negative or missing number, a coded result outside
        its list, or two results of one test on one date (LB, USUBJID, LBSEQ named).
    """
    parts = lb_long_parts(lb)
    return pd.DataFrame(columns=LONG_COLUMNS) if parts is None else joined_long(parts)


def lb_long_parts(lb: pd.DataFrame) -> list[pd.DataFrame] | None:
    """:func:`lb_long`'s numeric and coded rows (each part in LB's order, labelled by the
    record's position in ``lb``), before they are joined and checked for
    repeats by :func:`joined_long`; None without disease records."""
    sel, is_num, is_cod = _disease_records(lb)
    if sel.empty:
        return None
    sel["ADT"] = _date(sel["LBDTC"])
    nodate = sel["ADT"].isna()
    if nodate.any():
        row = sel[nodate].iloc[0]
        raise _lb_error(row, "LBDTC", row["LBDTC"], "disease assessment without a valid date")
    num = sel[is_num[sel.index]]
    cod = sel[is_cod[sel.index]]
    return [_numeric_long(num) if len(num) else None, _coded_long(cod) if len(cod) else None]


def joined_long(parts: list[pd.DataFrame | None]) -> pd.DataFrame:
    """The numeric rows then the coded rows of :func:`lb_long_parts` as :func:`lb_long` gives
    them, checked: one result of a test per subject and date (baseline-flagged repeats
    aside)."""
    long = pd.concat([p for p in parts if p is not None], ignore_index=True)
    dup = long.duplicated(["USUBJID", "ADT", "col"], keep=False) & ~long["BLFL"]
    if dup.any():
        r = long[dup].iloc[0]
        raise RecordError(
            domain="LB",
            usubjid=r["USUBJID"],
            seq=r["LBSEQ"],
            variable="LBTESTCD",
            value=r["col"],
            rule="two results of one disease test on one date",
        )
    return long


def _disease_records(lb: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """The disease records (a copy of the columns used) and which are numeric / coded."""
    # test and specimen normalised per distinct text, (test, specimen) looked up per distinct
    # pair; only the disease records are copied (a large LB is mostly haematology/chemistry)
    code, cc = _distinct_upper(lb["LBTESTCD"])
    spec, sc = (_distinct_upper(lb["LBSPEC"]) if "LBSPEC" in lb
                else (np.array([pd.NA], dtype=object), np.zeros(len(lb), dtype=np.intp)))
    pc, pairs = pd.factorize(cc * len(spec) + sc)
    found = [(code[k // len(spec)], spec[k % len(spec)]) for k in pairs]
    found = [f if isinstance(f[0], str) and isinstance(f[1], str) else None for f in found]
    is_num = pd.Series(np.array([f in LB_NUMERIC for f in found], dtype=bool)[pc], index=lb.index)
    is_cod = pd.Series(np.array([f in LB_CODED for f in found], dtype=bool)[pc], index=lb.index)
    used = [c for c in ("USUBJID", "LBSEQ", "LBDTC", "LBSTRESN", "LBSTRESC", "LBORRES",
                        "LBSTAT", "LBBLFL") if c in lb.columns]
    rows = np.flatnonzero((is_num | is_cod).to_numpy())
    sel = take_rows(lb, rows, used).set_axis(rows)  # labelled by their position in ``lb``
    sel["_code"] = code[cc[rows]]
    sel["_spec"] = spec[sc[rows]]
    sel["_pair"] = pc[rows]  # the (test, specimen) pair's code: its IMWG mapping read once
    is_num, is_cod = (pd.Series(m.to_numpy()[rows], index=sel.index) for m in (is_num, is_cod))
    return sel, is_num, is_cod


def _distinct_upper(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """``_text(s)`` as (distinct values, code per row): ``_text(s).to_numpy()`` equals
    ``values[codes]`` (a missing value is pd.NA, the last of ``values``)."""
    codes, uniq = factorize_text(object_values(s))
    done = _text(pd.Series(uniq, dtype=object)).to_numpy(dtype=object)
    return np.append(done, np.array([pd.NA], dtype=object)), np.where(codes < 0, len(uniq), codes)


def _pair_mappings(df: pd.DataFrame, table: dict) -> tuple[np.ndarray, list]:
    """Each record's (test, specimen) pair as a code into the list of its ``table`` entries,
    each looked up once (a batch's ~160,000 disease records hold ten pairs)."""
    _, first, pair = np.unique(df["_pair"].to_numpy(), return_index=True, return_inverse=True)
    return pair, [table[(c, s)] for c, s in zip(df["_code"].to_numpy()[first],
                                                df["_spec"].to_numpy()[first], strict=True)]


def _is_text(s: pd.Series, value: str) -> np.ndarray:
    """``_text(s).eq(value).fillna(False)`` as a bool array, each distinct text compared
    once (a flag column of a batch's records holds two or three)."""
    codes, uniq = column_codes(s.astype("string"))
    return spread(np.array([v.strip().upper() == value for v in uniq], dtype=bool), codes, False)


def _numeric_long(num: pd.DataFrame) -> pd.DataFrame:
    """Numeric disease results in the IMWG unit; BLQ text is 0, NOT DONE is left out."""
    pair, maps = _pair_mappings(num, LB_NUMERIC)
    val = (pd.to_numeric(num["LBSTRESN"], errors="coerce")
           / np.array([f for _, f in maps], dtype=float)[pair])
    neg = val < 0
    if neg.any():
        row = num[neg].iloc[0]
        raise _lb_error(row, "LBSTRESN", row["LBSTRESN"], "a disease measurement must be >= 0")
    not_done = pd.Series(_is_text(_col(num, "LBSTAT"), "NOT DONE"), index=num.index)
    missing = val.isna() & ~not_done
    # below-quantification text (e.g. "<0.1" M-protein) counts as 0 (not detected by SPEP)
    blq = pd.Series(False, index=num.index)
    if missing.any():  # the text is read only where the number is missing
        m = num[missing.to_numpy()]
        txt = _text(_col(m, "LBSTRESC").fillna(_col(m, "LBORRES")))
        blq[missing.to_numpy()] = txt.str.match(r"^(<|BLQ|BLOQ)").fillna(False).to_numpy(bool)
    val = val.where(~blq, 0.0)
    rest = missing & ~blq
    if rest.any():
        row = num[rest].iloc[0]
        raise _lb_error(row, "LBSTRESN", row.get("LBORRES"), "numeric result missing")
    keep = ~(not_done & val.isna())  # a test marked NOT DONE is simply not available
    return pd.DataFrame(
        {
            "USUBJID": num["USUBJID"].astype(str),
            "ADT": num["ADT"],
            "BLFL": _is_text(_col(num, "LBBLFL"), "Y"),
            "col": np.array([c for c, _ in maps], dtype=object)[pair],
            "value": val.astype(object),
            "LBSEQ": _col(num, "LBSEQ"),
        }
    )[keep.to_numpy()]


def _coded_long(cod: pd.DataFrame) -> pd.DataFrame:
    """Coded disease results (immunofixation, clonality) mapped to the IMWG values."""
    # each distinct (test and specimen, result text) mapped once: a batch's ~75,000 coded
    # records hold a few dozen
    pair, spec = _pair_mappings(cod, LB_CODED)
    rc, texts = column_codes(_col(cod, "LBSTRESC").fillna(_col(cod, "LBORRES")).astype("string"))
    rc = rc.astype(np.intp)  # held codes may be int8: code + 1 must not wrap
    both, first, inv = np.unique(pair * (len(texts) + 1) + (rc + 1), return_index=True,
                                 return_inverse=True)
    res = np.append(np.asarray([pd.NA], dtype=object), _text(pd.Series(texts, dtype=object))
                    .to_numpy(dtype=object))  # code + 1 -> the result text, 0: missing
    mapped = np.array([spec[k // (len(texts) + 1)][1].get(r) if isinstance(r, str) else None
                       for k, r in zip(both, res[rc[first] + 1], strict=True)], dtype=object)
    unmapped = first[np.array([m is None for m in mapped], dtype=bool)]
    if len(unmapped):  # the first unmapped record raises
        i = int(unmapped.min())
        r, row = res[rc[i] + 1], cod.iloc[i]
        rule = (
            "immunofixation record without a result"
            if row["_code"] == "IMFIX" and (r is pd.NA or r == "")
            else f"result must be one of {sorted(spec[pair[i]][1])}"
        )
        raise _lb_error(row, "LBORRES", None if r is pd.NA else r, rule)
    return pd.DataFrame(
        {
            "USUBJID": cod["USUBJID"].astype(str),
            "ADT": cod["ADT"],
            "BLFL": _is_text(_col(cod, "LBBLFL"), "Y"),
            "col": np.array([c for c, _ in spec], dtype=object)[pair],
            "value": mapped[inv],
            "LBSEQ": _col(cod, "LBSEQ"),
        }
    )
