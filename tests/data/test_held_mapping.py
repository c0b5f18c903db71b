"""data.held_mapping: the reading shared by a study's domains and a run's ADaM datasets.

Regression tests (the mapping against the frames it was given): a value held as given is
returned itself; an encoded one decoded once while a reader holds it, and again after it was
freed; setting or deleting a name forgets its decoded frame."""

from __future__ import annotations

import gc

import pandas as pd

from cartrial.data.held_mapping import HeldMapping


class _Box:
    """An encoded value: counts its decodings."""

    def __init__(self, df: pd.DataFrame) -> None:
        self.df, self.decoded = df, 0

    def frame(self) -> pd.DataFrame:
        self.decoded += 1
        return self.df.copy()


class _Boxes(HeldMapping):
    encoded = (_Box,)

    def __setitem__(self, name: str, value) -> None:  # noqa: ANN001
        self._held[name] = value
        self._forget(name)


def test_a_value_held_as_given_is_returned_itself() -> None:
    df = pd.DataFrame({"A": [1]})
    m = _Boxes()
    m["X"] = df
    assert m["X"] is df and list(m) == ["X"] and len(m) == 1 and "X" in m


def test_an_encoded_value_is_decoded_once_while_held_and_forgotten_when_set() -> None:
    box = _Box(pd.DataFrame({"A": [1, 2]}))
    m = _Boxes()
    m["X"] = box
    first = m["X"]
    assert m["X"] is first and box.decoded == 1  # one frame while a reader holds it
    del first
    gc.collect()
    kept = m["X"]
    assert box.decoded == 2  # freed, then decoded again
    m["X"] = box  # set again: what was decoded is forgotten
    assert m["X"] is not kept and box.decoded == 3
    del m["X"]
    assert "X" not in m and len(m) == 0
