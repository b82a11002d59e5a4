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

**Frequency and spend.**  Gamma–gamma assumes a customer's spend per order is
independent of how often they buy.  :func:`frequency_spend_correlation` tests it with
Spearman's rank correlation rho between mean repeat spend and the customer's purchase
rate as the purchase model sees it, the posterior mean of log lambda given (x, t_x, T)
(ranks, because spend is skewed and a few big spenders dominate Pearson's r; the rate,
not the repeat count x, because x mixes the rate with tenure: on a two-year log with
arrivals throughout and spend 1.6 times higher per doubling of the rate, rho is 0.58
against the rate but 0.29 against x).  Pearson's r of x and spend is reported beside it,
as Fader, Hardie & Lee 2005 give r = 0.11 on CDNOW (rho against the rate: 0.11).  The
dependence is called **strong** when |rho| > 0.3 (Cohen 1988's "medium" correlation;
where the independence model's error becomes material is an assumption: on the lab's
synthetic logs (tests/test_calibrate_spend_by_rate.py) rho against the rate is
0.02-0.04 with no dependence, 0.31-0.36 with spend 1.2 times higher per doubling of the
rate and 0.58-0.64 with 1.6 times) and rho is more than 1.96 standard errors from zero
(Fieller, Hartley & Pearson 1957: var(atanh rho) = 1.06 / (n - 3)).  Below it the lab
keeps plain gamma–gamma, bit for bit as before.

When it is strong the lab does not stratify (strata of the observed frequency mix
tenure and luck with the purchase rate, and cut a small log into thin cells); it lets
the gamma–gamma **scale depend on the purchase rate** (:func:`fit_gamma_gamma_by_rate`):
customer i's nu ~ Gamma(q, gamma_i) with ``gamma_i = gamma * ratio ** (l_i / ln 2)``,
l_i the log purchase rate relative to the population's geometric mean, so a customer
buying twice as often spends ``ratio`` times as much per order (``ratio`` =
``ratio_per_rate_doubling``, 1 = independence; one parameter more, fitted jointly with
p, q, gamma by maximum likelihood).  The rate is latent: given the purchase fit, the
spend likelihood of customer i integrates over its posterior, log lambda_i ~ Normal
with the posterior mean and variance of log lambda given (x, t_x, T) (Gauss–Hermite;
a two-stage likelihood, the purchase parameters held at their estimates).  Plugging in
the posterior mean alone (regression calibration, Carroll et al. 2006, *Measurement
Error in Nonlinear Models*, ch. 4) recovered the ratio as well but read the rate's
posterior spread as spend noise (p = 2.4 instead of about 5.5 on the 1.6 test log;
integrated: 8.3 ± 3.1); regressing on the repeat count x would attenuate the slope and
mix in each customer's tenure.  The lab draws the same relation for every simulated
customer from its own purchase rate (``traits.*.basket.ratio_per_rate_doubling``: new
customers of a forecast, arrivals, a replay of the log), and the log's customers start
from their gamma–gamma posterior with the prior scale gamma_i at their posterior rate,
so spend per order follows frequency as the log's does.
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
    "fit_gamma_gamma_by_rate",
    "frequency_spend_correlation",
    "gamma_gamma_conditional_mean",
    "gamma_gamma_loglik",
    "gamma_gamma_scale_by_rate",
    "lab_basket_from_gamma_gamma",
]

NAMES = ("p", "q", "gamma")
#: the parameter of the rate-dependent scale (:func:`fit_gamma_gamma_by_rate`)
RATIO = "ratio_per_rate_doubling"


def gamma_gamma_loglik(
    params: Mapping[str, float], frequency: ArrayLike, monetary_value: ArrayLike
) -> np.ndarray:
    """Log density of each customer's mean value z-bar of x transactions (x > 0, z-bar > 0)."""
    p, q, g = as_params(params, NAMES)
    return _loglik(p, q, g, np.asarray(frequency, float), np.asarray(monetary_value, float))


def _loglik(p: float, q: float, g, x: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Gamma–gamma log density; ``g`` a number or one scale per customer."""
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
    rep = _repeat_buyers(summary)
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


def _repeat_buyers(summary: pd.DataFrame) -> pd.DataFrame:
    """The customers gamma–gamma is fitted to (frequency > 0), checked."""
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
    return rep


def fit_gamma_gamma_by_rate(
    summary: pd.DataFrame, log_rate: ArrayLike, log_rate_var: ArrayLike | None = None
) -> FitResult:
    """Gamma–gamma with a scale that depends on the purchase rate (see the module docstring).

    Customer i's nu ~ Gamma(q, gamma_i), ``gamma_i = gamma * ratio ** (l_i / ln 2)``: the
    mean order value of a customer buying twice as often is ``ratio`` times higher.

    Parameters
    ----------
    summary : pandas.DataFrame
        Columns frequency and monetary_value, as :func:`fit_gamma_gamma`.
    log_rate : array-like
        One per row of ``summary``: the customer's log purchase rate relative to the
        population's geometric mean, or its posterior mean (E[log lambda | data] -
        E[log lambda]) when the rate is latent.
    log_rate_var : array-like, optional
        The posterior variance of each l_i: the likelihood then integrates over l_i ~
        Normal(log_rate, log_rate_var) (Gauss–Hermite, :data:`HERMITE_NODES` nodes)
        instead of plugging in its mean, which would leave the rate's posterior
        uncertainty to be read as spend noise (p too low, as for a small x).

    Returns
    -------
    FitResult
        params p, q, gamma and ``ratio_per_rate_doubling`` (1 = independence); gamma is
        the scale of a customer at l = 0.

    Raises
    ------
    ValueError
        As :func:`fit_gamma_gamma`, or ``log_rate`` not finite or of another length.
    """
    keep = (summary["frequency"] > 0).to_numpy()
    mean = _per_customer(log_rate, len(summary), "log_rate")[keep]
    var = np.zeros_like(mean)
    if log_rate_var is not None:
        var = np.maximum(_per_customer(log_rate_var, len(summary), "log_rate_var")[keep], 0.0)
    rep = _repeat_buyers(summary)
    x = rep["frequency"].to_numpy(float)[:, None]
    z = rep["monetary_value"].to_numpy(float)[:, None]
    t, w = np.polynomial.hermite.hermgauss(HERMITE_NODES if var.any() else 1)
    # nodes of l_i ~ N(mean, var) in doublings of the rate, one row per customer
    doublings = (mean[:, None] + np.sqrt(2 * var)[:, None] * t[None, :]) / np.log(2.0)
    log_w = np.log(w / np.sqrt(np.pi))[None, :]
    names = (*NAMES, RATIO)

    def nll(v: np.ndarray) -> float:
        p, q, g, ratio = np.exp(v)
        ll = _loglik(p, q, g * ratio**doublings, x, z) + log_w
        return -float(special.logsumexp(ll, axis=1).sum())

    base = fit_gamma_gamma(summary)
    p0, q0, g0 = (base.params[k] for k in NAMES)
    starts = [[np.log(p0), np.log(q0), np.log(g0), d] for d in (0.0, 0.3, -0.3)]
    return fit_model("gammagamma", nll, names, starts, n=len(rep), time_unit_days=1.0)


#: Gauss–Hermite nodes of the rate's posterior in :func:`fit_gamma_gamma_by_rate`
HERMITE_NODES = 16


def _per_customer(values: ArrayLike, n: int, name: str) -> np.ndarray:
    out = np.asarray(values, float)
    if out.shape != (n,) or not np.isfinite(out).all():
        raise ValueError(f"{name} needs {n} finite values, got shape {out.shape}")
    return out


def gamma_gamma_scale_by_rate(params: Mapping[str, float], log_rate: ArrayLike) -> np.ndarray:
    """Each customer's gamma–gamma scale gamma_i at log relative rate ``log_rate``
    (``gamma`` everywhere when the fit has no ``ratio_per_rate_doubling``)."""
    (g,) = as_params(params, ("gamma",))
    lr = np.asarray(log_rate, float)
    ratio = float(params.get(RATIO, 1.0))
    if ratio == 1.0:
        return np.full(lr.shape, g)
    return g * ratio ** (lr / np.log(2.0))


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
    out = {
        "mean_order_value_cny": p * g / (q - 1),
        "shape_per_order": p,
        "shape_across_customers": q,
    }
    if RATIO in fit.params:  # the mean order value above is at the geometric-mean rate
        out[RATIO] = float(fit.params[RATIO])
    return out


#: |Spearman rho| above which the frequency-spend correlation is called strong (Cohen
#: 1988's "medium" correlation; see the module docstring)
STRONG_CORRELATION = 0.3


def frequency_spend_correlation(summary: pd.DataFrame, log_rate: ArrayLike | None = None) -> dict:
    """Frequency vs mean repeat spend among repeat buyers: the gamma-gamma independence check.

    Gamma-gamma assumes a customer's spend per order is independent of how often they
    buy (Fader, Hardie & Lee 2005 report Pearson r = 0.11 on CDNOW).

    Parameters
    ----------
    summary : pandas.DataFrame
        Columns frequency and monetary_value (:func:`lab.calibrate.summary.rfm_summary`).
    log_rate : array-like, optional
        One per row of ``summary``: each customer's posterior mean log purchase rate
        (:func:`lab.calibrate.scenario_out.posterior_log_rate`).  Given, ``rho`` is
        measured against it (``basis`` "rate"), else against the repeat frequency.

    Returns
    -------
    dict
        Pearson's ``r`` of frequency and spend and its ``p_value``; Spearman's
        ``rho_frequency``; Spearman's ``rho`` on the ``basis`` and its standard error
        ``rho_se`` (Fieller, Hartley & Pearson 1957); ``n``; ``strong``: |rho| >
        :data:`STRONG_CORRELATION` and |rho| > 1.96 ``rho_se`` (see the module
        docstring).  Correlations are NaN with fewer than 4 repeat buyers or no spread.
    """
    from scipy import stats

    keep = ((summary["frequency"] > 0) & (summary["monetary_value"] > 0)).to_numpy()
    rep = summary[keep]
    n = len(rep)
    basis = "frequency" if log_rate is None else "rate"
    nan = float("nan")
    out = {"r": nan, "p_value": nan, "rho_frequency": nan, "rho": nan, "rho_se": nan}
    out.update(basis=basis, n=n, strong=False)
    if n < 4 or rep["frequency"].nunique() < 2 or rep["monetary_value"].nunique() < 2:
        return out
    x, z = rep["frequency"].astype(float), rep["monetary_value"].astype(float)
    r, p = stats.pearsonr(x, z)
    rho_x = float(stats.spearmanr(x, z).statistic)
    rho = rho_x
    if log_rate is not None:
        lr = _per_customer(log_rate, len(summary), "log_rate")[keep]
        rho = float(stats.spearmanr(lr, z).statistic) if np.ptp(lr) > 0 else nan
    rho_se = (1.0 - rho**2) * np.sqrt(1.06 / (n - 3))  # delta method from atanh(rho)
    strong = bool(abs(rho) > STRONG_CORRELATION and abs(rho) > 1.96 * rho_se)
    out.update(r=float(r), p_value=float(p), rho_frequency=rho_x, rho=rho)
    out.update(rho_se=float(rho_se), strong=strong)
    return out
