"""TITE-BOIN12's toxicity half against R: TITE-BOIN's effective-sample-size decisions.

Reference: 400 random states (3-12 patients at the current dose, some with pending DLT
assessments and their follow-up days, 28-day window, phi_T = 0.35) decided by TITEgBOIN 0.4.0's
``next_TITE_QuasiBOIN`` (TITE-BOIN, Yuan et al., Clin Cancer Res 2018;24:4921-4930; CRAN mirror
commit bbf573a), committed as data/tite_boin12_r_tite_boin.csv with the script that made it
(data/tite_boin12_reference.R, seed 20220131). TITE-BOIN12 (Zhou et al., Stat Med
2022;41:1918-1931, section 2.2) uses the same effective sample size and the same 50% suspension
rule for DLTs, so the escalate / stay / de-escalate verdicts and the suspension must agree.

One documented difference: TITEgBOIN evaluates overdose elimination on the enrolled n (pending
patients counted as DLT-free), cartrial on the effective sample size of the approximated
likelihood; so every dose R eliminates cartrial eliminates too, and cartrial may eliminate a few
more while DLT assessments are pending.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from cartrial.design.boundaries import boin_boundaries
from cartrial.design.tite_boin12_rules import summarise, verdicts

DATA = Path(__file__).parent / "data" / "tite_boin12_r_tite_boin.csv"
WINDOW = 28.0


def _slots(ref: pd.DataFrame) -> tuple[np.ndarray, ...]:
    width = 3 + int(ref.n.max())
    dose = np.full((len(ref), width), -1)
    status = np.zeros((len(ref), width), dtype=np.int64)
    w = np.zeros((len(ref), width))
    dose[:, :3] = 0  # dose 1: 3 patients without DLT, as in the R call
    for i, r in enumerate(ref.itertuples()):
        fu = [float(v) for v in str(r.follow_up).split(";")] if r.npend else []
        done = r.n - r.npend
        dose[i, 3 : 3 + r.n] = 1
        status[i, 3 : 3 + r.y] = 1
        status[i, 3 + done : 3 + r.n] = -1
        w[i, 3 + done : 3 + r.n] = np.asarray(fu) / WINDOW
    return dose, status, w


def test_effective_sample_size_decisions_agree_with_titegboin():
    ref = pd.read_csv(DATA, keep_default_na=False)
    dose, status, w = _slots(ref)
    tox = summarise(dose, status, w, 3)
    none = summarise(dose, np.zeros_like(status), np.zeros_like(w), 3)  # efficacy unused here
    n = (dose[:, :, None] == np.arange(3)[None, None, :]).sum(axis=1)
    d = np.ones(len(ref), dtype=np.int64)
    v = verdicts(d, n, tox, none, boin_boundaries(0.35), 0.25, 0.95, 0.9)
    r_elim = ref.eliminated.to_numpy() == 1
    assert not np.any(r_elim & ~v.tox_out)  # R's eliminations are a subset of cartrial's
    assert (v.tox_out & ~r_elim).sum() <= 0.1 * len(ref)
    live = ~r_elim & ~v.tox_out
    suspend = ref.npend.to_numpy() > 0.5 * ref.n.to_numpy()
    np.testing.assert_array_equal(suspend[~r_elim], ref.suspend.to_numpy()[~r_elim] == 1)
    ours = np.where(v.too_toxic, 1, np.where(v.low_tox, 3, 2))
    moved = live & ~suspend
    assert moved.sum() >= 150
    np.testing.assert_array_equal(ours[moved], ref.next_dose.to_numpy()[moved])
