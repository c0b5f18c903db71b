"""Is every file read whole? Structural checks of each transferred file, made before it is parsed.

A transfer cut short still parses: a CSV cut on a line end or an XPT cut on an 80-byte record
boundary is a smaller, valid-looking dataset. What the bytes themselves show is checked here:

- ``FILE_EMPTY``      a file with no bytes (not even a header line);
- ``FILE_ENCODING``   a CSV that is not UTF-8 (e.g. a latin-1 export), with the first bad byte;
- ``FILE_TRUNCATED``  a CSV whose last record has no line end (cut inside the record or its last
  field); an XPT whose size is not a whole number of 80-byte records, or whose observation area
  does not hold a whole number of observations followed by blank padding only (SAS Technical
  Support document TS-140, "The record layout of a SAS transport file");
- ``FILE_UNREADABLE`` a file the parser refuses (ragged CSV, a file that is not SAS XPORT).

Each check names the file; the folder's other files are still read (one pass, every problem).
What a cut on a record boundary leaves behind is found from the study's own data
(:mod:`cartrial.data.expected`) or from a transfer manifest (:mod:`cartrial.data.manifest`).
"""

from __future__ import annotations

import codecs
import hashlib
from dataclasses import dataclass
from pathlib import Path

from cartrial.errors import Finding

XPT_RECORD = 80
XPT_LIBRARY = b"HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!"
XPT_LIBRARY_V8 = b"HEADER RECORD*******LIBV8   HEADER RECORD!!!!!!!"
XPT_NAMESTR = b"HEADER RECORD*******NAMESTR HEADER RECORD!!!!!!!"
XPT_OBS = b"HEADER RECORD*******OBS     HEADER RECORD!!!!!!!"
NAMESTR_BYTES = 140
READ_BYTES = 1 << 22


def file_finding(domain: str, file: str, rule_id: str, text: str,
                 severity: str = "error") -> Finding:
    """A finding about a whole file: the file name is the value, the rule id leads the text.

    Parameters
    ----------
    domain : str
        Domain the file holds (its stem, upper case).
    file : str
        File name as found in the folder.
    rule_id : str
        Stable rule id (``FILE_TRUNCATED``, ...); ``validate_study`` reports it as ``rule_id``.
    text : str
        What is wrong.
    severity : str
        ``"error"`` or ``"warning"``.

    Returns
    -------
    Finding
        ``Finding(domain, None, None, None, file, "[RULE_ID] file: text")``.

    Examples
    --------
    >>> str(file_finding("VS", "vs.csv", "FILE_EMPTY", "no header line"))
    'ERROR VS: [FILE_EMPTY] vs.csv: no header line'
    """
    return Finding(domain, None, None, None, file, f"[{rule_id}] {file}: {text}",
                   severity=severity, rule_id=rule_id)  # type: ignore[arg-type]


@dataclass(frozen=True)
class FileCheck:
    """What reading a file's bytes once showed: its SHA-256, its size, findings, and whether
    it can be parsed at all (``usable``); ``xpt_rows`` is the observation count an XPT's
    record structure implies (None for CSV or when it cannot be told)."""

    sha256: str
    size: int
    findings: tuple[Finding, ...]
    usable: bool
    xpt_rows: int | None = None


def check_file(path: Path, domain: str) -> FileCheck:
    """Hash a transferred file and check that it is whole, in one read of its bytes.

    Parameters
    ----------
    path : Path
        A ``.csv`` or ``.xpt`` file.
    domain : str
        The domain it holds (for the findings).

    Returns
    -------
    FileCheck
        Hash, size, findings (``FILE_EMPTY``, ``FILE_ENCODING``, ``FILE_TRUNCATED``,
        ``FILE_UNREADABLE``) and whether the file can be handed to the parser.

    Examples
    --------
    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "dm.csv"
    >>> _ = p.write_bytes(b"STUDYID,USUBJID\\nCT071,CT071-001")
    >>> [f.rule for f in check_file(p, "DM").findings]  # doctest: +ELLIPSIS
    ['[FILE_TRUNCATED] dm.csv: the last record has no line end...']
    """
    csv = path.suffix.lower() == ".csv"
    h = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    size, last, bad = 0, b"", None
    with open(path, "rb") as fh:  # in blocks: a large LB is never held as bytes
        while block := fh.read(READ_BYTES):
            h.update(block)
            # an ASCII block, the decoder holding no bytes of a character cut at the block
            # before, is UTF-8: checked at C speed without decoding it into a str (issue #18:
            # the decoding was a third of the check's CPU)
            if csv and bad is None and not (block.isascii() and not decoder.getstate()[0]):
                try:
                    decoder.decode(block)
                except UnicodeDecodeError as exc:
                    bad = _bad_byte(path, size + exc.start)
            size += len(block)
            last = block[-1:]
    name = path.name
    if size == 0:
        return FileCheck(h.hexdigest(), 0, (file_finding(
            domain, name, "FILE_EMPTY", "the file is empty (0 bytes, not even a header line)"),),
            usable=False)
    if not csv:
        findings, rows, usable = _xpt_structure(path, domain, size)
        return FileCheck(h.hexdigest(), size, tuple(findings), usable, rows)
    out = []
    if bad is not None:
        out.append(file_finding(domain, name, "FILE_ENCODING", bad))
    if last not in (b"\n", b"\r"):
        out.append(file_finding(
            domain, name, "FILE_TRUNCATED",
            "the last record has no line end: the file was cut inside its last record "
            "(incomplete transfer?)"))
    return FileCheck(h.hexdigest(), size, tuple(out), usable=bad is None)


def _bad_byte(path: Path, offset: int) -> str:
    """Where the first byte that is not UTF-8 is: offset, line and the byte."""
    with open(path, "rb") as fh:
        before = fh.read(offset + 1)
    line = before.count(b"\n") + 1
    return (f"not UTF-8: byte 0x{before[-1]:02x} at offset {offset} (line {line}); "
            "datasets must be UTF-8 encoded (a latin-1 / Windows-1252 export?)")


def _xpt_structure(path: Path, domain: str, size: int) -> tuple[list[Finding], int | None, bool]:
    """(findings, observations implied, usable) from an XPT v5 file's headers and size."""
    name = path.name
    with open(path, "rb") as fh:
        head = fh.read(8 * XPT_RECORD)
        if not head.startswith((XPT_LIBRARY, XPT_LIBRARY_V8)):
            return [file_finding(domain, name, "FILE_UNREADABLE",
                                 "not a SAS XPORT file: no library header record")
                    ], None, False
        out = []
        if size % XPT_RECORD:
            out.append(file_finding(
                domain, name, "FILE_TRUNCATED",
                f"size {size} bytes is not a whole number of 80-byte records "
                f"({size // XPT_RECORD} records and {size % XPT_RECORD} bytes): the file was cut"))
        if head.startswith(XPT_LIBRARY_V8):  # version 8 (long names): the size is checked
            return out, None, True
        namestr = head[7 * XPT_RECORD:8 * XPT_RECORD]
        if not namestr.startswith(XPT_NAMESTR) or not namestr[54:58].strip().isdigit():
            return [*out, file_finding(domain, name, "FILE_TRUNCATED",
                                       "the variable descriptions (NAMESTR records) are cut")
                    ], None, False
        nvar = int(namestr[54:58])
        block = -(-nvar * NAMESTR_BYTES // XPT_RECORD) * XPT_RECORD
        names = fh.read(block)
        obs = fh.read(XPT_RECORD)
        if len(names) < nvar * NAMESTR_BYTES or not obs.startswith(XPT_OBS):
            return [*out, file_finding(domain, name, "FILE_TRUNCATED",
                                       "the header is cut before the observations begin")
                    ], None, False
        row = sum(int.from_bytes(names[i * NAMESTR_BYTES + 4:i * NAMESTR_BYTES + 6], "big")
                  for i in range(nvar))
        start = 8 * XPT_RECORD + block + XPT_RECORD
        data = size - start
        if row <= 0:
            return out, 0, True
        rows, rest = divmod(data, row)
        fh.seek(start + rows * row)
        tail = fh.read(rest)
    if rest and (rest >= XPT_RECORD or tail.strip(b" ")):
        out.append(file_finding(
            domain, name, "FILE_TRUNCATED",
            f"the observations end inside an observation: {data} bytes after the headers are "
            f"{rows} observations of {row} bytes and {rest} bytes of a cut one"))
    return out, rows, True
