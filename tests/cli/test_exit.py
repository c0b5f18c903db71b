"""The `cartrial` process ends without the interpreter's teardown (cartrial.cli._exit, issue #18).

Each case runs a fresh interpreter (the fast exit ends the process) and checks what the normal
exit would have given: the exit status, everything written to the standard streams and to
files, the exit handlers run, threads still working waited for. No test times anything.
"""

from __future__ import annotations

import json
import subprocess
import sys

LIMIT = 600


def _run(code: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          check=False, timeout=LIMIT)


def test_the_command_line_status_and_output_are_those_of_the_normal_exit(tmp_path) -> None:
    cmd = "from cartrial.cli.main import main; main()"
    ok = _run(cmd, "design", "table", "--design", "boin", "--json")
    assert ok.returncode == 0 and json.loads(ok.stdout)  # the whole JSON document, flushed
    bad = _run(cmd, "design", "boundaries", "--target", "2")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr and bad.stderr.strip()
    assert _run(cmd, "--help").returncode == 0


def test_exit_handlers_run_and_threads_at_work_are_waited_for(tmp_path) -> None:
    code = f"""
import atexit, threading
from pathlib import Path
from cartrial.cli._exit import exit_when_done
out = Path({str(tmp_path)!r})
go = threading.Event()
def work():
    go.wait()
    (out / "thread.txt").write_text("written")
threading.Thread(target=work).start()     # not a daemon: the normal exit waits for it
atexit.register(lambda: (out / "atexit.txt").write_text("run"))
def run():
    print("said", flush=False)
    go.set()
exit_when_done(run)
"""
    r = _run(code)
    assert r.returncode == 0 and r.stdout == "said\n"
    assert (tmp_path / "thread.txt").read_text() == "written"
    assert (tmp_path / "atexit.txt").read_text() == "run"


def test_the_status_of_sys_exit_is_kept() -> None:
    code = "import sys\nfrom cartrial.cli._exit import exit_when_done\n" \
           "exit_when_done(lambda: sys.exit({}))\n"
    assert _run(code.format("3")).returncode == 3
    assert _run(code.format("None")).returncode == 0
    r = _run(code.format("'a message'"))
    assert r.returncode == 1 and r.stderr == "a message\n"
    r = _run("from cartrial.cli._exit import exit_when_done\n"
             "def run():\n    raise KeyboardInterrupt\nexit_when_done(run)\n")
    assert r.returncode != 0 and "KeyboardInterrupt" in r.stderr  # unchanged, not swallowed
