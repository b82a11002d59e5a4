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
