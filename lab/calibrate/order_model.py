"""The order model's fits and the scenarios they simulate (订单模型).

:class:`OrderFits` holds what :func:`lab.calibrate.fit` estimates from an order log —
BG/NBD and gamma–gamma (:func:`lab.calibrate.scenario_out.calibrate`), regular timing
(BG/CNBD-k), the calendar and the first-time buyer arrivals — and builds the lab
scenarios of the **existing** customers (each from its posterior at the calibration end)
and of the **new** customers (joining on the arrival forecast's days, first order
booked).  :func:`parameter_draws` gives each seed its own parameters from a fit's
sampling distribution.

Both the forecast (:class:`lab.calibrate.estimator.OrderModel`, which adds
``forecast`` and ``backtest`` to these fits) and the back-test
(:mod:`lab.calibrate.backtest`) build on this module; it imports neither, so the
dependency goes one way: estimator -> backtest -> order_model.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from lab.calibrate.mle import LOG_SD_IDENTIFIED  # re-exported; shared with the calendar
from lab.calibrate.scenario_out import ParamsCounter  # the backtest_params stream's counters

__all__ = [
    "LOG_SD_IDENTIFIED",
    "OrderFits",
    "ParamsCounter",
    "events_at_x1",
    "parameter_draws",
    "spend_draws",
]


def parameter_draws(
    fit, seeds: list[int], counter: int = ParamsCounter.PURCHASE_MODEL, shift: dict | None = None
) -> list:
    """One parameter set per seed: log-normal around the estimate with the fit's covariance.

    The normal scores come from each seed's own lab stream, so a seed always draws the
    same parameters.  A fit without a usable covariance keeps its point estimate.  A
    parameter whose log-scale standard error exceeds :data:`LOG_SD_IDENTIFIED` keeps its
    estimate, and the others are drawn from their normal distribution conditional on it
    (its Wald approximation would draw absurd values: 1e22, or 0).

    Parameters
    ----------
    fit : FitResult
        A fit with ``params``, ``cov`` and ``converged``.
    seeds : list of int
    counter : int
        Counter of the seed's ``backtest_params`` stream the normal scores come from:
        :class:`ParamsCounter`: ``PURCHASE_MODEL`` for the purchase model, ``SPEND``
        for gamma-gamma, so the two fits' draws are independent.
    shift : dict, optional
        Lower bounds c of parameters drawn as log(theta - c) (delta method:
        d log(theta - c)/d theta = 1/(theta - c)), so no draw reaches c; gamma-gamma's
        q is drawn above 1.  The others are drawn on log theta (c = 0).  A fit whose
        estimate is not above its bound keeps its point estimate.

    Returns
    -------
    list
        ``len(seeds)`` fits (copies of ``fit`` with drawn ``params``).
    """
    from scipy.special import ndtri

    from lab.rng import RandomStreams

    names = list(fit.params)
    theta = np.array([fit.params[k] for k in names], dtype=float)
    floor = np.array([float((shift or {}).get(k, 0.0)) for k in names])
    above = theta - floor  # = theta where there is no bound
    cov = np.asarray(fit.cov, dtype=float)
    if not fit.converged or cov.shape != (theta.size, theta.size) or not np.isfinite(cov).all():
        return [fit] * len(seeds)
    if not (above > 0).all():
        return [fit] * len(seeds)
    log_cov = _identified(cov / np.outer(above, above))  # covariance of log(theta - floor)
    if not log_cov.any():
        return [fit] * len(seeds)
    vals, vecs = np.linalg.eigh(log_cov)
    root = vecs * np.sqrt(np.clip(vals, 0.0, None))
    out = []
    for s in seeds:
        ids = np.arange(theta.size, dtype=np.uint64)
        u = RandomStreams(s).uniform("backtest_params", counter, ids)
        draw = floor + above * np.exp(root @ ndtri(u))
        if not np.isfinite(draw).all():
            return [fit] * len(seeds)
        out.append(dataclasses.replace(fit, params=dict(zip(names, map(float, draw), strict=True))))
    return out


def spend_draws(cal, seeds: list[int]) -> list:
    """One calibration per seed with its own gamma-gamma parameters (p, q, gamma, and the
    rate-dependent scale's ratio when fitted), drawn as :func:`parameter_draws` draws the
    purchase model's, from counter ``ParamsCounter.SPEND`` of each seed's stream.

    Without them a forecast's GMV bands held the purchase model's and the customers'
    uncertainty but not the spend fit's.  The draws are normal in (log p, log(q - 1),
    log gamma[, log ratio]) with the delta-method covariance (d log(q - 1)/dq =
    1/(q - 1)): q is never <= 1, and the mean order value p gamma / (q - 1) is
    log-normal, so a q estimated near 1 with a wide SE no longer draws q just above 1
    with an unbounded mean (drawn on log q, a 100-customer log gave seeds 19x the
    estimate's mean order value).  The rate-dependent scale's ratio (> 0, 1 =
    independence) stays on its natural log scale, as before.  Same stream and counter
    as before, so each seed's orders are unchanged.  No spend fit: ``cal`` for every
    seed.
    """
    if cal.spend is None:
        return [cal] * len(seeds)
    draws = parameter_draws(cal.spend, seeds, counter=ParamsCounter.SPEND, shift={"q": 1.0})
    return [dataclasses.replace(cal, spend=f) for f in draws]


def _identified(log_cov: np.ndarray) -> np.ndarray:
    """``log_cov`` with the unidentified parameters held at their estimate: zero rows and
    columns for them, the others' covariance conditional on them."""
    fixed = np.sqrt(np.clip(np.diag(log_cov), 0.0, None)) > LOG_SD_IDENTIFIED
    if not fixed.any():
        return log_cov
    free = ~fixed
    out = np.zeros_like(log_cov)
    s12 = log_cov[np.ix_(free, fixed)]
    cond = log_cov[np.ix_(free, free)] - s12 @ np.linalg.pinv(log_cov[np.ix_(fixed, fixed)]) @ s12.T
    out[np.ix_(free, free)] = (cond + cond.T) / 2
    return out


@dataclass
class OrderFits:
    """An order log's fits and the scenarios of its existing and new customers."""

    orders: object
    calibration: object
    regularity: object
    seasonality: object
    arrivals: object
    campaigns: list = field(default_factory=list)

    @property
    def calibration_end(self) -> pd.Timestamp:
        """Last day of the calibration period."""
        return self.calibration.calibration_end

    def summary(self) -> dict:
        """The fits in one JSON-friendly dict."""
        return {
            "calibration_end": str(self.calibration_end.date()),
            "customers": int(self.calibration.fit.n),
            "bgnbd": self.calibration.fit.to_dict(),
            "spend": None if self.calibration.spend is None else self.calibration.spend.to_dict(),
            "regularity_k": int(self.regularity.k),
            "regularity_k_set": list(self.regularity.k_set),
            "bgcnbd": self.regularity.fit.to_dict(),
            "purchase_clock": self.regularity.clock,
            "seasonality_penalty": float(self.seasonality.penalty),
            "seasonality_penalty_rule": str(self.seasonality.rule),
            "seasonality_month_rule": str(self.seasonality.month_rule),
            "arrivals": self.arrivals.summary(),
            "frequency_spend_correlation": self.calibration.spend_correlation(),
        }

    def scenario(self, customers_file: str, *, days: int, future_campaigns=()) -> dict:
        """The conditional scenario of the existing customers from the calibration end."""
        from lab.calibrate.scenario_out import erlang_timing, scenario_dict

        cal = self.calibration
        fit = dataclasses.replace(self.regularity.fit, model="bgnbd")
        sc = scenario_dict(
            dataclasses.replace(cal, fit=fit),
            customers_file,
            name="forecast-existing",
            days=days + 1,
            start_date=cal.calibration_end,
            book_first_order=False,
        )
        sc["calendar"] = self.seasonality.calendar(future_campaigns)
        return erlang_timing(sc, self.regularity.k)

    def existing_customers(self, fit=None, seed: int = 0) -> pd.DataFrame:
        """Known-customer table of the existing customers at the calibration end, each
        with its BG/CNBD-k posterior (``fit``: this model's regularity fit by default;
        ``seed``: of the clock stages each customer has done, drawn from their posterior),
        taken on the time the fit was made in: the calendar's operational time
        (:mod:`lab.calibrate.operational`) unless the calendar is flat."""
        from lab.calibrate.scenario_out import conditional_customers_cnbdk

        reg = self.regularity
        fit = reg.fit if fit is None else fit
        return conditional_customers_cnbdk(self.calibration, fit, reg.k, seed, times=reg.times)

    # ---------------------------------------------------------------- pieces
    def future_campaigns(self, future=None) -> list[dict]:
        """The campaigns to place after the calibration end, each with its lift.

        Parameters
        ----------
        future : sequence of dict, optional
            ``name, start, end[, lift]``; default: the campaign calendar given to
            :func:`lab.calibrate.fit`.  Campaigns starting on or before the calibration
            end are left out (their lift is fitted, and applies on all their days);
            a missing lift takes the mean fitted campaign lift, else 1.

        Returns
        -------
        list of dict
            ``name, start, end, lift`` and ``lift_from``: ``given`` (its own),
            ``fitted_mean`` (none given: the mean fitted campaign lift) or ``none`` (none
            given and no campaign fitted: x1, no effect, which the forecast's outputs
            warn of).
        """
        fitted = [c["lift"] for c in self.seasonality.campaigns]
        default = float(np.mean(fitted)) if fitted else 1.0
        out = []
        for c in self.campaigns if future is None else future:
            if pd.Timestamp(c["start"]) <= self.calibration_end:
                continue  # in the log: fitted already
            lift = c.get("lift")
            if lift is None or pd.isna(lift):
                out.append({**c, "lift": default, "lift_from": "fitted_mean" if fitted else "none"})
            else:
                out.append({**c, "lift": float(lift), "lift_from": "given"})
        return out

    def _existing(self, fit, folder: Path, days: int, camps, seed: int = 0) -> object:
        from lab.known_customers import write_known_customers
        from lab.scenario import scenario_from_dict

        path = folder / "existing.csv"
        write_known_customers(self.existing_customers(fit, seed), path)
        model = dataclasses.replace(self, regularity=dataclasses.replace(self.regularity, fit=fit))
        sc = model.scenario(str(path), days=days, future_campaigns=camps)
        return scenario_from_dict(sc, source=str(path))

    def arrival_means(
        self, start, days: int, camps=(), trend: float | None = None, level_factor: float = 1.0
    ) -> np.ndarray:
        """Expected first-time buyers on each of ``days`` days from ``start``: the arrival
        forecast (``trend``: the fitted one by default; ``level_factor`` x its level) x the
        lift of future campaigns."""
        mu = self.arrivals.expected(start, days, trend=trend, level_factor=level_factor)
        if camps:
            seas = self.seasonality
            mu = mu * (seas.multipliers(start, days, camps) / seas.multipliers(start, days))
        return mu

    def expected_new_customers(self, start, days: int, camps=(), first: int = 1) -> pd.DataFrame:
        """Known-customer rows of the new customers expected in ``days`` days from ``start``,
        without parameter uncertainty: each joins on the day the cumulative expectation
        reaches j + 1/2 (:func:`~lab.calibrate.arrivals.expected_arrival_days`); none for a
        closed cohort.  Ids ``new-0000001``, ... (``first``: the first number)."""
        from lab.calibrate.arrivals import expected_arrival_days

        when = expected_arrival_days(self.arrival_means(start, days, camps))
        return new_customer_rows(start, when, first)

    def _new(self, folder: Path, start, days: int, camps, seed: int, uncertain: bool):
        """New customers of the arrival forecast (None for a closed cohort).

        With parameter uncertainty each seed draws the trend and then Poisson daily
        arrivals; without, they join on the expected days (:meth:`expected_new_customers`).
        """
        from lab.known_customers import write_known_customers
        from lab.rng import RandomStreams
        from lab.scenario import scenario_from_dict

        arr = self.arrivals
        if arr.closed:
            return None
        if uncertain:  # the trend's and the level's sampling uncertainty, then Poisson
            # arrivals, from this seed's own stream
            from scipy.special import ndtri
            from scipy.stats import poisson

            u = RandomStreams(seed).uniform(
                "backtest_params", ParamsCounter.ARRIVAL_TREND_LEVEL, np.arange(2, dtype=np.uint64)
            )
            trend, level_factor = arr.draw(ndtri(u))
            mu = self.arrival_means(start, days, camps, trend=trend, level_factor=level_factor)
            u = RandomStreams(seed).uniform(
                "backtest_params", ParamsCounter.ARRIVAL_DAYS, np.arange(days, dtype=np.uint64)
            )
            when = np.repeat(np.arange(days), poisson.ppf(u, mu).astype(np.int64))
            table = new_customer_rows(start, when, first=0)
        else:
            table = self.expected_new_customers(start, days, camps, first=0)
        if table.empty:
            return None
        path = folder / "new.csv"
        write_known_customers(table, path)
        sc = self.scenario(str(path), days=days, future_campaigns=camps)
        sc["name"] = "forecast-new"
        sc["start_date"] = str(self.calibration_end.date())
        sc["acquisition"]["known_customers"]["book_first_order"] = True
        return scenario_from_dict(sc, source=str(path))


def new_customer_rows(start, when: np.ndarray, first: int = 1) -> pd.DataFrame:
    """Known-customer rows of new customers joining ``when`` days after ``start``: ids
    ``new-<first>``, ``new-<first + 1>``, ... (seven digits)."""
    return pd.DataFrame(
        {
            "customer_id": [f"new-{first + j:07d}" for j in range(len(when))],
            "join_date": pd.Timestamp(start) + pd.to_timedelta(when, unit="D"),
        }
    )


def events_at_x1(fitted, first, last, campaigns=()) -> list[dict]:
    """The named events (big sales: 春节, 618, 双11, 双12) with days in ``first`` to
    ``last`` that the calibration log did not contain: the calendar has no lift for
    them, so a forecast runs them at x1 unless a campaign is placed on their days.

    Parameters
    ----------
    fitted : iterable of str
        The events the calendar fitted (``SeasonalityFit.events``' names).
    first, last : date-like
        The forecast's (or a back-test's holdout's) first and last day.
    campaigns : sequence of dict
        Campaigns placed in that period (``start``, ``end``): an event whose days they
        overlap is theirs, not left at x1.

    Returns
    -------
    list of dict
        ``name``, ``start``, ``end`` (ISO dates, clipped to the period), in date order.
    """
    from lab.configs.calendar import event_spans

    fitted = set(fitted)
    placed = [(pd.Timestamp(c["start"]).date(), pd.Timestamp(c["end"]).date()) for c in campaigns]
    return [
        {"name": name, "start": str(a), "end": str(b)}
        for name, a, b in event_spans(pd.Timestamp(first).date(), pd.Timestamp(last).date())
        if name not in fitted and not any(s <= b and a <= e for s, e in placed)
    ]
