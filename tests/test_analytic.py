"""Analytic recovery: the engine reproduces closed-form results when reduced to them."""

from __future__ import annotations

import numpy as np
from scipy import integrate, special, stats

import lab
from tests.conftest import bare

# BG/NBD population: lambda ~ Gamma(r, alpha) per day, p ~ Beta(a, b)
R, ALPHA, A, B = 0.5, 25.0, 2.0, 8.0
N, T = 20_000, 365


def bgnbd_expected(t: float) -> float:
    """E[X(t)], Fader, Hardie & Lee (2005), eq. 9."""
    z = t / (ALPHA + t)
    h = special.hyp2f1(R, B, A + B - 1, z)
    return (A + B - 1) / (A - 1) * (1 - (ALPHA / (ALPHA + t)) ** R * h)


def integrated_expected(t: float) -> float:
    """E[X(t)] by integrating E[X | lambda, p] = (1 - exp(-lambda p t)) / p (checks eq. 9)."""

    def inner(p):
        # E over lambda of (1 - exp(-lambda p t)) / p, Laplace transform of the gamma
        return (1 - (ALPHA / (ALPHA + p * t)) ** R) / p * stats.beta.pdf(p, A, B)

    return integrate.quad(inner, 0, 1, limit=200)[0]


def discrete_expected(t: int) -> float:
    """The same population in daily steps: P(order today) = 1 - exp(-lambda)."""

    def given(lam, p):
        q = 1 - np.exp(-lam)
        return (1 - (1 - q * p) ** t) / p

    val, _ = integrate.dblquad(
        lambda lam, p: given(lam, p) * stats.gamma.pdf(lam, R, scale=1 / ALPHA) * stats.beta.pdf(p, A, B),
        0, 1, 0, 3, epsabs=1e-9,
    )  # fmt: skip
    return val


def p_alive(x, tx, t):
    """BG/NBD P(alive | x, t_x, T), eq. 11 of Fader, Hardie & Lee (2005)."""
    x = np.asarray(x, float)
    ratio = ((ALPHA + t) / (ALPHA + tx)) ** (R + x)
    term = np.where(x > 0, A / np.maximum(B + x - 1, 1e-12) * ratio, 0.0)
    return 1.0 / (1.0 + term)


def _bgnbd_run(seed=11):
    sc = bare(
        N,
        T,
        traits={
            "default": {
                "propensity_per_day": {"dist": "gamma", "mean": R / ALPHA, "shape": R},
                "dropout_after_purchase": {
                    "dist": "beta",
                    "mean": A / (A + B),
                    "concentration": A + B,
                },
            }
        },
    )
    return lab.run(sc, seed=seed)


def test_bgnbd_expected_purchases_and_p_alive():
    res = _bgnbd_run()
    cust = res.customers
    x = cust["n_orders_in_run"].to_numpy()
    # expected repeat purchases: closed form vs simulation
    closed = bgnbd_expected(T)
    assert abs(closed - integrated_expected(T)) < 1e-6 * closed
    discrete = discrete_expected(T)
    se = x.std(ddof=1) / np.sqrt(N)
    # Tolerance: 4 standard errors of the mean (N customers) plus the known, exactly
    # computed gap between daily Bernoulli steps and the continuous-time model.
    bias = abs(discrete - closed)
    assert bias < 0.02 * closed, "daily discretisation should cost under 2% at these rates"
    assert abs(x.mean() - closed) < 4 * se + bias, (x.mean(), closed, discrete, se)
    assert abs(x.mean() - discrete) < 4 * se, (x.mean(), discrete, se)

    # P(alive | history): its mean must equal the share actually alive (law of total
    # expectation), overall and among repeaters / non-repeaters.
    tx = np.where(x > 0, cust["last_purchase"].to_numpy() + 1.0, 0.0)
    pa = p_alive(x, tx, T)
    alive = cust["alive"].to_numpy()
    for group in (np.ones_like(alive, bool), x == 0, x >= 1, x >= 4):
        m = group.sum()
        se_g = np.sqrt((pa[group] * (1 - pa[group])).mean() / m)
        tol = 4 * se_g + 0.01  # + 1 point for the daily-step approximation (see bias above)
        assert abs(alive[group].mean() - pa[group].mean()) < tol, (
            m,
            alive[group].mean(),
            pa[group].mean(),
        )


def test_constant_dropout_hazard_gives_mean_lifetime_one_over_p():
    p = 0.01
    n, days = 20_000, 2000
    sc = bare(
        n,
        days,
        dropout={"after_purchase": False, "per_day": True},
        traits={"default": {"dropout_per_day": {"dist": "fixed", "mean": p}}},
    )
    cust = lab.run(sc, seed=5).customers
    # a customer alive on day d survives it with prob 1-p; lifetime = days survived,
    # geometric on {1, 2, ...} with mean 1/p (those still alive at the end are censored:
    # P(L > 2000) = 0.99**2000 ~ 2e-9, so none are expected)
    assert cust["alive"].sum() == 0
    lifetime = cust["day_dropout"].to_numpy() + 1
    se = np.sqrt(1 - p) / p / np.sqrt(n)  # sd of a geometric is sqrt(1-p)/p
    assert abs(lifetime.mean() - 1 / p) < 4 * se, (lifetime.mean(), 1 / p, se)
    # and the shape is geometric: P(L <= k) = 1 - (1-p)^k (Kolmogorov–Smirnov bound)
    k = np.arange(1, 600)
    emp = np.searchsorted(np.sort(lifetime), k, side="right") / n
    assert np.max(np.abs(emp - (1 - (1 - p) ** k))) < 1.63 / np.sqrt(n)  # KS 99% critical value
