"""Pareto/NBD purchase model (Schmittlein, Morrison & Colombo 1987).

While alive a customer buys at Poisson rate lambda ~ Gamma(r, alpha); the lifetime is
exponential with rate mu ~ Gamma(s, beta), at any time (not only after purchases, as
in BG/NBD).  Published on the CDNOW sample (weeks): r = 0.55, alpha = 10.58, s = 0.61,
beta = 11.67, LL = -9595.0.

The likelihood (Fader & Hardie, "A note on deriving the Pareto/NBD model and related
expressions", 2005) is the "alive at T" term plus a "died in (t_x, T]" term::

    Gamma(r+x) alpha^r beta^s / Gamma(r) * [ (alpha+T)^-(r+x) (beta+T)^-s
        + s * integral_{t_x}^{T} (alpha+tau)^-(r+x) (beta+tau)^-(s+1) d tau ]

The note writes the integral with Gauss hypergeometric functions (a difference of two
2F1, branch alpha >= beta or alpha < beta; :func:`_log_a0_hyp2f1`).  scipy's 2F1 is
slow (seconds per call on large arrays) where the optimiser can wander (large s and
beta, argument near 1), so the fit integrates instead: 32-point Gauss–Legendre in
v = log(1 + (tau - t_x) / l), l the integrand's initial decay length, which turns the
integrand's sharp start and power-law tail into a smooth bump.  Over 1,800 random
cases (parameters 0.01 to 5,000, x up to 200) it agrees with adaptive quadrature to
2.4e-9 relative (48 points: 3e-13); the tests check it against both.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import special

from lab.calibrate.bgnbd import _count_starts, _pooled, _time_unit
from lab.calibrate.mle import FitResult, as_params, fit_model

__all__ = [
    "fit_paretonbd",
    "paretonbd_conditional_expected",
    "paretonbd_count_pmf",
    "paretonbd_expected_count",
    "paretonbd_loglik",
    "paretonbd_p_alive",
    "simulate_paretonbd",
]

NAMES = ("r", "alpha", "s", "beta")


_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(32)


def _log_died_integral(r, alpha, s, beta, x, t_x, T):
    """log of integral_{t_x}^{T} (alpha+tau)^-(r+x) (beta+tau)^-(s+1) d tau (-inf if t_x = T)."""
    k1 = r + x
    k2 = s + 1.0
    ell = 1.0 / (k1 / (alpha + t_x) + k2 / (beta + t_x))  # initial decay length of the integrand
    with np.errstate(divide="ignore"):
        v_max = np.log1p((T - t_x) / ell)
    v = (_NODES + 1.0) * 0.5 * v_max[..., None]
    off = ell[..., None] * np.expm1(v)  # tau - t_x
    # log of integrand / integrand(t_x) * d tau / d v / ell
    log_g = -k1[..., None] * np.log1p(off / (alpha + t_x)[..., None]) - k2 * np.log1p(
        off / (beta + t_x)[..., None]
    )
    integral = (np.exp(log_g + v) * _WEIGHTS).sum(axis=-1) * 0.5 * v_max * ell
    with np.errstate(divide="ignore"):
        return -k1 * np.log(alpha + t_x) - k2 * np.log(beta + t_x) + np.log(integral)


def _log_a0_hyp2f1(r, alpha, s, beta, x, t_x, T):
    """log A0 of Fader & Hardie (2005) by its 2F1 closed form: the reference for the quadrature.

    A0 = F(t_x) - F(T), F(y) = 2F1(r+s+x, b1; r+s+x+1; |alpha-beta| / (m+y)) / (m+y)^(r+s+x),
    m = max(alpha, beta), b1 = s + 1 if alpha >= beta else r + x.  The "died" integral is
    A0 / (r+s+x).
    """
    x, t_x, T = (np.asarray(v, float) for v in (x, t_x, T))
    if alpha >= beta:
        m, b1 = alpha, s + 1.0
    else:
        m, b1 = beta, r + x
    c = r + s + x
    d = abs(alpha - beta)

    def log_f(y):
        return np.log(special.hyp2f1(c, b1, c + 1.0, d / (m + y))) - c * np.log(m + y)

    lf_tx, lf_T = log_f(t_x), log_f(T)
    with np.errstate(divide="ignore", invalid="ignore"):
        return lf_tx + np.log1p(-np.exp(np.minimum(lf_T - lf_tx, 0.0)))


def _log_parts(params, x, t_x, T):
    r, alpha, s, beta = as_params(params, NAMES)
    x, t_x, T = np.broadcast_arrays(*(np.asarray(v, float) for v in (x, t_x, T)))
    base = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    died = np.log(s) + _log_died_integral(r, alpha, s, beta, x, t_x, T)
    return base, alive, died


def paretonbd_loglik(
    params: Mapping[str, float], x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> np.ndarray:
    """Log-likelihood of each customer's (x, t_x, T) under Pareto/NBD."""
    base, alive, died = _log_parts(params, x, t_x, T)
    with np.errstate(invalid="ignore"):  # NaN for 2F1 overflow at extreme trial params
        return base + np.logaddexp(alive, died)


def paretonbd_p_alive(
    params: Mapping[str, float], x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> np.ndarray:
    """P(alive at T | x, t_x, T): the 'still alive' term's share of the likelihood."""
    _, alive, died = _log_parts(params, x, t_x, T)
    return np.exp(alive - np.logaddexp(alive, died))


def paretonbd_expected_count(params: Mapping[str, float], t: ArrayLike) -> np.ndarray:
    """E[X(t)] = r beta / (alpha (s - 1)) * (1 - (beta / (beta + t))^(s - 1)); s = 1: log form."""
    r, alpha, s, beta = as_params(params, NAMES)
    t = np.asarray(t, float)
    t = np.maximum(t, 0.0)
    if abs(s - 1.0) < 1e-8:
        return r * beta / alpha * np.log1p(t / beta)
    return r * beta / (alpha * (s - 1)) * -np.expm1((s - 1) * np.log(beta / (beta + t)))


def paretonbd_conditional_expected(
    params: Mapping[str, float], t: ArrayLike, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> np.ndarray:
    """E[Y(t) | x, t_x, T]: expected purchases in (T, T + t] given the history."""
    r, alpha, s, beta = as_params(params, NAMES)
    t, x, t_x, T = (np.asarray(v, float) for v in (t, x, t_x, T))
    t = np.maximum(t, 0.0)
    if abs(s - 1.0) < 1e-8:
        per_alive = (r + x) * (beta + T) / (alpha + T) * np.log1p(t / (beta + T))
    else:
        per_alive = (
            (r + x)
            * (beta + T)
            / ((alpha + T) * (s - 1))
            * -np.expm1((s - 1) * np.log((beta + T) / (beta + T + t)))
        )
    return per_alive * paretonbd_p_alive(params, x, t_x, T)


def paretonbd_count_pmf(params: Mapping[str, float], n: ArrayLike, t: ArrayLike) -> np.ndarray:
    """P(X(t) = n) for a customer who first bought at 0; broadcasts n against t.

    Alive throughout (t) or dead at tau in (0, t], purchases counted up to then:
    ``NBD(n; t) (beta/(beta+t))^s + s beta^s integral_0^t NBD(n; tau) (beta+tau)^-(s+1) d tau``
    with NBD(n; tau) the gamma-Poisson count of the purchase rate over tau.  The
    integral is 32-point Gauss–Legendre in u = log(1 + tau / c), c = min(alpha, beta),
    which keeps the integrand smooth however small alpha and beta are.
    """
    r, alpha, s, beta = as_params(params, NAMES)
    n, t = np.broadcast_arrays(np.asarray(n, float), np.asarray(t, float))
    if np.any(n < 0) or np.any(n != np.round(n)):
        raise ValueError("counts n must be non-negative integers")
    t = np.maximum(t, 0.0)
    c = min(alpha, beta)
    lg = special.gammaln(r + n) - special.gammaln(r) - special.gammaln(n + 1)

    def log_nbd(nn, lgg, tau):
        with np.errstate(divide="ignore", invalid="ignore"):
            pos = np.where(nn > 0, nn * (np.log(tau) - np.log(alpha + tau)), 0.0)
        return lgg + r * (np.log(alpha) - np.log(alpha + tau)) + pos

    alive = np.exp(log_nbd(n, lg, t) + s * (np.log(beta) - np.log(beta + t)))
    u_max = np.log1p(t / c)
    u = (_NODES + 1.0) * 0.5 * u_max[..., None]
    tau = c * np.expm1(u)
    log_int = (
        log_nbd(n[..., None], lg[..., None], tau)
        + np.log(s) + s * np.log(beta) - (s + 1) * np.log(beta + tau)
        + np.log(c) + u
    )  # fmt: skip
    died = (np.exp(log_int) * _WEIGHTS).sum(axis=-1) * 0.5 * u_max
    return alive + died


def fit_paretonbd(summary: pd.DataFrame, *, time_unit_days: float | None = None) -> FitResult:
    """Fit Pareto/NBD by maximum likelihood to an :func:`rfm_summary` table.

    Same inputs and conventions as :func:`lab.calibrate.bgnbd.fit_bgnbd`; params r,
    alpha (purchase rate heterogeneity), s, beta (lifetime heterogeneity), alpha and beta
    in the summary's time unit.
    """
    x, t_x, T, w = _pooled(summary)

    def nll(z: np.ndarray) -> float:
        return -float(
            (w * paretonbd_loglik(dict(zip(NAMES, np.exp(z), strict=True)), x, t_x, T)).sum()
        )

    mean_T = float((w * T).sum() / w.sum())
    starts = _count_starts(x, T, w, ((1.0, mean_T), (0.5, 0.5 * mean_T), (2.0, 4 * mean_T)))
    return fit_model(
        "paretonbd",
        nll,
        NAMES,
        starts,
        n=int(w.sum()),
        time_unit_days=_time_unit(summary, time_unit_days),
    )


def simulate_paretonbd(
    params: Mapping[str, float], T: ArrayLike, *, rng: np.random.Generator, holdout: float = 0.0
) -> pd.DataFrame:
    """Draw customers' histories from the Pareto/NBD story (same output as ``simulate_bgnbd``).

    lambda ~ Gamma(r, alpha), mu ~ Gamma(s, beta), lifetime tau ~ Exponential(mu); purchases
    are Poisson(lambda) on (0, min(tau, T + holdout)].
    """
    r, alpha, s, beta = as_params(params, NAMES)
    T = np.asarray(T, float)
    n = T.size
    lam = rng.gamma(r, 1.0 / alpha, n)
    mu = rng.gamma(s, 1.0 / beta, n)
    tau = rng.exponential(1.0 / mu)
    end_cal = np.minimum(tau, T)
    x = rng.poisson(lam * end_cal)
    # the last of x uniforms on (0, end_cal): end_cal * Beta(x, 1)
    t_x = np.where(x > 0, end_cal * rng.beta(np.maximum(x, 1), 1.0), 0.0)
    active_hold = np.clip(np.minimum(tau, T + holdout) - T, 0.0, None)
    return pd.DataFrame(
        {
            "frequency": x.astype(np.int64),
            "recency": t_x,
            "T": T,
            "alive": tau > T,
            "holdout": rng.poisson(lam * active_hold).astype(np.int64),
        }
    )
