"""Estimator-style API: ``model = lab.calibrate.fit(orders)``, ``model.forecast("2Q")`` (预测).

In the convention of lifetimes / PyMC-Marketing CLV: :func:`fit` calibrates on an
order log (the whole log by default) and returns an :class:`OrderModel` holding

* the BG/NBD and gamma–gamma fits (:func:`lab.calibrate.scenario_out.calibrate`);
* regular timing, BG/CNBD-k (:mod:`lab.calibrate.regularity`);
* the calendar of multipliers (:mod:`lab.calibrate.seasonality`);
* first-time buyer arrivals, or a closed cohort (:mod:`lab.calibrate.arrivals`).

:meth:`OrderModel.forecast` simulates from the day after the calibration end with the
lab: the **existing** customers start with their posterior (alive chance, purchase
rate, dropout, spend) and the **new** customers join on the expected days of the
arrival forecast with their first order booked; each seed draws its own parameters
from the fits' sampling distributions, so the bands carry parameter uncertainty as
well as chance.  :meth:`OrderModel.backtest` is :func:`lab.calibrate.backtest.backtest`.
"""

from __future__ import annotations

import dataclasses
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lab.calibrate.order_model import OrderFits, events_at_x1, parameter_draws, spend_draws
from lab.calibrate.seasonality import MonthRuleName, PenaltyRuleName

if TYPE_CHECKING:
    from lab.calibrate.backtest import Backtest

__all__ = ["Forecast", "OrderModel", "fit", "horizon_days"]

BAND = {"p10": 0.10, "p90": 0.90, "p2_5": 0.025, "p97_5": 0.975}


def horizon_days(horizon, start, name: str = "horizon") -> int:
    """Days in a horizon from ``start``: ``"2Q"`` (quarters), ``"6M"``, ``"26W"``, ``"180D"``, ``"1Y"``, or an int.

    Parameters
    ----------
    horizon : str or int
    start : date-like
        The horizon's first day (months, quarters and years count from it).
    name : str
        How the caller names the horizon in a message (``--horizon`` on the command line).

    Raises
    ------
    ValueError
        An unreadable horizon (the message shows the accepted forms) or one outside 1 to
        3650 days (``"10000Y"`` too, whose end is past any date), naming ``name`` and the
        value.
    """
    limit = f"{name} {horizon!r}: must be 1 to 3650 days"
    if isinstance(horizon, int | np.integer):
        n = int(horizon)
    else:
        m = re.fullmatch(r"\s*(\d+)\s*([dDwWmMqQyY])\s*", str(horizon))
        if not m:
            raise ValueError(
                f"{name} {horizon!r}: use a number and a unit, e.g. 180d, 26w, 6m, 2q, 1y"
            )
        k, unit = int(m.group(1)), m.group(2).lower()
        if unit == "d":
            n = k
        elif unit == "w":
            n = 7 * k
        else:
            months = {"m": 1, "q": 3, "y": 12}[unit] * k
            if months > 3650 // 28:  # past the limit, and perhaps past any date
                raise ValueError(f"{limit}, got {months} months")
            start = pd.Timestamp(start)
            n = int((start + pd.DateOffset(months=months) - start).days)
    if not 1 <= n <= 3650:
        raise ValueError(f"{limit}, got {n}")
    return n


@dataclass
class Forecast:
    """A forecast: daily simulations and weekly / monthly tables with bands.

    Attributes
    ----------
    start : pandas.Timestamp
        First forecast day (the day after the calibration end).
    days : int
    daily : pandas.DataFrame
        Per seed and segment (``existing``, ``new``): rows ``kind = day`` with each day's
        ``orders`` and ``gmv``; rows ``kind = W`` / ``M`` with each week's / month's
        ``buyers``; one row ``kind = H`` (``period = horizon``) with the distinct buyers
        of the whole forecast.
    monthly, weekly : pandas.DataFrame
        ``period``, ``segment`` (existing, new, total), ``metric`` (orders, buyers,
        gmv), ``mean``, ``p2_5``, ``p10``, ``p90``, ``p97_5`` over seeds.  ``buyers``
        are the distinct buyers of that month (week): a customer who buys in three
        months counts in each, so months do not add up to the horizon's buyers
        (:attr:`horizon`).
    meta : dict
    """

    start: pd.Timestamp
    days: int
    daily: pd.DataFrame
    monthly: pd.DataFrame
    weekly: pd.DataFrame
    meta: dict = field(default_factory=dict)

    @property
    def horizon(self) -> pd.DataFrame:
        """The forecast period as a whole, per segment (existing, new, total), over seeds.

        ``orders`` and ``gmv``: each seed's sum over the forecast's days; ``buyers``:
        each seed's **distinct** buyers over the forecast (a customer counts once however
        many months it buys in; existing and new customers are different people, so
        the total is their sum); then the mean and the 80% / 95% bands over seeds: the
        seeds of ``meta["seeds"]`` (a seed without a segment's runs counts 0), or without
        it the seeds the runs hold.

        Returns
        -------
        pandas.DataFrame
            ``segment, metric, mean, p10, p90, p2_5, p97_5``.
        """
        seeds = self.meta.get("seeds")
        if seeds is None:  # a Forecast made by hand: the seeds it holds
            seeds = sorted(int(s) for s in self.daily["seed"].unique())
        return _bands(self.daily, "H", list(seeds)).drop(columns="period")


@dataclass
class OrderModel(OrderFits):
    """An order log's fitted model: the fits (:class:`~lab.calibrate.order_model.OrderFits`)
    with :meth:`forecast` and :meth:`backtest`."""

    def forecast(
        self,
        horizon="2Q",
        *,
        seeds=range(20),
        future_campaigns=None,
        parameter_uncertainty: bool = True,
        workers: int | None = None,
        progress: bool | None = False,
        penalty_rule: PenaltyRuleName | None = None,
        month_rule: MonthRuleName | None = None,
    ) -> Forecast:
        """Forecast orders, buyers and GMV from the day after the calibration end.

        Parameters
        ----------
        horizon : str or int
            ``"2Q"``, ``"180d"``, ... (:func:`horizon_days`).
        seeds : iterable of int
        future_campaigns : sequence of dict, optional
            ``name, start, end, lift`` of campaigns planned in the horizon (a missing
            lift takes the mean fitted campaign lift, else 1); default: those of the
            campaign calendar given to :func:`fit` that start after the calibration end.
        parameter_uncertainty : bool
            Each seed draws its own parameters from the fits' uncertainty: the purchase
            model's (BG/CNBD-k), gamma-gamma's (:func:`~lab.calibrate.order_model.
            spend_draws`: the GMV bands carry the spend fit's uncertainty) and the
            arrivals'.
        penalty_rule : {"min", "one_se"}, optional
        month_rule : {"all", "twice"}, optional
            Forecast with the calendar refitted under these rules (:meth:`refit_calendar`);
            default: this model's calendar, fitted under the rules given to :func:`fit`.

        Returns
        -------
        Forecast
            Daily runs per seed and segment, monthly and weekly tables with bands, the
            horizon's totals (:attr:`Forecast.horizon`) and ``meta`` (the fit's summary,
            horizon, start, days, seeds, parameter draws on or off, future campaigns).

        Raises
        ------
        ValueError
            A bad ``horizon`` (:func:`horizon_days`), an unknown rule (naming the argument
            and the value) or a bad future campaign.
        """
        from lab.parallel.pool import run_tasks

        if penalty_rule is not None or month_rule is not None:
            model = self.refit_calendar(penalty_rule, month_rule)
            if model is not self:
                return model.forecast(
                    horizon,
                    seeds=seeds,
                    future_campaigns=future_campaigns,
                    parameter_uncertainty=parameter_uncertainty,
                    workers=workers,
                    progress=progress,
                )
        seeds = [int(s) for s in seeds]
        start = self.calibration_end + pd.Timedelta(days=1)
        days = horizon_days(horizon, start)
        camps = self.future_campaigns(future_campaigns)
        rf = self.regularity.fit
        draws = parameter_draws(rf, seeds) if parameter_uncertainty else [rf] * len(seeds)
        cals = spend_draws(self.calibration, seeds) if parameter_uncertainty else None
        with tempfile.TemporaryDirectory(prefix="lab-forecast-") as tmp:
            tasks = []
            for i, (g, seed) in enumerate(zip(draws, seeds, strict=True)):
                folder = Path(tmp) / f"run{i}"
                folder.mkdir()
                model = self if cals is None else dataclasses.replace(self, calibration=cals[i])
                tasks.append((model._existing(g, folder, days, camps, seed), seed, "existing"))
                new = model._new(folder, start, days, camps, seed, parameter_uncertainty)
                if new is not None:
                    tasks.append((new, seed, "new"))
            runs = run_tasks(
                _forecast_run, tasks, workers, progress, f"forecast: {len(tasks)} runs"
            )
        daily = pd.concat(runs, ignore_index=True)
        meta = {
            **self.summary(),
            "horizon": str(horizon),
            "start": str(start.date()),
            "days": days,
            "seeds": seeds,
            "parameter_uncertainty": bool(parameter_uncertainty),
            "future_campaigns": [_campaign_json(c) for c in camps],
            "events_at_x1": events_at_x1(
                self.seasonality.events, start, start + pd.Timedelta(days=days - 1), camps
            ),
        }
        return Forecast(
            start, days, daily, _bands(daily, "M", seeds), _bands(daily, "W", seeds), meta
        )

    def backtest(self, calibration_end: str | pd.Timestamp, **kwargs: Any) -> Backtest:
        """Back-test on this model's order log: refit everything on its part up to
        ``calibration_end`` and forecast the rest (:func:`lab.calibrate.backtest.backtest`).

        Parameters
        ----------
        calibration_end : date-like
            Last day of the calibration part.
        **kwargs
            Further arguments of :func:`lab.calibrate.backtest.backtest`; this model's
            ``campaigns``, ``month_prior``, ``penalty_rule`` and ``month_rule`` (and
            ``seasonality=True``) unless named here.

        Returns
        -------
        lab.calibrate.backtest.Backtest
            The back-test's tables and meta.

        Raises
        ------
        ValueError
            A bad calibration end or argument (as :func:`lab.calibrate.backtest.backtest`).
        """
        from lab.calibrate.backtest import backtest

        kwargs.setdefault("campaigns", list(self.campaigns))
        kwargs.setdefault("seasonality", True)
        kwargs.setdefault("month_prior", list(self.seasonality.prior_shape))
        kwargs.setdefault("penalty_rule", self.seasonality.rule)
        kwargs.setdefault("month_rule", self.seasonality.month_rule)
        return backtest(self.orders, calibration_end, **kwargs)

    def refit_calendar(
        self, penalty_rule: PenaltyRuleName | None = None, month_rule: MonthRuleName | None = None
    ) -> OrderModel:
        """This model with its calendar refitted under other rules (the other fits kept).

        Parameters
        ----------
        penalty_rule : {"min", "one_se"}, optional
            How the cross-validation chooses the calendar's penalty
            (:data:`~lab.calibrate.seasonality.PENALTY_RULES`); default: this model's.
        month_rule : {"all", "twice"}, optional
            Which months the counts estimate (:data:`~lab.calibrate.seasonality.MONTH_RULES`);
            default: this model's.

        Returns
        -------
        OrderModel
            ``self`` when the rules are this model's; else a copy whose calendar is what
            :func:`fit` with these rules would have fitted, and whose purchase model is
            refitted in that calendar's operational time (as :func:`fit` does).

        Raises
        ------
        ValueError
            An unknown rule (naming the argument and the value).
        """
        from lab.calibrate.seasonality import check_rules

        seas = self.seasonality
        penalty_rule = seas.rule if penalty_rule is None else penalty_rule
        month_rule = seas.month_rule if month_rule is None else month_rule
        check_rules(penalty_rule, month_rule)
        if (penalty_rule, month_rule) == (seas.rule, seas.month_rule):
            return self
        first = self.regularity.first_pass
        refit = _fit_calendar(
            self.orders, self.calibration, first, self.campaigns,
            list(seas.prior_shape), penalty_rule, month_rule,
        )  # fmt: skip
        reg = _purchase_in_operational_time(self, first, refit)
        return dataclasses.replace(self, regularity=reg, seasonality=refit)


def _campaign_json(c: dict) -> dict:
    return {
        **c,
        "start": str(pd.Timestamp(c["start"]).date()),
        "end": str(pd.Timestamp(c["end"]).date()),
    }


def _forecast_run(task) -> pd.DataFrame:
    """Worker: one run's daily orders and GMV (rows ``kind = day``), the buyers of
    every week and month (rows ``kind = W`` / ``M``) and of the whole forecast (one row
    ``kind = H``: its distinct buyers)."""
    from lab.api import run

    scenario, seed, segment = task
    res = run(scenario, seed=seed)
    start = pd.Timestamp(scenario.start_date)
    d = res.daily.iloc[1:]  # day 0 is the calibration end
    days = pd.DataFrame(
        {
            "kind": "day",
            "date": start + pd.to_timedelta(d["day"].to_numpy(), "D"),
            "orders": d["orders"].to_numpy(float),
            "gmv": d["gmv"].to_numpy(float),
        }
    )
    o = res.transactions
    o = o[o["day"] > 0]
    when = pd.DatetimeIndex(start + pd.to_timedelta(o["day"].to_numpy(), "D"))
    parts = [days]
    for freq in ("W", "M"):
        b = pd.Series(o["customer_id"].to_numpy()).groupby(when.to_period(freq).astype(str))
        n = b.nunique()
        parts.append(pd.DataFrame({"kind": freq, "period": n.index, "buyers": n.to_numpy(float)}))
    distinct = float(o["customer_id"].nunique())
    parts.append(pd.DataFrame({"kind": ["H"], "period": ["horizon"], "buyers": [distinct]}))
    return pd.concat(parts, ignore_index=True).assign(seed=seed, segment=segment)


def _bands(runs: pd.DataFrame, freq: str, seeds) -> pd.DataFrame:
    """Sums per period, segment and seed; then mean and quantiles over seeds.

    ``freq`` is the period: ``"M"`` months, ``"W"`` weeks, ``"H"`` the whole forecast
    (one period, ``"horizon"``).  Orders and GMV are the sums of the period's days;
    buyers are the runs' rows of kind ``freq`` (the period's distinct buyers); the
    total is the segments' sum (existing and new customers are different people).
    """
    flows = runs[runs["kind"] == "day"].copy()
    if freq == "H":
        flows["period"] = "horizon"
    else:
        flows["period"] = pd.DatetimeIndex(flows["date"]).to_period(freq).astype(str)
    per = flows.groupby(["seed", "segment", "period"])[["orders", "gmv"]].sum().reset_index()
    buy = runs[runs["kind"] == freq][["seed", "segment", "period", "buyers"]]
    per = per.merge(buy, on=["seed", "segment", "period"], how="left").fillna({"buyers": 0.0})
    tot = per.groupby(["seed", "period"])[["orders", "gmv", "buyers"]].sum().reset_index()
    per = pd.concat([per, tot.assign(segment="total")], ignore_index=True)
    periods = sorted(per["period"].unique())
    rows = []
    for seg in ("existing", "new", "total"):
        part = per[per["segment"] == seg]
        if part.empty:
            continue
        for metric in ("orders", "buyers", "gmv"):
            v = (
                part.pivot_table(index="seed", columns="period", values=metric, aggfunc="sum")
                .reindex(index=list(seeds), columns=periods)
                .fillna(0.0)
                .to_numpy()
            )
            for j, period in enumerate(periods):
                row = {"period": period, "segment": seg, "metric": metric, "mean": v[:, j].mean()}
                row.update({k: float(np.quantile(v[:, j], q)) for k, q in BAND.items()})
                rows.append(row)
    return pd.DataFrame(rows)


def fit(
    orders,
    calibration_end=None,
    *,
    campaigns=None,
    k_max: int = 8,
    month_prior=None,
    penalty_rule: PenaltyRuleName = "min",
    month_rule: MonthRuleName = "all",
    **read_options,
) -> OrderModel:
    """Fit an order log: purchase, spend, regular timing, calendar and arrivals.

    Regular timing (BG/CNBD-k) is fitted twice: in calendar time, against which the
    calendar is fitted, then again in the calendar's operational time (each customer's
    time weighted by the day multipliers the forecast applies), which the forecast's
    purchase rates and the existing customers' posteriors use
    (:mod:`lab.calibrate.operational`; a flat calendar keeps the first fit).

    Parameters
    ----------
    orders : CleanOrders, pandas.DataFrame or path
        A cleaned log, a table with ``customer_id, date, amount`` columns, or an order
        export :func:`lab.calibrate.ingest.read_orders` reads (``read_options`` go there).
    calibration_end : date-like, optional
        Last day used (default: the log's last date).
    campaigns : path or sequence of dict, optional
        The brand's campaign calendar (``name, start, end[, lift]``); campaigns inside
        the calibration period get fitted lifts.  Each has a name of its own
        (:func:`~lab.calibrate.seasonality.check_campaign_names`).
    k_max : int
        Largest Erlang-k tried.
    month_prior : str or sequence of 12 floats, optional
        The calendar's shape for months the log does not contain (``flat`` by
        default, ``retail``, or 12 multipliers; :mod:`lab.calibrate.seasonality`).
    penalty_rule : {"min", "one_se"}
        How the calendar's cross-validation chooses its ridge penalty: ``"min"`` the
        lowest held-out deviance (the default), ``"one_se"`` the largest penalty within
        one standard error of it (:data:`~lab.calibrate.seasonality.PENALTY_RULES`).
    month_rule : {"all", "twice"}
        Which months the log's counts estimate: ``"all"`` every month it contains (the
        default), ``"twice"`` only months it contains in two years; the others take
        ``month_prior`` (:data:`~lab.calibrate.seasonality.MONTH_RULES`).

    Returns
    -------
    OrderModel

    Raises
    ------
    ValueError
        An unknown ``penalty_rule`` or ``month_rule``, a bad campaign file or two
        campaigns of one name (all before the log is read), an unreadable log, or a
        failed fit.
    """
    from lab.calibrate.arrivals import fit_arrivals
    from lab.calibrate.ingest import CleanOrders, clean_orders, read_orders
    from lab.calibrate.operational import refit_in_operational_time
    from lab.calibrate.regularity import fit_regularity, gap_log_sums
    from lab.calibrate.scenario_out import calibrate
    from lab.calibrate.seasonality import check_campaign_names, check_rules, read_campaigns

    check_rules(penalty_rule, month_rule)
    if isinstance(campaigns, str | Path):
        campaigns = read_campaigns(campaigns)
    campaigns = list(campaigns or [])
    check_campaign_names(campaigns)
    if isinstance(orders, pd.DataFrame):
        orders = clean_orders(orders, source="<DataFrame>")
    elif not isinstance(orders, CleanOrders):
        orders = read_orders(orders, **read_options)
    cal = calibrate(orders, calibration_end)
    end = cal.calibration_end
    u = cal.fit.time_unit_days
    gaps = gap_log_sums(orders.orders, end, u)
    reg = fit_regularity(cal.summary, gaps, k_max=k_max, time_unit_days=u)
    seas = _fit_calendar(orders, cal, reg, campaigns, month_prior, penalty_rule, month_rule)
    arr = fit_arrivals(cal.summary["first_purchase"], cal.start_date, end)
    reg = refit_in_operational_time(reg, cal, gaps, seas, closed_cohort=arr.closed)
    return OrderModel(orders, cal, reg, seas, arr, campaigns)


def _purchase_in_operational_time(model: OrderFits, first, seasonality):
    """``model``'s purchase model refitted in ``seasonality``'s operational time from
    its calendar-time fit ``first`` (:func:`~lab.calibrate.operational.refit_in_operational_time`)."""
    from lab.calibrate.operational import refit_in_operational_time
    from lab.calibrate.regularity import gap_log_sums

    cal = model.calibration
    gaps = gap_log_sums(model.orders.orders, cal.calibration_end, cal.fit.time_unit_days)
    return refit_in_operational_time(
        first, cal, gaps, seasonality, closed_cohort=model.arrivals.closed
    )


def _fit_calendar(orders, cal, reg, campaigns, month_prior, penalty_rule, month_rule):
    """The calendar of the calibration period, against the timing the forecast simulates
    with; the campaigns that start after the calibration end are left out."""
    from lab.calibrate.backtest import _actual_daily, _repeat_offset
    from lab.calibrate.seasonality import fit_seasonality

    end = cal.calibration_end
    n = int((end - cal.start_date).days) + 1
    in_log = [c for c in campaigns if pd.Timestamp(c["start"]) <= end]
    return fit_seasonality(
        _actual_daily(orders, cal, n), _repeat_offset(cal, reg, n), cal.start_date,
        campaigns=in_log, month_prior=month_prior, rule=penalty_rule, month_rule=month_rule,
    )  # fmt: skip
