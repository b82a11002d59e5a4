"""Parameter draws of the order model (lab.calibrate.order_model.parameter_draws).

A short log can leave BG/NBD's a and b unidentified (only a/(a+b) is determined: the
test log of tests/test_forecast.py calibrated to 2025-05-31 gives a = 1017 ± 39302,
b = 6366 ± 245990).  Their log-normal draws were 1e22 or 0, which no scenario accepts,
so a back-test with parameter uncertainty failed.  Such parameters keep their estimate
and the others are drawn conditional on it.
"""

from __future__ import annotations

import numpy as np

from lab.calibrate.mle import FitResult
from lab.calibrate.order_model import LOG_SD_IDENTIFIED, parameter_draws

PARAMS = {"r": 0.55, "alpha": 7.5, "a": 1017.0, "b": 6366.0}


def _fit(se: dict, corr_r_alpha: float = 0.9) -> FitResult:
    names = list(PARAMS)
    sd = np.array([se[k] for k in names])
    corr = np.eye(4)
    corr[0, 1] = corr[1, 0] = corr_r_alpha
    corr[2, 3] = corr[3, 2] = 0.99
    cov = corr * np.outer(sd, sd)
    return FitResult(
        "bgnbd", dict(PARAMS), dict(se), -1.0, 300, 7.0, True, "", tuple(map(tuple, cov))
    )


def test_unidentified_parameters_keep_their_estimate_and_the_rest_are_drawn():
    fit = _fit({"r": 0.18, "alpha": 3.1, "a": 39302.0, "b": 245990.0})
    draws = parameter_draws(fit, list(range(200)))
    a = np.array([d.params["a"] for d in draws])
    b = np.array([d.params["b"] for d in draws])
    assert (a == PARAMS["a"]).all() and (b == PARAMS["b"]).all()
    logs = np.log([[d.params["r"], d.params["alpha"]] for d in draws])
    assert np.isfinite(logs).all()
    # r and alpha are independent of a and b here, so their conditional law is their
    # own: log-scale SD = SE / estimate (200 draws: the sample SD is within ~10%; 30% allowed)
    sd = logs.std(axis=0, ddof=1)
    np.testing.assert_allclose(sd, [0.18 / 0.55, 3.1 / 7.5], rtol=0.3)
    assert np.corrcoef(logs.T)[0, 1] > 0.7  # their correlation is kept


def test_identified_fits_draw_every_parameter():
    fit = _fit({"r": 0.05, "alpha": 0.8, "a": 150.0, "b": 900.0})
    assert max(fit.se[k] / v for k, v in PARAMS.items()) < LOG_SD_IDENTIFIED
    draws = parameter_draws(fit, list(range(20)))
    for k in PARAMS:
        assert len({d.params[k] for d in draws}) == 20


def _spend_cal(params: dict, sd: dict, corr_q_gamma: float):
    """A calibration holding only a gamma-gamma fit with the given SEs."""
    import dataclasses

    names = list(params)
    s = np.array([sd[k] for k in names])
    corr = np.eye(len(names))
    iq, ig = names.index("q"), names.index("gamma")
    corr[iq, ig] = corr[ig, iq] = corr_q_gamma
    cov = corr * np.outer(s, s)
    fit = FitResult("gammagamma", dict(params), dict(sd), -1.0, 100, 1.0, True, "", cov)

    @dataclasses.dataclass
    class Cal:
        spend: FitResult

    return Cal(fit), cov


def _log_mean_order_value_sd(params: dict, cov: np.ndarray) -> float:
    """Delta-method SE of log(p gamma / (q - 1)) (the other parameters' gradient is 0)."""
    grad = np.zeros(len(params))
    names = list(params)
    grad[names.index("p")] = 1 / params["p"]
    grad[names.index("q")] = -1 / (params["q"] - 1)
    grad[names.index("gamma")] = 1 / params["gamma"]
    return float(np.sqrt(grad @ cov @ grad))


def _drawn(cals, name):
    return np.array([c.spend.params[name] for c in cals])


def test_spend_draws_keep_q_above_one_and_the_mean_order_value_bounded():
    """A small log's fit: q = 1.4 +- 0.35 (log(q - 1) SE 0.875).  Drawn on log q, about a
    tenth of the draws had q <= 1 (kept at the estimate) and q just above 1 gave mean
    order values many times the estimate; drawn on log(q - 1), log MOV is normal with the
    delta-method SE, so its 99.9th percentile is the estimate x exp(3.09 SE)."""
    from lab.calibrate.order_model import spend_draws

    params = {"p": 2.0, "q": 1.4, "gamma": 30.0}
    cal, cov = _spend_cal(params, {"p": 0.6, "q": 0.35, "gamma": 15.0}, corr_q_gamma=0.8)
    seeds = list(range(20_000))
    cals = spend_draws(cal, seeds)
    q = _drawn(cals, "q")
    assert (q > 1.0).all() and (q != params["q"]).all()
    mov = _drawn(cals, "p") * _drawn(cals, "gamma") / (q - 1)
    estimate = params["p"] * params["gamma"] / (params["q"] - 1)
    sd = _log_mean_order_value_sd(params, cov)
    # the 99.9th percentile of 20,000 draws has SE sqrt(0.001 x 0.999 / 20000) / phi(3.09)
    # = 0.066 on the normal-score scale: 3.09 + 5 x 0.066 = 3.42
    assert np.quantile(mov, 0.999) < estimate * np.exp(3.42 * sd), (np.quantile(mov, 0.999), sd)
    # the draws are the same for the same seed (one stream, one counter)
    assert _drawn(spend_draws(cal, seeds[:50]), "q").tolist() == q[:50].tolist()


def test_spend_draws_spread_is_the_delta_method_se():
    """A large log's fit (with the rate-dependent ratio): the drawn log(q - 1) and log MOV
    have the delta-method SEs, and log ratio keeps its own log-scale SE."""
    from lab.calibrate.order_model import spend_draws

    params = {"p": 6.0, "q": 3.0, "gamma": 40.0, "ratio_per_rate_doubling": 1.2}
    sd_in = {"p": 0.3, "q": 0.15, "gamma": 2.5, "ratio_per_rate_doubling": 0.06}
    cal, cov = _spend_cal(params, sd_in, corr_q_gamma=0.7)
    cals = spend_draws(cal, list(range(2_000)))
    q = _drawn(cals, "q")
    mov = _drawn(cals, "p") * _drawn(cals, "gamma") / (q - 1)
    # sd of 2,000 normal draws: relative SE 1/sqrt(2 x 1999) = 1.6%; 4 SE = 6.4%
    np.testing.assert_allclose(np.log(q - 1).std(), 0.15 / 2.0, rtol=0.064)
    np.testing.assert_allclose(np.log(mov).std(), _log_mean_order_value_sd(params, cov), rtol=0.064)
    ratio = _drawn(cals, "ratio_per_rate_doubling")
    np.testing.assert_allclose(np.log(ratio).std(), 0.06 / 1.2, rtol=0.064)


def test_backtest_params_counters_are_distinct_and_unchanged():
    """One counter per kind of draw: distinct (else two kinds of draw would share their
    uniforms), with the values the draws always used (so results do not move), and an
    enum member draws exactly what its integer drew."""
    from lab.calibrate.order_model import ParamsCounter
    from lab.rng import RandomStreams

    values = [int(c) for c in ParamsCounter]
    assert len(set(values)) == len(values)
    assert {c.name: int(c) for c in ParamsCounter} == {
        "PURCHASE_MODEL": 0,
        "ARRIVAL_TREND_LEVEL": 1,
        "ARRIVAL_DAYS": 2,
        "CLOCK_STAGES": 3,
        "SPEND": 4,
    }
    ids = np.arange(5, dtype=np.uint64)
    for c in ParamsCounter:
        np.testing.assert_array_equal(
            RandomStreams(7).uniform("backtest_params", c, ids),
            RandomStreams(7).uniform("backtest_params", int(c), ids),
        )
