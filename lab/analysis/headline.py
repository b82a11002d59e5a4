"""Headline numbers of one run: what replications and comparisons summarise by default."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from lab.analysis.acquisition import cac_by_channel, cumulative_value, k_factor, unit_economics
from lab.analysis.fatigue import fatigue_summary
from lab.analysis.ltv import customer_ltv, ltv_by, net_ltv
from lab.analysis.orders import as_order_data, known_buyers_only
from lab.analysis.repurchase import purchase_ladder, repurchase_rate

__all__ = [
    "CHANNEL_METRICS",
    "CHANNEL_PREFIX",
    "HEADLINE_METRICS",
    "channel_metrics",
    "compare_metrics",
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

    Parameters
    ----------
    result : RunResult
        A finished run.
    ltv_horizon_days : int, optional
        Default :func:`ltv_horizon_for` the run's length.
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
    last = daily.iloc[-1]
    conversion = np.nan if d.meta.get("known_buyers_only") else ladder["share_of_customers"].iloc[0]
    return {
        "gmv": float(daily["gmv"].sum()),
        "gross_margin": float(daily["gross_margin"].sum()),
        "net_margin": float(daily["net_margin"].sum()),
        "discount_cost": float(daily["discount_cost"].sum()),
        "orders": float(daily["orders"].sum()),
        "customers": float(last["customers"]),
        "active_end": float(last["active"]),
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


def channel_metrics(result, ltv_horizon_days: int | None = None) -> dict[str, float]:
    """Unit economics of one run by acquisition channel, as flat end-of-run metrics.

    Keys are ``channel:<channel>:<metric>`` for every channel that brought customers
    and ``all``, with the metrics of :data:`CHANNEL_METRICS`
    (:func:`lab.analysis.unit_economics`, gross margin; ``ltv_net`` from
    :func:`lab.analysis.ltv_by` with ``value="net"``).
    """
    d = as_order_data(result)
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
