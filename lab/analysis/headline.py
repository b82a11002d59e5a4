"""Headline numbers of one run: what replications and comparisons summarise by default."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from lab.analysis.acquisition import (
    CHANNEL_COST_COLUMNS,
    cac_by_channel,
    cumulative_value,
    k_factor,
    unit_economics,
)
from lab.analysis.fatigue import _runs, fatigue_index, fatigue_summary
from lab.analysis.ltv import customer_ltv, ltv_by, net_ltv
from lab.analysis.money import discount_factor
from lab.analysis.orders import as_order_data, known_buyers_only
from lab.analysis.repurchase import purchase_ladder, repurchase_rate
from lab.analysis.run_arrays import RunArrays, kahan_group_sums, kahan_mean, run_arrays

__all__ = [
    "CHANNEL_METRICS",
    "CHANNEL_PREFIX",
    "HEADLINE_METRICS",
    "KNOWN_NEW",
    "channel_metrics",
    "compare_metrics",
    "headline_from_tables",
    "headline_metrics",
    "known_buyers_only",
    "ltv_horizon_for",
]

#: name -> what it is; every value is a float per run
HEADLINE_METRICS: dict[str, str] = {
    "gmv": "GMV over the run (CNY)",
    "gross_margin": "gross margin over the run (CNY)",
    "net_margin": "net margin after all booked costs (CNY)",
    "discount_cost": "discounts given (CNY)",
    "orders": "orders (incl. trial)",
    "customers": "customers in the pool at the end",
    "active_end": "customers in the active stage at the end",
    "alive_end": "customers not dropped out for good at the end (latent: the brand cannot "
    "see it; a cadence can raise active_end while it uses up the pool)",
    "conversion_rate": "share of customers with at least one order (NaN in a pool of "
    "known buyers only, where every customer joins with an order)",
    "repurchase_rate": "share of buyers with at least two orders",
    "reach_3rd_order": "share of buyers reaching a 3rd order",
    "ltv_margin": "mean discounted gross-margin LTV per acquired customer over the LTV horizon",
    "ltv_net": "the same LTV counting all of a customer's money (fees, bonus, breakage, "
    "rewards, gifts, contacts credited to them)",
    "cac_paid": "CAC of paid acquisition (CNY)",
    "cac_blended": "acquisition cost / all new customers (CNY)",
    "k_factor": "referred customers / all customers",
    "cost_per_referred": "referral rewards / referred customers (CNY)",
    "share_on_discount": "share of full orders with a discount",
    "mean_fatigue": "mean over days of the mean promo fatigue",
    "fatigue_index": "promo fatigue index (1 - late / early promotion lift per depth)",
    "block_rate": "share of customers who blocked the brand",
}


def ltv_horizon_for(days: int) -> int:
    """LTV horizon used in headline metrics: 180 days, or half the run if shorter."""
    return int(min(180, max(days // 2, 1)))


def headline_metrics(result, ltv_horizon_days: int | None = None) -> dict[str, float]:
    """The :data:`HEADLINE_METRICS` of one run (floats; NaN where undefined).

    ``conversion_rate`` is NaN for a run of known buyers only
    (:func:`known_buyers_only`: the run's ``meta["known_buyers_only"]``).

    A run (or the :class:`OrderData` of one) is summarised from its arrays
    (:mod:`lab.analysis.run_arrays`: no order or customer frame is built, one pass
    per quantity), with the very values the table functions give
    (:func:`headline_from_tables`, which anything else goes to).

    Parameters
    ----------
    result : RunResult or OrderData
        A finished run.
    ltv_horizon_days : int, optional
        Default :func:`ltv_horizon_for` the run's length.
    """
    a = run_arrays(result)
    if a is None:
        return headline_from_tables(result, ltv_horizon_days)
    return _headline_from_arrays(a, ltv_horizon_days or ltv_horizon_for(a.n_days))


def headline_from_tables(result, ltv_horizon_days: int | None = None) -> dict[str, float]:
    """:func:`headline_metrics` from the order and customer tables (the reference).

    Each metric from the table functions of :mod:`lab.analysis` on
    :func:`as_order_data`; :func:`headline_metrics` computes a run's from its arrays
    and must give these values bit for bit.
    """
    d = as_order_data(result)
    daily = d.daily
    h = ltv_horizon_days or ltv_horizon_for(d.n_days)
    cac = cac_by_channel(d).set_index("channel")["cac"]
    ladder = purchase_ladder(d, 3)
    fat = fatigue_summary(d)
    kf = k_factor(d)
    margin = customer_ltv(d, h, "margin")  # one pass over the orders for both LTVs
    ltv = ltv_by(margin, None)
    ltv_net = ltv_by(net_ltv(margin, d), None)
    conversion = np.nan if d.meta.get("known_buyers_only") else ladder["share_of_customers"].iloc[0]
    return {
        **_daily_totals(daily),
        "conversion_rate": float(conversion),
        "repurchase_rate": repurchase_rate(d),
        "reach_3rd_order": float(ladder["share_of_buyers"].iloc[2]),
        "ltv_margin": float(ltv["ltv_mean"].iloc[0]),
        "ltv_net": float(ltv_net["ltv_mean"].iloc[0]),
        "cac_paid": float(cac.get("paid", np.nan)),
        "cac_blended": float(cac.get("all", np.nan)),
        "k_factor": kf["k_factor"],
        "cost_per_referred": kf["cost_per_referred"],
        "share_on_discount": fat["share_on_discount"],
        "mean_fatigue": fat["mean_fatigue"],
        "fatigue_index": fat["fatigue_index"],
        "block_rate": fat["block_rate"],
    }


def _daily_totals(daily) -> dict[str, float]:
    """The headline's sums over the daily table and its end-of-run stock (both paths)."""
    last = daily.iloc[-1]
    return {
        "gmv": float(daily["gmv"].sum()),
        "gross_margin": float(daily["gross_margin"].sum()),
        "net_margin": float(daily["net_margin"].sum()),
        "discount_cost": float(daily["discount_cost"].sum()),
        "orders": float(daily["orders"].sum()),
        "customers": float(last["customers"]),
        "active_end": float(last["active"]),
        "alive_end": float(last["alive"]),
    }


def _headline_from_arrays(a: RunArrays, h: int) -> dict[str, float]:
    """:func:`headline_from_tables`'s numbers from a run's arrays, computation for computation."""
    daily = a.daily
    full = ~a.is_trial
    n_full = np.bincount(a.customer[full], minlength=a.n_customers)  # full orders per customer
    ltv_margin, ltv_net = _ltv_means(a, h)
    cost = _acquisition_costs(a)
    referral_cost = cost.get("referral", 0.0)
    referred = int(np.count_nonzero(a.referrer >= 0))
    n = a.n_customers
    n_paid = a.channel_counts.get("paid", 0)
    buyers = int(np.count_nonzero(n_full >= 1))
    on_discount = a.on_discount[full]
    has_fatigue = "mean_fatigue" in daily.columns
    return {
        **_daily_totals(daily),
        "conversion_rate": np.nan if a.known_buyers_only or not n else buyers / n,
        "repurchase_rate": int(np.count_nonzero(n_full >= 2)) / buyers if buyers else np.nan,
        "reach_3rd_order": int(np.count_nonzero(n_full >= 3)) / buyers if buyers else np.nan,
        "ltv_margin": ltv_margin,
        "ltv_net": ltv_net,
        "cac_paid": cost["paid"] / n_paid if n_paid else np.nan,
        "cac_blended": float(np.array(list(cost.values())).sum()) / n if n else np.nan,
        "k_factor": referred / n if n else np.nan,
        "cost_per_referred": referral_cost / referred if referred else np.nan,
        "share_on_discount": np.count_nonzero(on_discount) / on_discount.size
        if on_discount.size
        else np.nan,
        "mean_fatigue": float(daily["mean_fatigue"].mean()) if has_fatigue else np.nan,
        "fatigue_index": _fatigue_index(a),
        "block_rate": np.count_nonzero(np.isfinite(a.block_day)) / n if n else np.nan,
    }


def _acquisition_costs(a: RunArrays) -> dict[str, float]:
    """:func:`lab.analysis.acquisition_costs` of a run: channel -> cost, in name order."""
    out = {
        ch: float(a.daily[col].sum()) if col in a.daily.columns else 0.0
        for ch, col in CHANNEL_COST_COLUMNS.items()
    }
    for ch in a.channel_counts:
        out.setdefault(ch, 0.0)
    return dict(sorted(out.items()))


def _ltv_means(a: RunArrays, h: int) -> tuple[float, float]:
    """Mean gross-margin and net LTV over the customers whose horizon ``h`` is complete.

    :func:`lab.analysis.customer_ltv` (``value="margin"``), :func:`net_ltv` and
    :func:`ltv_by` (``by=None``): each customer's orders in their first ``h`` days,
    discounted, summed as ``groupby().sum()`` does; the means as ``groupby().mean()``.
    """
    cogs = np.where(a.is_trial, 0.0, a.list_price * (1.0 - a.margin_rate))
    value = a.amount - cogs
    t = a.day - a.start_day[a.customer]
    keep = (t >= 0) & (t < h)
    pv = value[keep] * discount_factor(t[keep], a.annual_discount_rate)
    ltv = kahan_group_sums(a.customer[keep], pv, a.n_customers)
    complete = np.clip(a.n_days - a.start_day, 0, None) >= h
    return float(kahan_mean(ltv, complete)), float(kahan_mean(ltv + a.net_other_pv, complete))


def _fatigue_index(a: RunArrays) -> float:
    """:func:`lab.analysis.fatigue_index` of the promotions a run detects (daily ``offered``).

    Per promotion, its depth (mean discount / list price of its discounted full orders)
    and response rate (distinct buyers on discount / customers in the pool and not
    blocked on its first day), as :func:`lab.analysis.promo_response` computes them.
    """
    full = ~a.is_trial
    disc = full & a.on_discount
    spans = _runs(_promo_days(a, full))
    sorted_days = a.day.size < 2 or bool(np.all(a.day[1:] >= a.day[:-1]))
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = a.discount / a.list_price
    depth = np.full(len(spans), np.nan)
    rate = np.full(len(spans), np.nan)
    bought = np.zeros(a.n_customers, dtype=bool)  # who bought on discount in the promotion
    for i, (first, last) in enumerate(spans):
        if sorted_days:  # the log is in day order: the promotion's orders are a slice
            rows = slice(*np.searchsorted(a.day, [first, last + 1]))
            m = disc[rows]
            r, who = ratio[rows][m], a.customer[rows][m]
        else:
            m = disc & (a.day >= first) & (a.day <= last)
            r, who = ratio[m], a.customer[m]
        depth[i] = _nanmean(r)
        blocked_before = a.block_day < first  # NaN compares False
        base = np.count_nonzero((a.start_day <= first) & ~blocked_before)
        if base > 0:
            bought[who] = True
            rate[i] = np.count_nonzero(bought) / base  # distinct buyers / base
            bought[who] = False
    return fatigue_index(pd.DataFrame({"depth": depth, "response_rate": rate}))


def _promo_days(a: RunArrays, full: np.ndarray) -> np.ndarray:
    """:func:`lab.analysis.fatigue` promotion days: a run's days with offers, else detected."""
    if "offered" in a.daily.columns:
        return a.daily["offered"].to_numpy()[: a.n_days] > 0
    day = a.day[full]
    tot = np.bincount(day, minlength=a.n_days)[: a.n_days]
    disc = np.bincount(day[a.on_discount[full]], minlength=a.n_days)[: a.n_days]
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(tot > 0, disc / tot, 0.0)
    return (disc > 0) & (share >= 0.5)


def _nanmean(v: np.ndarray) -> float:
    """Mean as pandas' ``Series.mean`` takes it: NaN skipped, pairwise sum / count."""
    if not v.size:
        return np.nan
    nan = np.isnan(v)
    if nan.any():
        v = np.where(nan, 0.0, v)
    count = v.size - int(np.count_nonzero(nan))
    return float(v.sum() / count) if count else np.nan


#: end-of-run metric keys of the unit economics by acquisition channel:
#: ``channel:<channel>:<metric>`` (split off by :func:`lab.experiments.channel_table`)
CHANNEL_PREFIX = "channel:"

#: per channel: what each value is (LTV, payback: gross margin over the LTV horizon)
CHANNEL_METRICS: dict[str, str] = {
    "customers": "customers acquired through the channel",
    "cac": "acquisition cost / customers acquired (CNY)",
    "payback_days": "days after joining until the mean cumulative margin reaches the CAC",
    "ltv": "mean discounted gross-margin LTV over the LTV horizon (CNY)",
    "ltv_net": "the same counting all of the customer's money (CNY)",
    "ltv_to_cac": "LTV / CAC (NaN where CAC is 0)",
}


#: the channel of the unit economics under which a pool of known buyers counts the
#: customers who join with their first order (the new customers after an order log),
#: apart from the log's customers who join with their history (stock import)
KNOWN_NEW = "known_new"


def _known_new_apart(d):
    """``d`` with, in a pool of known buyers only (``meta["known_buyers_only"]``), the
    customers who joined with no order before (``prior_orders`` 0: their first order
    is booked on joining) under :data:`KNOWN_NEW`, not the stock-import channel the
    engine brings every known customer in through (``lab calibrate --period forecast``:
    the new customers expected after the log; ``--period log``: every customer, each
    arriving with its first order)."""
    c = d.customers
    if not d.meta.get("known_buyers_only") or "prior_orders" not in c.columns:
        return d
    channel = c["channel"].astype(str)
    new = (channel == "stock_import") & (pd.to_numeric(c["prior_orders"]).fillna(0) <= 0)
    if not new.any():
        return d
    return replace(d, customers=c.assign(channel=channel.where(~new, KNOWN_NEW)))


def channel_metrics(result, ltv_horizon_days: int | None = None) -> dict[str, float]:
    """Unit economics of one run by acquisition channel, as flat end-of-run metrics.

    Keys are ``channel:<channel>:<metric>`` for every channel that brought customers
    and ``all``, with the metrics of :data:`CHANNEL_METRICS`
    (:func:`lab.analysis.unit_economics`, gross margin; ``ltv_net`` from
    :func:`lab.analysis.ltv_by` with ``value="net"``).  In a pool of known buyers only,
    the customers who join with their first order are counted as new customers
    (:data:`KNOWN_NEW`), the log's customers with their history as stock import.
    """
    d = _known_new_apart(as_order_data(result))
    h = ltv_horizon_days or ltv_horizon_for(d.n_days)
    ue = unit_economics(d, h, "margin").set_index("channel")
    ue.loc["all", "payback_days"] = _blended_payback(d, float(ue.loc["all", "cac"]))
    net_table = customer_ltv(d, h, "net")
    net = ltv_by(net_table, "channel").set_index("channel")["ltv_mean"]
    net["all"] = float(ltv_by(net_table, None)["ltv_mean"].iloc[0])
    out: dict[str, float] = {}
    for ch, row in ue.iterrows():
        if not row["new_customers"]:
            continue
        values = {
            "customers": row["new_customers"],
            "cac": row["cac"],
            "payback_days": row["payback_days"],
            "ltv": row["ltv"],
            "ltv_net": net.get(ch, np.nan),
            "ltv_to_cac": row["ltv_to_cac"],
        }
        for m, v in values.items():
            out[f"{CHANNEL_PREFIX}{ch}:{m}"] = float(v)
    return out


def _blended_payback(d, cac: float) -> float:
    """Payback of every customer together against the blended CAC (NaN if not reached)."""
    if not np.isfinite(cac):
        return np.nan
    if cac <= 0:
        return 0.0
    everyone = replace(d, customers=d.customers.assign(_everyone="all"))
    curve = cumulative_value(everyone, "margin", by="_everyone").get("all", np.zeros(0))
    hit = np.flatnonzero(curve >= cac - 1e-9)
    return float(hit[0]) if hit.size else np.nan


def compare_metrics(result) -> dict[str, float]:
    """What :func:`lab.experiments.compare` keeps per run: headline and channel metrics,
    and the results by segment, channel and RFM class (:mod:`lab.analysis.breakdown`)."""
    from lab.analysis.breakdown import breakdown_metrics

    d = as_order_data(result)
    return {**headline_metrics(d), **channel_metrics(d), **breakdown_metrics(d)}
