"""Serial sweep runs: each cell is simulate_oc with its own seed; rerun, interruption, damage."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest
import yaml

from cartrial.design.simulate_oc import simulate_oc
from cartrial.errors import InputError
from cartrial.sweep.grid import expand_grid
from cartrial.sweep.run import run_sweep
from cartrial.sweep.store import (
    CELLS_DIR,
    DIGEST_SUFFIX,
    QUARANTINE_DIR,
    TMP_PREFIX,
    read_sweep,
)

BASE = {"name": "boin", "target": 0.3, "cohort_size": 3, "max_sample_size": 18,
        "dlt_window_days": 28}  # fmt: skip
GRID = {
    "n_trials": 400,
    "seed": 42,
    "designs": [{"id": "boin"} | BASE, {"id": "3+3"} | BASE | {"name": "3+3"}],
    "design_grid": [{"id_prefix": "b", "base": BASE, "vary": {"cohort_size": [1, 2]}}],
    "scenarios": [
        {"id": "s1", "true_tox": [0.05, 0.15, 0.3, 0.45]},
        {"id": "none-ok", "true_tox": [0.45, 0.5, 0.6, 0.7], "true_mtd": 0},
    ],
    "random_scenarios": [{"count": 2, "seed": 3, "n_doses": 4, "target": 0.3}],
}
N_CELLS = 4 * 4


def frames(out):
    r = read_sweep(out)
    assert r.complete
    key = ["design_id", "scenario_id"]
    ov = r.overall.sort_values(key).reset_index(drop=True)
    pdz = r.per_dose.sort_values([*key, "dose"]).reset_index(drop=True)
    return ov, pdz


def assert_same(a, b):
    pd.testing.assert_frame_equal(a[0], b[0], check_exact=True)
    pd.testing.assert_frame_equal(a[1], b[1], check_exact=True)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    out = tmp_path_factory.mktemp("ref")
    rep = run_sweep(expand_grid(GRID), out)
    assert (rep.n_cells, rep.computed, rep.reused) == (N_CELLS, N_CELLS, 0)
    return frames(out)


def test_each_cell_is_simulate_oc_with_its_seed(reference):
    ov, per = reference
    for c in expand_grid(GRID).cells()[::5]:
        r = simulate_oc(c.design, c.true_tox, c.n_trials, c.seed, true_mtd=c.true_mtd)
        row = ov[(ov.design_id == c.design_id) & (ov.scenario_id == c.scenario_id)].iloc[0]
        for col in ("pct_correct_selection", "pct_patients_above_mtd", "mean_sample_size",
                    "mean_duration_days", "true_mtd"):  # fmt: skip
            assert row[col] == r.overall.iloc[0][col]
        got = per[(per.design_id == c.design_id) & (per.scenario_id == c.scenario_id)]
        assert list(got["pct_selected"]) == list(r.per_dose["pct_selected"])
        assert row["seed"] == c.seed and row["n_trials"] == 400


def test_no_acceptable_dose_scenario_recorded(reference):
    ov, _ = reference
    assert set(ov.loc[ov.scenario_id == "none-ok", "true_mtd"]) == {0}


def test_rerun_skips_completed_cells(tmp_path, reference):
    g = expand_grid(GRID)
    run_sweep(g, tmp_path)
    rep = run_sweep(g, tmp_path)
    assert (rep.computed, rep.reused, rep.problems) == (0, N_CELLS, ())
    assert_same(frames(tmp_path), reference)


def test_listing_order_does_not_change_results(tmp_path, reference):
    rev = GRID | {"designs": GRID["designs"][::-1], "scenarios": GRID["scenarios"][::-1]}
    run_sweep(expand_grid(rev), tmp_path)
    assert_same(frames(tmp_path), reference)


class Stop(Exception):
    pass


@pytest.mark.parametrize("stop_after", [1, 7])
def test_interrupted_sweep_resumes_to_the_same_result(tmp_path, reference, stop_after):
    def interrupt(done, total):
        if done == stop_after:
            raise Stop

    g = expand_grid(GRID)
    with pytest.raises(Stop):
        run_sweep(g, tmp_path, progress=interrupt)
    # writes already under way when the run stopped finish (each file is atomic on its own)
    n_written = len(list((tmp_path / CELLS_DIR).glob("cell-*.parquet")))
    assert stop_after <= n_written < N_CELLS
    assert not read_sweep(tmp_path).complete
    rep = run_sweep(g, tmp_path)
    assert (rep.computed, rep.reused) == (N_CELLS - n_written, n_written)
    assert_same(frames(tmp_path), reference)


def test_damaged_files_are_reported_quarantined_and_recomputed(tmp_path, reference):
    g = expand_grid(GRID)
    run_sweep(g, tmp_path)
    files = sorted((tmp_path / CELLS_DIR).glob("cell-*.parquet"))
    data = files[0].read_bytes()
    files[0].write_bytes(data[: len(data) - 40])  # partial: footer cut
    files[1].write_bytes(b"garbage")
    os.replace(files[3], files[2])  # another cell's (valid) file under this cell's name
    os.replace(f"{files[3]}{DIGEST_SUFFIX}", f"{files[2]}{DIGEST_SUFFIX}")
    (tmp_path / CELLS_DIR / f"{TMP_PREFIX}{files[4].name}.99.x").write_bytes(data[:10])
    partial = read_sweep(tmp_path)
    assert not partial.complete and len(partial.problems) == 3 and len(partial.missing) == 1
    rep = run_sweep(g, tmp_path)
    assert len(rep.problems) == 3
    assert {p.file for p in rep.problems} == {f.name for f in files[:3]}
    assert rep.computed == 4 and rep.temp_files_removed == 1
    moved = [p.name for p in (tmp_path / QUARANTINE_DIR).iterdir()]
    assert sum(not n.endswith(DIGEST_SUFFIX) for n in moved) == 3  # each with its digest
    assert_same(frames(tmp_path), reference)


def test_a_flipped_byte_or_a_lost_digest_is_quarantined_and_recomputed(tmp_path, reference):
    """Issue #14.8: resume moves the damaged file (and its digest) aside and recomputes the
    cell; the final result equals an undamaged run's."""
    g = expand_grid(GRID)
    run_sweep(g, tmp_path)
    files = sorted((tmp_path / CELLS_DIR).glob("cell-*.parquet"))
    b = bytearray(files[0].read_bytes())
    b[len(b) // 3] ^= 0x10
    files[0].write_bytes(bytes(b))
    os.remove(f"{files[1]}{DIGEST_SUFFIX}")  # e.g. results written by an older cartrial
    rep = run_sweep(g, tmp_path)
    assert rep.computed == 2 and {p.file for p in rep.problems} == {files[0].name, files[1].name}
    reasons = sorted(p.reason for p in rep.problems)
    assert "no cell-" in reasons[1] and "differs from the recorded" in reasons[0]
    moved = {p.name for p in (tmp_path / QUARANTINE_DIR).iterdir()}
    assert len(moved) == 3 and sum(n.endswith(DIGEST_SUFFIX) for n in moved) == 1
    assert_same(frames(tmp_path), reference)


def test_version_change_recomputes(tmp_path, reference, monkeypatch):
    g = expand_grid(GRID)
    run_sweep(g, tmp_path)
    monkeypatch.setattr("cartrial.sweep.grid.__version__", "99.0")
    rep = run_sweep(g, tmp_path)
    assert rep.computed == N_CELLS and len(rep.problems) == N_CELLS
    assert "cartrial_version" in rep.problems[0].reason


def test_bad_chunk_size(tmp_path):
    with pytest.raises(InputError):
        run_sweep(expand_grid(GRID), tmp_path, chunk_size=0)


def test_process_killed_at_a_random_moment_resumes(tmp_path):
    # A real interruption: SIGKILL of a serial `cartrial design sweep` while it writes cells.
    grid = GRID | {"n_trials": 6000}
    gfile = tmp_path / "grid.yaml"
    gfile.write_text(yaml.safe_dump(grid))
    out = tmp_path / "out"
    code = "import sys; from cartrial.cli.main import main; sys.argv[0] = 'cartrial'; main()"
    args = ["design", "sweep", str(gfile), "--out", str(out), "--serial", "--json"]
    proc = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if len(list((out / CELLS_DIR).glob("cell-*.parquet"))) >= 3:
            break
        time.sleep(0.01)
    killed = proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    n_before = len(list((out / CELLS_DIR).glob("cell-*.parquet")))
    rep = run_sweep(expand_grid(grid), out)
    assert rep.computed + rep.reused == N_CELLS
    if killed:
        assert n_before < N_CELLS and rep.computed >= N_CELLS - n_before
    ref = tmp_path / "ref"
    run_sweep(expand_grid(grid), ref)
    assert_same(frames(out), frames(ref))
