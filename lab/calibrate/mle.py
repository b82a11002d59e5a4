"""Maximum likelihood machinery shared by the BTYD models (最大似然估计).

Every model is fitted the same way:

* the negative log-likelihood is minimised over the **logarithms** of the parameters
  (all are positive) with :func:`scipy.optimize.minimize`, L-BFGS-B from several
  starting points, the best end point polished by Newton steps on the numerical
  Hessian (Nelder–Mead and L-BFGS-B again if that does not settle); converged means
  the Newton step left is under 1% of a standard error;
* standard errors come from the **observed information**: the Hessian of the negative
  log-likelihood in log-parameters at the optimum by central differences
  (:func:`central_hessian`; checked against :func:`scipy.differentiate.hessian`), inverted, then mapped to natural
  parameters by the delta method, ``cov(theta) = D cov(log theta) D`` with
  ``D = diag(theta)``.  At a stationary point this equals inverting the Hessian in
  natural parameters (the extra gradient term vanishes) and it is better scaled;
* 95% intervals are Wald intervals on the log scale, ``exp(log theta +- 1.96 se_log)``,
  so they stay positive (asymmetric around the estimate).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize

__all__ = [
    "LOG_SD_IDENTIFIED",
    "FitResult",
    "adaptive_hessian",
    "central_gradient",
    "central_hessian",
    "fit_model",
    "maximise",
    "pearson_dispersion",
]

Z95 = 1.959963984540054  # standard normal 97.5% quantile

#: a parameter whose log-scale standard error exceeds this is not identified for the
#: draws: the log-normal (Wald) approximation would span more than a factor e^3 = 20
#: each way at 2 SE, and the likelihood is then flat, not normal (e.g. BG/NBD's a and b
#: on a short log, where only a/(a+b) is determined)
LOG_SD_IDENTIFIED = 1.5


@dataclass(frozen=True)
class FitResult:
    """A fitted model: estimates, standard errors and how the fit went.

    Attributes
    ----------
    model : str
        ``"bgnbd"``, ``"paretonbd"``, ``"gammagamma"`` or ``"sbg"``.
    params : dict[str, float]
        Estimates (bgnbd: r, alpha, a, b; paretonbd: r, alpha, s, beta; gammagamma:
        p, q, gamma; sbg: alpha, beta).  Rate parameters (alpha, beta of the count
        models) are in ``time_unit_days`` units.
    se : dict[str, float]
        Standard errors from the observed information (see the module docstring);
        NaN when the information matrix is not positive definite, and in the
        early-life burst's fits for a parameter on the boundary (within a factor e of
        the search bound exp(+-12), the box, not the data, holding it: its Wald SE
        would mean nothing; :func:`fit_model`).
    loglik : float
        Maximised log-likelihood (with all constant terms: comparable to published
        values, e.g. -9582.4 for BG/NBD on the CDNOW sample).
    n : int
        Customers fitted (cohort size for sbg).
    time_unit_days : float
        Unit of time of the rate parameters (7.0 = weeks).  1.0 for gammagamma, and
        the period for sbg (its parameters carry no time unit).
    converged : bool
        The Newton step left at the optimum is under 1% of a standard error for
        every parameter, and no parameter sits at the search bound (nor, in the burst's
        fits, on the boundary).
    message : str
        What the optimiser said, and any warning (parameter at a bound, singular
        information matrix, indicative standard errors).
    cov : tuple of tuple of float
        Covariance matrix of the estimates, in the order of ``params``.
    """

    model: str
    params: dict[str, float]
    se: dict[str, float]
    loglik: float
    n: int
    time_unit_days: float
    converged: bool
    message: str
    cov: tuple[tuple[float, ...], ...] = field(default=())

    def table(self) -> pd.DataFrame:
        """Parameter table: parameter, estimate, se, ci_low, ci_high (95%, log-scale Wald)."""
        rows = []
        for name, est in self.params.items():
            se = self.se.get(name, math.nan)
            if est > 0 and math.isfinite(se):
                half = Z95 * se / est  # se of log(theta) by the delta method
                # an unidentified parameter's se can be 1e6 x its estimate: no overflow
                lo, hi = (
                    (est * math.exp(-half), est * math.exp(half)) if half < 700 else (0.0, math.inf)
                )
            else:
                lo = hi = math.nan
            rows.append({"parameter": name, "estimate": est, "se": se, "ci_low": lo, "ci_high": hi})
        return pd.DataFrame(rows, columns=["parameter", "estimate", "se", "ci_low", "ci_high"])

    def to_dict(self) -> dict:
        """JSON-friendly dict (NaN standard errors become None)."""

        def clean(v: float) -> float | None:
            return float(v) if math.isfinite(v) else None

        return {
            "model": self.model,
            "params": {k: float(v) for k, v in self.params.items()},
            "se": {k: clean(v) for k, v in self.se.items()},
            "loglik": float(self.loglik),
            "n": int(self.n),
            "time_unit_days": float(self.time_unit_days),
            "converged": bool(self.converged),
            "message": self.message,
            "cov": [[clean(v) for v in row] for row in self.cov],
        }

    @classmethod
    def from_dict(cls, d: Mapping) -> FitResult:
        """Rebuild a result from :meth:`to_dict` output (e.g. read back from JSON)."""

        def unclean(v) -> float:
            return math.nan if v is None else float(v)

        return cls(
            model=str(d["model"]),
            params={k: float(v) for k, v in d["params"].items()},
            se={k: unclean(v) for k, v in d["se"].items()},
            loglik=float(d["loglik"]),
            n=int(d["n"]),
            time_unit_days=float(d["time_unit_days"]),
            converged=bool(d["converged"]),
            message=str(d.get("message", "")),
            cov=tuple(tuple(unclean(v) for v in row) for row in d.get("cov", ())),
        )


def pearson_dispersion(X: np.ndarray, y: np.ndarray, mu: np.ndarray) -> float:
    """Pearson overdispersion of Poisson-regression counts, at least 1 (Poisson).

    The Pearson chi-square ``sum((y - mu)^2 / mu)`` over its degrees of freedom: the
    observations less the effects they contain (nonzero columns of ``X`` after the
    first, the level) and the level, at least 1.

    Parameters
    ----------
    X : numpy.ndarray
        Design matrix, one row per observation, the level (intercept) first.
    y : numpy.ndarray
        Observed counts.
    mu : numpy.ndarray
        Fitted means.

    Returns
    -------
    float
        The dispersion factor that scales the Poisson covariance, ``>= 1``.
    """
    dof = max(y.size - int(X[:, 1:].any(axis=0).sum()) - 1, 1)
    return max(float(((y - mu) ** 2 / mu).sum() / dof), 1.0)


def central_hessian(f: Callable[[np.ndarray], float], x: np.ndarray, step: float = 1e-3):
    """Hessian of ``f`` at ``x`` by second-order central differences.

    Diagonal: ``(f(x+h) - 2 f(x) + f(x-h)) / h^2``; off-diagonal: the four-point
    formula.  Error O(step^2); with ``f`` a log-likelihood over log-parameters a step of
    1e-3 balances truncation against rounding (relative error ~1e-6 here).
    """
    x = np.asarray(x, float)
    m = x.size
    h = np.full(m, step)
    f0 = f(x)
    hess = np.empty((m, m))
    eye = np.eye(m)
    for i in range(m):
        ei = eye[i] * h[i]
        hess[i, i] = (f(x + ei) - 2 * f0 + f(x - ei)) / h[i] ** 2
        for j in range(i):
            ej = eye[j] * h[j]
            val = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)) / (
                4 * h[i] * h[j]
            )
            hess[i, j] = hess[j, i] = val
    return hess


def adaptive_hessian(f: Callable[[np.ndarray], float], x: np.ndarray) -> np.ndarray:
    """Hessian by :func:`scipy.differentiate.hessian` (scipy >= 1.15), else :func:`central_hessian`.

    The adaptive scheme costs ~10,000 evaluations for four parameters (central
    differences: 33), so the fits use :func:`central_hessian`; this one is the
    cross-check in the tests (they agree to ~1e-6 relative on CDNOW).
    """
    x = np.asarray(x, float)
    try:
        from scipy.differentiate import hessian  # scipy >= 1.15
    except ImportError:  # pragma: no cover - depends on the installed scipy
        return central_hessian(f, x)

    def batched(xs: np.ndarray) -> np.ndarray:
        flat = xs.reshape(xs.shape[0], -1)
        out = np.array([f(flat[:, k]) for k in range(flat.shape[1])])
        return out.reshape(xs.shape[1:])

    res = hessian(batched, x, initial_step=0.05, tolerances={"rtol": 1e-6})
    hess = np.asarray(res.ddf, float)
    if not np.all(np.isfinite(hess)):
        return central_hessian(f, x)
    return (hess + hess.T) / 2


def central_gradient(
    f: Callable[[np.ndarray], float], x: np.ndarray, step: float = 1e-5
) -> np.ndarray:
    """Gradient of ``f`` at ``x`` by central differences (error O(step^2))."""
    x = np.asarray(x, float)
    eye = np.eye(x.size) * step
    return np.array([(f(x + e) - f(x - e)) / (2 * step) for e in eye])


@dataclass(frozen=True)
class _Newton:
    """Where the optimum stands: gradient, Hessian and the Newton step left, in SEs."""

    grad: np.ndarray
    hess: np.ndarray
    cov: np.ndarray | None  # inverse Hessian, None if not positive definite
    step: np.ndarray | None
    step_se: float  # max |step| / se over parameters (inf without a covariance)


def _newton(f: Callable[[np.ndarray], float], z: np.ndarray) -> _Newton:
    grad = central_gradient(f, z)
    hess = central_hessian(f, z)
    try:
        if np.any(np.linalg.eigvalsh(hess) <= 0):
            raise np.linalg.LinAlgError("not positive definite")
        cov = np.linalg.inv(hess)
    except np.linalg.LinAlgError:
        return _Newton(grad, hess, None, None, math.inf)
    step = cov @ grad
    return _Newton(grad, hess, cov, step, float(np.max(np.abs(step) / np.sqrt(np.diag(cov)))))


def maximise(
    nll: Callable[[np.ndarray], float],
    starts: Sequence[Sequence[float]],
    *,
    log_bound: float = 12.0,
    tol_se: float = 0.01,
) -> tuple[np.ndarray, float, _Newton, str]:
    """Minimise ``nll`` over log-parameters from several starts; polish; check the optimum.

    L-BFGS-B runs from every start; from the best end point, Newton steps on the
    finite-difference Hessian (accepted only if they lower ``nll``) until the step left
    is under ``tol_se`` standard errors in every parameter; failing that, Nelder–Mead
    (which does not trust the numerical gradient) and L-BFGS-B again.  ``log_bound``
    keeps the search in ``[-log_bound, log_bound]`` (parameters between 6e-6 and
    1.6e5), where every likelihood here is finite.

    Returns
    -------
    log_params, nll at them, the Newton diagnostics there, and a message.
    """

    def safe(z: np.ndarray) -> float:
        v = nll(z)
        return float(v) if np.isfinite(v) else 1e300

    bounds = [(-log_bound, log_bound)] * len(starts[0])
    opts = {"maxiter": 3000, "ftol": 1e-12, "gtol": 1e-8}
    runs = [
        optimize.minimize(
            safe, np.asarray(s, float), method="L-BFGS-B", bounds=bounds, options=opts
        )
        for s in starts
    ]
    best = min(runs, key=lambda res: res.fun)
    z, fz = np.clip(best.x, -log_bound, log_bound), float(best.fun)
    how = f"L-BFGS-B from {len(starts)} starts"
    info = _newton(safe, z)
    if np.any(np.abs(z) > log_bound - 1e-3):
        # the likelihood rises towards a boundary (e.g. no heterogeneity left to fit):
        # no interior optimum to polish; fit_model reports it as not identified
        return z, fz, info, how
    for _ in range(4):
        if info.step is None or info.step_se < tol_se:
            break
        z_new = np.clip(z - info.step, -log_bound, log_bound)
        f_new = safe(z_new)
        if not f_new < fz:
            break
        z, fz, info = z_new, f_new, _newton(safe, z_new)
        how += " + Newton step"
    if info.step is None or info.step_se >= tol_se:
        nm = optimize.minimize(
            safe, z, method="Nelder-Mead", bounds=bounds,
            options={"xatol": 1e-9, "fatol": 1e-11, "maxfev": 1500},
        )  # fmt: skip
        final = optimize.minimize(safe, nm.x, method="L-BFGS-B", bounds=bounds, options=opts)
        for cand in (nm, final):
            if cand.fun < fz:
                z, fz = np.asarray(cand.x, float), float(cand.fun)
        info = _newton(safe, z)
        how += " + Nelder-Mead polish"
    return z, fz, info, how


def fit_model(
    model: str,
    nll: Callable[[np.ndarray], float],
    names: Sequence[str],
    starts: Sequence[Sequence[float]],
    *,
    n: int,
    time_unit_days: float,
    note: str = "",
    boundary: bool = False,
) -> FitResult:
    """Maximise, then attach standard errors: the common tail of every ``fit_*``.

    ``converged`` means the Newton step left at the optimum is under 1% of a standard
    error in every log-parameter and no parameter sits at the search bound.

    With ``boundary`` (the early-life burst's fits, whose beta -> 0 and tau -> infinity
    are the null), a parameter within a factor e of the bound whose Wald interval
    reaches it is **on the boundary** (:func:`_on_boundary`): NaN standard error,
    covariance row and column, the others' covariance given it, and the fit is not
    converged (so :func:`~lab.calibrate.order_model.parameter_draws` keeps the point
    estimate).  Without it (every other model, as before) only the bound itself counts:
    a fit whose spend has no heterogeneity (gamma-gamma's q and gamma running off
    together) stays usable.
    """
    log_bound = 12.0
    z, fz, info, how = maximise(nll, starts, log_bound=log_bound)
    theta = np.exp(z)
    at_bound = bool(np.any(np.abs(z) > log_bound - 1e-3))
    edge = _on_boundary(z, info, log_bound) if boundary else np.zeros(z.size, bool)
    msg = how
    if info.cov is None:
        msg += "; information matrix not positive definite: standard errors unavailable"
    else:
        msg += f"; Newton step left {info.step_se:.1e} standard errors"
    if edge.any():
        cov = _boundary_cov(info, edge) * np.outer(theta, theta)  # delta method from logs
        names_at = ", ".join(k for k, e in zip(names, edge, strict=True) if e)
        msg += (
            f"; {names_at} on the boundary (within a factor e of the search bound "
            f"exp(+-{log_bound:g}), the Wald interval reaching it): no standard errors "
            "for them (the others' are given them); the model is not identified from "
            "these data"
        )
    else:
        full = info.cov if info.cov is not None else np.full((z.size, z.size), np.nan)
        cov = full * np.outer(theta, theta)  # delta method from log-parameters
        if at_bound:
            msg += (
                f"; a parameter is at the search bound exp(+-{log_bound:g}): "
                "the model is not identified from these data"
            )
    ok = info.step_se < 0.01 and not at_bound and not edge.any()
    if not ok and not at_bound and not edge.any():
        msg += "; not converged"
    se = np.sqrt(np.diag(cov))
    return FitResult(
        model=model,
        params={k: float(v) for k, v in zip(names, theta, strict=True)},
        se={k: float(v) for k, v in zip(names, se, strict=True)},
        loglik=-fz,
        n=int(n),
        time_unit_days=float(time_unit_days),
        converged=ok,
        message=msg + note,
        cov=tuple(tuple(float(v) for v in row) for row in cov),
    )


def _on_boundary(z: np.ndarray, info: _Newton, log_bound: float) -> np.ndarray:
    """Log-parameters the search box, not the data, holds: at the bound, or within 1 of
    it (a factor e) with their 95% Wald interval reaching it (or no information).

    There the likelihood is flat or still rising towards the box (e.g. the early-life
    burst's beta -> 0 or tau -> infinity on a log without a burst): the end point is
    where the optimiser stopped, and a Wald standard error means nothing.
    """
    at = np.abs(z) > log_bound - 1e-3
    near = np.abs(z) > log_bound - 1.0
    if info.cov is None:
        return at | near
    se_log = np.sqrt(np.clip(np.diag(info.cov), 0.0, None))
    return at | (near & (np.abs(z) + Z95 * se_log >= log_bound))


def _boundary_cov(info: _Newton, edge: np.ndarray) -> np.ndarray:
    """Covariance of the log-parameters: NaN rows and columns for those on the
    boundary; the others' given them (the inverse of their block of the information),
    NaN if that block is not positive definite."""
    m = edge.size
    out = np.full((m, m), np.nan)
    if not edge.any():
        return out if info.cov is None else info.cov
    free = ~edge
    if not free.any():
        return out
    block = info.hess[np.ix_(free, free)]
    if np.all(np.isfinite(block)) and np.all(np.linalg.eigvalsh(block) > 0):
        out[np.ix_(free, free)] = np.linalg.inv(block)
    return out


def as_params(params, names: Sequence[str]) -> tuple[float, ...]:
    """Parameters from a FitResult or a mapping, in ``names`` order, with a clear error."""
    p = params.params if isinstance(params, FitResult) else params
    missing = [k for k in names if k not in p]
    if missing:
        raise ValueError(f"parameters {missing} missing: expected {list(names)}, got {list(p)}")
    return tuple(float(p[k]) for k in names)
