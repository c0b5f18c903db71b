"""Date parsing in ingestion and in the engines: the memoised per-text parse (``parse_dtc``)
against the previous release's pandas parse of the distinct values, in the same process.

    .venv/bin/python benchmarks/bench_data.py

Two workloads: one large column (1,000,000 dates, 700 distinct; ingestion of a large trial) and
many small calls (400 columns of 300 dates drawn from the same 700; what ``decide`` does when
the safety engine re-reads the study at each decision date). Process CPU seconds, best of 3;
equal frames asserted.
"""

import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.data.test_dates import _pandas_parse  # noqa: E402

from cartrial.data import dates  # noqa: E402


def _pandas_distinct(s: pd.Series) -> pd.DataFrame:
    """The previous release's parse_dtc: the pandas parse on distinct values, mapped back."""
    s = s.astype("string").fillna("")
    uniq = pd.Series(pd.unique(s), dtype="string")
    out = _pandas_parse(uniq).iloc[pd.Index(uniq).get_indexer(s)].reset_index(drop=True)
    out.index = s.index
    return out


def _best(fn, *args) -> float:
    best = float("inf")
    for _ in range(3):
        t = time.process_time()
        fn(*args)
        best = min(best, time.process_time() - t)
    return best


rng = np.random.default_rng(0)
text = (pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(700), unit="D")).strftime("%Y-%m-%d")
big = pd.Series(np.asarray(text, dtype=object)[rng.integers(0, 700, 1_000_000)])
small = [pd.Series(np.asarray(text, dtype=object)[rng.integers(0, 700, 300)]) for _ in range(400)]
pd.testing.assert_frame_equal(dates.parse_dtc(big), _pandas_distinct(big))


def _many(parse) -> None:
    for s in small:
        parse(s)


dates._PARSED.clear()
t = time.process_time()
dates.parse_dtc(big)
cold = time.process_time() - t
print(f"1,000,000 dates (700 distinct): pandas {_best(_pandas_distinct, big):.3f} s CPU, "
      f"memoised {cold:.3f} s (first call) / {_best(dates.parse_dtc, big):.3f} s (texts known)")
print(f"400 calls x 300 dates: pandas {_best(_many, _pandas_distinct):.3f} s CPU, "
      f"memoised {_best(_many, dates.parse_dtc):.3f} s")
