"""Buy-till-you-die models fitted to an order log, and their diagnostics (标定模型).

One import point for the calibration statistics:

* :func:`rfm_summary` turns an order log into per-customer (x, t_x, T, monetary value);
* :func:`fit_bgnbd` (BG/NBD), :func:`fit_bgnbd_age` (BG/NBD with an early-life
  burst, :mod:`lab.calibrate.agebump`) and :func:`fit_paretonbd` (Pareto/NBD) fit purchase rate
  and dropout heterogeneity, :func:`fit_gamma_gamma` spend, :func:`fit_sbg` churn from a
  retention curve alone; each returns a :class:`FitResult` with standard errors;
* closed forms (expected counts, P(alive), conditional expectations, count pmf,
  survival) and the two classic diagnostics: :func:`purchase_count_histogram`
  (calibration-period repeat-purchase histogram, actual vs model: Fader, Hardie & Lee
  2005, Fig. 3) and :func:`expected_repeat_curve` (cumulative repeat transactions of a
  cohort over time, for the tracking plot and back-test).

The numerics live in :mod:`lab.calibrate.mle` (optimisation and standard errors) and
one module per model.  Verified against the published CDNOW estimates (see
``tests/test_calibrate_models.py``).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from lab.calibrate.agebump import (
    bgnbd_age_conditional_expected,
    bgnbd_age_expected_count,
    fit_bgnbd_age,
    repeat_ages,
)
from lab.calibrate.bgnbd import (
    bgnbd_conditional_expected,
    bgnbd_count_pmf,
    bgnbd_expected_count,
    bgnbd_loglik,
    bgnbd_p_alive,
    fit_bgnbd,
    lab_traits_from_bgnbd,
    simulate_bgnbd,
)
from lab.calibrate.datasets import cdnow_path, cdnow_sample_path, read_cdnow
from lab.calibrate.gammagamma import (
    fit_gamma_gamma,
    gamma_gamma_conditional_mean,
    gamma_gamma_loglik,
    lab_basket_from_gamma_gamma,
)
from lab.calibrate.mle import FitResult
from lab.calibrate.paretonbd import (
    fit_paretonbd,
    paretonbd_conditional_expected,
    paretonbd_count_pmf,
    paretonbd_expected_count,
    paretonbd_loglik,
    paretonbd_p_alive,
    simulate_paretonbd,
)
from lab.calibrate.sbg import fit_sbg, sbg_loglik, sbg_retention, sbg_survival
from lab.calibrate.summary import rfm_summary

__all__ = [
    "FitResult",
    "bgnbd_age_conditional_expected",
    "bgnbd_age_expected_count",
    "bgnbd_conditional_expected",
    "bgnbd_count_pmf",
    "bgnbd_expected_count",
    "bgnbd_loglik",
    "bgnbd_p_alive",
    "cdnow_path",
    "cdnow_sample_path",
    "expected_repeat_curve",
    "fit_bgnbd",
    "fit_bgnbd_age",
    "fit_gamma_gamma",
    "fit_paretonbd",
    "fit_sbg",
    "gamma_gamma_conditional_mean",
    "gamma_gamma_loglik",
    "lab_basket_from_gamma_gamma",
    "lab_traits_from_bgnbd",
    "paretonbd_conditional_expected",
    "paretonbd_count_pmf",
    "paretonbd_expected_count",
    "paretonbd_loglik",
    "paretonbd_p_alive",
    "purchase_count_histogram",
    "read_cdnow",
    "repeat_ages",
    "rfm_summary",
    "sbg_loglik",
    "sbg_retention",
    "sbg_survival",
    "simulate_bgnbd",
    "simulate_paretonbd",
]

_EXPECTED = {
    "bgnbd": bgnbd_expected_count,
    "bgnbd_age": bgnbd_age_expected_count,
    "paretonbd": paretonbd_expected_count,
}


def _model_and_params(params, model: str) -> tuple[str, Mapping[str, float]]:
    if isinstance(params, FitResult):
        return params.model, params.params
    return model, params


def expected_repeat_curve(
    params: Mapping[str, float],
    first_purchase_times: ArrayLike,
    t_grid: ArrayLike,
    model: str = "bgnbd",
) -> np.ndarray:
    """A cohort's cumulative expected repeat transactions at each time of ``t_grid``.

    ``sum_i E[X(t - t0_i)]`` over customers with first purchase at ``t0_i`` (those not
    yet acquired at t contribute 0): the model line of the cumulative tracking plot.

    Parameters
    ----------
    params : FitResult or mapping
        A BG/NBD, BG/NBD-with-burst or Pareto/NBD fit (``model`` is then taken from it)
        or its params.
    first_purchase_times : array-like
        Each customer's first purchase, in the fit's time unit on the same clock as
        ``t_grid`` (e.g. weeks since the cohort's start).
    t_grid : array-like
        Times at which to evaluate the curve.
    model : {"bgnbd", "bgnbd_age", "paretonbd"}
        Used when ``params`` is a mapping.

    Returns
    -------
    numpy.ndarray
        Same shape as ``t_grid``.
    """
    model, p = _model_and_params(params, model)
    if model not in _EXPECTED:
        raise ValueError(
            f"expected_repeat_curve needs model 'bgnbd_age', 'bgnbd' or 'paretonbd', got {model!r}"
        )
    t0, counts = np.unique(np.asarray(first_purchase_times, float), return_counts=True)
    grid = np.asarray(t_grid, float)
    flat = grid.reshape(-1)
    ages = flat[:, None] - t0[None, :]
    ex = _EXPECTED[model](p, np.maximum(ages, 0.0))
    out = (np.where(ages > 0, ex, 0.0) * counts[None, :]).sum(axis=1)
    return out.reshape(grid.shape)


def purchase_count_histogram(
    summary: pd.DataFrame, fit: FitResult, max_count: int = 7
) -> pd.DataFrame:
    """Calibration-period repeat-purchase histogram: actual vs model (FHL 2005, Fig. 3).

    Parameters
    ----------
    summary : pandas.DataFrame
        The summary the model was fitted on (columns frequency and T).
    fit : FitResult
        A BG/NBD or Pareto/NBD fit.
    max_count : int
        Last bin is ``max_count+`` (7 gives the classic 0, 1, ..., 6, 7+).

    Returns
    -------
    pandas.DataFrame
        Columns count ("0", ..., "7+"), actual (customers with that many repeat
        transactions in the calibration period) and model (expected customers,
        ``sum_i P(X(T_i) = k)`` with each customer's own T); both columns sum to the
        number of customers.
    """
    pmfs = {"bgnbd": bgnbd_count_pmf, "paretonbd": paretonbd_count_pmf}
    if fit.model not in pmfs:
        raise ValueError(
            f"purchase_count_histogram needs a BG/NBD or Pareto/NBD fit, got {fit.model!r}"
        )
    if not isinstance(max_count, int | np.integer) or max_count < 1:
        raise ValueError(f"max_count must be an integer >= 1, got {max_count!r}")
    x = summary["frequency"].to_numpy(int)
    T_vals, T_counts = np.unique(summary["T"].to_numpy(float), return_counts=True)
    k = np.arange(max_count)
    pmf = pmfs[fit.model](fit, k[:, None], T_vals[None, :])  # (k, distinct T)
    model_counts = (pmf * T_counts).sum(axis=1)
    model_counts = np.append(model_counts, T_counts.sum() - model_counts.sum())
    actual = np.bincount(np.minimum(x, max_count), minlength=max_count + 1)
    labels = [str(i) for i in k] + [f"{max_count}+"]
    return pd.DataFrame({"count": labels, "actual": actual.astype(np.int64), "model": model_counts})
