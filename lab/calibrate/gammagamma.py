"""Gamma–gamma spend model (Fader, Hardie & Lee 2005, "RFM and CLV"; Colombo & Jiang 1999).

A customer's transaction values are Gamma(shape p, rate nu); nu ~ Gamma(shape q, rate
gamma) across customers, independent of the purchase process.  The population mean
transaction value is p * gamma / (q - 1) (finite for q > 1).  It is fitted on the
customers with at least one repeat transaction, from their mean repeat transaction
value z-bar over x transactions (``monetary_value`` and ``frequency`` of
:func:`lab.calibrate.summary.rfm_summary`).  Published on CDNOW: p = 6.25, q = 3.74,
gamma = 15.44 (dollars).

The lab's ``traits.*.basket`` uses the same model: ``shape_per_order`` = p,
``shape_across_customers`` = q and ``mean_order_value_cny`` = p * gamma / (q - 1).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import special

from lab.calibrate.mle import FitResult, as_params, fit_model

__all__ = [
    "fit_gamma_gamma",
    "frequency_spend_correlation",
    "gamma_gamma_conditional_mean",
    "gamma_gamma_loglik",
    "lab_basket_from_gamma_gamma",
]

NAMES = ("p", "q", "gamma")


def gamma_gamma_loglik(
    params: Mapping[str, float], frequency: ArrayLike, monetary_value: ArrayLike
) -> np.ndarray:
    """Log density of each customer's mean value z-bar of x transactions (x > 0, z-bar > 0)."""
    p, q, g = as_params(params, NAMES)
    x = np.asarray(frequency, float)
    z = np.asarray(monetary_value, float)
    px = p * x
    return (
        special.gammaln(px + q) - special.gammaln(px) - special.gammaln(q)
        + q * np.log(g) + (px - 1) * np.log(z) + px * np.log(x) - (px + q) * np.log(g + x * z)
    )  # fmt: skip


def fit_gamma_gamma(summary: pd.DataFrame) -> FitResult:
    """Fit the gamma–gamma model to the customers with ``frequency > 0``.

    Parameters
    ----------
    summary : pandas.DataFrame
        Columns frequency and monetary_value (mean value of the repeat transactions).

    Returns
    -------
    FitResult
        params p, q, gamma (gamma in the currency of the data); ``n`` counts the
        customers used.  ``time_unit_days`` is 1.0 (the model has no time).

    Raises
    ------
    ValueError
        Missing columns, fewer than 10 repeat customers, or a repeat customer with a
        non-positive monetary value (the model needs positive spend; drop or fix them).
    """
    need = [c for c in ("frequency", "monetary_value") if c not in summary.columns]
    if need:
        raise ValueError(f"summary lacks column(s) {need} (see rfm_summary)")
    rep = summary[summary["frequency"] > 0]
    if len(rep) < 10:
        raise ValueError(
            f"gamma-gamma needs at least 10 customers with frequency > 0, got {len(rep)}"
        )
    bad = rep[~(rep["monetary_value"] > 0)]
    if not bad.empty:
        raise ValueError(
            f"customer {bad.index[0]!r}: monetary_value must be > 0 for the gamma-gamma "
            f"model, got {bad['monetary_value'].iloc[0]!r} ({len(bad)} such customers)"
        )
    x = rep["frequency"].to_numpy(float)
    z = rep["monetary_value"].to_numpy(float)
    scale = float(z.mean())

    def nll(v: np.ndarray) -> float:
        return -float(gamma_gamma_loglik(dict(zip(NAMES, np.exp(v), strict=True)), x, z).sum())

    # start from p = q = 2..8 with gamma matching the sample mean: p gamma / (q - 1) = mean
    starts = [
        [np.log(p0), np.log(q0), np.log(scale * (q0 - 1) / p0)]
        for p0, q0 in ((2, 2), (6, 4), (1, 8))
    ]
    return fit_model("gammagamma", nll, NAMES, starts, n=len(rep), time_unit_days=1.0)


def gamma_gamma_conditional_mean(
    params: Mapping[str, float], frequency: ArrayLike, monetary_value: ArrayLike
) -> np.ndarray:
    """E[transaction value | x, z-bar]: a weighted mean of the population mean and z-bar.

    ``(q - 1) / (p x + q - 1) * p gamma / (q - 1) + p x / (p x + q - 1) * z-bar``; for x = 0
    it is the population mean p * gamma / (q - 1) (needs q > 1).
    """
    p, q, g = as_params(params, NAMES)
    x = np.asarray(frequency, float)
    z = np.where(x > 0, np.asarray(monetary_value, float), 0.0)
    return p * (g + x * z) / (p * x + q - 1)


def lab_basket_from_gamma_gamma(fit: FitResult) -> dict:
    """The lab's ``traits.*.basket`` entries for a gamma–gamma fit (needs q > 1)."""
    if fit.model != "gammagamma":
        raise ValueError(f"need a gamma-gamma fit, got {fit.model!r}")
    p, q, g = as_params(fit, NAMES)
    if not q > 1:
        raise ValueError(f"q = {q:.3g} <= 1: the population mean order value is infinite")
    return {
        "mean_order_value_cny": p * g / (q - 1),
        "shape_per_order": p,
        "shape_across_customers": q,
    }


#: |r| above which the frequency-spend correlation is called strong (the independence
#: assumption of gamma-gamma then biases frequent buyers' spend)
STRONG_CORRELATION = 0.3


def frequency_spend_correlation(summary: pd.DataFrame) -> dict:
    """Pearson correlation of repeat frequency and mean repeat spend among repeat buyers.

    Gamma-gamma assumes a customer's spend per order is independent of how often they
    buy (Fader, Hardie & Lee 2005 report r = 0.11 on CDNOW).  Returns ``r``, ``p_value``,
    ``n`` and ``strong`` (|r| > :data:`STRONG_CORRELATION` and p < 0.05); ``r`` is NaN
    with fewer than 3 repeat buyers.
    """
    from scipy import stats

    rep = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
    if len(rep) < 3 or rep["frequency"].nunique() < 2 or rep["monetary_value"].nunique() < 2:
        return {"r": float("nan"), "p_value": float("nan"), "n": len(rep), "strong": False}
    r, p = stats.pearsonr(rep["frequency"].astype(float), rep["monetary_value"].astype(float))
    strong = bool(abs(r) > STRONG_CORRELATION and p < 0.05)
    return {"r": float(r), "p_value": float(p), "n": len(rep), "strong": strong}
