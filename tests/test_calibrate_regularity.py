"""BG/CNBD-k's expected repeat transactions: the calendar's offset when k > 1.

:func:`~lab.calibrate.regularity.cnbdk_expected_count` must be BG/NBD's E[X(t)] at
k = 1 and, at k > 1, the mean of the model it describes (Gamma rates, Beta dropout
after each repeat, Erlang-k gaps), checked against a seeded Monte Carlo of that model.
"""

from __future__ import annotations

import numpy as np
import pytest

from lab.calibrate.bgnbd import bgnbd_expected_count
from lab.calibrate.models import expected_repeat_curve
from lab.calibrate.regularity import cnbdk_expected_count, expected_daily_repeats

PARAMS = {"r": 0.8, "alpha": 5.7, "a": 0.5, "b": 6.0}  # weekly units
CDNOW = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}  # FHL 2005's estimates


@pytest.mark.parametrize("params", [PARAMS, CDNOW])
def test_k_1_is_bgnbd(params):
    t = np.linspace(0.0, 78.0, 547)
    np.testing.assert_allclose(
        cnbdk_expected_count(params, 1, t), bgnbd_expected_count(params, t), rtol=1e-10, atol=1e-12
    )


def _monte_carlo(params, k: int, t: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Repeat purchases by each time of ``t`` of ``n`` simulated customers (n x len(t))."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(params["r"], 1.0 / params["alpha"], n)
    p = rng.beta(params["a"], params["b"], n)
    clock = np.zeros(n)
    alive = np.ones(n, bool)
    counts = np.zeros((n, t.size))
    while alive.any():
        clock[alive] += rng.gamma(k, 1.0 / (k * lam[alive]))
        alive &= clock <= t[-1]
        counts[alive] += clock[alive, None] <= t[None, :]
        alive &= rng.random(n) >= p  # dropout after this repeat purchase
    return counts


@pytest.mark.parametrize("k", [2, 4])
def test_k_above_1_is_the_mean_of_the_model(k):
    t = np.array([1.0, 4.0, 13.0, 26.0, 52.0])
    sims = _monte_carlo(PARAMS, k, t, 200_000, seed=k)
    mean, se = sims.mean(axis=0), sims.std(axis=0) / np.sqrt(sims.shape[0])
    exact = cnbdk_expected_count(PARAMS, k, t)
    print(f"\nk={k}: closed form {np.round(exact, 4)}, Monte Carlo {np.round(mean, 4)} ± {se}")
    # 4 Monte Carlo SE per time: a correct formula fails with chance < 1e-4 per point
    assert (np.abs(exact - mean) < 4 * se).all()
    # and regularity matters at this sample size: BG/NBD's curve is outside the band early
    assert abs(bgnbd_expected_count(PARAMS, t[:1])[0] - mean[0]) > 4 * se[0]


def test_daily_repeats_are_the_cohort_sum_of_the_curve():
    first = np.array([0, 0, 3, 10, 40, 40, 40, 99])
    n_days = 120
    days = np.arange(n_days)
    for k in (1, 3):
        cum = sum(cnbdk_expected_count(PARAMS, k, np.maximum(days - f, 0) / 7.0) for f in first)
        got = expected_daily_repeats(PARAMS, k, first, n_days, 7.0)
        np.testing.assert_allclose(got, np.diff(cum, prepend=0.0), rtol=1e-12, atol=1e-14)
        assert (got >= 0).all() and got[0] == 0.0
    k1 = expected_daily_repeats(PARAMS, 1, first, n_days, 7.0)
    bg = np.diff(expected_repeat_curve(PARAMS, first / 7.0, days / 7.0), prepend=0.0)
    np.testing.assert_allclose(k1, bg, rtol=1e-9, atol=1e-13)


def test_a_failed_fit_is_refused_by_name():
    with pytest.raises(ValueError, match=r"r, alpha, a, b > 0"):
        cnbdk_expected_count({**PARAMS, "alpha": float("nan")}, 3, [1.0])


# ------------------------------------------------------ the conditional expectation and start
def _records_and_holdout(params, k: int, T: float, t: float, n: int, seed: int):
    """Simulated customers of the model observed for ``T`` (x, t_x) and their repeat
    purchases in (T, T + t]: the Monte Carlo truth of E[Y(t) | x, t_x, T]."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(params["r"], 1.0 / params["alpha"], n)
    p = rng.beta(params["a"], params["b"], n)
    clock, alive = np.zeros(n), np.ones(n, bool)
    x, t_x, y = np.zeros(n), np.zeros(n), np.zeros(n)
    while alive.any():
        clock[alive] += rng.gamma(k, 1.0 / (k * lam[alive]))
        alive &= clock <= T + t
        before = alive & (clock <= T)
        x += before
        t_x = np.where(before, clock, t_x)
        y += alive & (clock > T)
        alive &= rng.random(n) >= p
    return x, t_x, y


@pytest.mark.parametrize("k", [1, 3])
def test_conditional_expectation_is_the_mean_given_the_record(k):
    from lab.calibrate.bgnbd import bgnbd_conditional_expected
    from lab.calibrate.regularity import cnbdk_conditional_expected

    T, t = 26.0, 26.0
    x, t_x, y = _records_and_holdout(PARAMS, k, T, t, 40_000, seed=10 + k)
    exact = cnbdk_conditional_expected(PARAMS, k, t, x, t_x, np.full(x.size, T))
    # by frequency group (x = 0, 1, 2, 3-5, 6+): the mean holdout count of the simulated
    # customers with such a record is the mean of their conditional expectations; 4 SE
    # (of the group's y) per group: a correct formula fails with chance < 1e-3 in all
    groups = np.digitize(x, [1, 2, 3, 6])
    for g in range(5):
        sel = groups == g
        se = y[sel].std() / np.sqrt(sel.sum())
        assert abs(exact[sel].mean() - y[sel].mean()) < 4 * se, (
            g,
            exact[sel].mean(),
            y[sel].mean(),
        )
    if k == 1:
        np.testing.assert_allclose(
            exact[:1000], bgnbd_conditional_expected(PARAMS, t, x[:1000], t_x[:1000], T), rtol=1e-9
        )
    else:  # and the stages since the last purchase matter: BG/NBD's is off at this size
        bg = bgnbd_conditional_expected(PARAMS, t, x, t_x, np.full(x.size, T))
        late = (x > 0) & (T - t_x > 4.0)
        assert abs(bg[late].mean() - y[late].mean()) > 4 * y[late].std() / np.sqrt(late.sum())


def test_stage_draws_follow_the_posterior_and_the_customer():
    from lab.calibrate.scenario_out import draw_stages

    n = 40_000
    post = np.tile([0.2, 0.5, 0.3], (n, 1))
    ids = [f"c{i}" for i in range(n)]
    m = draw_stages(post, ids, seed=7)
    assert set(np.unique(m)) == {0.0, 1.0, 2.0}
    share = np.bincount(m.astype(int), minlength=3) / n
    # binomial SE sqrt(0.25 / 40,000) = 0.0025: 4 SE
    np.testing.assert_allclose(share, [0.2, 0.5, 0.3], atol=0.01)
    # a customer's draw is its own (keyed by its id, not its row) and the seed's
    np.testing.assert_array_equal(draw_stages(post[::-1], ids[::-1], seed=7), m[::-1])
    assert (draw_stages(post, ids, seed=8) != m).mean() > 0.3
    # a certain posterior gives its stage
    assert (draw_stages(np.tile([0.0, 0.0, 1.0], (5, 1)), ids[:5], seed=1) == 2).all()
