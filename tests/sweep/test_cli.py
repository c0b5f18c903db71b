"""`cartrial design sweep|compare` (thin layer over the sweep API)."""

from __future__ import annotations

import json

import pandas as pd
import yaml
from typer.testing import CliRunner

from cartrial.cli.main import app
from cartrial.sweep.grid import expand_grid
from cartrial.sweep.run import run_sweep
from cartrial.sweep.store import read_sweep

runner = CliRunner()
BASE = {"name": "boin", "target": 0.3, "cohort_size": 3, "max_sample_size": 12,
        "dlt_window_days": 28}  # fmt: skip
GRID = {
    "n_trials": 300,
    "seed": 4,
    "designs": [{"id": "boin"} | BASE, {"id": "3+3"} | BASE | {"name": "3+3"}],
    "scenarios": [{"id": "s1", "true_tox": [0.1, 0.3, 0.5]}],
    "random_scenarios": [{"count": 2, "seed": 1, "n_doses": 3, "target": 0.3}],
}


def test_sweep_serial_json_then_compare(tmp_path):
    g = tmp_path / "grid.yaml"
    g.write_text(yaml.safe_dump(GRID))
    out = tmp_path / "res"
    r = runner.invoke(app, ["design", "sweep", str(g), "--out", str(out), "--serial", "--json"])
    assert r.exit_code == 0, r.output
    rep = json.loads(r.stdout)
    assert (rep["n_cells"], rep["computed"], rep["reused"]) == (6, 6, 0)
    # same result as the Python API
    ref = tmp_path / "ref"
    run_sweep(expand_grid(GRID), ref)
    pd.testing.assert_frame_equal(read_sweep(out).overall, read_sweep(ref).overall)
    r = runner.invoke(app, ["design", "sweep", str(g), "--out", str(out), "--serial"])
    assert r.exit_code == 0 and "0 computed, 6 reused" in r.stdout
    figs = tmp_path / "figs"
    r = runner.invoke(app, ["design", "compare", str(out), "--out", str(figs), "--format", "svg"])
    assert r.exit_code == 0, r.output
    names = {p.name for p in figs.iterdir()}
    assert names == {"by_design.csv", "by_cell.csv", "design_comparison.svg", "tradeoff.svg"}
    assert len(pd.read_csv(figs / "by_cell.csv")) == 6
    r = runner.invoke(app, ["design", "compare", str(out), "--json"])
    doc = json.loads(r.stdout)
    assert {d["design_id"] for d in doc["by_design"]} == {"boin", "3+3"}


def test_bad_input_exits_2(tmp_path):
    g = tmp_path / "grid.yaml"
    g.write_text(yaml.safe_dump(GRID | {"n_trials": 0}))
    r = runner.invoke(app, ["design", "sweep", str(g), "--out", str(tmp_path / "o"), "--serial"])
    assert r.exit_code == 2 and "n_trials" in r.stderr
    r = runner.invoke(app, ["design", "sweep", str(tmp_path / "nope.yaml"), "--out", "x"])
    assert r.exit_code == 2
    r = runner.invoke(app, ["design", "compare", str(tmp_path)])
    assert r.exit_code == 2 and "manifest" in r.stderr
    r = runner.invoke(app, ["design", "sweep", str(g), "--out", "o", "--serial", "--workers", "2"])
    assert r.exit_code == 2


def test_help():
    for verb in ("sweep", "compare"):
        r = runner.invoke(app, ["design", verb, "--help"])
        assert r.exit_code == 0 and "--out" in r.stdout


def _swept(tmp_path):
    g = tmp_path / "grid.yaml"
    g.write_text(yaml.safe_dump(GRID))
    out = tmp_path / "res"
    run_sweep(expand_grid(GRID), out)
    return g, out


def test_compare_skips_a_damaged_file_with_a_notice(tmp_path):
    g, out = _swept(tmp_path)
    f = sorted((out / "cells").glob("cell-*.parquet"))[0]
    b = bytearray(f.read_bytes())
    b[len(b) // 2] ^= 0x04
    f.write_bytes(bytes(b))
    r = runner.invoke(app, ["design", "compare", str(out)])
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert "skipped" in r.stderr and f.name in r.stderr and "incomplete" in r.stderr
    r = runner.invoke(app, ["design", "compare", str(out), "--allow-incomplete", "--json"])
    assert r.exit_code == 0, r.output
    assert f.name in r.stderr and "left out" in json.loads(r.stdout)["method"]
    r = runner.invoke(app, ["design", "sweep", str(g), "--out", str(out), "--serial"])
    assert r.exit_code == 0 and "1 computed" in r.stdout and f.name in r.stderr


def test_ctrl_c_stops_cleanly_with_how_to_resume(tmp_path, monkeypatch):
    g = tmp_path / "grid.yaml"
    g.write_text(yaml.safe_dump(GRID))
    out = tmp_path / "res"
    import cartrial.sweep.run as sr

    real, calls = sr.run_cell, []

    def interrupted_after_two(cell):
        calls.append(cell)
        if len(calls) > 2:
            raise KeyboardInterrupt
        return real(cell)

    monkeypatch.setattr(sr, "run_cell", interrupted_after_two)
    r = runner.invoke(app, ["design", "sweep", str(g), "--out", str(out), "--serial"])
    assert r.exit_code == 130 and "Traceback" not in r.output
    assert "interrupted: 2 of 6" in r.stderr and f"--out {out} --serial" in r.stderr
    monkeypatch.setattr(sr, "run_cell", real)
    r = runner.invoke(app, ["design", "sweep", str(g), "--out", str(out), "--serial"])
    assert r.exit_code == 0 and "4 computed, 2 reused" in r.stdout


def test_sweep_reports_progress_lines_when_redirected(tmp_path):
    """stderr is not a terminal under CliRunner: a line per tenth of the cells (cli._progress),
    none with --json (stdout stays the answer, stderr quiet)."""
    g = tmp_path / "grid.yaml"
    g.write_text(yaml.safe_dump(GRID))
    r = runner.invoke(app, ["design", "sweep", str(g), "--out", str(tmp_path / "a"), "--serial"])
    assert r.exit_code == 0, r.output
    assert "sweep cells: 6/6" in r.stderr
    r = runner.invoke(app, ["design", "sweep", str(g), "--out", str(tmp_path / "b"), "--serial",
                            "--json"])
    assert r.exit_code == 0 and "sweep cells" not in r.stderr
