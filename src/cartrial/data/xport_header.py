"""The header records of a SAS XPORT v5 file, everything before the first observation: the
library and member headers, one namestr per variable, and the SAS formats (``variable_format``)
parsed into the namestrs' ``nform``/``nfl``/``nfd`` fields as ReadStat parses them.

The layout and ReadStat's choices reproduced (texts, numbers, padding, what is refused) are
described in :mod:`cartrial.data.xport`, which writes the observations after these records.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Mapping
from datetime import datetime

from cartrial.errors import InputError

__all__ = ["NAMESTR_LEN", "RECORD_LEN", "parse_format"]

RECORD_LEN = 80
NAMESTR_LEN = 140
_EPOCH = datetime(1970, 1, 1)
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
# ntype nhfun nlng nvar0 nname nlabel nform nfl nfd nfj nfill niform nifl nifd npos rest
_NAMESTR = struct.Struct(">hhhh8s40s8shhh2s8shhl52s")
# ReadStat's xport_parse_format grammar: "$" name? width? "."?  |  name? (width? ("." decimals?)?)?
# with a name that starts and ends with a letter or "_" (2-character names allowed, see xport.py)
_NAME = r"[A-Za-z_](?:[A-Za-z0-9_]*[A-Za-z_])?"
_FORMAT = re.compile(rf"(?P<char>\$(?:{_NAME})?)(?P<cw>[0-9]+)?\.?"
                     rf"|(?P<num>{_NAME})?(?P<nw>[0-9]+)?(?:\.(?P<nd>[0-9]+)?)?")
_NOT_DATE_FORMAT = re.compile(r"DATETIME|DT|TIME|TOD|HHMM", re.IGNORECASE)
_INT16_MAX = 32767


def _stamp(created: datetime | None) -> str:
    d = _EPOCH if created is None else created
    return (f"{d.day:02d}{_MONTHS[d.month - 1]}{d.year % 100:02d}"
            f":{d.hour:02d}:{d.minute:02d}:{d.second:02d}")


def _field(text: str, width: int) -> bytes:
    """UTF-8 bytes cut to ``width`` and blank-padded to it."""
    return text.encode("utf-8")[:width].ljust(width, b" ")


def _header(name: str, nums: tuple[int, ...] = (0, 0, 0, 0, 0, 0)) -> bytes:
    text = f"HEADER RECORD*******{name:<8}HEADER RECORD!!!!!!!" + "".join(f"{n:05d}" for n in nums)
    return text.encode("ascii").ljust(RECORD_LEN, b" ")


def parse_format(fmt: str, column: str = "") -> tuple[str, int, int]:
    """SAS format text -> (name, width, decimals) as ReadStat's ``xport_parse_format`` splits it
    ("DATE9." -> ("DATE", 9, 0), "8.3" -> ("", 8, 3), "$20." -> ("$", 20, 0)). Raises InputError
    for text the grammar refuses and for what XPORT v5 cannot hold (name > 8, numbers > 32767)."""
    m = _FORMAT.fullmatch(fmt)
    if m is None:
        raise InputError(f"column {column!r}: format {fmt!r} is not a SAS format "
                         "(NAMEw.d or $NAMEw.)")
    name = m["char"] if m["char"] is not None else (m["num"] or "")
    width = int(m["cw"] or m["nw"] or 0)
    decimals = int(m["nd"] or 0)
    if len(name) > 8:
        raise InputError(f"column {column!r}: format name {name!r} longer than 8 (XPT v5)")
    if width > _INT16_MAX or decimals > _INT16_MAX:
        raise InputError(f"column {column!r}: format {fmt!r}: width or decimals over 32767")
    return name, width, decimals


def _namestr_formats(columns: list[str], kinds: list[str],
                     variable_format: Mapping[str, str] | None) -> list[tuple[bytes, int, int]]:
    """(nform, nfl, nfd) per column; a date column without a format gets pyreadstat's "DATE"."""
    given = dict(variable_format or {})
    unknown = sorted(set(given) - set(columns))
    if unknown:
        raise InputError(f"variable_format names column(s) not in the frame: {unknown}")
    out = []
    for c, kind in zip(columns, kinds, strict=True):
        fmt = given[c] if c in given else ("DATE" if kind == "date" else "")
        name, width, decimals = parse_format(fmt, c)
        if (kind == "text") != name.startswith("$") and (name or kind == "text" and fmt):
            raise InputError(f"column {c!r}: format {fmt!r} does not fit a {kind} column "
                             "($ formats are for text only)")
        if kind == "date" and _NOT_DATE_FORMAT.search(name):
            raise InputError(f"column {c!r}: format {fmt!r} is a datetime/time format; the "
                             "column is written as SAS dates (days)")
        out.append((_field(name, 8), width, decimals))
    return out


def _head(table_name: str, file_label: str, columns: list[str], labels: list[str],
          kinds: list[str], widths: list[int], formats: list[tuple[bytes, int, int]],
          offsets: list[int], stamp: str) -> bytes:
    """Library, member and namestr headers up to and including the OBS header record."""
    head = [
        _header("LIBRARY"),
        _field(f"{'SAS':<8}{'SAS':<8}{'SASLIB':<8}{'6.06':<8}{'bsd4.2':<8}{'':<24}{stamp:>16}",
               RECORD_LEN),
        _field(stamp, RECORD_LEN),
        _header("MEMBER", (0, 0, 0, 160, 0, 140)),
        _header("DSCRPTR"),
        b"SAS     " + _field(table_name, 8)
        + _field(f"{'SASDATA':<8}{'6.06':<8}{'bsd4.2':<8}{'':<24}{stamp:>16}", 64),
        _field(stamp, 32) + _field(file_label, 40) + b" " * 8,
        _header("NAMESTR", (0, len(columns), 0, 0, 0, 0)),
    ]
    numeric = [kind != "text" for kind in kinds]
    namestrs = b"".join(
        _NAMESTR.pack(1 if num else 2, 0, w, j + 1, _field(c, 8), _field(lab, 40), *fmt,
                      1 if num else 0, b"\0\0", b" " * 8, 0, 0, offsets[j], b"\0" * 52)
        for j, (c, lab, num, w, fmt) in enumerate(
            zip(columns, labels, numeric, widths, formats, strict=True)))
    namestrs += b" " * (-len(namestrs) % RECORD_LEN)
    return b"".join(head) + namestrs + _header("OBS")
