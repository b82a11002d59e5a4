"""Retention (留存): survival curves by cohort (Kaplan–Meier, via lifelines) and the
cohort retention table (同期群留存表).

Three events can end a customer's life, chosen with ``event=``:

``"lapse"`` (any order log)
    A buyer's life runs from their first order to their last.  The lapse is
    *observed* once ``lapse_days`` have passed after the last order with no new
    order before the data end; otherwise the customer is censored at their last
    order (we know they were alive then, not after).  ``S(t)`` is the share of
    first-time buyers still buying ``t`` days after their first order; one-time
    buyers lapse at ``t = 0``.
``"block"`` (拉黑/删除: a run, or a customers table with ``blocked_date``)
    From joining to blocking the brand's account; censored at the data end
    (a customer observed through day ``n_days - 1`` survived ``n_days - start`` days).
``"dropout"`` (a run only: the latent, unobservable day the customer left for good)
    The simulation's ground truth, for checking the observable definitions.

Cohort retention table: cohorts by start month (``cohort_freq``); column ``k`` is
the share of the cohort with at least one order in days
``[start + k*P, start + (k+1)*P)`` after each customer's own start, ``P`` =
``period_days``.  A cell is shown only when every customer of the cohort is
observed for the whole period (NaN otherwise), so each row is comparable.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from lab.analysis.orders import as_order_data

__all__ = ["cohort_retention", "survival_curves", "survival_data"]

Event = Literal["lapse", "block", "dropout"]


def survival_data(data, event: Event = "lapse", lapse_days: int = 90) -> pd.DataFrame:
    """Per-customer duration and event flag for survival analysis.

    Returns
    -------
    pandas.DataFrame
        ``customer_id, channel, segment, cohort, duration`` (days) and ``observed``
        (True if the event happened, False if censored).
    """
    d = as_order_data(data)
    c = d.customers
    cols = ["customer_id", "channel", "segment", "cohort"]
    if event == "lapse":
        if lapse_days < 1:
            raise ValueError(f"lapse_days must be >= 1, got {lapse_days}")
        g = d.full_orders.groupby("customer_id")["day"].agg(["min", "max"])
        out = c[cols].merge(g, left_on="customer_id", right_index=True, how="inner")
        out["duration"] = (out["max"] - out["min"]).astype(np.float64)
        out["observed"] = (d.n_days - 1 - out["max"]) >= lapse_days
        return out.drop(columns=["min", "max"]).reset_index(drop=True)
    if event == "block":
        if not d.has_blocks:
            raise ValueError(
                f"{d.source}: event='block' needs block dates (a run, or a customers "
                "table with a 'blocked_date' column)"
            )
        when = c["block_day"].to_numpy()
    elif event == "dropout":
        if "day_dropout" not in c.columns:
            raise ValueError(f"{d.source}: event='dropout' is only known in a simulation")
        when = np.where(c["day_dropout"] >= 0, c["day_dropout"], np.nan).astype(np.float64)
    else:
        raise ValueError(f"event must be 'lapse', 'block' or 'dropout', got {event!r}")
    out = c[cols].copy()
    start = c["start_day"].to_numpy()
    happened = np.isfinite(when)
    out["duration"] = np.where(happened, when - start, d.n_days - start).astype(np.float64)
    out["observed"] = happened
    return out.reset_index(drop=True)


def survival_curves(
    data,
    by: str | None = "cohort",
    event: Event = "lapse",
    lapse_days: int = 90,
    alpha: float = 0.10,
) -> pd.DataFrame:
    """Kaplan–Meier survival curves per group (lifelines ``KaplanMeierFitter``).

    Parameters
    ----------
    data : RunResult, DataFrame, path or OrderData
    by : str or None
        ``"cohort"``, ``"channel"``, ``"segment"`` or None (everyone).
    event : {"lapse", "block", "dropout"}
        See the module docstring.
    lapse_days : int
        Days without an order after the last one that count as lapsed.
    alpha : float
        1 - confidence level of the pointwise band (0.10 -> 90%, lifelines'
        exponential Greenwood interval).

    Returns
    -------
    pandas.DataFrame
        Long: ``group, t, survival, ci_lower, ci_upper, at_risk, events``; the
        median survival time per group is in ``.attrs["median"]``.
    """
    from lifelines import KaplanMeierFitter  # imported here: lifelines is slow to import

    sd = survival_data(data, event, lapse_days)
    key = sd[by].astype(str) if by else pd.Series("all", index=sd.index)
    frames = []
    medians = {}
    for g, part in sd.groupby(key, sort=True):
        kmf = KaplanMeierFitter(alpha=alpha)
        kmf.fit(part["duration"], part["observed"], label=str(g))
        sf = kmf.survival_function_.iloc[:, 0]
        ci = kmf.confidence_interval_survival_function_
        et = kmf.event_table
        frames.append(
            pd.DataFrame(
                {
                    "group": str(g),
                    "t": sf.index.to_numpy(dtype=np.float64),
                    "survival": sf.to_numpy(),
                    "ci_lower": ci.iloc[:, 0].to_numpy(),
                    "ci_upper": ci.iloc[:, 1].to_numpy(),
                    "at_risk": et["at_risk"].reindex(sf.index).to_numpy(),
                    "events": et["observed"].reindex(sf.index).to_numpy(),
                }
            )
        )
        medians[str(g)] = float(kmf.median_survival_time_)
    cols = ["group", "t", "survival", "ci_lower", "ci_upper", "at_risk", "events"]
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)
    out.attrs.update(median=medians, event=event, by=by or "all", lapse_days=lapse_days)
    return out


def cohort_retention(
    data, period_days: int = 30, max_periods: int | None = None, include_trial: bool = True
) -> pd.DataFrame:
    """Cohort retention table: share of each cohort ordering in its k-th period.

    Parameters
    ----------
    data : RunResult, DataFrame, path or OrderData
        Cohorts are the data's ``cohort`` labels (start month by default; see
        :func:`lab.analysis.as_order_data` ``cohort_freq``).
    period_days : int
        Length ``P`` of a period in days (30 ≈ monthly, 7 = weekly).
    max_periods : int, optional
        Keep periods ``0 .. max_periods - 1``.
    include_trial : bool
        Whether trial-product orders count as activity.

    Returns
    -------
    pandas.DataFrame
        Index ``cohort``; column ``customers`` then integer columns ``0, 1, ...``
        (shares in [0, 1]; NaN where the period is not fully observed).
    """
    if period_days < 1:
        raise ValueError(f"period_days must be >= 1, got {period_days}")
    d = as_order_data(data)
    c = d.customers[["customer_id", "cohort", "start_day"]]
    o = d.orders if include_trial else d.full_orders
    start = c.set_index("customer_id")["start_day"]
    t = o["day"].to_numpy() - o["customer_id"].map(start).to_numpy()
    act = pd.DataFrame({"customer_id": o["customer_id"].to_numpy(), "k": t // period_days})
    act = act[t >= 0].drop_duplicates()
    act["cohort"] = act["customer_id"].map(c.set_index("customer_id")["cohort"])
    n_periods = max(d.n_days // period_days, 1)
    if max_periods is not None:
        n_periods = min(n_periods, int(max_periods))
    size = c.groupby("cohort").size()
    last_start = c.groupby("cohort")["start_day"].max()
    counts = act[act["k"] < n_periods].groupby(["cohort", "k"]).size().unstack(fill_value=0)
    counts = counts.reindex(index=size.index, columns=range(n_periods), fill_value=0)
    table = counts.div(size, axis=0).astype(np.float64)
    for k in range(n_periods):
        unobserved = last_start + (k + 1) * period_days > d.n_days
        table.loc[unobserved, k] = np.nan
    table.insert(0, "customers", size.astype(np.int64))
    table.index.name = "cohort"
    table.columns.name = None
    table.attrs.update(period_days=period_days)
    return table
