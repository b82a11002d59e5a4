"""The calibration fits recover the parameters of a population the lab itself simulated.

A pure BG/NBD lab population (every other mechanism off, as in test_analytic.py):
customers imported on day 0 with one order of history (BG/NBD's time zero, no dropout
coin for it), daily purchase rate lambda ~ Gamma(r, alpha) and a dropout chance p ~
Beta(a, b) after each order of the run, order values gamma–gamma.  The run's order log
goes through rfm_summary and the fits, in weeks.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import lab
from lab.calibrate.models import fit_bgnbd, fit_gamma_gamma, lab_traits_from_bgnbd, rfm_summary
from tests.conftest import bare, bgnbd_traits

# the lab's default traits: propensity mean 0.012/day shape 0.6, dropout mean 0.08 conc. 8
R, ALPHA_DAYS, A, B = 0.6, 50.0, 0.64, 7.36
P, Q, MEAN_ORDER = 6.0, 4.0, 150.0  # the lab's default basket (gamma-gamma)
N, DAYS = 3000, 365


@pytest.fixture(scope="module")
def lab_summary():
    sc = bare(
        N,
        DAYS,
        traits={
            "default": {
                **bgnbd_traits(R, ALPHA_DAYS, A, B),
                "basket": {
                    "mean_order_value_cny": MEAN_ORDER,
                    "shape_per_order": P,
                    "shape_across_customers": Q,
                },
            }
        },
    )
    res = lab.run(sc, seed=11)
    orders = res.transactions[["customer_id", "date", "amount"]]
    start = orders["date"].min() - pd.to_timedelta(int(res.transactions["day"].min()), unit="D")
    # The imported order of history is not in the run's log: book it the day before
    # day 0, so that an order on day d is at time d + 1 and T = DAYS (the convention
    # of test_analytic.py: each day is one purchase opportunity in (d, d + 1]).
    history = pd.DataFrame(
        {"customer_id": res.customers["customer_id"], "date": start - pd.Timedelta(days=1)}
    )
    log = pd.concat([history.assign(amount=0.0), orders], ignore_index=True)
    return rfm_summary(log, start + pd.Timedelta(days=DAYS - 1), time_unit_days=7.0)


def test_summary_of_the_lab_log_has_everyone_observed_for_the_whole_run(lab_summary):
    assert len(lab_summary) == N
    np.testing.assert_allclose(lab_summary["T"], DAYS / 7)
    assert lab_summary["frequency"].sum() > 0


def mean_dropout_and_rate(fit) -> dict[str, tuple[float, float]]:
    """The two well-determined BG/NBD quantities, each with its delta-method SE.

    a and b (and r and alpha) are strongly correlated: at 3,000 customers SE(b) is
    about 40% of b, so a per-parameter band cannot see a population whose mean dropout
    is 1.5x the truth.  Their ratios are pinned down far better: the mean dropout per
    purchase a / (a + b) and the mean purchase rate r / alpha (per time unit), with
    SE = sqrt(g' cov g) for the gradient g of the ratio (``fit.cov`` is in the order
    of ``fit.params``: r, alpha, a, b).
    """
    r, alpha, a, b = (fit.params[k] for k in ("r", "alpha", "a", "b"))
    cov = np.asarray(fit.cov, dtype=float)
    grads = {
        "dropout": (a / (a + b), np.array([0.0, 0.0, b, -a]) / (a + b) ** 2),
        "rate": (r / alpha, np.array([1 / alpha, -r / alpha**2, 0.0, 0.0])),
    }
    return {k: (v, float(np.sqrt(g @ cov @ g))) for k, (v, g) in grads.items()}


def test_bgnbd_fit_recovers_the_lab_population(lab_summary):
    fit = fit_bgnbd(lab_summary)
    assert fit.converged, fit.message
    assert fit.time_unit_days == 7.0
    assert list(fit.params) == ["r", "alpha", "a", "b"]  # the order of fit.cov
    truth = {"r": R, "alpha": ALPHA_DAYS / 7, "a": A, "b": B}
    # Tolerance 2 SE.  The lab buys at most once a day (P = 1 - exp(-lambda)), which
    # the continuous-time model reads as slightly fewer, more regular purchases: measured
    # with the lab at 100,000 customers (same traits, seed 11) the estimates sit at
    # r +0.9%, alpha +2.9%, a -5.4%, b -6.1%, i.e. 0.25, 0.6, 0.25 and 0.2 SE at this N
    # (one run, itself ~1 SE noisy at 100,000): inside the band.  The same form of
    # measurement backs test_calibrate_scenario.py's comment for its population.
    for k, v in truth.items():
        assert abs(fit.params[k] - v) < 2 * fit.se[k], (k, fit.params[k], v, fit.se[k])
    # The sharp checks: mean dropout a/(a+b) and mean rate r/alpha within 2 delta-method
    # SEs (a two-sided 95% band each).  Their SEs here are ~9% and ~3% of the values, so
    # a lab population whose dropout mean is 1.25x / 1.5x / 0.6x the truth lands at
    # z = +2.5 / +4.5 / -5.7 and fails, while every per-parameter check above still
    # passes (measured by re-running this fixture with the dropout mean scaled; this
    # seed gives z = -0.55 and -0.36).  Discretisation bias of the ratios, measured with
    # the lab at 100,000 customers (same traits, seed 11): dropout +0.7%, rate -1.2%,
    # i.e. 0.1 and 0.7 SE at this N: inside the band.
    truth_ratio = {"dropout": A / (A + B), "rate": R / (ALPHA_DAYS / 7)}
    for k, (est, se) in mean_dropout_and_rate(fit).items():
        assert abs(est - truth_ratio[k]) < 2 * se, (k, est, truth_ratio[k], se)
    # and the fit maps back onto the lab's traits it came from (each within 2 SE by the
    # delta method: the mapping is a smooth function of the four estimates)
    traits = lab_traits_from_bgnbd(fit)
    assert traits["propensity_per_day"]["shape"] == fit.params["r"]
    mean_rate = traits["propensity_per_day"]["mean"]
    grad = (
        np.array([1 / fit.params["alpha"], -fit.params["r"] / fit.params["alpha"] ** 2, 0, 0]) / 7
    )
    se_rate = float(np.sqrt(grad @ np.array(fit.cov) @ grad))
    assert abs(mean_rate - R / ALPHA_DAYS) < 2 * se_rate, (mean_rate, R / ALPHA_DAYS, se_rate)


def test_gamma_gamma_fit_recovers_the_lab_basket(lab_summary):
    fit = fit_gamma_gamma(lab_summary)
    assert fit.converged, fit.message
    truth = {"p": P, "q": Q, "gamma": MEAN_ORDER * (Q - 1) / P}  # the lab's parametrisation
    for k, v in truth.items():
        assert abs(fit.params[k] - v) < 2 * fit.se[k], (k, fit.params[k], v, fit.se[k])
