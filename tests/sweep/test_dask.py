"""Sweeps on a dask LocalCluster of 2 worker processes (dask.distributed LocalCluster):
identical to the serial run with the same seeds, also when a worker is killed mid-sweep."""

from __future__ import annotations

import os
import signal

import pandas as pd
import pytest

from cartrial.sweep.grid import expand_grid
from cartrial.sweep.run import run_sweep, sweep_client
from cartrial.sweep.store import read_sweep

pytest.importorskip("distributed")

BASE = {"name": "boin", "target": 0.3, "cohort_size": 3, "max_sample_size": 24,
        "dlt_window_days": 28}  # fmt: skip
GRID = {
    "n_trials": 1000,
    "seed": 9,
    "design_grid": [
        {
            "id_prefix": "boin",
            "base": BASE,
            "vary": {"cohort_size": [1, 3], "elimination_cutoff": [0.9, 0.95]},
        },
        {"id_prefix": "i3+3", "base": BASE | {"name": "i3+3"}, "vary": {"cohort_size": [2, 3]}},
    ],  # fmt: skip
    "scenarios": [{"id": "s1", "true_tox": [0.05, 0.15, 0.3, 0.45, 0.6]}],
    "random_scenarios": [{"count": 4, "seed": 21, "n_doses": 5, "target": 0.3}],
}
N_CELLS = 6 * 5


def frames(out):
    r = read_sweep(out)
    assert r.complete
    key = ["design_id", "scenario_id"]
    return (
        r.overall.sort_values(key).reset_index(drop=True),
        r.per_dose.sort_values([*key, "dose"]).reset_index(drop=True),
    )


def assert_same(a, b):
    pd.testing.assert_frame_equal(a[0], b[0], check_exact=True)
    pd.testing.assert_frame_equal(a[1], b[1], check_exact=True)


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    out = tmp_path_factory.mktemp("serial")
    run_sweep(expand_grid(GRID), out)
    return frames(out)


# Generous limits, not deadlines: on a loaded 2-core machine worker start-up and restarts can
# take minutes (issue #14.9); each wait returns as soon as its event happens.
WAIT = 900
N_INTERRUPTED = 200_000  # trials per cell of the sweep interrupted by Ctrl-C (~0.2 s a cell)
SLOW_MACHINE = {"distributed.comm.timeouts.connect": "600s", "distributed.comm.timeouts.tcp":
                "600s", "distributed.deploy.lost-worker-timeout": "600s"}


@pytest.fixture(scope="module")
def client():
    import dask

    with dask.config.set(SLOW_MACHINE), sweep_client(n_workers=2) as c:
        c.wait_for_workers(2, timeout=WAIT)
        yield c


@pytest.mark.parametrize("chunk_size", [1, 4])
def test_two_workers_equal_serial(tmp_path, serial, client, chunk_size):
    rep = run_sweep(expand_grid(GRID), tmp_path, client=client, chunk_size=chunk_size)
    assert rep.workers in (1, 2) and rep.computed == N_CELLS  # 1 if a worker is restarting
    assert_same(frames(tmp_path), serial)
    # cells were computed in worker processes, not here (each records its pid)
    assert os.getpid() not in set(_pids(tmp_path))


def _pids(out):
    import json

    import pyarrow.parquet as pq

    from cartrial.sweep.store import CELLS_DIR, META_KEY

    for p in (out / CELLS_DIR).glob("cell-*.parquet"):
        yield json.loads(pq.read_schema(p).metadata[META_KEY])["extra"]["pid"]


def test_worker_killed_mid_sweep_still_completes_identically(tmp_path, serial, client):
    pids = client.run(os.getpid)
    victim = sorted(pids.values())[0]
    killed = []

    def kill_once(done, total):
        if done == 2 and not killed:
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)

    rep = run_sweep(expand_grid(GRID), tmp_path, client=client, progress=kill_once)
    assert killed == [victim]
    assert rep.computed == N_CELLS
    assert_same(frames(tmp_path), serial)
    client.wait_for_workers(2, timeout=WAIT)  # the nanny restarted the killed worker
    assert victim not in client.run(os.getpid).values()


def test_ctrl_c_in_a_terminal_stops_cleanly_and_says_how_to_resume(tmp_path):
    """Issue #14.8: SIGINT to the whole process group, as a terminal's Ctrl-C sends it (workers
    included): exit 130, a resume hint, no traceback from this process or the workers."""
    import subprocess
    import sys
    import time

    import yaml

    from cartrial.sweep.store import CELLS_DIR

    gfile = tmp_path / "grid.yaml"
    # cells long enough that the interrupt comes while most are still to do (with 3,000 trials
    # a cell takes a few ms on an idle machine: the sweep could end before the signal)
    gfile.write_text(yaml.safe_dump(GRID | {"n_trials": N_INTERRUPTED}))
    out = tmp_path / "out"
    # Ctrl-C's default handler, as a terminal's foreground job has it: a process started with
    # SIGINT ignored (inherited from whatever started the test run, as a background job's is)
    # rightly ignores Ctrl-C, and the sweep then ran to its end (exit 0) in CI
    code = ("import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
            "from cartrial.cli.main import main; sys.argv[0] = 'cartrial'; main()")
    args = ["design", "sweep", str(gfile), "--out", str(out), "--workers", "2"]
    proc = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    t0 = time.monotonic()
    while proc.poll() is None and time.monotonic() - t0 < WAIT:
        if len(list((out / CELLS_DIR).glob("cell-*.parquet"))) >= 2:
            break
        time.sleep(0.05)
    if proc.poll() is not None:
        pytest.skip("the sweep finished before it could be interrupted")
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=WAIT)
    text = err.decode()
    assert proc.returncode == 130, text
    assert "Traceback" not in text and "interrupted:" in text and "Resume with" in text
    rep = run_sweep(expand_grid(GRID | {"n_trials": N_INTERRUPTED}), out)
    assert rep.reused >= 2 and rep.computed + rep.reused == N_CELLS
