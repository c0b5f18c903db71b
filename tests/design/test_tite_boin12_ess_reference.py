"""TITE-BOIN12's approximated likelihood against the authors' R code.

Reference: the TITE update step of the authors' PKBOIN-12 code (github.com/EugeneHao/PKBOIN-12,
``fun_TITE_PK_update.R`` at commit 9f2a6f2), which computes TITE-BOIN12's effective sample sizes,
estimates and utility quasi-events (Zhou et al., Stat Med 2022;41:1918-1931, section 2.2).
60 trials of random cohorts (DLT window 30 days, response window 60, uniform onsets, random
accrual) were run in R and the patients' entry and event days and the per-dose summaries at the
last decision time committed as data/tite_boin12_r_ess_{patients,doses}.csv with the script
data/tite_boin12_ess_reference.R (seed 20220131). cartrial recomputes the summaries from the
patients alone.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from cartrial.design.simulate_tite_boin12 import _status
from cartrial.design.tite_boin12_rules import pseudo_responses, summarise
from cartrial.design.utility import UtilityTable

DATA = Path(__file__).parent / "data"


def test_effective_sizes_and_quasi_events_equal_the_authors_code():
    pats = pd.read_csv(DATA / "tite_boin12_r_ess_patients.csv")
    ref = pd.read_csv(DATA / "tite_boin12_r_ess_doses.csv")
    pending_seen = 0
    for trial, p in pats.groupby("trial"):
        now = p.time.to_numpy()[:1]
        dose = p.d.to_numpy()[None, :] - 1
        entry = p.enroll.to_numpy()[None, :]
        tat = np.minimum(p.toxdat.to_numpy(), p.enroll.to_numpy() + 30.0)[None, :]
        eat = np.minimum(p.effdat.to_numpy(), p.enroll.to_numpy() + 60.0)[None, :]
        ts, tw = _status(entry, tat, np.isfinite(p.toxdat.to_numpy())[None, :], now, 30.0)
        es, ew = _status(entry, eat, np.isfinite(p.effdat.to_numpy())[None, :], now, 60.0)
        tox, eff = summarise(dose, ts, tw, 4), summarise(dose, es, ew, 4)
        n = (dose[:, :, None] == np.arange(4)[None, None, :]).sum(axis=1)
        x = pseudo_responses(n, tox, eff, UtilityTable())
        r = ref[ref.trial == trial].sort_values("dose")
        used = r.n.to_numpy() > 0
        pending_seen += int((tox.pending + eff.pending).sum())
        np.testing.assert_array_equal(n[0], r.n.to_numpy())
        np.testing.assert_array_equal(tox.y[0][used], r.x.to_numpy()[used])
        np.testing.assert_array_equal(eff.y[0][used], r.y.to_numpy()[used])
        np.testing.assert_allclose(tox.ess[0][used], r.ESS_t.to_numpy()[used], atol=1e-9)
        np.testing.assert_allclose(eff.ess[0][used], r.ESS_e.to_numpy()[used], atol=1e-9)
        ok = used & np.isfinite(r.x_d.to_numpy())
        np.testing.assert_allclose(x[0][ok], r.x_d.to_numpy()[ok], atol=1e-9)
    assert pending_seen >= 100  # the reference exercises pending outcomes
