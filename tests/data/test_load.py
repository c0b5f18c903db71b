"""Reading and writing SDTM: CSV <-> XPT v5 round trip, unit standardisation, typing."""

from __future__ import annotations

import pandas as pd
import pyreadstat
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cartrial.data import load_study, write_study
from cartrial.data.spec import data_model
from cartrial.errors import InputError
from tests.data.minimal_study import minimal_domains


def test_csv_xpt_round_trip_keeps_values_labels_and_dates(tmp_path) -> None:
    write_study(minimal_domains(), tmp_path / "csv", format="csv")
    a = load_study(tmp_path / "csv")
    write_study(a.domains, tmp_path / "xpt", format="xpt")
    b = load_study(tmp_path / "xpt")
    assert a.format == "csv" and b.format == "xpt"
    assert set(a.domains) == set(b.domains)
    for name, df in a.domains.items():
        other = b[name][list(df.columns)]
        pd.testing.assert_frame_equal(df.reset_index(drop=True), other.reset_index(drop=True),
                                      check_dtype=False, obj=name)
    # labels and dataset name as the data model states; file is XPORT version 5
    _, meta = pyreadstat.read_xport(str(tmp_path / "xpt" / "ae.xpt"))
    assert meta.table_name == "AE"
    labels = dict(zip(meta.column_names, meta.column_labels, strict=True))
    assert labels["AETOXGR"] == data_model().domains["AE"].variables["AETOXGR"]
    assert (tmp_path / "xpt" / "ae.xpt").read_bytes()[:80].startswith(
        b"HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!")
    # dates stay ISO text, partial dates untouched
    assert list(b["AE"]["AESTDTC"]) == list(a["AE"]["AESTDTC"])
    assert b["AE"]["AESTDTC"].iloc[1] == "2024-03"


def test_same_input_same_bytes(tmp_path) -> None:
    write_study(minimal_domains(), tmp_path / "x", format="csv")
    write_study(minimal_domains(), tmp_path / "y", format="csv")
    for f in (tmp_path / "x").iterdir():
        assert f.read_bytes() == (tmp_path / "y" / f.name).read_bytes()


def test_results_standardised_to_one_unit(tmp_path) -> None:
    dom = minimal_domains(hgb_unit="g/dL", hgb_value=10.2)
    write_study(dom, tmp_path / "a")
    dom2 = minimal_domains(hgb_unit="g/L", hgb_value=102)
    write_study(dom2, tmp_path / "b")
    for p in ("a", "b"):
        lb = load_study(tmp_path / p)["LB"].set_index("LBTESTCD")
        assert lb.loc["HGB", "LBSTRESN"] == pytest.approx(102.0)
        assert lb.loc["HGB", "LBSTRESU"] == "g/L"
        assert lb.loc["HGB", "LBSTNRLO"] == pytest.approx(120.0)
        assert lb.loc["MPROTEIN", "LBSTRESN"] == pytest.approx(21.0)  # 2.1 g/dL


def test_blq_text_kept_with_missing_numeric(tmp_path) -> None:
    write_study(minimal_domains(), tmp_path / "s")
    pc = load_study(tmp_path / "s")["PC"]
    blq = pc[pc["PCORRES"] == "<LLOQ"].iloc[0]
    assert pd.isna(blq["PCSTRESN"]) and blq["PCSTRESC"] == "<LLOQ" and blq["PCLLOQ"] == 10


def test_missing_folder_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(InputError, match="study folder not found"):
        load_study(tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no .csv or .xpt"):
        load_study(tmp_path / "empty")


def test_unknown_domain_kept_and_reported(tmp_path) -> None:
    write_study(minimal_domains(), tmp_path / "s")
    (tmp_path / "s" / "zz.csv").write_text("STUDYID,USUBJID\nCT071,X\n")
    st = load_study(tmp_path / "s")
    assert "ZZ" in st
    assert any(f.domain == "ZZ" and f.severity == "warning" for f in st.load_findings)


def test_xpt_files_are_reproducible(tmp_path) -> None:
    """The XPORT header stamp is fixed (not the clock), so the same data give the same bytes."""
    write_study(minimal_domains(), tmp_path / "x", format="xpt")
    write_study(minimal_domains(), tmp_path / "y", format="xpt")
    for f in (tmp_path / "x").iterdir():
        assert f.read_bytes() == (tmp_path / "y" / f.name).read_bytes()


def test_csv_quoting_blanks_and_shared_values(tmp_path) -> None:
    write_study(minimal_domains(), tmp_path, format="csv")
    cm = tmp_path / "cm.csv"
    head = cm.read_text(encoding="utf-8").splitlines()[0].split(",")
    row = dict.fromkeys(head, "")
    row.update(STUDYID="CT071", DOMAIN="CM", USUBJID="CT071-001-001", CMSEQ="99",
               CMTRT='"Dexamethasone, oral\nday 1"', CMCLAS="   ")
    with open(cm, "a", encoding="utf-8") as f:
        f.write(",".join(row[c] for c in head) + "\n")
    study = load_study(tmp_path)
    got = study["CM"].set_index("CMSEQ").loc[99.0]
    assert got["CMTRT"] == "Dexamethasone, oral\nday 1"   # quoted comma and newline kept
    assert got["CMCLAS"] is pd.NA                          # blank text is missing, not "   "
    assert str(study["CM"]["USUBJID"].dtype) == "string"
    # one Python object per distinct value: a column costs a pointer per row
    usub = study["LB"]["USUBJID"].to_numpy()
    same = usub[usub == usub[0]]
    assert len(same) > 1 and all(v is same[0] for v in same)


def test_ragged_csv_is_a_clear_finding_and_the_rest_is_read(tmp_path) -> None:
    write_study(minimal_domains(), tmp_path, format="csv")
    with open(tmp_path / "dm.csv", "a", encoding="utf-8") as f:
        f.write("a,b\n")
    study = load_study(tmp_path)
    bad = [f for f in study.load_findings if f.domain == "DM"]
    assert len(bad) == 1 and bad[0].value == "dm.csv"
    assert bad[0].rule.startswith("[FILE_UNREADABLE] dm.csv: cannot be read")
    assert study.unread == {"DM": "dm.csv"} and "DM" not in study and "LB" in study


def test_csv_read_in_blocks_equals_one_block(tmp_path, monkeypatch) -> None:
    """Arrow parses a large file block by block; the text shared across blocks is still one
    object per distinct value, and the study is the same as from one block."""
    import cartrial.data.load as load
    from cartrial.example import simulate_trial, write_example
    from cartrial.protocol import load_protocol

    write_example(simulate_trial(load_protocol("ct071"), seed=3, n_patients=12), tmp_path)
    whole = load_study(tmp_path)
    monkeypatch.setattr(load, "CSV_BLOCK_BYTES", 4096)
    blocks = load_study(tmp_path)
    assert whole.load_findings == blocks.load_findings
    for name, df in whole.domains.items():
        pd.testing.assert_frame_equal(df, blocks[name], check_exact=True, obj=name)
    lb = blocks["LB"]
    assert len(lb) * 120 > 4096 * 4  # several blocks were read
    test = lb["LBTESTCD"].to_numpy()
    first, last = test[0], test[test == test[0]][-1]
    assert first is last


def test_csv_reader_encodes_each_block_as_its_text_would_be(tmp_path) -> None:
    """The loader asks the CSV reader for dictionary-encoded text (``load.TEXT_BLOCKS``) and
    takes each block's dictionary as in order of first appearance: the reader's blocks are
    those of ``pyarrow.compute.dictionary_encode`` of the same blocks read as text (quoted
    values, line breaks inside quotes, blanks, padding, a NUL, non-ASCII; many blocks)."""
    import csv

    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    import cartrial.data.load as load

    values = ["A", "B", "", "  ", " A", "a,b", "x\ny", "\x00", "é", "ALB", "B"]
    path = tmp_path / "lb.csv"
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["X", "Y"])
        w.writerows([values[i % 11], values[(i * 7) % 11]] for i in range(3000))

    def blocks(typ: pa.DataType) -> list[pa.RecordBatch]:
        return list(pacsv.open_csv(
            path, read_options=pacsv.ReadOptions(block_size=1024),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={"X": typ, "Y": typ}, strings_can_be_null=False,
                null_values=[], quoted_strings_can_be_null=False)))

    text, encoded = blocks(pa.string()), blocks(load.TEXT_BLOCKS)
    assert len(text) == len(encoded) > 10
    for t, e in zip(text, encoded, strict=True):
        for col_t, col_e in zip(t.columns, e.columns, strict=True):
            want = pc.dictionary_encode(col_t)
            assert col_e.dictionary.equals(want.dictionary) and col_e.indices.equals(want.indices)


@settings(max_examples=40)
@given(rows=st.lists(st.tuples(
    st.sampled_from(["HGB", "ANC", "PLAT", "MPROTEIN", "IMFIX", "XXX"]),
    st.sampled_from(["", "12.5", "0.8", "<0.5", "NEGATIVE", "abc", "3"]),
    st.sampled_from(["", "g/dL", "g/L", "10^9/L", "furlong"]),
    st.sampled_from([None, 7.0]),
    st.sampled_from(["", "g/L", "mg/dL", "10^9/L"])), min_size=1, max_size=40),
    chunk=st.integers(1, 7))
def test_standardisation_in_row_chunks_equals_one_pass(rows, chunk) -> None:
    """Each record is standardised on its own: any chunking gives the same columns and the same
    findings in the same order (by test, specimen, units, variable, then row)."""
    from cartrial.data import standardize_results

    lb = pd.DataFrame({
        "USUBJID": [f"S{i % 3}" for i in range(len(rows))],
        "LBSEQ": [float(i + 1) for i in range(len(rows))],
        "LBTESTCD": [r[0] for r in rows],
        "LBSPEC": "SERUM",
        "LBORRES": pd.array([r[1] or None for r in rows], dtype="string"),
        "LBORRESU": pd.array([r[2] or None for r in rows], dtype="string"),
        "LBSTRESN": [r[3] for r in rows],
        "LBSTRESU": pd.array([r[4] or None for r in rows], dtype="string"),
        "LBORNRLO": "1", "LBORNRHI": "",
    })
    one: list = []
    many: list = []
    a = standardize_results("LB", lb, data_model(), one, chunk_rows=10_000)
    b = standardize_results("LB", lb, data_model(), many, chunk_rows=chunk)
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert one == many


def test_text_with_a_nul_character_is_reported_by_record(tmp_path) -> None:
    """pandas 2 cannot tell "\\x00x" from "" when hashing (pandas #34551): such text is an error
    naming the record, never merged silently."""
    write_study(minimal_domains(), tmp_path, format="csv")
    ae = tmp_path / "ae.csv"
    text = ae.read_text(encoding="utf-8").splitlines()
    head = text[0].split(",")
    first = dict(zip(head, text[1].split(","), strict=True))
    first["AETERM"] = "Pyrexia\x00x"
    text[1] = ",".join(first[c] for c in head)
    ae.write_text("\n".join(text) + "\n", encoding="utf-8")
    study = load_study(tmp_path)
    bad = [f for f in study.load_findings if "NUL" in f.rule]
    assert len(bad) == 1
    f = bad[0]
    assert (f.domain, f.usubjid, f.variable, f.value) == ("AE", first["USUBJID"], "AETERM",
                                                         "Pyrexia\x00x")
    assert f.seq == float(first["AESEQ"]) and f.severity == "error"


def test_header_with_a_bom_padding_or_a_column_twice(tmp_path) -> None:
    """A UTF-8 byte-order mark and blanks around names are not part of the name; a column
    given twice (after upper-casing) would silently replace the other: the file is refused."""
    write_study(minimal_domains(), tmp_path, format="csv")
    dm = (tmp_path / "dm.csv").read_text(encoding="utf-8")
    (tmp_path / "dm.csv").write_text("\ufeff" + dm.replace("USUBJID", " USUBJID ", 1),
                                     encoding="utf-8")
    ae = (tmp_path / "ae.csv").read_text(encoding="utf-8")
    (tmp_path / "ae.csv").write_text(ae.replace("AETERM", "aedecod", 1), encoding="utf-8")
    study = load_study(tmp_path)
    assert list(study["DM"].columns[:3]) == ["STUDYID", "DOMAIN", "USUBJID"]
    bad = [f for f in study.load_findings if f.domain == "AE"]
    assert len(bad) == 1 and "column(s) given twice: AEDECOD" in bad[0].rule
