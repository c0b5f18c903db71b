"""Small builders for hand-worked IMWG histories (one row per assessment)."""

from __future__ import annotations

import pandas as pd

D0 = pd.Timestamp("2024-01-01")


def history(uid: str, visits: list[dict], step: int = 28) -> list[dict]:
    """visits[0] is the baseline; later visits are ``step`` days apart unless 'day' is given."""
    rows = []
    for i, v in enumerate(visits):
        day = v.pop("day", i * step)
        rows.append(
            {
                "USUBJID": uid,
                "ADT": D0 + pd.Timedelta(days=day),
                "ABLFL": "Y" if i == 0 else None,
                **v,
            }
        )
    return rows


def frame(*histories: list[dict]) -> pd.DataFrame:
    return pd.DataFrame([r for h in histories for r in h])
