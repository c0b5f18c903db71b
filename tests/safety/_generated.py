"""Helpers of the tests that compare the safety engine's reads on generated trials: a trial
written to disk, and a call's outcome (its result, or its refusal as text)."""

from __future__ import annotations

from pathlib import Path

from cartrial import example
from cartrial.protocol import load_protocol


def written(root: Path, seed: int, patients: int) -> Path:
    """A generated trial's SDTM files in ``root``."""
    trial = example.simulate_trial(load_protocol("ct071"), seed=seed, n_patients=patients)
    example.write_example(trial, root)
    return root


def outcome(fn):  # noqa: ANN001, ANN201
    """``fn()``, or its exception as ``"Type: message"`` (a refusal must be the same refusal)."""
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {exc}"


def loaded(root: Path, seed: int, patients: int) -> tuple:
    """(the study of a generated trial written to ``root``, the CT071 protocol)."""
    from cartrial.data import load_study

    return load_study(written(root, seed, patients)), load_protocol("ct071")
