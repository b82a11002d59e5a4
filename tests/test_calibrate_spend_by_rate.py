"""A strong frequency-spend dependence is handled: the spend scale follows the purchase rate.

The log is made here in numpy, not by the lab: purchase rates lambda ~ Gamma(R, ALPHA)
per week, BG/NBD dropout, gamma-gamma order values whose scale goes with
``RATIO ** log2(lambda / G)`` (G the geometric-mean rate).  Calibrating it must find the
dependence strong, recover the ratio, and the lab replaying the log with every customer
drawing its traits (as new customers do) must give frequent and rare buyers the spend
per order the log shows, where the independence model gives them the same.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from scipy.special import digamma

import lab
from lab.calibrate.gammagamma import RATIO, fit_gamma_gamma
from lab.calibrate.ingest import clean_orders
from lab.calibrate.scenario_out import (
    _correlation_line,
    calibrate,
    conditional_customers,
    first_purchase_customers,
    scenario_dict,
)
from lab.known_customers import known_customer_keys, write_known_customers

R, ALPHA, A, B = 1.2, 4.0, 1.0, 8.0  # weeks: mean rate 0.3 a week
P_SPEND, Q_SPEND, MEAN_AT_G = 6.0, 4.0, 100.0
DAYS, N = 364, 3000


def dependent_log(
    ratio: float, n: int = N, seed: int = 11, *, days: int = DAYS, join_days: int = 91
) -> pd.DataFrame:
    """Orders of ``n`` customers joining over the first ``join_days`` days of a log of
    ``days`` days from 2025-01-01 (see the module docstring)."""
    rng = np.random.default_rng(seed)
    join = np.sort(rng.integers(0, join_days, n))
    lam = rng.gamma(R, 1 / ALPHA, n) / 7  # per day
    p_drop = rng.beta(A, B, n)
    log_g = digamma(R) - np.log(ALPHA) - np.log(7)
    gamma_i = MEAN_AT_G * (Q_SPEND - 1) / P_SPEND * ratio ** ((np.log(lam) - log_g) / np.log(2))
    nu = rng.gamma(Q_SPEND, 1 / gamma_i)
    rows = []
    for i in range(n):
        t, k = float(join[i]), 0
        while t < days:
            rows.append((f"c{i:05d}", int(t), rng.gamma(P_SPEND, 1 / nu[i])))
            if k > 0 and rng.random() < p_drop[i]:
                break
            t += rng.exponential(1 / lam[i])
            k += 1
    df = pd.DataFrame(rows, columns=["customer_id", "day", "amount"])
    date = pd.Timestamp("2025-01-01") + pd.to_timedelta(df["day"], unit="D")
    return pd.DataFrame(
        {
            "customer_id": df["customer_id"],
            "date": date.dt.strftime("%Y-%m-%d"),
            "amount": df["amount"].map("{:.2f}".format),
        }
    )


def order_value_by_frequency(orders: pd.DataFrame, cuts=(2, 6)) -> pd.DataFrame:
    """Spend per order (GMV / orders) of the customers with at most ``cuts[0]`` orders
    and with at least ``cuts[1]``, with the standard error of its log (customers as
    clusters: the ratio estimator's variance)."""
    per = orders.groupby("customer_id")["amount"].agg(["sum", "count"])
    out = {}
    for name, rows in (("rare", per["count"] <= cuts[0]), ("frequent", per["count"] >= cuts[1])):
        g = per[rows]
        aov = g["sum"].sum() / g["count"].sum()
        resid = g["sum"] - aov * g["count"]
        se_log = np.sqrt((resid**2).sum()) / g["sum"].sum()
        out[name] = {"aov": aov, "se_log": se_log, "customers": len(g)}
    return pd.DataFrame(out).T


def log_ratio(t: pd.DataFrame) -> tuple[float, float]:
    """log(frequent / rare spend per order) and its standard error."""
    est = np.log(t.loc["frequent", "aov"] / t.loc["rare", "aov"])
    return float(est), float(np.hypot(t.loc["frequent", "se_log"], t.loc["rare", "se_log"]))


@pytest.fixture(scope="module")
def strong():
    clean = clean_orders(dependent_log(ratio=1.6), source="dependent.csv")
    return None, clean, calibrate(clean)


def replay(cal, folder, seed=1) -> pd.DataFrame:
    """The lab's replay of the log (every customer drawing its traits), as orders."""
    table = first_purchase_customers(cal)
    path = folder / "customers.csv"
    write_known_customers(table, path)
    sc = lab.scenario_from_dict(scenario_dict(cal, str(path), book_first_order=True))
    res = lab.run(sc, seed=seed)
    keys = dict(zip(res.customers["customer_id"], res.customers["person_key"], strict=True))
    id_of_key = dict(
        zip(known_customer_keys(table["customer_id"]), table["customer_id"], strict=True)
    )
    tx = res.transactions
    return pd.DataFrame(
        {"customer_id": tx["customer_id"].map(keys).map(id_of_key), "amount": tx["amount"]}
    )


def test_strong_dependence_is_detected_and_its_ratio_recovered(strong):
    _, _, cal = strong
    c = cal.spend_correlation()
    assert c["basis"] == "rate" and c["strong"] and c["rho"] > 0.3 + 2 * c["rho_se"]
    ratio, se = cal.spend.params[RATIO], cal.spend.se[RATIO]
    assert 0 < se < 0.1  # ~1,900 repeat buyers
    # regression calibration on the posterior log rate: unbiased to first order
    assert ratio == pytest.approx(1.6, abs=3 * se + 0.05)
    assert cal.spend_log_rate is not None and len(cal.spend_log_rate) == len(cal.summary)
    sc = scenario_dict(cal, "customers.csv")
    assert sc["traits"]["default"]["basket"][RATIO] == pytest.approx(ratio)
    from lab.configs.traits import Basket

    assert Basket(**sc["traits"]["default"]["basket"]).ratio_per_rate_doubling == ratio
    line = _correlation_line(cal)  # the YAML header's and the forecast summary's sentence
    assert "STRONG" in line and "handled" in line and f"{ratio:.3g}" in line


def test_replayed_spend_per_order_by_frequency_matches_the_log(strong, tmp_path):
    _, clean, cal = strong
    truth = order_value_by_frequency(clean.orders)
    t_est, t_se = log_ratio(truth)
    assert t_est > 5 * t_se  # the log's frequent buyers spend more per order
    handled = order_value_by_frequency(replay(cal, tmp_path))
    h_est, h_se = log_ratio(handled)
    band = 3 * np.hypot(t_se, h_se)
    assert abs(h_est - t_est) < band, (h_est, t_est, band)
    # the independence model (gamma-gamma as before) gives both groups about the same
    # spend per order: biased by more than the band
    indep = dataclasses.replace(cal, spend=fit_gamma_gamma(cal.summary), spend_log_rate=None)
    (tmp_path / "indep").mkdir()
    i_est, i_se = log_ratio(order_value_by_frequency(replay(indep, tmp_path / "indep")))
    assert abs(i_est) < 3 * i_se
    assert t_est - i_est > 3 * np.hypot(t_se, i_se)
    # GMV of the frequent group, handled vs independence, against the log
    gmv = {k: t.loc["frequent", "aov"] for k, t in (("log", truth), ("handled", handled))}
    assert gmv["handled"] == pytest.approx(gmv["log"], rel=3 * np.hypot(t_se, h_se) + 0.02)


def test_existing_customers_prior_scale_follows_their_rate(strong):
    _, _, cal = strong
    table = conditional_customers(cal)
    s = cal.summary
    one = s["frequency"].to_numpy() == 0  # no repeat spend: the prior alone
    prior_mean = P_SPEND * table["basket_rate"] / (table["basket_shape"] - 1)
    hi = one & (cal.spend_log_rate > np.quantile(cal.spend_log_rate[one], 0.8))
    lo = one & (cal.spend_log_rate < np.quantile(cal.spend_log_rate[one], 0.2))
    assert prior_mean[hi].mean() > prior_mean[lo].mean()


def test_weak_dependence_leaves_the_calibration_as_before():
    raw = dependent_log(ratio=1.0, n=1500, seed=5)
    cal = calibrate(clean_orders(raw, source="independent.csv"))
    c = cal.spend_correlation()
    assert abs(c["rho"]) < 0.15 and not c["strong"]
    assert "not strong" in _correlation_line(cal)
    assert cal.spend_log_rate is None and RATIO not in cal.spend.params
    assert cal.spend.params == fit_gamma_gamma(cal.summary).params
    sc = scenario_dict(cal, "customers.csv")
    assert RATIO not in sc["traits"]["default"]["basket"]
    assert "basket_rate" in conditional_customers(cal)


def test_draws_follow_the_rate_only_when_asked():
    from lab.agents.traits import draw_traits, spend_scale
    from lab.configs.traits import TraitSpec
    from lab.rng import RandomStreams

    keys = np.arange(40_000, dtype=np.uint64)
    base = TraitSpec()
    codes = {s: i for i, s in enumerate(sorted(base.segments))}
    before = draw_traits(base, RandomStreams(3), keys, codes)
    same = draw_traits(
        base.model_copy(update={"basket": base.basket.model_copy(update={RATIO: 1.0})}),
        RandomStreams(3),
        keys,
        codes,
    )
    for k in before:  # ratio 1 draws bit for bit what the lab drew before
        assert np.array_equal(before[k], same[k])
    spec = base.model_copy(update={"basket": base.basket.model_copy(update={RATIO: 2.0})})
    after = draw_traits(spec, RandomStreams(3), keys, codes)
    assert np.array_equal(after["propensity"], before["propensity"])
    scale = spend_scale(spec, after["propensity"])
    assert np.allclose(after["basket_rate"] * scale, before["basket_rate"])
    # a customer buying twice as often spends twice as much per order: the slope of
    # log2 mean order value (p / nu) on log2 of the rate is 1, within its sampling error
    x = np.log2(after["propensity"])
    y = np.log2(spec.basket.shape_per_order / after["basket_rate"])
    coef, cov = np.polyfit(x, y, 1, cov=True)
    assert coef[0] == pytest.approx(1.0, abs=4 * np.sqrt(cov[0, 0]))
    # and spend per order no longer depends on the rate once the scale is taken out
    assert abs(np.corrcoef(x, np.log(after["basket_rate"] * scale))[0, 1]) < 4 / np.sqrt(x.size)


def test_forecast_new_customers_spend_by_frequency_matches_the_holdout(tmp_path):
    """Two years, customers arriving throughout; fit the first 18 months and forecast the
    new customers of the last six against the holdout's new customers."""
    from lab.calibrate import fit

    clean = clean_orders(dependent_log(1.6, 6000, 21, days=728, join_days=728), source="x.csv")
    end = pd.Timestamp("2026-06-30")
    model = fit(clean, end)
    c = model.calibration.spend_correlation()
    # the repeat count mixes the rate with tenure: not strong against it, strong against
    # the rate (the check the lab uses)
    assert c["rho_frequency"] < 0.3 < c["rho"] - 2 * c["rho_se"]
    assert model.calibration.spend.params[RATIO] == pytest.approx(1.6, rel=0.1)
    o = clean.orders
    first = o.groupby("customer_id")["date"].transform("min")
    truth = order_value_by_frequency(o[(o["date"] > end) & (first > end)], cuts=(1, 3))
    t_est, t_se = log_ratio(truth)
    start = end + pd.Timedelta(days=1)
    days = int((o["date"].max() - end).days)

    def new_customers(m, folder) -> pd.DataFrame:
        folder.mkdir()
        path = folder / "new.csv"
        write_known_customers(m.expected_new_customers(start, days), path)
        sc = m.scenario(str(path), days=days)
        sc["acquisition"]["known_customers"]["book_first_order"] = True
        tx = lab.run(lab.scenario_from_dict(sc), seed=1).transactions
        return order_value_by_frequency(tx[["customer_id", "amount"]], cuts=(1, 3))

    handled = new_customers(model, tmp_path / "handled")
    h_est, h_se = log_ratio(handled)
    assert abs(h_est - t_est) < 3 * np.hypot(t_se, h_se), (h_est, t_est)
    cal = model.calibration
    plain = dataclasses.replace(cal, spend=fit_gamma_gamma(cal.summary), spend_log_rate=None)
    indep = new_customers(dataclasses.replace(model, calibration=plain), tmp_path / "indep")
    i_est, i_se = log_ratio(indep)
    assert t_est - i_est > 3 * np.hypot(t_se, i_se)  # independence: biased
    # spend per order of each group within its band.  The rare group runs ~15% low on
    # this log (1.6 SE); not a lab bias (benchmarks/RESULTS_regbias.md): this log's rare
    # group is +6% above its expectation over 12 logs of the design (79.1, sd 5.9), and
    # the rest (~5%) is the generator's continuous time: orders of one day merge into one
    # occasion (clean_orders), which doubles the value of a fast buyer's first-day
    # occasion (unmerged the rare group's mean is 70.3), while the lab has at most one
    # order a day; the lab's spend given the rate matches the model per rate bin
    for group in ("rare", "frequent"):
        band = 3 * np.hypot(truth.loc[group, "se_log"], handled.loc[group, "se_log"])
        err = np.log(handled.loc[group, "aov"] / truth.loc[group, "aov"])
        assert abs(err) < band, (group, err, band)


def test_an_inviter_sits_where_its_own_basket_draw_put_it():
    """Referral copula: the inviter's basket uniform is read back at its own rate's scale."""
    from lab.agents.traits import draw_traits, inviter_uniforms
    from lab.configs.traits import TraitSpec
    from lab.rng import RandomStreams

    base = TraitSpec()
    spec = base.model_copy(update={"basket": base.basket.model_copy(update={RATIO: 1.7})})
    keys = np.arange(5_000, dtype=np.uint64)
    codes = {s: i for i, s in enumerate(sorted(base.segments))}
    streams = RandomStreams(4)
    values = draw_traits(spec, streams, keys, codes)
    u = inviter_uniforms({"stock_import": spec}, ["stock_import"] * keys.size, values)
    own = streams.uniform("trait_basket_mean", 0, keys)
    assert np.allclose(u["basket"], own, atol=1e-4)  # tabulated inverse CDF: ~1e-6
