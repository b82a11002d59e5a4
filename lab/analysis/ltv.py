"""Lifetime value (LTV, 用户生命周期价值) per customer and per cohort, channel or segment.

The LTV of a customer over a horizon of ``H`` days is the present value of what
they bring in their first ``H`` days from their start (joining day; first order for
a real log without join dates)::

    LTV_i(H) = sum over orders k of i with 0 <= t_k < H of  v_k * (1 + d) ** -t_k

with ``t_k`` the days from the start to order ``k``, ``v_k`` its revenue or gross
margin (:func:`lab.analysis.money.order_values`) and ``d`` the daily rate from
:func:`lab.analysis.money.daily_discount_rate`.

``value="net"`` counts all of a customer's money: the gross margin of their orders
plus every non-order revenue and cost the run credited to them (membership fees,
stored-value bonus and breakage, referral rewards paid for them and for their
referrals, gifts, tasks, trial products, contacts: the customers table's
``net_other`` and its present value ``net_other_pv``, :mod:`lab.customer_money`).
Those non-order flows count through the end of the run, not only within ``H``
(the ledger keeps totals, not dates).  Acquisition and fixed costs (paid budget,
staff invite bonus, guide salaries) are not in LTV: CAC is compared with it.  A customer's horizon is
*complete* when the data cover all of it (``start + H <= n_days``); group means use
complete customers only by default, because a customer seen for 10 days of a
365-day horizon would pull the mean down (right-censoring).  Customers who never
order count with LTV 0: LTV is per acquired customer, the number CAC is compared with.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lab.analysis.money import Value, discount_factor, order_values
from lab.analysis.orders import as_order_data
from lab.customer_money import NET_COLUMN, PV_COLUMN

__all__ = ["DEFAULT_ANNUAL_DISCOUNT_RATE", "customer_ltv", "ltv_by", "net_ltv"]

#: used when neither the caller nor the scenario gives a rate
DEFAULT_ANNUAL_DISCOUNT_RATE = 0.10


def customer_ltv(
    data,
    horizon_days: int = 365,
    value: Value = "revenue",
    annual_discount_rate: float | None = None,
    margin_rate: float | None = None,
) -> pd.DataFrame:
    """LTV of every customer over ``horizon_days`` from their start.

    Parameters
    ----------
    data : RunResult, DataFrame, path or OrderData
        Orders and customers (see :func:`lab.analysis.as_order_data`).
    horizon_days : int
        Horizon ``H`` in days (>= 1).
    value : {"revenue", "margin", "net"}
        Paid amount, gross margin, or gross margin plus the non-order money credited
        to the customer (a run's customers table only).
    annual_discount_rate : float, optional
        Default: the scenario's ``economics.annual_discount_rate``, else 0.10.
    margin_rate : float, optional
        Gross margin as a share of list price (for ``value="margin"`` on a real log).

    Returns
    -------
    pandas.DataFrame
        One row per customer: ``customer_id, channel, segment, cohort, start_day,
        observed_days, complete, orders, value`` (undiscounted, within the horizon)
        and ``ltv`` (discounted).
    """
    if int(horizon_days) < 1:
        raise ValueError(f"horizon_days must be >= 1, got {horizon_days}")
    d = as_order_data(data)
    rate = _rate(d, annual_discount_rate)
    o = d.orders
    vals = order_values(d, value, margin_rate).to_numpy()
    start = d.customers.set_index("customer_id")["start_day"]
    t = o["day"].to_numpy() - o["customer_id"].map(start).to_numpy()
    keep = (t >= 0) & (t < horizon_days)
    ids = o["customer_id"].to_numpy()[keep]
    per = pd.DataFrame(
        {
            "customer_id": ids,
            "value": vals[keep],
            "ltv": vals[keep] * discount_factor(t[keep], rate),
        }
    )
    agg = per.groupby("customer_id").agg(
        orders=("value", "size"), value=("value", "sum"), ltv=("ltv", "sum")
    )
    c = d.customers[["customer_id", "channel", "segment", "cohort", "start_day"]].copy()
    seen = (d.n_days - c["start_day"]).clip(lower=0)
    c["observed_days"] = np.minimum(seen, horizon_days).astype(np.int64)
    c["complete"] = seen >= horizon_days
    c = c.merge(agg, left_on="customer_id", right_index=True, how="left")
    c["orders"] = c["orders"].fillna(0).astype(np.int64)
    c[["value", "ltv"]] = c[["value", "ltv"]].fillna(0.0)
    c.attrs.update(horizon_days=int(horizon_days), value=value, annual_discount_rate=rate)
    if value == "net":
        _add_ledger(c, d)
    return c.reset_index(drop=True)


def net_ltv(margin_table: pd.DataFrame, data) -> pd.DataFrame:
    """:func:`customer_ltv` with ``value="net"`` from its ``value="margin"`` table.

    The orders' part of net LTV is their gross margin, so net = margin + the money
    credited to each customer outside orders; this adds it to a copy, the same
    numbers ``customer_ltv(data, h, "net")`` computes, without a second pass over
    the orders.
    """
    if margin_table.attrs.get("value") != "margin":
        raise ValueError(
            f"net_ltv needs customer_ltv(..., value='margin'), got value="
            f"{margin_table.attrs.get('value')!r}"
        )
    c = margin_table.copy()
    _add_ledger(c, as_order_data(data))
    return c


def _add_ledger(c: pd.DataFrame, d) -> None:
    """Add each customer's money outside orders to ``value`` and ``ltv`` (in place)."""
    c["value"] += _ledger(d, NET_COLUMN)
    c["ltv"] += _ledger(d, PV_COLUMN)
    c.attrs["value"] = "net"


def ltv_by(
    data,
    by: str | list[str] | None = "channel",
    horizon_days: int = 365,
    value: Value = "revenue",
    annual_discount_rate: float | None = None,
    margin_rate: float | None = None,
    complete_only: bool = True,
) -> pd.DataFrame:
    """Mean, median and 10–90% spread of LTV per group.

    Parameters
    ----------
    data : RunResult, DataFrame, path, OrderData, or the output of :func:`customer_ltv`
        What to summarise.
    by : str, list of str or None
        ``"channel"``, ``"segment"``, ``"cohort"`` or a list of them; None = everyone.
    horizon_days, value, annual_discount_rate, margin_rate
        As in :func:`customer_ltv` (ignored when given its output).
    complete_only : bool
        Average only customers whose whole horizon is observed (recommended).

    Returns
    -------
    pandas.DataFrame
        Per group: ``customers`` (acquired), ``complete``, ``ltv_mean``,
        ``ltv_median``, ``ltv_p10``, ``ltv_p90``, ``value_mean`` (undiscounted);
        NaN where no customer is complete.
    """
    if isinstance(data, pd.DataFrame) and {"ltv", "complete", "start_day"} <= set(data.columns):
        table = data
    else:
        table = customer_ltv(data, horizon_days, value, annual_discount_rate, margin_rate)
    keys = [by] if isinstance(by, str) else list(by or [])
    t = table.assign(_all="all")
    keys = keys or ["_all"]
    used = t[t["complete"]] if complete_only else t

    def q(p):
        return lambda s: s.quantile(p) if len(s) else np.nan

    stats = used.groupby(keys, observed=True).agg(
        ltv_mean=("ltv", "mean"),
        ltv_median=("ltv", "median"),
        ltv_p10=("ltv", q(0.1)),
        ltv_p90=("ltv", q(0.9)),
        value_mean=("value", "mean"),
    )
    counts = t.groupby(keys, observed=True).agg(
        customers=("customer_id", "size"), complete=("complete", "sum")
    )
    out = counts.join(stats, how="left").reset_index()
    out["complete"] = out["complete"].astype(np.int64)
    out = out.rename(columns={"_all": "group"})
    out.attrs.update(table.attrs)
    return out


def _ledger(d, column: str) -> np.ndarray:
    """A customers-table column of the per-customer money ledger, in customer order."""
    if column not in d.customers.columns:
        raise ValueError(
            f"{d.source}: value='net' needs the customers table of a run (column {column!r} "
            "of lab.customer_money); use value='margin' for an order log"
        )
    return d.customers[column].to_numpy(dtype=np.float64)


def _rate(d, annual_discount_rate: float | None) -> float:
    if annual_discount_rate is not None:
        return float(annual_discount_rate)
    if d.annual_discount_rate is not None:
        return d.annual_discount_rate
    return DEFAULT_ANNUAL_DISCOUNT_RATE
