"""Text normalisation of SDTM columns, computed once per distinct value.

A lab or observation column of a large trial holds millions of rows but a few hundred distinct
values; pandas' ``.str`` methods call Python once per row, so the work is done on the distinct
values and mapped back.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def upper_stripped(s: pd.Series) -> pd.Series:
    """``s.astype("string").str.strip().str.upper()`` (missing stays missing), same index."""
    s = s.astype("string")
    codes, uniq = pd.factorize(s, use_na_sentinel=True)
    done = pd.Series(uniq, dtype="string").str.strip().str.upper()
    table = np.append(done.to_numpy(dtype=object, na_value=pd.NA), pd.NA)
    return pd.Series(pd.array(table[codes], dtype="string"), index=s.index, name=s.name)
