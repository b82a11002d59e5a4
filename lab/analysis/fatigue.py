"""Promo fatigue (促销疲劳): response to successive promotions, discount dependence,
blocks, and one fatigue index.

Promotions
    Runs of consecutive promotion days.  In a run these are the days with offers
    (daily ``offered > 0``); in a real log, days on which at least
    ``min_discount_share`` of full orders carried a discount; or pass your own
    calendar (``calendar=`` a table with ``start_date``/``end_date`` or
    ``start_day``/``end_day``).

Response rate to promotion n
    Distinct customers who bought on discount during it / the base: ``"pool"`` =
    customers who had joined by its first day and had not blocked the brand (what a
    brand can count), or ``"offered"`` (runs only) = the most customers offered on
    one of its days (alive customers only, which a brand cannot tell).

Lift of promotion n
    Orders per day during it / orders per day on the non-promotion days among the
    ``baseline_days`` before it, minus 1; ``lift_per_depth`` divides by its depth
    (mean discount share of list price of its discounted orders).  Descriptive only:
    the baseline drifts as the pool's make-up changes, so lift falls over a run
    even without any fatigue, which is why the index below does not use it.

Fatigue index (促销疲劳指数) — the one index, defined on any order log
    The relative fall of the response rate from the first to the last promotions::

        fatigue_index = 1 - mean(response rate of the last k promotions)
                          / mean(response rate of the first k promotions)

    with ``k = min(2, n // 2)`` over the ``n`` like-for-like promotions: those at
    the most common depth (rounded to 1%), so a deeper big sale late in the run does
    not pass for "less fatigue" (all promotions if fewer than 2 share a depth).
    0 = customers respond to promotions as they did at first; 1 = they no longer
    respond at all; negative = they respond more.  NaN with fewer than 2
    promotions.  Per promotion, ``fatigue_index`` in :func:`promo_response` is
    ``1 - r_n / mean(r of the first k like-for-like promotions)``.  On the
    baseline scenario over a year (mean of 4 seeds, standard error ≈ 0.03) it is
    ≈ 0.00 with the fatigue and reference-price mechanisms both off, ≈ 0.05 with
    fatigue only, ≈ 0.15 with the reference price only, ≈ 0.20 with both, and
    ≈ 0.46 when the monthly promotion becomes weekly.  The pool base
    includes customers who left silently, so compare the index between scenarios
    (paired), not against zero.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from lab.analysis.orders import OrderData, as_order_data

__all__ = ["fatigue_index", "fatigue_over_time", "fatigue_summary", "promo_response", "promotions"]


def promotions(
    data, calendar: pd.DataFrame | None = None, min_discount_share: float = 0.5
) -> pd.DataFrame:
    """The promotions in the data, one row each.

    Parameters
    ----------
    data : RunResult, DataFrame, path or OrderData
    calendar : DataFrame, optional
        Your promotion calendar: ``start_day, end_day`` or ``start_date, end_date``.
    min_discount_share : float
        Real logs without a calendar: a day is a promotion day when at least this
        share of its full orders carry a discount.

    Returns
    -------
    pandas.DataFrame
        ``promotion`` (1, 2, ...), ``start_day``, ``end_day`` (inclusive), ``days``,
        ``depth`` (mean discount / list price of its discounted orders; NaN if none).
    """
    d = as_order_data(data)
    if calendar is not None:
        spans = _given_spans(d, calendar)
    else:
        is_promo = _promo_days(d, min_discount_share)
        spans = _runs(is_promo)
    o = d.full_orders
    disc = o[o["on_discount"]]
    rows = []
    for i, (a, b) in enumerate(spans, start=1):
        w = disc[(disc["day"] >= a) & (disc["day"] <= b)]
        depth = float((w["discount"] / w["list_price"]).mean()) if len(w) else np.nan
        rows.append((i, a, b, b - a + 1, depth))
    out = pd.DataFrame(rows, columns=["promotion", "start_day", "end_day", "days", "depth"])
    return out.astype(
        {
            "promotion": np.int64,
            "start_day": np.int64,
            "end_day": np.int64,
            "days": np.int64,
            "depth": np.float64,
        }
    )


def promo_response(
    data,
    calendar: pd.DataFrame | None = None,
    base: Literal["pool", "offered"] = "pool",
    baseline_days: int = 14,
    min_discount_share: float = 0.5,
) -> pd.DataFrame:
    """Response rate, lift and fatigue of each successive promotion.

    Parameters
    ----------
    data : RunResult, DataFrame, path or OrderData
    calendar : DataFrame, optional
        Your promotion calendar (see the module docstring); default: detected.
    base : {"pool", "offered"}
        Denominator of the response rate.
    baseline_days : int
        Days before each promotion whose non-promotion days give its baseline.
    min_discount_share : float
        Promotion-day detection threshold for real logs.

    Returns
    -------
    pandas.DataFrame
        The :func:`promotions` columns plus ``base, buyers, orders_per_day,
        baseline_per_day, response_rate, lift, lift_per_depth, like_for_like,
        fatigue_index``.
    """
    d = as_order_data(data)
    promos = promotions(d, calendar, min_discount_share)
    o = d.full_orders
    per_day = np.bincount(o["day"].to_numpy(), minlength=d.n_days)[: d.n_days].astype(float)
    promo_day = np.zeros(d.n_days, dtype=bool)
    for a, b in zip(promos["start_day"], promos["end_day"], strict=True):
        promo_day[a : b + 1] = True
    c = d.customers
    rows = []
    for a, b in zip(promos["start_day"], promos["end_day"], strict=True):
        w = o[(o["day"] >= a) & (o["day"] <= b)]
        buyers = w.loc[w["on_discount"], "customer_id"].nunique()
        if base == "offered":
            if d.daily is None or "offered" not in d.daily.columns:
                raise ValueError(f"{d.source}: base='offered' needs a run's daily 'offered' KPI")
            n_base = float(d.daily["offered"].iloc[a : b + 1].max())
        elif base == "pool":
            blocked_before = c["block_day"].to_numpy() < a  # NaN compares False
            n_base = float(((c["start_day"].to_numpy() <= a) & ~blocked_before).sum())
        else:
            raise ValueError(f"base must be 'pool' or 'offered', got {base!r}")
        lo = max(0, a - baseline_days)
        quiet = ~promo_day[lo:a]
        baseline = per_day[lo:a][quiet].mean() if quiet.any() else np.nan
        rate = per_day[a : b + 1].mean()
        rows.append((n_base, buyers, rate, baseline))
    extra = pd.DataFrame(
        rows, columns=["base", "buyers", "orders_per_day", "baseline_per_day"], dtype=np.float64
    )
    out = pd.concat([promos, extra], axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["response_rate"] = out["buyers"] / out["base"].where(out["base"] > 0)
        out["lift"] = (
            out["orders_per_day"] / out["baseline_per_day"].where(out["baseline_per_day"] > 0) - 1.0
        )
        out["lift_per_depth"] = out["lift"] / out["depth"]
    like = _like_for_like(out)
    out["like_for_like"] = like
    ref = _first_k_mean(out.loc[like, "response_rate"])
    out["fatigue_index"] = 1.0 - out["response_rate"] / ref if ref > 0 else np.nan
    return out


def fatigue_index(data, **kwargs) -> float:
    """The fatigue index of the data (see the module docstring); NaN with < 2 promotions.

    Parameters
    ----------
    data : RunResult, DataFrame, path, OrderData, or the output of :func:`promo_response`
    **kwargs
        Passed to :func:`promo_response`.
    """
    table = data if isinstance(data, pd.DataFrame) and "response_rate" in data else None
    if table is None:
        table = promo_response(data, **kwargs)
    like = table["like_for_like"] if "like_for_like" in table else _like_for_like(table)
    r = table.loc[like, "response_rate"].to_numpy(dtype=np.float64)
    r = r[np.isfinite(r)]
    k = min(2, r.size // 2)
    if k < 1:
        return float("nan")
    first = r[:k].mean()
    if first <= 0:
        return float("nan")
    return float(1.0 - r[-k:].mean() / first)


def fatigue_over_time(data, period_days: int = 7) -> pd.DataFrame:
    """Discount dependence, fatigue and blocks per period.

    Parameters
    ----------
    data : RunResult, DataFrame, path or OrderData
    period_days : int
        Length of a period in days.

    Returns
    -------
    pandas.DataFrame
        Per period: ``start_day, orders, discounted_orders, share_on_discount,
        full_price_share, mean_depth, mean_fatigue`` (runs only, mean of the daily
        KPI), ``new_blocks, reachable`` (in the pool by the period's end and not
        blocked before it) and ``block_rate`` (new_blocks / reachable; NaN without
        block data).
    """
    if period_days < 1:
        raise ValueError(f"period_days must be >= 1, got {period_days}")
    d = as_order_data(data)
    o = d.full_orders
    n_p = -(-d.n_days // period_days)
    p = o["day"].to_numpy() // period_days
    orders = np.bincount(p, minlength=n_p)[:n_p]
    disc = o["on_discount"].to_numpy()
    dorders = np.bincount(p[disc], minlength=n_p)[:n_p]
    depth_sum = np.bincount(
        p[disc], weights=(o["discount"] / o["list_price"]).to_numpy()[disc], minlength=n_p
    )[:n_p]
    starts = np.arange(n_p) * period_days
    out = pd.DataFrame({"start_day": starts, "orders": orders, "discounted_orders": dorders})
    with np.errstate(invalid="ignore", divide="ignore"):
        out["share_on_discount"] = np.where(orders > 0, dorders / orders, np.nan)
        out["full_price_share"] = 1.0 - out["share_on_discount"]
        out["mean_depth"] = np.where(dorders > 0, depth_sum / dorders, np.nan)
    if d.daily is not None and "mean_fatigue" in d.daily.columns:
        mf = d.daily["mean_fatigue"].to_numpy()
        out["mean_fatigue"] = [mf[s : s + period_days].mean() for s in starts]
    else:
        out["mean_fatigue"] = np.nan
    c = d.customers
    if d.has_blocks:
        bd = c["block_day"].to_numpy()
        sd = c["start_day"].to_numpy()
        blocked = np.isfinite(bd)
        out["new_blocks"] = np.bincount(
            (bd[blocked] // period_days).astype(np.int64), minlength=n_p
        )[:n_p]
        out["reachable"] = [
            int(((sd < s + period_days) & ~(np.nan_to_num(bd, nan=np.inf) < s)).sum())
            for s in starts
        ]
        out["block_rate"] = out["new_blocks"] / out["reachable"].where(out["reachable"] > 0)
    else:
        out["new_blocks"] = np.nan
        out["reachable"] = np.nan
        out["block_rate"] = np.nan
    out.attrs.update(period_days=period_days)
    return out


def fatigue_summary(data, **kwargs) -> dict[str, float]:
    """Headline fatigue numbers of the data.

    Returns
    -------
    dict
        ``share_on_discount, full_price_share, discount_share_of_list`` (total
        discount / total list value), ``mean_fatigue`` (mean of the daily mean; runs)
        ``mean_fatigue_end``, ``block_rate`` (share of customers who blocked),
        ``promotions``, ``response_rate_first``, ``response_rate_last`` and
        ``fatigue_index``.  Keyword arguments go to :func:`promo_response`.
    """
    d = as_order_data(data)
    o = d.full_orders
    n = len(o)
    pr = promo_response(d, **kwargs)
    has_daily = d.daily is not None and "mean_fatigue" in d.daily.columns
    rr = pr["response_rate"].dropna()
    return {
        "share_on_discount": float(o["on_discount"].mean()) if n else np.nan,
        "full_price_share": float(1 - o["on_discount"].mean()) if n else np.nan,
        "discount_share_of_list": float(o["discount"].sum() / o["list_price"].sum())
        if n and o["list_price"].sum() > 0
        else np.nan,
        "mean_fatigue": float(d.daily["mean_fatigue"].mean()) if has_daily else np.nan,
        "mean_fatigue_end": float(d.daily["mean_fatigue"].iloc[-1]) if has_daily else np.nan,
        "block_rate": float(np.isfinite(d.customers["block_day"]).mean())
        if d.has_blocks and len(d.customers)
        else np.nan,
        "promotions": float(len(pr)),
        "response_rate_first": float(rr.iloc[0]) if len(rr) else np.nan,
        "response_rate_last": float(rr.iloc[-1]) if len(rr) else np.nan,
        "fatigue_index": fatigue_index(pr),
    }


# ---------------------------------------------------------------------- internals
def _like_for_like(table: pd.DataFrame) -> pd.Series:
    depth = table["depth"].round(2)
    counts = depth.value_counts()
    if counts.empty or counts.iloc[0] < 2:
        return pd.Series(True, index=table.index)
    return depth == counts.index[0]


def _first_k_mean(r: pd.Series) -> float:
    v = r.to_numpy(dtype=np.float64)
    v = v[np.isfinite(v)]
    k = min(2, v.size // 2) if v.size >= 2 else v.size
    return float(v[:k].mean()) if k >= 1 else np.nan


def _promo_days(d: OrderData, min_discount_share: float) -> np.ndarray:
    if d.daily is not None and "offered" in d.daily.columns:
        return d.daily["offered"].to_numpy()[: d.n_days] > 0
    o = d.full_orders
    tot = np.bincount(o["day"], minlength=d.n_days)[: d.n_days]
    disc = np.bincount(o.loc[o["on_discount"], "day"], minlength=d.n_days)[: d.n_days]
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(tot > 0, disc / tot, 0.0)
    return (disc > 0) & (share >= min_discount_share)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    m = np.concatenate([[False], np.asarray(mask, bool), [False]])
    edges = np.flatnonzero(m[1:] != m[:-1])
    return [(int(a), int(b) - 1) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _given_spans(d: OrderData, table: pd.DataFrame) -> list[tuple[int, int]]:
    if {"start_day", "end_day"} <= set(table.columns):
        a, b = table["start_day"].astype(int), table["end_day"].astype(int)
    elif {"start_date", "end_date"} <= set(table.columns):
        a = (pd.to_datetime(table["start_date"]) - d.start_date).dt.days
        b = (pd.to_datetime(table["end_date"]) - d.start_date).dt.days
    else:
        raise ValueError(
            "promotions table needs columns start_day, end_day or start_date, end_date; "
            f"found: {', '.join(table.columns)}"
        )
    return sorted((int(x), int(y)) for x, y in zip(a, b, strict=True))
