"""Results by customer group: segment (persona), acquisition channel and RFM class.

"For whom?" is answered by splitting a run's customers into groups and giving, per
group, how many there are, how many ordered and what they are worth over the run
with all of their money (order gross margin plus the non-order money credited to
them, :mod:`lab.customer_money`).  The RFM class is each customer's class on the
last day (:func:`lab.analysis.rfm_table`, default cuts); customers who never ordered
are ``no_order``.  :func:`breakdown_metrics` flattens the table into end-of-run
metrics ``by:<dimension>:<group>:<metric>`` so that comparisons can pair them by seed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lab.analysis.money import order_values
from lab.analysis.orders import as_order_data
from lab.analysis.rfm import rfm_table

__all__ = [
    "BREAKDOWN_DIMENSIONS",
    "BREAKDOWN_METRICS",
    "BREAKDOWN_PREFIX",
    "breakdown_metrics",
    "customer_breakdown",
]

#: what a breakdown splits customers by
BREAKDOWN_DIMENSIONS: tuple[str, ...] = ("segment", "channel", "rfm_class")

#: per group: what each value is
BREAKDOWN_METRICS: dict[str, str] = {
    "customers": "customers in the group",
    "conversion_rate": "share of the group with at least one order in the run",
    "orders_per_customer": "orders in the run per customer of the group",
    "value_per_customer": "order gross margin plus the non-order money credited to them, "
    "per customer, over the run (CNY, undiscounted)",
}

#: end-of-run metric keys: ``by:segment:student:value_per_customer``
BREAKDOWN_PREFIX = "by:"

NO_ORDER = "no_order"


def customer_breakdown(data, by: str = "segment") -> pd.DataFrame:
    """Customers, conversion, orders and value per customer of each group.

    Parameters
    ----------
    data : RunResult, path or OrderData
        A run (its customers table carries the money ledger; for an order log the
        value counts order margin only and needs a margin rate).
    by : {"segment", "channel", "rfm_class"}
        The grouping.

    Returns
    -------
    pandas.DataFrame
        ``group`` and the :data:`BREAKDOWN_METRICS`, one row per group.
    """
    if by not in BREAKDOWN_DIMENSIONS:
        raise ValueError(f"by must be one of {', '.join(BREAKDOWN_DIMENSIONS)}, got {by!r}")
    d = as_order_data(data)
    c = d.customers
    o = d.orders
    ids = c["customer_id"]
    orders = o.groupby("customer_id").size().reindex(ids, fill_value=0).to_numpy()
    margin = (
        pd.Series(order_values(d, "margin").to_numpy(), index=o["customer_id"].to_numpy())
        .groupby(level=0)
        .sum()
        .reindex(ids, fill_value=0.0)
        .to_numpy()
    )
    other = c["net_other"].to_numpy(np.float64) if "net_other" in c.columns else 0.0
    if by == "rfm_class":
        cls = rfm_table(d).set_index("customer_id")["rfm_class"].astype(str)
        group = ids.map(cls).fillna(NO_ORDER).to_numpy()
    else:
        group = c[by].astype(str).to_numpy()
    t = pd.DataFrame({"group": group, "orders": orders, "value": margin + other})
    g = t.groupby("group", sort=True)
    out = pd.DataFrame(
        {
            "customers": g.size(),
            "conversion_rate": g["orders"].apply(lambda s: float((s > 0).mean())),
            "orders_per_customer": g["orders"].mean(),
            "value_per_customer": g["value"].mean(),
        }
    )
    return out.reset_index()


def breakdown_metrics(result) -> dict[str, float]:
    """:func:`customer_breakdown` for every dimension, as ``by:<dim>:<group>:<metric>``."""
    d = as_order_data(result)
    out: dict[str, float] = {}
    for dim in BREAKDOWN_DIMENSIONS:
        for row in customer_breakdown(d, dim).itertuples(index=False):
            for m in BREAKDOWN_METRICS:
                out[f"{BREAKDOWN_PREFIX}{dim}:{row.group}:{m}"] = float(getattr(row, m))
    return out
