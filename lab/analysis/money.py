"""Money conventions: the one place an annual discount rate becomes daily; order value.

Discounting
    A cash flow ``t`` days after a customer's start (day 0 = joining) is worth
    ``(1 + d) ** -t`` of its face value, with the daily rate
    ``d = (1 + r_annual) ** (1 / 365) - 1`` (compounding, so 365 days of ``d``
    equal one year of ``r_annual``).  Nothing else in the lab converts rates.

Order value
    ``revenue`` is the amount paid.  ``margin`` is gross margin: amount paid minus
    the cost of goods, where the cost of goods is the order's ``cost`` column when a
    real log has one, else ``list_price * (1 - margin_rate)``; trial-product orders
    carry no cost of goods here because the run books their unit cost separately
    (``cost_trial_products``), exactly as the daily ``gross_margin`` KPI does.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from lab.analysis.orders import OrderData

__all__ = ["DAYS_PER_YEAR", "daily_discount_rate", "discount_factor", "order_values"]

DAYS_PER_YEAR = 365

Value = Literal["revenue", "margin", "net"]


def daily_discount_rate(annual_rate: float) -> float:
    """Daily compounding rate equivalent to an annual discount rate.

    Parameters
    ----------
    annual_rate : float
        E.g. 0.10 for 10% a year.  Must be > -1.

    Returns
    -------
    float
        ``(1 + annual_rate) ** (1 / 365) - 1``.
    """
    if not annual_rate > -1:
        raise ValueError(f"annual discount rate must be > -1, got {annual_rate}")
    return float((1.0 + annual_rate) ** (1.0 / DAYS_PER_YEAR) - 1.0)


def discount_factor(days, annual_rate: float) -> np.ndarray:
    """Present-value factor ``(1 + d) ** -days`` for cash flows ``days`` after the start."""
    d = daily_discount_rate(annual_rate)
    return np.power(1.0 + d, -np.asarray(days, dtype=np.float64))


def order_values(
    data: OrderData, value: Value = "revenue", margin_rate: float | None = None
) -> pd.Series:
    """Value of each order of ``data.orders``: revenue or gross margin (CNY).

    Parameters
    ----------
    data : OrderData
        Normalised orders.
    value : {"revenue", "margin", "net"}
        What an order is worth (``"net"``: its gross margin; the money a customer
        brings outside orders is added per customer by :func:`lab.analysis.customer_ltv`).
    margin_rate : float, optional
        Overrides the data's margin rate (share of list price).

    Raises
    ------
    ValueError
        ``value="margin"`` on a log with neither a ``cost`` column nor a margin rate.
    """
    o = data.orders
    if value == "revenue":
        return o["amount"].astype(np.float64)
    if value not in ("margin", "net"):
        raise ValueError(f"value must be 'revenue', 'margin' or 'net', got {value!r}")
    if "cost" in o.columns and margin_rate is None:
        return o["amount"] - o["cost"]
    rate = margin_rate if margin_rate is not None else data.margin_rate
    if rate is None:
        raise ValueError(
            f"{data.source}: value={value!r} needs margin_rate= (gross margin as a share of "
            "list price) or a 'cost' column in the order log"
        )
    cogs = np.where(o["is_trial"].to_numpy(), 0.0, o["list_price"].to_numpy() * (1.0 - rate))
    return o["amount"] - cogs
