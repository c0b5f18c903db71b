"""TITE-BOIN ``preset: TITEgBOIN``: Beta(0.005, 0.005) selection prior and TITEgBOIN's onset.

References: TITEgBOIN 0.4.0 ``select_mtd_TITE_QuasiBOIN`` and BOIN 2.7.2 ``select.mtd`` on 400
random data sets, committed with their script in ``data/titegboin_select.R`` (deterministic:
every MTD must be equal); the DLT onset law of TITEgBOIN's ``gen.tite`` (its Weibull
parametrisation by alpha1 / alpha2, ported below as the package draws it).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp

from cartrial.design.factory import design_from_spec
from cartrial.design.selection import select_mtd
from cartrial.design.simulate_oc import simulate_oc
from cartrial.design.simulate_plan import make_plan
from cartrial.design.simulate_tite import tite_draws
from cartrial.design.state import TrialState
from cartrial.protocol import DesignSpec

REF = pd.read_csv(Path(__file__).parent / "data" / "titegboin_select.csv", comment="#")
BASE = {"target": 0.3, "cohort_size": 3, "max_sample_size": 30, "dlt_window_days": 28}


def _cases():
    for r in REF.itertuples():
        n = [int(v) for v in r.n.split()]
        y = [int(v) for v in r.y.split()]
        yield n, y, r.titegboin_mtd, r.boin_mtd


def _mtd(sel) -> int:
    return 99 if sel.mtd is None else sel.mtd + 1


def test_selection_prior_reproduces_titegboin_and_boin():
    differ = 0
    for n, y, tite, boin in _cases():
        assert _mtd(select_mtd(n, y, 0.3, prior=0.005)) == tite, (n, y)
        assert _mtd(select_mtd(n, y, 0.3)) == boin, (n, y)
        differ += tite != boin
    assert differ >= 3  # the reference contains cases where the two priors disagree


def test_preset_sets_the_prior_of_the_design_and_the_simulator():
    spec = DesignSpec.model_validate(dict(BASE, name="tite-boin", preset="TITEgBOIN"))
    assert spec.selection_prior == 0.005
    design = design_from_spec(spec, 5)
    for n, y, tite, _ in _cases():
        state = TrialState(n=tuple(n), y=tuple(y), dlt_window=28.0)
        assert _mtd(design.select(state)) == tite, (n, y)
    assert make_plan(spec, [0.1] * 5).spec.selection_prior == 0.005
    with pytest.raises(ValueError, match="TITEgBOIN"):
        DesignSpec.model_validate(dict(BASE, name="boin", preset="TITEgBOIN"))


def _titegboin_gen_tite(rng, n, pi, alpha1, alpha2, tobs):
    """TITEgBOIN 0.4.0 gen.tite / weib, as the package draws: t = (-log U / lambda)^(1/alpha),
    DLT when t <= tobs."""
    alpha = math.log(math.log(1 - pi) / math.log(1 - (1 - alpha1) * pi)) / math.log(
        1 / (1 - alpha2))
    lam = -math.log(1 - pi) / tobs**alpha
    t = (-np.log(rng.random(n)) / lam) ** (1 / alpha)
    return t[t <= tobs]


@pytest.mark.parametrize(("alpha1", "alpha2"), [(0.5, 0.5), (0.7, 0.3)])
def test_onset_follows_titegboin_gen_tite(alpha1, alpha2):
    p = [0.1, 0.3, 0.5]
    plan = make_plan(dict(BASE, name="tite-boin"), p)
    _, _, onset, _ = tite_draws(plan, np.random.default_rng(3), 4000, dlt_onset="titegboin",
                                alpha1=alpha1, alpha2=alpha2)
    assert onset.shape[-1] == 3 and (onset > 0).all() and (onset <= 28).all()
    rng = np.random.default_rng(4)
    for j, pi in enumerate(p):
        ours = onset[..., j].ravel()[:20000]
        ref = _titegboin_gen_tite(rng, 200_000, pi, alpha1, alpha2, 28.0)
        assert ks_2samp(ours, ref).pvalue > 1e-3
        # definition: a fraction alpha1 of DLTs in the last alpha2 of the window
        late = np.mean(ours > (1 - alpha2) * 28.0)
        assert abs(late - alpha1) < 4 * math.sqrt(alpha1 * (1 - alpha1) / ours.size)


def test_simulation_with_titegboin_onset_runs_and_refuses_bad_alpha():
    spec = dict(BASE, name="tite-boin", preset="TITEgBOIN", accrual={"patients_per_month": 6})
    oc = simulate_oc(spec, [0.1, 0.2, 0.3, 0.45], 300, seed=2, dlt_onset="titegboin")
    assert oc.overall.mean_duration_days[0] > 28
    from cartrial.errors import InputError

    with pytest.raises(InputError, match="alpha1"):
        simulate_oc(spec, [0.1, 0.2], 10, dlt_onset="titegboin", alpha1=1.0)


def test_oc_with_preset_and_onset_match_titegboin_get_oc():
    # TITEgBOIN 0.4.0 get_oc_TITE_QuasiBOIN, 3,000 trials (data/titegboin_oc.R); time unit = the
    # window (maxt = 1), accrual 2 per window -> 2 x 30.4375 / 28 patients a month here. Monte
    # Carlo on both sides: within 3 combined SE (R's SE from its proportions and its duration SD).
    ref = pd.read_csv(Path(__file__).parent / "data" / "titegboin_oc.csv", comment="#")
    w, n_r = 28.0, 3000
    spec = dict(BASE, name="tite-boin", preset="TITEgBOIN",
                accrual={"patients_per_month": 2 * 30.4375 / w})
    oc = simulate_oc(spec, ref.p_true.tolist(), 8000, seed=3, dlt_onset="titegboin")
    p = ref.pct_selected.to_numpy() / 100
    se = np.sqrt(100**2 * p * (1 - p) / n_r + oc.per_dose.se_pct_selected.to_numpy() ** 2)
    assert np.all(np.abs(oc.per_dose.pct_selected.to_numpy() - ref.pct_selected) <= 3 * se)
    o = oc.overall.iloc[0]
    se_d = math.sqrt((ref.sd_duration[0] / math.sqrt(n_r)) ** 2
                     + (o.se_mean_duration_days / w) ** 2)
    assert abs(o.mean_duration_days / w - ref.duration[0]) <= 3 * se_d
