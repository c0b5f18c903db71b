"""DLT onset laws for the TITE simulators: TITEgBOIN's Weibull parametrised by alpha1 / alpha2.

(The uniform and scale-window Weibull onsets are drawn in :func:`simulate_tite.tite_draws`.)
"""

from __future__ import annotations

import math

import numpy as np


def titegboin_onset(
    u: np.ndarray, p: np.ndarray, window: float, alpha1: float, alpha2: float
) -> np.ndarray:
    """DLT onset times given a DLT, per dose, by TITEgBOIN's Weibull.

    TITEgBOIN's ``gen.tite`` draws a Weibull time with P(time <= window) = p and a fraction
    ``alpha1`` of the DLTs in the last ``alpha2`` of the window: shape
    a = log(log(1 - p) / log(1 - (1 - alpha1) p)) / log(1 / (1 - alpha2)), rate
    lam = -log(1 - p) / window^a, and calls it a DLT when the time is within the window. Here
    the time is drawn given the DLT, by inverting F(t) = (1 - exp(-lam t^a)) / p: the same joint
    law of (DLT, onset).

    Parameters
    ----------
    u
        Uniform(0, 1) draws, any shape.
    p
        True DLT probability per dose (K,); clipped to [1e-9, 1 - 1e-9].
    window
        DLT assessment window (days).
    alpha1, alpha2
        Share of DLTs in the last ``alpha2`` fraction of the window; both in (0, 1).

    Returns
    -------
    numpy.ndarray
        Onset days in (0, window], shape ``u.shape + (K,)``.

    References
    ----------
    Yuan Y, Lin R, Li D, Nie L, Warren KE. Time-to-event Bayesian optimal interval design to
    accelerate phase I trials. Clin Cancer Res 2018;24:4921-4930 (the simulation set-up);
    R package TITEgBOIN 0.4.0, ``get_oc_TITE_QuasiBOIN`` (``gen.tite``).

    Examples
    --------
    >>> import numpy as np
    >>> t = titegboin_onset(np.array([0.5]), np.array([0.3]), 28.0, 0.5, 0.5)
    >>> bool(0 < t[0, 0] <= 28)
    True
    """
    pi = np.clip(np.asarray(p, dtype=float), 1e-9, 1 - 1e-9)
    a = np.log(np.log1p(-pi) / np.log1p(-(1 - alpha1) * pi)) / math.log(1 / (1 - alpha2))
    lam = -np.log1p(-pi) / window**a
    t = (-np.log1p(-u[..., None] * pi) / lam) ** (1 / a)
    return np.minimum(t, window)
