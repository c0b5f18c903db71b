"""The NCA parts as their own modules: sample reading (nca_input) and lambda_z (lambda_z.py).

Hand-worked: a mono-exponential with a 2-day half-life has lambda_z = ln 2 / 2 whatever points
are fitted; PKNCA's rule (Denney W et al., J Pharmacokinet Pharmacodyn 2015;42:S65; PKNCA
``R/half.life.R``) takes, among fits within 1e-4 of the best adjusted R^2, the one with most
points, and never fits fewer than 3.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cartrial.errors import RecordError
from cartrial.kinetics.lambda_z import lambda_z_fit
from cartrial.kinetics.nca_input import read_samples
from cartrial.protocol.model import KineticsSettings


def test_an_exact_exponential_is_fitted_on_all_its_points():
    t = np.array([7.0, 10.0, 14.0, 21.0, 28.0])
    c = 1000 * np.exp(-np.log(2) / 2 * t)
    fit = lambda_z_fit(np.zeros(5, int), t, c, 1, KineticsSettings())
    assert fit["LAMZ"][0] == pytest.approx(np.log(2) / 2)
    assert fit["LAMZNPT"][0] == 5 and fit["LAMZLL"][0] == 7 and fit["LAMZUL"][0] == 28
    assert fit["R2ADJ"][0] == pytest.approx(1.0)
    assert np.exp(fit["INTERCEPT"][0]) == pytest.approx(1000)


def test_a_distorted_early_point_is_left_out_and_two_points_are_never_enough():
    t = np.array([7.0, 10.0, 14.0, 21.0])
    c = 1000 * np.exp(-0.1 * t)
    c[0] *= 3                     # off the line: the last 3 points fit exactly (adj R^2 = 1)
    g = np.array([0, 0, 0, 0, 1, 1])
    tt = np.concatenate([t, [7.0, 10.0]])
    cc = np.concatenate([c, [50.0, 25.0]])   # profile 1: two points only
    fit = lambda_z_fit(g, tt, cc, 2, KineticsSettings())
    assert fit["LAMZNPT"][0] == 3 and fit["LAMZ"][0] == pytest.approx(0.1)
    assert np.isnan(fit["LAMZ"][1])


def test_samples_are_sorted_per_profile_and_two_at_one_time_are_refused():
    df = pd.DataFrame({"USUBJID": ["B", "A", "A", "A"], "PCSEQ": [1, 2, 3, 4],
                       "time_days": [1.0, 4.0, 1.0, -1.0], "conc": [3.0, 0.0, 8.0, 2.0]})
    s = read_samples(df, ["USUBJID"], seq_col="PCSEQ")
    assert s.keys["USUBJID"].tolist() == ["A", "B"]
    assert s.g.tolist() == [0, 0, 1] and s.t.tolist() == [1.0, 4.0, 1.0]
    assert s.blq.tolist() == [False, True, False]          # a zero is BLQ
    assert s.predose_quant.tolist() == [True, False]        # quantifiable before infusion
    dup = pd.concat([df, df.iloc[[2]].assign(PCSEQ=9)], ignore_index=True)
    with pytest.raises(RecordError, match="PC"):
        read_samples(dup, ["USUBJID"], seq_col="PCSEQ")
    neg = df.assign(conc=[3.0, 0.0, -8.0, 2.0])
    with pytest.raises(RecordError, match="finite number > 0"):
        read_samples(neg, ["USUBJID"], seq_col="PCSEQ")
