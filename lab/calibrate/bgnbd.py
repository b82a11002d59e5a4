"""BG/NBD: beta-geometric / negative binomial purchase model (Fader, Hardie & Lee 2005).

The story, per customer, starting at the first purchase (time 0):

* while alive, repeat purchases follow a Poisson process with rate lambda;
  lambda ~ Gamma(shape r, rate alpha) across customers;
* after **each repeat purchase** the customer drops out for good with probability p
  (never at time 0); p ~ Beta(a, b) across customers.

Data per customer: x repeat purchases, the last at t_x, observed for T (see
:func:`lab.calibrate.summary.rfm_summary`).  Times are in the fit's time unit
(``FitResult.time_unit_days``; the published CDNOW fit is weekly: r = 0.243,
alpha = 4.414, a = 0.793, b = 2.426, LL = -9582.4).

Formulas (FHL 2005 numbering): likelihood eq. 6, P(X(t) = x) eq. 8, E[X(t)] eq. 9,
E[Y(t) | x, t_x, T] eq. 10, P(alive | x, t_x, T) eq. 11.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import special

from lab.calibrate.mle import FitResult, as_params, fit_model

__all__ = [
    "bgnbd_conditional_expected",
    "bgnbd_count_pmf",
    "bgnbd_expected_count",
    "bgnbd_loglik",
    "bgnbd_p_alive",
    "fit_bgnbd",
    "lab_traits_from_bgnbd",
    "simulate_bgnbd",
]

NAMES = ("r", "alpha", "a", "b")


def bgnbd_loglik(
    params: Mapping[str, float], x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> np.ndarray:
    """Log-likelihood of each customer's (x, t_x, T) under BG/NBD (FHL 2005 eq. 6)."""
    x, t_x, T = np.broadcast_arrays(*(np.asarray(v, float) for v in (x, t_x, T)))
    ux, inv = np.unique(x, return_inverse=True)
    return _loglik(as_params(params, NAMES), ux, inv.reshape(x.shape), t_x, T)


def _loglik(theta, ux, inv, t_x, T) -> np.ndarray:
    """BG/NBD log-likelihood with the special functions evaluated once per distinct x."""
    r, alpha, a, b = theta
    base = (special.gammaln(r + ux) - special.gammaln(r) + r * np.log(alpha))[inv]
    beta_x = (special.betaln(a, b + ux) - special.betaln(a, b))[inv]
    x = ux[inv]
    still = beta_x - (r + x) * np.log(alpha + T)
    # B(a+1, b+x-1) = B(a, b+x) * a / (b+x-1); the term only exists for x > 0
    log_ratio = np.where(ux > 0, np.log(a) - np.log(np.where(ux > 0, b + ux - 1, 1.0)), -np.inf)[
        inv
    ]
    gone = log_ratio + beta_x - (r + x) * np.log(alpha + t_x)
    return base + np.logaddexp(still, gone)


def _pooled(summary: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Identical (x, t_x, T) rows pooled with counts: big logs cost what their distinct rows cost."""
    need = [c for c in ("frequency", "recency", "T") if c not in summary.columns]
    if need:
        raise ValueError(f"summary lacks column(s) {need} (see rfm_summary)")
    df = summary[["frequency", "recency", "T"]].astype(float)
    bad = df[(df["frequency"] < 0) | (df["recency"] < 0) | (df["recency"] > df["T"] + 1e-9)]
    if not bad.empty or df.isna().any().any():
        row = bad.index[0] if not bad.empty else df.index[df.isna().any(axis=1)][0]
        raise ValueError(
            f"summary row {row!r}: need frequency >= 0 and 0 <= recency <= T, got "
            f"{df.loc[row].to_dict()}"
        )
    zero_recency = df[(df["frequency"] > 0) & (df["recency"] <= 0)]
    if not zero_recency.empty:
        row = zero_recency.index[0]
        raise ValueError(
            f"summary row {row!r}: frequency > 0 but recency 0 ({df.loc[row].to_dict()})"
        )
    g = df.groupby(["frequency", "recency", "T"], sort=False).size().reset_index(name="w")
    return (g[c].to_numpy(float) for c in ("frequency", "recency", "T", "w"))  # type: ignore[return-value]


def _time_unit(summary: pd.DataFrame, time_unit_days: float | None) -> float:
    if time_unit_days is not None:
        return float(time_unit_days)
    return float(summary.attrs.get("time_unit_days", 7.0))


def _count_starts(x: np.ndarray, T: np.ndarray, w: np.ndarray, extra: tuple) -> list[list[float]]:
    """Starting points on the log scale: r around 1, alpha from the mean purchase rate."""
    rate = max(float((w * x).sum() / max((w * T).sum(), 1e-12)), 1e-6)
    return [
        [np.log(r0), np.log(r0 / rate * k), *np.log(e)]
        for (r0, k), e in zip(((1.0, 1.0), (0.3, 0.5), (3.0, 2.0)), extra, strict=True)
    ]


def fit_bgnbd(summary: pd.DataFrame, *, time_unit_days: float | None = None) -> FitResult:
    """Fit BG/NBD by maximum likelihood to an :func:`rfm_summary` table.

    Parameters
    ----------
    summary : pandas.DataFrame
        Columns frequency, recency, T (in one time unit).
    time_unit_days : float, optional
        Unit of the summary's times; default ``summary.attrs["time_unit_days"]`` (set by
        rfm_summary), else 7 (weeks).  Only recorded in the result.

    Returns
    -------
    FitResult
        params r, alpha (per time unit), a, b; standard errors by the delta method
        from the log-parameter observed information.
    """
    x, t_x, T, w = _pooled(summary)
    ux, inv = np.unique(x, return_inverse=True)

    def nll(z: np.ndarray) -> float:
        return -float((w * _loglik(np.exp(z), ux, inv, t_x, T)).sum())

    starts = _count_starts(x, T, w, ((1.0, 1.0), (0.5, 3.0), (2.0, 8.0)))
    return fit_model(
        "bgnbd",
        nll,
        NAMES,
        starts,
        n=int(w.sum()),
        time_unit_days=_time_unit(summary, time_unit_days),
    )


def _hyp2f1_a_near_one(fun, a: float):
    """Closed forms with a factor 1/(a - 1): at a == 1 (removable) average a -+ 1e-6."""
    if abs(a - 1.0) < 1e-6:
        return 0.5 * (fun(1.0 - 1e-6) + fun(1.0 + 1e-6))
    return fun(a)


def bgnbd_expected_count(params: Mapping[str, float], t: ArrayLike) -> np.ndarray:
    """E[X(t)]: expected repeat purchases in (0, t] of a customer who first bought at 0 (eq. 9)."""
    r, alpha, a, b = as_params(params, NAMES)
    t = np.asarray(t, float)

    def at(a_: float):
        z = t / (alpha + t)
        h = special.hyp2f1(r, b, a_ + b - 1, z)
        return (a_ + b - 1) / (a_ - 1) * (1 - (alpha / (alpha + t)) ** r * h)

    return np.where(t > 0, _hyp2f1_a_near_one(at, a), 0.0)


def bgnbd_p_alive(
    params: Mapping[str, float], x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> np.ndarray:
    """P(still alive at T | x, t_x, T) (eq. 11): 1 for x = 0 (no repeat purchase, no dropout)."""
    r, alpha, a, b = as_params(params, NAMES)
    x, t_x, T = (np.asarray(v, float) for v in (x, t_x, T))
    with np.errstate(divide="ignore", invalid="ignore"):
        log_odds = (
            np.log(a) - np.log(b + x - 1) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
        )
    return np.where(x > 0, special.expit(-log_odds), 1.0)


def bgnbd_conditional_expected(
    params: Mapping[str, float], t: ArrayLike, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> np.ndarray:
    """E[Y(t) | x, t_x, T]: expected repeat purchases in (T, T + t] given the history (eq. 10)."""
    r, alpha, a, b = as_params(params, NAMES)
    t, x, t_x, T = (np.asarray(v, float) for v in (t, x, t_x, T))

    def at(a_: float):
        z = t / (alpha + T + t)
        h = special.hyp2f1(r + x, b + x, a_ + b + x - 1, z)
        return (a_ + b + x - 1) / (a_ - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * h)

    return np.where(t > 0, _hyp2f1_a_near_one(at, a) * bgnbd_p_alive(params, x, t_x, T), 0.0)


def bgnbd_count_pmf(params: Mapping[str, float], n: ArrayLike, t: ArrayLike) -> np.ndarray:
    """P(X(t) = n) for a customer who first bought at 0 (eq. 8); broadcasts n against t."""
    r, alpha, a, b = as_params(params, NAMES)
    n, t = np.broadcast_arrays(np.asarray(n, float), np.asarray(t, float))
    if np.any(n < 0) or np.any(n != np.round(n)):
        raise ValueError("counts n must be non-negative integers")
    t = np.maximum(t, 0.0)
    log_q = np.log(alpha) - np.log(alpha + t)  # alpha / (alpha + t)
    with np.errstate(divide="ignore"):
        log_z = np.log(t) - np.log(alpha + t)  # t / (alpha + t); -inf at t = 0
    # n log z: 0 for n = 0 (z^0 = 1 even at t = 0, where 0 x -inf would be NaN), -inf
    # for n > 0 at t = 0 (no purchase yet)
    n_log_z = np.where(n > 0, n * np.where(n > 0, log_z, 0.0), 0.0)
    log_nb = (
        special.gammaln(r + n) - special.gammaln(r) - special.gammaln(n + 1) + r * log_q
        + n_log_z
    )  # fmt: skip
    still = np.exp(special.betaln(a, b + n) - special.betaln(a, b) + log_nb)
    # P(N(t) >= n) for N ~ NBD(r, alpha): the regularised incomplete beta I_z(n, r)
    with np.errstate(invalid="ignore"):
        tail = np.where(n > 0, special.betainc(np.maximum(n, 1), r, np.exp(log_z)), 1.0)
        gone = np.where(
            n > 0,
            np.exp(special.betaln(a + 1, b + np.maximum(n, 1) - 1) - special.betaln(a, b)) * tail,
            0.0,
        )
    return still + gone


def simulate_bgnbd(
    params: Mapping[str, float], T: ArrayLike, *, rng: np.random.Generator, holdout: float = 0.0
) -> pd.DataFrame:
    """Draw customers' histories from the BG/NBD story, each observed for its ``T``.

    Parameters
    ----------
    params : FitResult or mapping
        r, alpha, a, b (in the time unit of ``T``).
    T : array-like
        Observation time of each customer (one entry per customer).
    rng : numpy.random.Generator
        The only source of randomness (seed it for reproducible draws).
    holdout : float
        Length of a holdout period after each customer's T.

    Returns
    -------
    pandas.DataFrame
        frequency, recency, T as :func:`rfm_summary` gives them, ``alive`` (not yet
        dropped out at T) and ``holdout`` (repeat purchases in (T, T + holdout]).

    Notes
    -----
    Given lambda, purchases in (0, T + holdout] are Poisson; the customer leaves at its
    K-th repeat purchase, K ~ Geometric(p).  N1 of the M events fall in (0, T]
    (binomial), x = min(N1, K), and t_x is the x-th of N1 uniform order statistics.
    """
    r, alpha, a, b = as_params(params, NAMES)
    T = np.asarray(T, float)
    n = T.size
    lam = rng.gamma(r, 1.0 / alpha, n)
    p = rng.beta(a, b, n)
    k = rng.geometric(p)
    m = rng.poisson(lam * (T + holdout))
    n1 = rng.binomial(m, T / (T + holdout)) if holdout > 0 else m
    x = np.minimum(n1, k)
    # x-th smallest of n1 uniforms on (0, T): T * Beta(x, n1 - x + 1)
    t_x = np.where(x > 0, T * rng.beta(np.maximum(x, 1), n1 - x + 1), 0.0)
    return pd.DataFrame(
        {
            "frequency": x.astype(np.int64),
            "recency": t_x,
            "T": T,
            "alive": n1 < k,
            "holdout": (np.minimum(m, k) - x).astype(np.int64),
        }
    )


def lab_traits_from_bgnbd(fit: FitResult) -> dict:
    """The lab's trait specs for a BG/NBD fit (``traits.default`` entries of a scenario).

    ``propensity_per_day``: gamma with shape r and mean r / alpha per time unit, divided by
    ``time_unit_days`` per day; ``dropout_after_purchase``: beta with mean a / (a + b) and
    concentration a + b.  The lab's day step buys with P = 1 - exp(-lambda), at most one
    order a day, which matches the continuous model for small daily rates.  The lab
    applies the dropout draw after every order placed during the run, so the match is
    exact for customers imported with purchase history (stock import, time zero = import
    day); customers acquired as prospects also face it after their first order.
    """
    if fit.model != "bgnbd":
        raise ValueError(f"need a BG/NBD fit, got {fit.model!r}")
    r, alpha, a, b = as_params(fit, NAMES)
    return {
        "propensity_per_day": {"dist": "gamma", "mean": r / alpha / fit.time_unit_days, "shape": r},
        "dropout_after_purchase": {"dist": "beta", "mean": a / (a + b), "concentration": a + b},
    }
