"""A run's orders and customers as plain arrays, for metrics computed without frames.

The metrics of :mod:`lab.analysis` read pandas tables (:class:`OrderData`), which is
what a real order log needs.  A run already holds its orders and customers as arrays;
:func:`run_arrays` hands them over as they are (no ``transactions`` or ``customers``
frame is built), and :func:`kahan_group_sums` / :func:`kahan_mean` add up the way
pandas' ``groupby(...).sum()`` / ``.mean()`` do (compensated, row by row), so a
metric computed here is bitwise the one the tables give
(:func:`lab.analysis.headline.headline_metrics`, ``tests/test_analysis_headline.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
import pandas as pd

from lab.analysis.orders import OrderData, known_buyers_only
from lab.customer_money import NET_COLUMN, PV_COLUMN

__all__ = ["RunArrays", "is_run", "kahan_group_sums", "kahan_mean", "run_arrays"]

#: what an on-discount order's discount must exceed (as :mod:`lab.analysis.orders`)
_ON_DISCOUNT = 0.005


@dataclass(frozen=True)
class RunArrays:
    """One run's orders (in log order) and customers (in id order) as arrays.

    Attributes
    ----------
    customer : numpy.ndarray of int64
        Each order's customer, as a row of the customer arrays.
    day, amount, list_price, discount, is_trial : numpy.ndarray
        Each order's day (int64), paid and list amounts, discount (CNY), trial flag.
    start_day : numpy.ndarray of int64
        Each customer's joining day.
    block_day : numpy.ndarray of float64
        The day each customer blocked the brand (NaN: never).
    channel_counts : dict
        Acquisition channel -> customers it brought (channels with customers only).
    referrer : numpy.ndarray of int64
        Each customer's inviter (-1: none).
    net_other, net_other_pv : numpy.ndarray of float64
        Each customer's money outside orders, and its present value
        (:mod:`lab.customer_money`).
    daily : pandas.DataFrame
        The run's daily KPI table.
    n_days : int
    margin_rate, annual_discount_rate : float
    known_buyers_only : bool
    """

    customer: np.ndarray
    day: np.ndarray
    amount: np.ndarray
    list_price: np.ndarray
    discount: np.ndarray
    is_trial: np.ndarray
    start_day: np.ndarray
    block_day: np.ndarray
    channel_counts: dict[str, int]
    referrer: np.ndarray
    net_other: np.ndarray
    net_other_pv: np.ndarray
    daily: pd.DataFrame
    n_days: int
    margin_rate: float
    annual_discount_rate: float
    known_buyers_only: bool

    @property
    def n_customers(self) -> int:
        return int(self.start_day.size)

    @property
    def on_discount(self) -> np.ndarray:
        """Orders with a discount (more than half a fen, as :mod:`lab.analysis.orders`)."""
        return self.discount > _ON_DISCOUNT


def run_arrays(data) -> RunArrays | None:
    """The arrays of a run: a :class:`lab.RunResult`, or the :class:`OrderData` of one.

    Returns
    -------
    RunArrays or None
        None for anything else (a real order log, or data lacking a run's daily
        table, ledger or referrers): its metrics come from the tables.
    """
    if isinstance(data, OrderData):
        return _from_order_data(data)
    if is_run(data):
        return _from_run(data)
    return None


def is_run(data) -> bool:
    """Whether ``data`` is a finished run (a :class:`lab.RunResult`) with its arrays.

    Asked of the type: asking the object (``hasattr(res, "transactions")``) would
    build the table it is about.
    """
    kind = type(data)
    return callable(getattr(kind, "order_columns", None)) and callable(
        getattr(kind, "customer_columns", None)
    )


def _from_run(res) -> RunArrays:
    o = res.order_columns()
    c = res.customer_columns()
    channel = c["channel"]
    counts = np.bincount(channel.codes, minlength=len(channel.categories))
    day_blocked = c["day_blocked"]
    econ = res.scenario.economics
    return RunArrays(
        customer=np.asarray(o["slot"], dtype=np.int64),
        day=o["day"].astype(np.int64),
        amount=o["amount"],
        list_price=o["list_price"],
        discount=o["list_price"] - o["amount"],  # as the transactions table books it
        is_trial=o["is_trial"].astype(bool, copy=False),
        start_day=c["cohort_day"].astype(np.int64),
        block_day=np.where(day_blocked >= 0, day_blocked, np.nan),
        channel_counts={
            str(name): int(n) for name, n in zip(channel.categories, counts, strict=False) if n
        },
        referrer=np.asarray(c["referrer"], dtype=np.int64),
        net_other=np.asarray(c[NET_COLUMN], dtype=np.float64),
        net_other_pv=np.asarray(c[PV_COLUMN], dtype=np.float64),
        daily=res.daily,
        n_days=int(res.days),
        margin_rate=float(res.scenario.purchase.margin_rate),
        annual_discount_rate=float(econ.annual_discount_rate),
        known_buyers_only=known_buyers_only(res.scenario),
    )


def _from_order_data(d: OrderData) -> RunArrays | None:
    o, c = d.orders, d.customers
    needed = {"referrer", NET_COLUMN, PV_COLUMN}
    if (
        d.daily is None
        or not d.has_blocks
        or d.margin_rate is None
        or "cost" in o.columns
        or not needed <= set(c.columns)
    ):
        return None
    ids = c["customer_id"].to_numpy()
    order_ids = o["customer_id"].to_numpy()
    if np.array_equal(ids, np.arange(ids.size)):
        customer = order_ids.astype(np.int64)
    else:
        customer = pd.Index(ids).get_indexer(order_ids).astype(np.int64)
    if customer.size and (customer.min() < 0 or customer.max() >= ids.size):
        return None  # an order of a customer the table does not hold
    channels = c["channel"].astype(str).value_counts()
    return RunArrays(
        customer=customer,
        day=o["day"].to_numpy(dtype=np.int64),
        amount=o["amount"].to_numpy(dtype=np.float64),
        list_price=o["list_price"].to_numpy(dtype=np.float64),
        discount=o["discount"].to_numpy(dtype=np.float64),
        is_trial=o["is_trial"].to_numpy(dtype=bool),
        start_day=c["start_day"].to_numpy(dtype=np.int64),
        block_day=c["block_day"].to_numpy(dtype=np.float64),
        channel_counts={str(k): int(v) for k, v in channels.items()},
        referrer=c["referrer"].to_numpy(dtype=np.int64),
        net_other=c[NET_COLUMN].to_numpy(dtype=np.float64),
        net_other_pv=c[PV_COLUMN].to_numpy(dtype=np.float64),
        daily=d.daily,
        n_days=int(d.n_days),
        margin_rate=float(d.margin_rate),
        annual_discount_rate=_annual_rate(d),
        known_buyers_only=bool(d.meta.get("known_buyers_only")),
    )


def _annual_rate(d: OrderData) -> float:
    from lab.analysis.ltv import DEFAULT_ANNUAL_DISCOUNT_RATE

    if d.annual_discount_rate is not None:
        return float(d.annual_discount_rate)
    return DEFAULT_ANNUAL_DISCOUNT_RATE


@numba.njit(cache=True)
def kahan_group_sums(group, values, n_groups):  # pragma: no cover - compiled
    """Sum of ``values`` per ``group`` (0 .. n_groups-1), row by row, compensated.

    The very additions of pandas' ``groupby(...).sum()`` on float64 (Kahan
    summation per group, in row order; NaN skipped; a NaN compensation, from an
    infinite value, reset to 0), so the sums are bitwise those.  A group without a
    value sums to 0.
    """
    sums = np.zeros(n_groups)
    comp = np.zeros(n_groups)
    for i in range(group.size):
        val = values[i]
        if val != val:
            continue
        g = group[i]
        y = val - comp[g]
        t = sums[g] + y
        comp[g] = t - sums[g] - y
        if comp[g] != comp[g]:
            comp[g] = 0.0
        sums[g] = t
    return sums


@numba.njit(cache=True)
def kahan_mean(values, take):  # pragma: no cover - compiled
    """Mean of ``values[take]`` as pandas' ``groupby(...).mean()`` of one group (NaN if none).

    Compensated (Kahan) sum in row order, NaN skipped, divided by the count.
    """
    total = 0.0
    comp = 0.0
    n = 0
    for i in range(values.size):
        if not take[i]:
            continue
        val = values[i]
        if val != val:
            continue
        n += 1
        y = val - comp
        t = total + y
        comp = t - total - y
        if comp != comp:
            comp = 0.0
        total = t
    if n == 0:
        return np.nan
    return total / n
