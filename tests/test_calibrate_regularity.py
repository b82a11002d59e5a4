"""BG/CNBD-k's expected repeat transactions: the calendar's offset when k > 1.

:func:`~lab.calibrate.regularity.cnbdk_expected_count` must be BG/NBD's E[X(t)] at
k = 1 and, at k > 1, the mean of the model it describes (Gamma rates, Beta dropout
after each repeat, Erlang-k gaps), checked against a seeded Monte Carlo of that model.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
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
    from lab.calibrate.scenario_out import draw_clock_stages

    n = 40_000
    post = np.tile([0.2, 0.5, 0.3], (n, 1))
    ids = [f"c{i}" for i in range(n)]
    m = draw_clock_stages(post, ids, seed=7)
    assert set(np.unique(m)) == {0.0, 1.0, 2.0}
    share = np.bincount(m.astype(int), minlength=3) / n
    # binomial SE sqrt(0.25 / 40,000) = 0.0025: 4 SE
    np.testing.assert_allclose(share, [0.2, 0.5, 0.3], atol=0.01)
    # a customer's draw is its own (keyed by its id, not its row) and the seed's
    np.testing.assert_array_equal(draw_clock_stages(post[::-1], ids[::-1], seed=7), m[::-1])
    assert (draw_clock_stages(post, ids, seed=8) != m).mean() > 0.3
    # a certain posterior gives its stage
    assert (draw_clock_stages(np.tile([0.0, 0.0, 1.0], (5, 1)), ids[:5], seed=1) == 2).all()


def _conditional_unchunked(params, k, t, x, t_x, T):
    """The former one-block conditional series (term count from the largest x and z of
    all customers), kept as the reference the chunked one must reproduce."""
    from scipy import special

    from lab.calibrate.regularity import _series_terms, p_alive_cnbdk, stage_posterior

    r, alpha, a, b = (float(params[n]) for n in ("r", "alpha", "a", "b"))
    alive = p_alive_cnbdk(params, k, x, t_x, T)
    pi = stage_posterior(params, k, x, t_x, T)
    z = k * t / (alpha + k * T + k * t)
    j = np.arange(1, _series_terms(r + float(x.max()) * k + k, k, float(z.max())) + 1, dtype=float)
    weight = np.exp(special.betaln(a, b + x[:, None] + j - 1.0) - special.betaln(a, b + x)[:, None])
    out = np.zeros(x.size)
    for m in range(k):
        tail = special.betainc(j * k - m, (r + x * k + m)[:, None], z[:, None])
        out += pi[:, m] * (weight * tail).sum(axis=1)
    return alive * out


def _population_with_one_heavy_buyer(n, seed):
    rng = np.random.default_rng(seed)
    x = rng.poisson(2.0, n).astype(float)
    T = rng.uniform(10.0, 52.0, n)
    t_x = np.where(x > 0, T * rng.uniform(0.2, 1.0, n), 0.0)
    x[n // 2], t_x[n // 2], T[n // 2] = 300.0, 51.0, 52.0
    return x, t_x, T


@pytest.mark.parametrize("k", [1, 3])
def test_conditional_expectation_chunked_equals_one_block(k, monkeypatch):
    import lab.calibrate.regularity as reg

    x, t_x, T = _population_with_one_heavy_buyer(400, seed=21 + k)
    reference = _conditional_unchunked(PARAMS, k, 26.0, x, t_x, T)
    # small blocks so that the 400 customers span several of them
    monkeypatch.setattr(reg, "CONDITIONAL_BLOCK_CELLS", 2_000)
    assert len(reg._conditional_chunks(PARAMS["r"], k, np.sort(x), np.full(x.size, 0.3))) >= 4
    got = reg.cnbdk_conditional_expected(PARAMS, k, 26.0, x, t_x, T)
    # the dropped terms are each < 1e-15 of the negative binomial tail
    np.testing.assert_allclose(got, reference, rtol=1e-12, atol=0.0)


def test_conditional_chunks_stay_within_the_cell_limit():
    from lab.calibrate.regularity import _conditional_chunks, _series_terms

    k, limit = 3, 2_000_000
    x, _, T = _population_with_one_heavy_buyer(100_000, seed=5)
    z = k * 26.0 / (PARAMS["alpha"] + k * T + k * 26.0)
    order = np.argsort(x, kind="stable")
    chunks = _conditional_chunks(PARAMS["r"], k, x[order], z[order], limit)
    # contiguous, covering everyone once
    assert chunks[0][0] == 0 and chunks[-1][1] == x.size
    assert all(a[1] == b[0] for a, b in itertools.pairwise(chunks))
    for start, stop, n_j in chunks:
        assert (stop - start) * n_j <= limit
        # each block sums at least the terms every one of its customers needs
        sel = order[start:stop]
        hardest = _series_terms(PARAMS["r"] + x[sel].max() * k + k, k, float(z[sel].max()))
        assert n_j >= _series_terms(PARAMS["r"] + x[sel].max() * k + k, k, float(z[sel].min()))
        assert n_j <= hardest
    # the heavy buyer no longer sizes everyone: all but the last block need far fewer terms
    everyone = _series_terms(PARAMS["r"] + x.max() * k + k, k, float(z.max()))
    assert max(n for _, _, n in chunks[:-1]) < everyone / 10
    assert sum((b - a) * n for a, b, n in chunks) < x.size * everyone / 10


def test_conditional_expectation_rejects_failed_fit():
    from lab.calibrate.regularity import cnbdk_conditional_expected

    with pytest.raises(ValueError, match="r, alpha, a, b > 0"):
        cnbdk_conditional_expected({**PARAMS, "r": float("nan")}, 2, 26.0, [1.0], [3.0], [10.0])
    with pytest.raises(ValueError, match="k >= 1"):
        cnbdk_conditional_expected(PARAMS, 0, 26.0, [1.0], [3.0], [10.0])


def test_one_stage_clock_draws_nothing(monkeypatch):
    """k = 1: every customer is at stage 0, with no hashing of ids and no draw."""
    import lab.known_customers
    import lab.rng
    from lab.calibrate.scenario_out import draw_clock_stages

    def refuse(*_a, **_k):
        raise AssertionError("k = 1 needs no draw")

    monkeypatch.setattr(lab.known_customers, "known_customer_keys", refuse)
    monkeypatch.setattr(lab.rng, "RandomStreams", refuse)
    m = draw_clock_stages(np.ones((4, 1)), ["a", "b", "c", "d"], seed=3)
    np.testing.assert_array_equal(m, np.zeros(4))


def test_a_runaway_k_1_fit_does_not_trap_the_larger_k():
    """Each k starts from the previous k's optimum *and* the cold starts; the best wins.

    The lab-made Erlang-3 log of ``benchmarks/bench_regbias.py`` with seed 5001 (3,000
    customers, rate Gamma(0.8, 40 days), dropout Beta(0.5, 6), calibration 200 days):
    its k = 1 fit runs off to a ~ 3,800, b ~ 61,000, and warm-started from there alone
    k = 2 and 3 stayed on that ridge (k = 3 loglik -25,174.41, a forecast 9% low;
    ``benchmarks/RESULTS_regbias2.md``). From the cold starts k = 3 reaches -25,162.97
    with a, b near the truth (0.5, 6). Deterministic (seeded log, deterministic
    optimiser): the bounds are the two optima's, with room for rounding only.
    """
    import lab
    from lab.calibrate.ingest import clean_orders
    from lab.calibrate.regularity import fit_regularity, gap_log_sums
    from lab.calibrate.scenario_out import calibrate
    from tests.conftest import bare, bgnbd_traits

    start = "2026-03-02"
    traits = {"default": bgnbd_traits(0.8, 40.0, 0.5, 6.0)}
    sec = {"purchase": {"timing": "erlang", "timing_k": 3}}
    res = lab.run(bare(3000, 400, traits=traits, start_date=start, **sec), seed=5001)
    day0 = pd.Timestamp(start)
    history = pd.DataFrame(
        {"customer_id": res.customers["customer_id"], "date": day0 - pd.Timedelta(days=1)}
    )
    log = pd.concat(
        [history.assign(amount=100.0), res.transactions[["customer_id", "date", "amount"]]],
        ignore_index=True,
    )
    orders = clean_orders(log)
    end = day0 + pd.Timedelta(days=199)
    cal = calibrate(orders, end)
    u = cal.fit.time_unit_days
    reg = fit_regularity(
        cal.summary, gap_log_sums(orders.orders, end, u), k_max=3, time_unit_days=u
    )
    assert reg.profile["loglik"].iloc[0] < reg.profile["loglik"].iloc[1]  # k = 1 is far worse
    assert reg.k == 3
    assert reg.fit.loglik > -25_163.5  # the trapped optimum was -25,174.41
    assert 0.3 < reg.fit.params["a"] < 1.5 and 3.0 < reg.fit.params["b"] < 15.0


def test_too_few_repeat_buyers_try_only_k_1():
    """A log the lab refuses (fewer than MIN_REPEAT_BUYERS bought again) cannot identify
    k: only k = 1 is fitted (each larger k's fit ran to its bounds for seconds), and from
    that many repeat buyers on the whole profile is searched again."""
    from lab.calibrate.checks import MIN_REPEAT_BUYERS
    from lab.calibrate.regularity import fit_regularity

    def summary(repeaters: int) -> tuple[pd.DataFrame, pd.Series]:
        n = 40
        x = np.r_[np.full(repeaters, 3.0), np.zeros(n - repeaters)]
        t_x = np.r_[np.linspace(10.0, 20.0, repeaters), np.zeros(n - repeaters)]
        s = pd.DataFrame({"frequency": x, "recency": t_x, "T": np.full(n, 30.0)})
        return s, pd.Series(np.where(x > 0, 3.0 * np.log(3.0), 0.0), index=s.index)

    few = fit_regularity(*summary(MIN_REPEAT_BUYERS - 1), k_max=4)
    assert few.k == 1 and few.k_max == 1 and list(few.profile["k"]) == [1]
    enough = fit_regularity(*summary(MIN_REPEAT_BUYERS), k_max=4)
    assert enough.k_max == 4 and len(enough.profile) > 1
