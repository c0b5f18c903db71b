"""report.staged_adam: the ADaM files written into a staging folder as soon as the datasets
exist, moved into the output folder when the outputs are written (issue #18)."""

from __future__ import annotations

import gc
import tempfile
from pathlib import Path

import pytest

from cartrial.errors import InputError
from cartrial.report.staged_adam import StagedDatasets


def test_written_in_turn_at_once_beside_the_output_then_moved(tmp_path: Path) -> None:
    """Without a forked process the files are written at once (so the datasets only they read
    can be freed), into a folder in ``near``; the output folder gets them only at ``write``."""
    into: list[Path] = []

    def write(folder: Path) -> None:
        into.append(folder)
        (folder / "adsl.csv").write_text("USUBJID\n")

    staged = StagedDatasets(write, parallel=False, near=tmp_path)
    assert len(into) == 1 and into[0].parent == tmp_path
    out = tmp_path / "out" / "adam"
    assert not out.exists()
    staged.write(out)
    assert (out / "adsl.csv").read_text() == "USUBJID\n"
    assert not into[0].exists()


def test_a_refusal_is_raised_when_the_outputs_are_written(tmp_path: Path) -> None:
    """A writer's refusal while staging is raised by ``write`` (where the outputs are written,
    as when the files were written there); no file reaches the output, the stage is removed."""
    def write(folder: Path) -> None:
        (folder / "adsl.csv").write_text("part")
        raise InputError("ADSL: no label for variable(s) AGE")

    staged = StagedDatasets(write, parallel=False, near=tmp_path)
    stage = staged._stage
    with pytest.raises(InputError, match="no label"):
        staged.write(tmp_path / "adam")
    assert not (tmp_path / "adam").exists() and not stage.exists()


def test_without_the_folder_near_it_stages_in_the_system_s(tmp_path: Path) -> None:
    """``near`` missing: the system's temporary folder; the stage of a run that stopped is
    removed with the run."""
    staged = StagedDatasets(lambda folder: None, parallel=False, near=tmp_path / "absent")
    stage = staged._stage
    assert stage.parent == Path(tempfile.gettempdir())
    del staged
    gc.collect()
    assert not stage.exists()
