"""Files read whole, or said not to be: each fault planted in a copy of the bundled example study.

The XPT expectations follow the record layout of SAS Technical Support document TS-140 (80-byte
records; library, member, descriptor and NAMESTR header records; a 140-byte NAMESTR per
variable whose bytes 4-5 hold the variable's length; the OBS header record; observations padded
with blanks to a whole record), computed here from the file's bytes, not by cartrial.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cartrial.data import load_study
from cartrial.data.completeness import check_file
from tests.data._planted import copy_of, findings, rows, write_examples


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    return write_examples(tmp_path_factory.mktemp("example"))


def _xpt_layout(data: bytes) -> tuple[int, int]:
    """(offset of the first observation, observation length) straight from TS-140."""
    nvar = int(data[7 * 80 + 54:7 * 80 + 58])
    namestr = data[8 * 80:8 * 80 + 140 * nvar]
    row = sum(int.from_bytes(namestr[i * 140 + 4:i * 140 + 6], "big") for i in range(nvar))
    start = 8 * 80 + -(-140 * nvar // 80) * 80 + 80
    return start, row


def test_the_example_study_is_whole(example) -> None:
    for fmt in ("csv", "xpt"):
        f = findings(example / fmt)
        assert f.empty, f.to_string()


def test_csv_cut_inside_its_last_record_and_a_latin1_file_in_one_pass(example, tmp_path) -> None:
    """vs.csv cut half-way (mid-record) and cm.csv re-encoded as latin-1: both reported, and
    the folder's other files still checked (a third fault, an AE with no subject in DM)."""
    d = copy_of(example / "csv", tmp_path / "s")
    vs = (d / "vs.csv").read_bytes()
    (d / "vs.csv").write_bytes(vs[: len(vs) // 2])
    cm = (d / "cm.csv").read_text(encoding="utf-8").replace("BORTEZOMIB", "BORTÉZOMIB", 1)
    (d / "cm.csv").write_bytes(cm.encode("latin-1"))
    line = cm.encode("utf-8")[: cm.index("É")].count(b"\n") + 1
    ae = (d / "ae.csv").read_text(encoding="utf-8").replace("CT071-001-002", "CT071-009-999", 1)
    (d / "ae.csv").write_text(ae, encoding="utf-8")
    f = findings(d)
    cut = rows(f, "FILE_TRUNCATED")
    assert list(cut["domain"]) == ["VS"] and list(cut["value"]) == ["vs.csv"]
    assert "last record has no line end" in cut["rule"].iloc[0]
    enc = rows(f, "FILE_ENCODING")
    assert list(enc["value"]) == ["cm.csv"]
    assert "byte 0xc9" in enc["rule"].iloc[0] and f"(line {line})" in enc["rule"].iloc[0]
    assert "CT071-009-999" in set(rows(f, "SUBJECT_NOT_IN_DM")["usubjid"])
    assert rows(f, "DOMAIN_MISSING").empty  # the unreadable CM is reported once, as a file


def test_csv_cut_on_a_line_end_leaves_followed_subjects_without_labs(example, tmp_path) -> None:
    """lb.csv cut at 60 % on a line end parses: the subjects it lost are still in VS, FA, QS
    and PC, so each is named."""
    d = copy_of(example / "csv", tmp_path / "s")
    text = (d / "lb.csv").read_bytes()
    cut = text[: text.rindex(b"\n", 0, len(text) * 6 // 10) + 1]
    (d / "lb.csv").write_bytes(cut)
    kept = {ln.split(b",")[2].decode() for ln in cut.splitlines()[1:]}
    lost = {ln.split(b",")[2].decode() for ln in text.splitlines()[1:]} - kept
    f = findings(d)
    exp = rows(f, "RECORDS_EXPECTED")
    assert lost and set(exp.loc[exp["domain"] == "LB", "usubjid"]) == lost
    assert (exp["variable"] == "USUBJID").all() and (exp["severity"] == "error").all()


@pytest.mark.parametrize("where", ["mid-record", "on-80-byte-record", "on-both-boundaries"])
def test_xpt_cut(example, tmp_path, where) -> None:
    d = copy_of(example / "xpt", tmp_path / "s")
    data = (d / "lb.xpt").read_bytes()
    start, row = _xpt_layout(data)
    n = (len(data) - start) // row
    if where == "mid-record":
        size = len(data) * 6 // 10 + 7
    elif where == "on-80-byte-record":
        size = len(data) * 6 // 10 // 80 * 80
    else:  # ends with an observation, on a record boundary: only the data can tell
        k = n * 6 // 10
        while (k * row) % 80:
            k -= 1
        size = start + k * row
    (d / "lb.xpt").write_bytes(data[:size])
    f = findings(d)
    cut = rows(f, "FILE_TRUNCATED")
    if where == "on-both-boundaries":
        assert cut.empty
        assert len(rows(f, "RECORDS_EXPECTED").query("domain == 'LB'")) > 0
        return
    assert set(cut["value"]) == {"lb.xpt"} and len(cut) >= 1
    text = " ".join(cut["rule"])
    if where == "mid-record":
        assert f"size {size} bytes is not a whole number of 80-byte records" in text
    whole, rest = divmod(size - start, row)
    assert f"{whole} observations of {row} bytes and {rest} bytes of a cut one" in text


@pytest.mark.parametrize("domain", ["ae", "fa"])
def test_header_only_file(example, tmp_path, domain) -> None:
    """AE or FA with a header only, while EX shows infusions and CM shows CRS treatment."""
    d = copy_of(example / "csv", tmp_path / "s")
    p = d / f"{domain}.csv"
    p.write_text(p.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    f = findings(d)
    empty = rows(f, "DOMAIN_EMPTY")
    assert list(empty["domain"]) == [domain.upper()]
    assert "EX shows 18 CAR-T infusion(s)" in empty["rule"].iloc[0]


def test_header_only_fa_names_each_crs_subject(example, tmp_path) -> None:
    d = copy_of(example / "csv", tmp_path / "s")
    p = d / "fa.csv"
    p.write_text(p.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    ae = load_study(example / "csv")["AE"]
    crs = set(ae.loc[ae["AEDECOD"] == "Cytokine release syndrome", "USUBJID"])
    exp = rows(findings(d), "RECORDS_EXPECTED")
    assert set(exp.loc[exp["domain"] == "FA", "usubjid"]) == crs


def test_empty_and_foreign_files(example, tmp_path) -> None:
    d = copy_of(example / "csv", tmp_path / "s")
    (d / "is.csv").write_bytes(b"")
    (d / "pc.csv").unlink()
    (d / "pc.xpt").write_bytes(b"this is not a transport file\n")
    f = findings(d)
    assert rows(f, "FILE_EMPTY")[["domain", "value"]].values.tolist() == [["IS", "is.csv"]]
    bad = rows(f, "FILE_UNREADABLE")
    assert bad[["domain", "value"]].values.tolist() == [["PC", "pc.xpt"]]
    assert "not a SAS XPORT" in bad["rule"].iloc[0]


def test_check_file_hash_is_the_file_sha256(example) -> None:
    import hashlib

    p = example / "csv" / "lb.csv"
    assert check_file(p, "LB").sha256 == hashlib.sha256(p.read_bytes()).hexdigest()


def _manifest(folder):
    from cartrial.data import write_manifest

    counts = {p.name: len(p.read_text(encoding="utf-8").splitlines()) - 1
              for p in folder.glob("*.csv")}
    return write_manifest(folder, counts)


def test_manifest_of_the_example_agrees(example, tmp_path) -> None:
    d = copy_of(example / "csv", tmp_path / "s")
    _manifest(d)
    assert findings(d).empty


def test_manifest_catches_a_cut_on_a_line_end_and_missing_or_extra_files(example, tmp_path):
    """ds.csv cut by one whole record: it parses and no rule of the data sees it, but size,
    SHA-256 and record count differ from what was sent (the manifest, computed with hashlib)."""
    d = copy_of(example / "csv", tmp_path / "s")
    _manifest(d)
    text = (d / "ds.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (d / "ds.csv").write_text("".join(text[:-1]), encoding="utf-8")
    (d / "is.csv").unlink()
    (d / "tr.csv").write_text("STUDYID\nCT071\n", encoding="utf-8")
    f = findings(d)
    got = {(r.rule_id, r.value) for r in f.itertuples() if r.rule_id.startswith("MANIFEST")}
    assert got == {("MANIFEST_SIZE", "ds.csv"), ("MANIFEST_SHA256", "ds.csv"),
                   ("MANIFEST_RECORDS", "ds.csv"), ("MANIFEST_FILE_MISSING", "is.csv"),
                   ("MANIFEST_FILE_EXTRA", "tr.csv")}
    rec = rows(f, "MANIFEST_RECORDS")["rule"].iloc[0]
    assert f"{len(text) - 2} records read, {len(text) - 1} sent" in rec


def test_manifest_that_cannot_be_used_is_reported(example, tmp_path) -> None:
    d = copy_of(example / "csv", tmp_path / "s")
    (d / "manifest.csv").write_text("file,bytes,sha256,records\ndm.csv,ten,x,3\n",
                                    encoding="utf-8")
    f = findings(d)
    bad = rows(f, "MANIFEST_UNREADABLE")
    assert len(bad) == 1 and "line 2" in bad["rule"].iloc[0]


def test_xpt_version_8_is_read_and_its_size_checked(tmp_path) -> None:
    import pandas as pd
    import pyreadstat

    p = tmp_path / "zz.xpt"
    pyreadstat.write_xport(pd.DataFrame({"A": [1.0, 2.0], "B": ["x", "yy"]}), str(p),
                           file_format_version=8)
    assert check_file(p, "ZZ").findings == () and check_file(p, "ZZ").usable
    p.write_bytes(p.read_bytes()[:-3])
    assert [f.rule.split("]")[0] for f in check_file(p, "ZZ").findings] == ["[FILE_TRUNCATED"]


def _old_encoding_check(data: bytes, block: int) -> int | None:
    """The replaced check, kept as the reference (regression test): every block decoded."""
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    size = 0
    for i in range(0, len(data), block):
        try:
            decoder.decode(data[i:i + block])
        except UnicodeDecodeError as exc:
            return size + exc.start
        size += len(data[i:i + block])
    return None


PIECES = [b"A,", b"\n", "é".encode(), "€".encode(), "𝄞".encode(), b"\xe9", b"\x80", b"\xff",
          b"\xc3", b"zz"]


@settings(max_examples=150, deadline=None)
@given(pieces=st.lists(st.sampled_from(PIECES), max_size=30), block=st.integers(1, 7))
def test_ascii_blocks_not_decoded_find_the_same_bad_byte(pieces, block,
                                                         tmp_path_factory) -> None:
    """Regression test against the replaced check (each block decoded): an ASCII block is
    skipped only when no character is cut at the block before, so a character cut at any block
    boundary, an invalid byte after ASCII blocks and a file ending inside a character give the
    same FILE_ENCODING finding (or none) as before."""
    import cartrial.data.completeness as completeness

    data = b"STUDYID\n" + b"".join(pieces) + b"\n"
    p = tmp_path_factory.mktemp("enc") / "dm.csv"
    p.write_bytes(data)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(completeness, "READ_BYTES", block)
        got = [f.rule for f in check_file(p, "DM").findings if "FILE_ENCODING" in f.rule]
    bad = _old_encoding_check(data, block)
    if bad is None:
        assert got == []
    else:
        assert len(got) == 1 and f"at offset {bad} " in got[0]

