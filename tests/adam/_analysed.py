"""The example trial analysed with ADaM as Dataset-JSON, shared by the Dataset-JSON and
Define-XML tests (built once per session: the whole pipeline takes several seconds)."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path

import pytest

from cartrial.adam import BatchedDataset, write_adam

RUN_DATE = datetime(2025, 6, 1, 12, 0, 0)


@cache
def _run(root: str) -> tuple[Path, dict]:
    from cartrial.example import simulate_trial, write_example
    from cartrial.protocol import load_protocol
    from cartrial.report import outputs, pipeline, staged_adam

    base = Path(root)
    write_example(simulate_trial(load_protocol("ct071"), seed=20240228), base / "sdtm")
    kept: dict = {}

    def keep(ds, *args, **kwargs):
        kept.update(ds)
        return write_adam(ds, *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        # the writers run in this process (not a forked one) so the frames reach ``kept``
        mp.setattr(staged_adam, "write_adam", keep)
        mp.setattr(outputs, "small_trial", lambda ds: False)
        pipeline.run_analysis(base / "sdtm", "ct071", base / "out", run_date=RUN_DATE,
                              adam_format="dataset-json")
    frames = {k: v.to_frame() if isinstance(v, BatchedDataset) else v for k, v in kept.items()}
    return base / "out" / "adam", frames


def analysed(tmp_path_factory) -> tuple[Path, dict]:
    """(the adam folder, the ADaM frames handed to the writer)."""
    return _run(str(tmp_path_factory.getbasetemp() / "adam-dataset-json"))
