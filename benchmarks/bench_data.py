"""Date parsing in ingestion: each distinct --DTC value parsed once vs every value parsed
(the baseline, in the same process).

    .venv/bin/python benchmarks/bench_data.py
"""

import time

import numpy as np
import pandas as pd

from cartrial.data import dates

rng = np.random.default_rng(0)
base = pd.Timestamp("2024-01-01")
days = pd.to_timedelta(rng.integers(0, 700, 1_000_000), unit="D")
s = pd.Series((base + days).strftime("%Y-%m-%d"))
t0 = time.process_time()
new = dates.parse_dtc(s)
t1 = time.process_time()
old = dates._parse(s)
t2 = time.process_time()
pd.testing.assert_frame_equal(new, old)
print(f"parse_dtc 1,000,000 dates (700 distinct): distinct-value parse {t1 - t0:.2f} s CPU "
      f"vs every value {t2 - t1:.2f} s CPU ({(t2 - t1) / (t1 - t0):.0f}x)")
