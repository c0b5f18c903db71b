"""BOIN boundaries (Liu & Yuan, J R Stat Soc C 2015;64:507-23, Table 1): published values and the
closed-form formula."""

import math

import pytest

from cartrial.design import boin_boundaries
from cartrial.errors import InputError

# Liu & Yuan, J R Stat Soc C 2015;64:507-23, Table 1 (default phi1 = 0.6 phi, phi2 = 1.4 phi), 4
# decimals as published.
PUBLISHED = {
    0.15: (0.1178, 0.1787),
    0.20: (0.1572, 0.2385),
    0.25: (0.1968, 0.2984),
    0.30: (0.2365, 0.3585),
    0.33: (0.2604, 0.3947),
    0.35: (0.2763, 0.4189),
    0.40: (0.3164, 0.4797),
}


@pytest.mark.parametrize("target", sorted(PUBLISHED))
def test_published_boundary_table(target):
    b = boin_boundaries(target)
    lam_e, lam_d = PUBLISHED[target]
    assert b.lambda_e == pytest.approx(lam_e, abs=5e-5)
    assert b.lambda_d == pytest.approx(lam_d, abs=5e-5)


def test_target_030_to_seven_digits():
    # Liu & Yuan 2015: lambda_e = 0.2364907, lambda_d = 0.3585195 (BOIN get.boundary)
    b = boin_boundaries(0.3)
    assert round(b.lambda_e, 3) == 0.236 and round(b.lambda_d, 3) == 0.359
    assert b.lambda_e == pytest.approx(0.2364907, abs=1e-7)
    assert b.lambda_d == pytest.approx(0.3585195, abs=1e-7)


@pytest.mark.parametrize("target", [0.1, 0.17, 0.22, 0.28, 0.45, 0.5])
def test_formula_for_any_target(target):
    # The equal-likelihood-ratio derivation of Liu & Yuan 2015: lambda solves
    # lambda log(phi/phi1) + (1 - lambda) log((1-phi)/(1-phi1)) = 0, same for phi2.
    phi1, phi2 = 0.6 * target, 1.4 * target
    b = boin_boundaries(target)
    for lam, other in ((b.lambda_e, phi1), (b.lambda_d, phi2)):
        llr = lam * math.log(target / other) + (1 - lam) * math.log((1 - target) / (1 - other))
        assert llr == pytest.approx(0.0, abs=1e-12)
    assert phi1 < b.lambda_e < target < b.lambda_d < phi2


@pytest.mark.parametrize("kw", [{"target": 0.01}, {"target": 0.7}, {"target": 0.3, "phi1": 0.29}])
def test_bad_input(kw):
    with pytest.raises(InputError):
        boin_boundaries(**kw)


@pytest.mark.parametrize("n", [3, 10, 30, 99, 400, 1000, 1500])
@pytest.mark.parametrize("target", [0.05, 0.2, 0.3, 0.45])
def test_elimination_posterior_equals_scipy_beta_tail(n, target):
    # P(p > target | y of n, Beta(1, 1)) in closed form (Beta-binomial identity, Abramowitz &
    # Stegun 26.5.24) against scipy's regularised incomplete Beta function
    import numpy as np
    from scipy.special import betaincc

    from cartrial.design.boundaries import _binomial_pmf

    ys = np.arange(n + 1)
    closed = np.cumsum(_binomial_pmf(n + 1, target)[: n + 1])
    np.testing.assert_allclose(closed, betaincc(ys + 1, n - ys + 1, target), rtol=0, atol=1e-12)


@pytest.mark.parametrize("target", [0.1, 0.2, 0.25, 0.3, 0.33, 0.4])
@pytest.mark.parametrize("cutoff", [0.85, 0.9, 0.95, 0.99])
def test_elimination_count_equals_scipy_version(target, cutoff):
    # the count the tables use is the one scipy's Beta survival function gives, for n = 3..120
    import numpy as np
    from scipy.special import betaincc

    from cartrial.design.boundaries import elimination_count

    for n in range(3, 121):
        post = betaincc(np.arange(n + 1) + 1, n - np.arange(n + 1) + 1, target)
        hit = np.nonzero(post > cutoff)[0]
        assert elimination_count(n, target, cutoff) == (int(hit[0]) if hit.size else None)


@pytest.mark.parametrize("extrasafe", [False, True])
def test_elimination_flags_use_the_one_count(extrasafe):
    # selection.elimination_flags is the elimination count of boundaries.py per dose; against
    # the rule computed directly with scipy's Beta survival function (Liu & Yuan 2015:
    # P(p > target | Beta(1, 1)) > cutoff at n >= 3; BOIN extrasafe: dose 1 at cutoff - 0.05)
    import numpy as np
    from scipy.special import betaincc

    from cartrial.design import elimination_flags

    rng = np.random.default_rng(3)
    for _ in range(300):
        k = int(rng.integers(1, 6))
        n = rng.integers(0, 25, k)
        y = (rng.random(k) * (n + 1)).astype(np.int64)
        p_over = betaincc(y + 1, n - y + 1, 0.3)
        hit = (n >= 3) & (p_over > 0.95)
        if extrasafe and n[0] >= 3 and p_over[0] > 0.90:
            hit[0] = True
        want = np.zeros(k, dtype=bool)
        if hit.any():
            want[int(np.argmax(hit)):] = True
        got = elimination_flags(n, y, 0.3, extrasafe=extrasafe)
        assert got.tolist() == want.tolist(), (n, y)
