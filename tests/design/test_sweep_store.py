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
from cartrial.design.sweep_grid import expand_grid
from cartrial.design.sweep_run import run_cell
from cartrial.design.sweep_store import (
    CELLS_DIR,
    META_KEY,
    TMP_PREFIX,
    clean_temporary,
    read_cell,
    table_digest,
    verify_cell,
    write_cell,
)
from cartrial.errors import InputError

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
    assert "not a readable Parquet file" in verify_cell(tmp_path, cs[0])
    path.write_bytes(b"\0" * 100)
    assert "not a readable Parquet file" in verify_cell(tmp_path, cs[0])


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
    why = verify_cell(tmp_path, cs[0])
    assert "different cell definition" in why and "design_id" in why


def test_missing_metadata_is_refused(tmp_path, cells):
    g, cs = cells
    df, _ = run_cell(cs[0])
    (tmp_path / CELLS_DIR).mkdir()
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False),
                   tmp_path / CELLS_DIR / cs[0].file_name)  # fmt: skip
    assert "no cartrial.sweep metadata" in verify_cell(tmp_path, cs[0])
    meta = {META_KEY: b"{not json"}
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False).replace_schema_metadata(meta),
                   tmp_path / CELLS_DIR / cs[0].file_name)  # fmt: skip
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
