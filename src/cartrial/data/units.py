"""Conversion of the units labs actually report into one standard unit per test.

Factors are multiplicative except temperature. Molar conversions are analyte-specific (molar
masses: creatinine 113.12 g/mol, bilirubin 584.66, calcium 40.08, magnesium 24.305 (divalent:
1 mEq/L = 0.5 mmol/L), uric acid 168.11, haemoglobin monomer 16,114.5).
"""

from __future__ import annotations

import numpy as np

# (from, to) -> factor, valid for every analyte.
_GENERIC: dict[tuple[str, str], float] = {
    ("10^3/uL", "10^9/L"): 1.0,
    ("cells/uL", "10^9/L"): 1e-3,
    ("/uL", "10^9/L"): 1e-3,
    ("10^9/L", "cells/uL"): 1e3,
    ("/uL", "cells/uL"): 1.0,
    ("g/dL", "g/L"): 10.0,
    ("mg/dL", "g/L"): 0.01,
    ("mg/dL", "mg/L"): 10.0,
    ("IU/L", "U/L"): 1.0,
    ("mEq/L", "mmol/L"): 1.0,
    ("ng/mL", "ug/L"): 1.0,
    ("pg/mL", "ng/L"): 1.0,
    ("g/24h", "mg/24h"): 1000.0,
    ("LB", "kg"): 0.45359237,
    ("in", "cm"): 2.54,
    ("cm", "mm"): 10.0,
    ("BEATS/MIN", "beats/min"): 1.0,
    ("s", "sec"): 1.0,
}

# (testcd, from, to) -> factor, for conversions that depend on the analyte.
_SPECIFIC: dict[tuple[str, str, str], float] = {
    ("BILI", "mg/dL", "umol/L"): 17.104,
    ("CREAT", "mg/dL", "umol/L"): 88.42,
    ("CA", "mg/dL", "mmol/L"): 0.2495,
    ("CACORR", "mg/dL", "mmol/L"): 0.2495,
    ("MG", "mg/dL", "mmol/L"): 0.4114,
    ("MG", "mEq/L", "mmol/L"): 0.5,
    ("URATE", "mg/dL", "umol/L"): 59.48,
    ("HGB", "mmol/L", "g/L"): 16.1145,
}


def conversion_factor(testcd: str, from_unit: str, to_unit: str) -> float | None:
    """Multiplicative factor from ``from_unit`` to ``to_unit`` for ``testcd`` (None: unknown).

    Parameters
    ----------
    testcd : str
        SDTM LBTESTCD of the analyte (e.g. ``"CREAT"``); molar conversions depend on it.
    from_unit, to_unit : str
        Units as reported (--ORRESU) and the standard unit (--STRESU), e.g. ``"mg/dL"``.

    Returns
    -------
    float or None
        Factor to multiply results by; 1.0 for identical units, None when the pair is unknown.

    References
    ----------
    Young DS, Ann Intern Med 1987;106:114-29 (SI conversion factors).

    Examples
    --------
    >>> conversion_factor("CREAT", "mg/dL", "umol/L")
    88.42
    >>> conversion_factor("CREAT", "mg/dL", "furlong") is None
    True
    """
    if from_unit == to_unit:
        return 1.0
    return _SPECIFIC.get((testcd, from_unit, to_unit), _GENERIC.get((from_unit, to_unit)))


def convert(values: np.ndarray, testcd: str, from_unit: str, to_unit: str) -> np.ndarray | None:
    """Convert an array of results; None when the pair is not convertible.

    Parameters
    ----------
    values : numpy.ndarray
        Numeric results in ``from_unit``.
    testcd : str
        SDTM LBTESTCD (or VSTESTCD) of the analyte; ``"TEMP"`` converts F to C (not a factor).
    from_unit, to_unit : str
        Reported and standard units.

    Returns
    -------
    numpy.ndarray or None
        Float results in ``to_unit``; None when no conversion is known.

    References
    ----------
    Young DS, Ann Intern Med 1987;106:114-29 (SI conversion factors).

    Examples
    --------
    >>> import numpy as np
    >>> convert(np.array([1.0, 2.0]), "BILI", "mg/dL", "umol/L")
    array([17.104, 34.208])
    >>> convert(np.array([98.6]), "TEMP", "F", "C").round(1)
    array([37.])
    """
    if testcd == "TEMP" and (from_unit, to_unit) == ("F", "C"):
        return (np.asarray(values, dtype=float) - 32.0) * 5.0 / 9.0
    f = conversion_factor(testcd, from_unit, to_unit)
    return None if f is None else np.asarray(values, dtype=float) * f
