"""Repurchase (复购): repurchase rate, the purchase ladder (1st … 5th order), inter-purchase times.

Counts use full orders in the data (trial-product orders are not purchases of the
product; ``include_trial=True`` counts them).  Orders made before a customer joined
the pool (a stock-imported customer's platform history) are not in the order log
and are not counted unless ``include_prior=True`` and the customers table has
``prior_orders``.  The seeds say the first 3–5 purchases decide stickiness: the
ladder's ``step_rate`` at ``k`` is the share of customers with ``k-1`` orders who
went on to a ``k``-th.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lab.analysis.orders import as_order_data

__all__ = ["inter_purchase_summary", "inter_purchase_times", "purchase_ladder", "repurchase_rate"]


def _orders(d, include_trial: bool) -> pd.DataFrame:
    return d.orders if include_trial else d.full_orders


def _order_counts(d, include_trial: bool, include_prior: bool) -> pd.Series:
    n = _orders(d, include_trial).groupby("customer_id").size()
    counts = d.customers["customer_id"].map(n).fillna(0).astype(np.int64)
    if include_prior:
        if "prior_orders" not in d.customers.columns:
            raise ValueError(f"{d.source}: include_prior=True needs a 'prior_orders' column")
        counts = counts + d.customers["prior_orders"].fillna(0).astype(np.int64)
    return pd.Series(counts.to_numpy(), index=d.customers["customer_id"].to_numpy())


def repurchase_rate(data, include_trial: bool = False, include_prior: bool = False) -> float:
    """复购率: share of buyers (>= 1 order) with at least 2 orders.

    Parameters
    ----------
    data : RunResult, DataFrame, path or OrderData
    include_trial : bool
        Count trial-product orders as orders.
    include_prior : bool
        Add pre-pool history (``prior_orders``) to each count.

    Returns
    -------
    float
        NaN when nobody bought.
    """
    n = _order_counts(as_order_data(data), include_trial, include_prior)
    buyers = int((n >= 1).sum())
    return float((n >= 2).sum() / buyers) if buyers else float("nan")


def purchase_ladder(
    data, max_order: int = 5, include_trial: bool = False, include_prior: bool = False
) -> pd.DataFrame:
    """How many customers reach their 1st, 2nd, … ``max_order``-th purchase.

    Parameters
    ----------
    data : RunResult, DataFrame, path or OrderData
    max_order : int
        Highest order number shown.
    include_trial, include_prior : bool
        As in :func:`repurchase_rate`.

    Returns
    -------
    pandas.DataFrame
        One row per ``order_number`` k: ``customers`` with at least k orders,
        ``share_of_customers`` (of everyone acquired), ``share_of_buyers`` (of those
        with >= 1 order) and ``step_rate`` = P(>= k | >= k-1) (k=1: the conversion rate).
    """
    if max_order < 1:
        raise ValueError(f"max_order must be >= 1, got {max_order}")
    n = _order_counts(as_order_data(data), include_trial, include_prior)
    total = len(n)
    reached = np.array([(n >= k).sum() for k in range(0, max_order + 1)], dtype=np.float64)
    ks = np.arange(1, max_order + 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = pd.DataFrame(
            {
                "order_number": ks,
                "customers": reached[1:].astype(np.int64),
                "share_of_customers": reached[1:] / total if total else np.nan,
                "share_of_buyers": reached[1:] / reached[1] if reached[1] else np.nan,
                "step_rate": reached[1:] / reached[:-1],
            }
        )
    return out


def inter_purchase_times(data, include_trial: bool = False) -> pd.DataFrame:
    """Days between consecutive orders of each customer.

    Parameters
    ----------
    data : RunResult, DataFrame, path or OrderData
    include_trial : bool
        Count trial-product orders.

    Returns
    -------
    pandas.DataFrame
        ``customer_id``, ``order_number`` (n: the gap is from order n to n+1) and ``days``.
    """
    d = as_order_data(data)
    o = _orders(d, include_trial).sort_values(["customer_id", "day"], kind="stable")
    ids = o["customer_id"].to_numpy()
    days = o["day"].to_numpy()
    same = ids[1:] == ids[:-1]
    nth = o.groupby("customer_id").cumcount().to_numpy() + 1
    return pd.DataFrame(
        {
            "customer_id": ids[1:][same],
            "order_number": nth[:-1][same],
            "days": (days[1:] - days[:-1])[same],
        }
    ).reset_index(drop=True)


def inter_purchase_summary(data, max_order: int = 5, include_trial: bool = False) -> pd.DataFrame:
    """Count, mean and median days from order n to n+1, for n = 1 .. ``max_order - 1`` and all."""
    g = inter_purchase_times(data, include_trial)
    g = g.assign(
        gap=np.where(g["order_number"] < max_order, g["order_number"].astype(str), f"{max_order}+")
    )
    per = g.groupby("gap")["days"].agg(["count", "mean", "median"])
    per.loc["all"] = [len(g), g["days"].mean(), g["days"].median()]
    per["count"] = per["count"].astype(np.int64)
    return per.rename_axis("from_order").reset_index()
