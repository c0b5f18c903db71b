"""The entry point: verbs listed without importing engines; each verb loads only its module."""

from __future__ import annotations

import subprocess
import sys

import typer.main

from cartrial.cli.main import VERBS, app


def test_verbs_table_matches_the_registered_commands() -> None:
    group = typer.main.get_command(app)
    assert set(group.commands) == set(VERBS)


def _run(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=False).stdout


def test_root_help_imports_no_engine() -> None:
    out = _run("import sys\nfrom cartrial.cli.main import main\n"
               "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
               "print([m for m in ('pandas', 'scipy', 'matplotlib') if m in sys.modules])")
    assert "Commands" in out and "decide" in out and "serve" in out
    assert out.strip().endswith("[]")


def test_a_verb_loads_only_its_module() -> None:
    out = _run("import sys\nfrom cartrial.cli.main import main\n"
               "try:\n    main(['protocol', 'list'])\nexcept SystemExit:\n    pass\n"
               "print('cartrial.report' in sys.modules, 'cartrial.design' in sys.modules)")
    assert "ct071" in out and out.strip().endswith("False False")


def test_the_commands_own_process_freezes_what_the_verbs_modules_made() -> None:
    # issue #18: the verb's modules imported without collections, then left out of later ones
    out = _run("import gc\nfrom cartrial.cli.main import _main\n"
               "try:\n    _main(['protocol', 'list'], own_process=True)\nexcept SystemExit:\n"
               "    pass\nprint(gc.isenabled(), gc.get_freeze_count() > 0)")
    assert out.strip().endswith("True True")


def test_in_a_callers_process_the_collector_is_left_alone() -> None:
    out = _run("import gc\nfrom cartrial.cli.main import main\ngc.disable()\n"
               "try:\n    main(['protocol', 'list'])\nexcept SystemExit:\n    pass\n"
               "a = (gc.isenabled(), gc.get_freeze_count())\ngc.enable()\n"
               "try:\n    main(['protocol', 'list'])\nexcept SystemExit:\n    pass\n"
               "print(a, gc.isenabled(), gc.get_freeze_count())")
    assert out.strip().endswith("(False, 0) True 0")
