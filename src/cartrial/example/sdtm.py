"""Array helpers that turn simulated records into SDTM columns (docs/data-model.md conventions).

Dates are carried as ``datetime64[D]`` (NaT = missing) and times of day as minutes after
midnight; --DY follows SDTMIG (no day 0: ``date - RFSTDTC + 1`` on or after infusion).
Everything here is vectorised: one call formats a whole column.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

STUDYID = "CT071"
NAT = np.datetime64("NaT", "D")


def fmt_date(days: np.ndarray) -> np.ndarray:
    """ISO 8601 dates (``2024-03-05``); NaT -> empty string."""
    d = np.asarray(days, dtype="datetime64[D]")
    out = np.datetime_as_string(d, unit="D").astype(object)
    out[np.isnat(d)] = ""
    return out


def fmt_datetime(days: np.ndarray, minutes: np.ndarray) -> np.ndarray:
    """ISO 8601 date and time to the minute (``2024-03-05T14:45``); NaT -> empty string."""
    d = np.asarray(days, dtype="datetime64[D]")
    m = np.asarray(minutes, dtype=np.int64)
    ts = d.astype("datetime64[m]") + m.astype("timedelta64[m]")
    out = np.datetime_as_string(ts, unit="m").astype(object)
    out[np.isnat(d)] = ""
    return out


def study_day(days: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """SDTMIG --DY (no day 0) as float (NaN where either date is missing)."""
    d = np.asarray(days, dtype="datetime64[D]")
    r = np.asarray(ref, dtype="datetime64[D]")
    diff = (d - r).astype("timedelta64[D]").astype(float)
    diff[np.isnat(d) | np.isnat(r)] = np.nan
    return np.where(diff >= 0, diff + 1, diff)


def fmt_num(x: np.ndarray, decimals: int) -> np.ndarray:
    """Numbers rounded to ``decimals`` places as text (no exponent; NaN -> empty)."""
    x = np.asarray(x, dtype=float)
    r = np.nan_to_num(np.round(x, decimals))
    if decimals <= 0:
        txt = list(map(str, r.astype(np.int64).tolist()))
    else:
        txt = list(map(f"{{:.{decimals}f}}".format, r.tolist()))
    out = np.array(txt, dtype=object) if len(txt) else np.zeros(0, dtype=object)
    out[np.isnan(x)] = ""
    return out


def round_sig(x: np.ndarray, sig: int) -> np.ndarray:
    """Round to ``sig`` significant digits (0 stays 0)."""
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        mag = np.floor(np.log10(np.abs(x)))
    mag = np.where(np.isfinite(mag), mag, 0)
    scale = 10.0 ** (sig - 1 - mag)
    return np.round(x * scale) / scale


def decimals_for_sig(x: np.ndarray, sig: int) -> np.ndarray:
    """Decimal places that show ``sig`` significant digits of each value (>= 0)."""
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        mag = np.floor(np.log10(np.abs(x)))
    mag = np.where(np.isfinite(mag), mag, 0)
    return np.clip(sig - 1 - mag, 0, 6).astype(int)


def fmt_sig(x: np.ndarray, sig: int) -> tuple[np.ndarray, np.ndarray]:
    """(text, value) of ``x`` rounded to ``sig`` significant digits, printed without exponent."""
    v = round_sig(x, sig)
    dec = decimals_for_sig(v, sig)
    out = np.empty(v.shape, dtype=object)
    for d in np.unique(dec):
        m = dec == d
        out[m] = fmt_num(v[m], int(d))
    return out, v


def seq_within(usubjid: np.ndarray) -> np.ndarray:
    """--SEQ: 1, 2, ... within each subject, in the given (already sorted) order."""
    u = np.asarray(usubjid)
    n = len(u)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    start = np.ones(n, dtype=bool)
    start[1:] = u[1:] != u[:-1]
    idx = np.arange(n)
    first = np.maximum.accumulate(np.where(start, idx, 0))
    return idx - first + 1


def sort_order(keys: list[np.ndarray]) -> np.ndarray:
    """Stable order sorting by ``keys`` (first key most significant); text keys by code point."""
    codes = []
    for k in keys:
        k = np.asarray(k)
        if k.dtype == object or k.dtype.kind in "US":
            k = pd.factorize(k, sort=True)[0]
        codes.append(k)
    return np.lexsort(codes[::-1]) if codes else np.zeros(0, dtype=np.int64)


def frame(domain: str, cols: Mapping[str, object], sort_by: list[str]) -> pd.DataFrame:
    """A domain table: STUDYID/DOMAIN first, rows sorted stably by ``sort_by``, --SEQ assigned."""
    lengths = {len(v) for v in cols.values() if np.ndim(v)}
    n = lengths.pop() if lengths else 0
    arrays = {c: (np.asarray(v) if np.ndim(v) else np.full(n, v, dtype=object))
              for c, v in cols.items()}
    order = sort_order([arrays[c] for c in sort_by]) if n else np.zeros(0, dtype=np.int64)
    out: dict[str, np.ndarray] = {"STUDYID": np.full(n, STUDYID, dtype=object),
                                  "DOMAIN": np.full(n, domain, dtype=object)}
    first = "USUBJID"
    out[first] = arrays[first][order]
    if domain != "DM":
        out[f"{domain}SEQ"] = seq_within(out[first])
    for c, v in arrays.items():
        if c != first:
            out[c] = v[order]
    return pd.DataFrame(out)


def _col_text(s: pd.Series) -> list[str]:
    """One column as CSV field texts, formatted as ``cartrial.data.to_csv_text`` does."""
    if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
        if pd.api.types.is_datetime64_any_dtype(s):
            return s.dt.strftime("%Y-%m-%d").fillna("").tolist()
        return s.astype(object).where(s.notna(), "").astype(str).tolist()
    v = s.to_numpy(dtype=float)
    fin = np.isfinite(v)
    is_int = fin & (np.floor(v) == v) & (np.abs(v) < 1e15)
    out = np.full(len(v), "", dtype=object)
    if is_int.any():
        out[is_int] = list(map(str, v[is_int].astype(np.int64).tolist()))
    other = fin & ~is_int
    if other.any():
        out[other] = list(map("{:.10g}".format, v[other].tolist()))
    return out.tolist()


def _quote(col: list[str]) -> list[str]:
    joined = "\x00".join(col)
    if "," not in joined and '"' not in joined and "\n" not in joined and "\r" not in joined:
        return col
    return ['"' + c.replace('"', '""') + '"' if any(ch in c for ch in ',"\n\r') else c
            for c in col]


def csv_text(df: pd.DataFrame) -> str:
    """Deterministic CSV text, byte-identical to ``cartrial.data.to_csv_text`` but faster on
    large tables (columns formatted as whole arrays, rows joined in C)."""
    cols = [_quote(_col_text(df[c])) for c in df.columns]
    header = ",".join(_quote([str(c) for c in df.columns]))
    if not len(df):
        return header + "\n"
    return header + "\n" + "\n".join(map(",".join, zip(*cols, strict=True))) + "\n"


def visit_label(nominal: np.ndarray) -> np.ndarray:
    """Protocol visit names: ``SCREENING`` for the screening day, else ``DAY n``."""
    nom = np.asarray(nominal)
    out = np.char.add("DAY ", nom.astype(str)).astype(object)
    return out
