"""Cell files: atomic write, metadata, checksum; damaged or foreign files are detected."""

from __future__ import annotations

import json
import os

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cartrial import __version__
from cartrial.errors import InputError
from cartrial.sweep.grid import expand_grid
from cartrial.sweep.run import run_cell
from cartrial.sweep.store import (
    CELLS_DIR,
    DIGEST_SUFFIX,
    META_KEY,
    TMP_PREFIX,
    clean_temporary,
    read_cell,
    read_sweep,
    table_digest,
    verify_cell,
    write_cell,
    write_manifest,
)

BASE = {"name": "boin", "target": 0.3, "cohort_size": 3, "max_sample_size": 12,
        "dlt_window_days": 28}  # fmt: skip
GRID = {
    "n_trials": 300,
    "seed": 1,
    "designs": [{"id": "a"} | BASE, {"id": "b"} | BASE | {"cohort_size": 2}],
    "scenarios": [{"id": "s1", "true_tox": [0.1, 0.3, 0.5]}],
}


@pytest.fixture(scope="module")
def cells():
    g = expand_grid(GRID)
    return g, g.cells()


def test_round_trip_keeps_values_and_metadata(tmp_path, cells):
    g, cs = cells
    df, extra = run_cell(cs[0])
    path = write_cell(tmp_path, cs[0], df, g.grid_hash, extra)
    assert path.parent.name == CELLS_DIR and path.name == cs[0].file_name
    back, meta = read_cell(path)
    pd.testing.assert_frame_equal(back, df)
    assert meta["design_id"] == "a" and meta["scenario_id"] == "s1"
    assert meta["seed"] == cs[0].seed and meta["n_trials"] == 300
    assert meta["cartrial_version"] == __version__ and meta["grid_hash"] == g.grid_hash
    assert meta["design"]["name"] == "boin"
    assert verify_cell(tmp_path, cs[0]) is None
    assert not list(path.parent.glob(f"{TMP_PREFIX}*"))  # no temp file left behind


def test_missing_truncated_and_garbled_files(tmp_path, cells):
    g, cs = cells
    assert verify_cell(tmp_path, cs[0]) == "missing"
    df, _ = run_cell(cs[0])
    path = write_cell(tmp_path, cs[0], df, g.grid_hash)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # partial file
    assert "differs from the recorded" in verify_cell(tmp_path, cs[0])
    _redigest(path)  # even with a matching digest, a cut file is refused by the reader
    assert "not a readable Parquet file" in verify_cell(tmp_path, cs[0])
    path.write_bytes(b"\0" * 100)
    _redigest(path)
    assert "not a readable Parquet file" in verify_cell(tmp_path, cs[0])


def _redigest(path):
    """Record the sha256 of a file's current bytes, as a tamperer who knows the format would."""
    import hashlib

    path.with_name(path.name + DIGEST_SUFFIX).write_text(
        hashlib.sha256(path.read_bytes()).hexdigest())


def test_altered_values_fail_the_checksum(tmp_path, cells):
    g, cs = cells
    df, _ = run_cell(cs[0])
    path = write_cell(tmp_path, cs[0], df, g.grid_hash)
    table = pq.read_table(path)
    pdf = table.to_pandas()
    pdf.loc[1, "pct_selected"] += 1.0  # a valid Parquet file whose content was changed
    altered = pa.Table.from_pandas(pdf, preserve_index=False).replace_schema_metadata(
        table.schema.metadata
    )
    pq.write_table(altered, path)
    with pytest.raises(InputError, match="file sha256"):
        read_cell(path)
    _redigest(path)
    with pytest.raises(InputError, match="content checksum"):
        read_cell(path)
    assert "content checksum" in verify_cell(tmp_path, cs[0])


def test_file_of_another_cell_definition_is_refused(tmp_path, cells):
    g, cs = cells
    df, _ = run_cell(cs[1])
    # cell b's result written under cell a's file name (e.g. the grid changed between runs)
    path = tmp_path / CELLS_DIR / cs[0].file_name
    write_cell(tmp_path, cs[1], df, g.grid_hash)
    os.replace(tmp_path / CELLS_DIR / cs[1].file_name, path)
    os.replace(tmp_path / CELLS_DIR / (cs[1].file_name + DIGEST_SUFFIX),
               path.with_name(path.name + DIGEST_SUFFIX))
    why = verify_cell(tmp_path, cs[0])
    assert "different cell definition" in why and "design_id" in why


def test_missing_metadata_is_refused(tmp_path, cells):
    g, cs = cells
    df, _ = run_cell(cs[0])
    (tmp_path / CELLS_DIR).mkdir()
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False),
                   tmp_path / CELLS_DIR / cs[0].file_name)  # fmt: skip
    assert "no cell-" in verify_cell(tmp_path, cs[0])  # no digest file beside it
    _redigest(tmp_path / CELLS_DIR / cs[0].file_name)
    assert "no cartrial.sweep metadata" in verify_cell(tmp_path, cs[0])
    meta = {META_KEY: b"{not json"}
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False).replace_schema_metadata(meta),
                   tmp_path / CELLS_DIR / cs[0].file_name)  # fmt: skip
    _redigest(tmp_path / CELLS_DIR / cs[0].file_name)
    assert "not valid JSON" in verify_cell(tmp_path, cs[0])


def test_clean_temporary(tmp_path):
    (tmp_path / CELLS_DIR).mkdir()
    (tmp_path / CELLS_DIR / f"{TMP_PREFIX}cell-x.parquet.1.ab").write_bytes(b"PAR1 partial")
    (tmp_path / CELLS_DIR / "cell-keep.parquet").write_bytes(b"")
    assert clean_temporary(tmp_path) == 1
    assert [p.name for p in (tmp_path / CELLS_DIR).iterdir()] == ["cell-keep.parquet"]


@settings(max_examples=40, deadline=None)
@given(
    values=st.lists(st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=6),
    i=st.integers(0, 5),
)
def test_digest_survives_parquet_and_sees_any_change(tmp_path_factory, values, i):
    df = pd.DataFrame({"design_id": ["d"] * len(values), "dose": range(1, len(values) + 1),
                       "v": values})  # fmt: skip
    path = tmp_path_factory.mktemp("d") / "x.parquet"
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), path)
    assert table_digest(pq.read_table(path).to_pandas()) == table_digest(df)
    changed = df.copy()
    j = i % len(values)
    changed.loc[j, "v"] = values[j] + 1.0 if abs(values[j]) < 1e15 else values[j] / 2
    if changed.loc[j, "v"] != values[j]:
        assert table_digest(changed) != table_digest(df)


def test_metadata_is_json_with_the_definition(tmp_path, cells):
    g, cs = cells
    df, extra = run_cell(cs[0])
    path = write_cell(tmp_path, cs[0], df, g.grid_hash, extra)
    meta = json.loads(pq.read_schema(path).metadata[META_KEY])
    assert meta["cell_hash"] == cs[0].cell_hash
    assert meta["extra"]["method"].startswith("Monte Carlo, 300 trials")


@pytest.fixture(scope="module")
def stored(tmp_path_factory, cells):
    g, cs = cells
    out = tmp_path_factory.mktemp("flip")
    df, extra = run_cell(cs[0])
    path = write_cell(out, cs[0], df, g.grid_hash, extra)
    write_manifest(out, g, cs[:1])
    return out, cs[0], path, path.read_bytes()


def _flip_is_caught(stored, i, xor):
    out, cell, path, data = stored
    b = bytearray(data)
    b[i % len(b)] ^= xor
    path.write_bytes(bytes(b))
    try:
        why = verify_cell(out, cell)
        res = read_sweep(out)
    finally:
        path.write_bytes(data)
    assert why is not None and "differs from the recorded" in why
    assert len(res.problems) == 1 and res.overall.empty


@pytest.mark.parametrize("where", [0, 3, 4, 100, 0.25, 0.5, 0.75, -60, -9, -5, -1])
def test_one_flipped_byte_anywhere_is_caught_not_raised(stored, where):
    """Issue #14.8: a single flipped byte (header, data pages, footer metadata, magic) is a
    reported problem, never an exception; checked against the sha256 of the bytes written."""
    n = len(stored[3])
    i = where if isinstance(where, int) else int(where * n)
    _flip_is_caught(stored, i, 0x01)


@settings(max_examples=60, deadline=None)
@given(i=st.integers(0, 10**9), xor=st.integers(1, 255))
def test_any_flipped_byte_is_caught(stored, i, xor):
    _flip_is_caught(stored, i, xor)


def test_damaged_manifest_is_a_clear_error(stored, tmp_path):
    import shutil

    out = tmp_path / "copy"
    shutil.copytree(stored[0], out)
    man = out / "manifest.json"
    text = man.read_text()
    man.write_text(text.replace('"cells"', '"cellz"'))
    with pytest.raises(InputError, match="not a sweep manifest"):
        read_sweep(out)
    man.write_bytes(b"\xff" + text.encode()[1:])
    with pytest.raises(InputError, match="not valid JSON"):
        read_sweep(out)
