"""Shifted-beta-geometric (sBG) churn from a retention curve (Fader & Hardie 2007).

For teams that only have retention figures (留存曲线): the share of a cohort still
active after 1, 2, ... periods.  Each customer churns at the end of any period with a
constant probability theta; theta ~ Beta(alpha, beta) across customers.  Then

* P(lifetime = t) = B(alpha + 1, beta + t - 1) / B(alpha, beta),  t = 1, 2, ...
* S(t) = B(alpha, beta + t) / B(alpha, beta)                        (survival)
* r(t) = S(t) / S(t - 1) = (beta + t - 1) / (alpha + beta + t - 1)  (retention rate),

which rises with t as the churn-prone leave: heterogeneity, not changing behaviour.
Published example ("How to project customer retention", 2007): "regular" customers
1.000, 0.631, 0.468, 0.382, 0.326, 0.289, 0.262 (periods 0-7, cohort 1,000) give
alpha = 0.704, beta = 1.182; "high end" 1.000, 0.869, ... give alpha = 0.668, beta = 3.806.

The lab's ``dropout_per_day`` beta trait is the same model with a day as the period
(the daily hazard is theta; the lab draws it per customer from the beta).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from lab.calibrate.mle import FitResult, as_params, fit_model

__all__ = ["fit_sbg", "sbg_loglik", "sbg_retention", "sbg_survival"]

NAMES = ("alpha", "beta")
NOMINAL_COHORT = 1000


def sbg_survival(params: Mapping[str, float], periods: ArrayLike) -> np.ndarray:
    """S(t): share of the cohort still active after ``periods`` periods (S(0) = 1)."""
    alpha, beta = as_params(params, NAMES)
    t = np.asarray(periods, float)
    return np.exp(special.betaln(alpha, beta + t) - special.betaln(alpha, beta))


def sbg_retention(params: Mapping[str, float], periods: ArrayLike) -> np.ndarray:
    """r(t) = S(t) / S(t - 1): the share of period t-1's survivors still active in period t."""
    alpha, beta = as_params(params, NAMES)
    t = np.asarray(periods, float)
    if np.any(t < 1):
        raise ValueError("retention rates are defined for periods t >= 1")
    return (beta + t - 1) / (alpha + beta + t - 1)


def sbg_loglik(
    params: Mapping[str, float], active_share: Sequence[float], cohort_size: float
) -> float:
    """Log-likelihood of a survival curve: churn counts per period + right-censored survivors."""
    s = np.asarray(active_share, float)
    t = np.arange(1, s.size)
    lost = cohort_size * (s[:-1] - s[1:])
    alpha, beta = as_params(params, NAMES)
    log_p = special.betaln(alpha + 1, beta + t - 1) - special.betaln(alpha, beta)
    log_surv = special.betaln(alpha, beta + t[-1]) - special.betaln(alpha, beta)
    return float((lost * log_p).sum() + cohort_size * s[-1] * log_surv)


def _validate(active_share: Sequence[float]) -> np.ndarray:
    try:
        s = np.asarray(active_share, float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"active_share must be numbers, got {active_share!r}") from exc
    if s.ndim != 1 or s.size < 3:
        raise ValueError(
            "active_share needs period 0 (= 1.0) and at least 2 later periods to identify "
            f"alpha and beta, got {s.size} value(s)"
        )
    for i, v in enumerate(s.tolist()):
        if not (0 < v <= 1):
            raise ValueError(f"active_share period {i}: {v!r} is not in (0, 1]")
    if abs(s[0] - 1.0) > 1e-9:
        raise ValueError(
            f"active_share period 0 must be 1.0 (the whole cohort), got {float(s[0])!r}"
        )
    for i, (prev, v) in enumerate(zip(s.tolist(), s[1:].tolist(), strict=False), start=1):
        if v > prev + 1e-12:
            raise ValueError(
                f"active_share period {i}: {v!r} exceeds period {i - 1} ({prev!r}); "
                "a survival curve cannot rise (churned customers do not come back)"
            )
    if s[-1] == s[0]:
        raise ValueError("active_share never falls: no churn to fit")
    return s


def fit_sbg(active_share: Sequence[float], *, cohort_size: int | None = None) -> FitResult:
    """Fit the sBG model to a retention (survival) curve.

    Parameters
    ----------
    active_share : sequence of float
        ``active_share[0] = 1.0`` at period 0, then the share of the cohort still active
        after 1, 2, ... periods; non-increasing, in (0, 1], at least 3 values.
    cohort_size : int, optional
        Customers in the cohort.  The likelihood is the multinomial of the churn counts
        ``cohort_size * (S(t-1) - S(t))`` plus the right-censored survivors.  Without it
        a nominal 1,000 is used: the estimates do not depend on it, but the standard
        errors (which scale as 1 / sqrt(cohort_size)) are then only indicative.

    Returns
    -------
    FitResult
        params alpha, beta; ``n`` = cohort size; ``time_unit_days`` = 1.0 meaning
        one period of the curve (whatever its length).

    Raises
    ------
    ValueError
        A share outside (0, 1], a rise from one period to the next, period 0 not 1.0,
        fewer than 3 values, or a non-positive cohort size; the message names the
        period and value.
    """
    s = _validate(active_share)
    note = ""
    if cohort_size is None:
        n = NOMINAL_COHORT
        note = f"; no cohort_size: nominal {n}, standard errors are indicative only"
    else:
        if isinstance(cohort_size, bool) or not float(cohort_size) > 0:
            raise ValueError(
                f"cohort_size must be a positive number of customers, got {cohort_size!r}"
            )
        n = cohort_size

    def nll(z: np.ndarray) -> float:
        return -sbg_loglik(dict(zip(NAMES, np.exp(z), strict=True)), s, n)

    starts = [[0.0, 0.0], [np.log(0.5), np.log(3.0)], [np.log(3.0), np.log(0.5)]]
    return fit_model("sbg", nll, NAMES, starts, n=round(n), time_unit_days=1.0, note=note)
