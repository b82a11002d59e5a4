"""Acquisition economics: CAC by channel (获客成本), LTV/CAC, payback period (回本周期),
K-factor (裂变系数) and cost per referred customer.

CAC of a channel = acquisition cost booked for the channel / customers it brought.
In a run the daily cost lines map to channels as :data:`CHANNEL_COST_COLUMNS` says;
stock import (存量导入) books no acquisition cost in the model (moving existing
platform buyers in is treated as free), so its CAC is 0 and LTV/CAC is undefined.
A real log passes its costs as ``costs=`` (a ``{channel: cost}`` dict or a table
with ``channel`` and ``cost`` columns).

Payback period: the first day ``t`` after joining (day 0 = joining day) on which
the mean cumulative discounted margin per acquired customer of the channel reaches
its CAC.  The mean at ``t`` is over the channel's customers observed for more than
``t`` days (so late joiners do not pull it down).  NaN if not reached in the data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lab.analysis.ltv import _rate, ltv_by
from lab.analysis.money import Value, discount_factor, order_values
from lab.analysis.orders import as_order_data

__all__ = [
    "CHANNEL_COST_COLUMNS",
    "acquisition_costs",
    "cac_by_channel",
    "k_factor",
    "payback_days",
    "unit_economics",
]

#: daily cost column of a run -> the channel it acquires for
CHANNEL_COST_COLUMNS: dict[str, str] = {
    "paid": "cost_paid_acquisition",
    "staff_invite": "cost_staff_bonus",
    "referral": "cost_referral_rewards",
}
_NOTES = {"stock_import": "no acquisition cost booked (existing buyers moved in)"}


def acquisition_costs(data, costs: dict | pd.DataFrame | None = None) -> pd.Series:
    """Total acquisition cost per channel (CNY).

    Parameters
    ----------
    data : RunResult, DataFrame, path or OrderData
        A run (costs read from its daily table) or a real log.
    costs : dict or DataFrame, optional
        Required for a real log: ``{channel: cost}`` or a table with ``channel``
        and ``cost`` columns (rows are summed).

    Returns
    -------
    pandas.Series
        Channel -> cost; channels without a cost line get 0.
    """
    d = as_order_data(data)
    channels = sorted(set(d.customers["channel"].astype(str)))
    if costs is None:
        if d.daily is None:
            raise ValueError(
                f"{d.source}: acquisition costs are unknown for a real order log; "
                "pass costs={channel: cost} or a table with columns channel, cost"
            )
        out = {
            ch: float(d.daily[col].sum()) if col in d.daily.columns else 0.0
            for ch, col in CHANNEL_COST_COLUMNS.items()
        }
    elif isinstance(costs, dict):
        out = {str(k): float(v) for k, v in costs.items()}
    else:
        missing = [c for c in ("channel", "cost") if c not in costs.columns]
        if missing:
            raise ValueError(f"costs table: missing column(s) {', '.join(missing)}")
        out = costs.groupby(costs["channel"].astype(str))["cost"].sum().astype(float).to_dict()
    for ch in channels:
        out.setdefault(ch, 0.0)
    return pd.Series(out, name="acquisition_cost").sort_index()


def cac_by_channel(data, costs: dict | pd.DataFrame | None = None) -> pd.DataFrame:
    """Customer acquisition cost per channel, plus a blended row ``all``.

    Parameters
    ----------
    data : RunResult, DataFrame, path or OrderData
    costs : dict or DataFrame, optional
        Required for a real log, see :func:`acquisition_costs`.

    Returns
    -------
    pandas.DataFrame
        ``channel, new_customers, acquisition_cost, cac, note``.
    """
    d = as_order_data(data)
    cost = acquisition_costs(d, costs)
    new = d.customers["channel"].astype(str).value_counts()
    rows = []
    for ch in sorted(set(cost.index) | set(new.index)):
        n = int(new.get(ch, 0))
        c = float(cost.get(ch, 0.0))
        rows.append((ch, n, c, c / n if n else np.nan, _NOTES.get(ch, "")))
    n_all = int(new.sum())
    c_all = float(cost.sum())
    rows.append(("all", n_all, c_all, c_all / n_all if n_all else np.nan, "blended"))
    return pd.DataFrame(
        rows, columns=["channel", "new_customers", "acquisition_cost", "cac", "note"]
    )


def payback_days(
    data,
    cac: dict[str, float] | None = None,
    value: Value = "margin",
    annual_discount_rate: float | None = None,
    costs: dict | pd.DataFrame | None = None,
    margin_rate: float | None = None,
) -> pd.Series:
    """Payback period per channel, in days after joining.

    Parameters
    ----------
    data : RunResult, DataFrame, path or OrderData
    cac : dict, optional
        Channel -> CAC; default from :func:`cac_by_channel`.
    value : {"margin", "revenue"}
        What pays the CAC back (gross margin by default).
    annual_discount_rate, costs, margin_rate
        As in :func:`lab.analysis.customer_ltv` and :func:`cac_by_channel`.

    Returns
    -------
    pandas.Series
        Channel -> first day the mean cumulative value reaches the CAC (0 if the CAC
        is 0), NaN if never within the data.
    """
    d = as_order_data(data)
    if cac is None:
        t = cac_by_channel(d, costs)
        cac = dict(zip(t["channel"], t["cac"], strict=True))
    curves = cumulative_value(d, value, annual_discount_rate, margin_rate)
    out = {}
    for ch, curve in curves.items():
        target = cac.get(ch, np.nan)
        if not np.isfinite(target):
            out[ch] = np.nan
            continue
        if target <= 0:
            out[ch] = 0.0
            continue
        hit = np.flatnonzero(curve >= target - 1e-9)
        out[ch] = float(hit[0]) if hit.size else np.nan
    return pd.Series(out, name="payback_days", dtype=np.float64)


def cumulative_value(
    data,
    value: Value = "margin",
    annual_discount_rate: float | None = None,
    margin_rate: float | None = None,
    by: str = "channel",
) -> dict[str, np.ndarray]:
    """Mean cumulative discounted value per customer by day since joining, per group.

    ``curve[t]`` = sum of the discounted value of orders on days ``0..t`` after
    joining, over the group's customers observed more than ``t`` days, divided by
    their number.

    Parameters
    ----------
    data : RunResult, DataFrame, path or OrderData
    value : {"margin", "revenue"}
    annual_discount_rate, margin_rate : float, optional
        As in :func:`lab.analysis.customer_ltv`.
    by : str
        Customer column to group by.

    Returns
    -------
    dict
        Group -> array of length (longest observation of the group, in days).
    """
    d = as_order_data(data)
    rate = _rate(d, annual_discount_rate)
    c = d.customers
    start = c.set_index("customer_id")["start_day"]
    group = c.set_index("customer_id")[by].astype(str)
    o = d.orders
    t = o["day"].to_numpy() - o["customer_id"].map(start).to_numpy()
    pv = order_values(d, value, margin_rate).to_numpy() * discount_factor(t, rate)
    og = o["customer_id"].map(group).to_numpy()
    ol = d.n_days - o["customer_id"].map(start).to_numpy()
    out = {}
    for g, cg in c.groupby(c[by].astype(str)):
        life = (d.n_days - cg["start_day"].to_numpy()).clip(min=0)
        horizon = int(life.max()) if life.size else 0
        if horizon == 0:
            out[g] = np.zeros(0)
            continue
        # difference arrays: a customer is counted on days 0..life-1, an order from t_k on
        den = np.bincount(life, minlength=horizon + 1)[::-1].cumsum()[::-1][1 : horizon + 1]
        m = (og == g) & (t >= 0)
        num = np.zeros(horizon + 1)
        np.add.at(num, t[m], pv[m])
        np.add.at(num, ol[m], -pv[m])
        num = num.cumsum()[:horizon]
        out[g] = np.divide(num, den, out=np.full(horizon, np.nan), where=den > 0)
    return out


def unit_economics(
    data,
    horizon_days: int = 180,
    value: Value = "margin",
    annual_discount_rate: float | None = None,
    costs: dict | pd.DataFrame | None = None,
    margin_rate: float | None = None,
) -> pd.DataFrame:
    """CAC, LTV, LTV/CAC and payback per channel in one table.

    Parameters
    ----------
    data : RunResult, DataFrame, path or OrderData
    horizon_days : int
        LTV horizon.
    value : {"margin", "revenue"}
        What LTV and payback count.
    annual_discount_rate, costs, margin_rate
        As in :func:`lab.analysis.customer_ltv` and :func:`cac_by_channel`.

    Returns
    -------
    pandas.DataFrame
        ``channel, new_customers, acquisition_cost, cac, ltv, ltv_customers,
        ltv_to_cac, payback_days, note``; ``ltv`` is the mean over customers whose
        ``horizon_days`` are complete (NaN if none), ``ltv_to_cac`` NaN where CAC is 0.
    """
    d = as_order_data(data)
    cac = cac_by_channel(d, costs)
    lt = ltv_by(d, "channel", horizon_days, value, annual_discount_rate, margin_rate)
    lt_all = ltv_by(d, None, horizon_days, value, annual_discount_rate, margin_rate)
    lt = pd.concat([lt, lt_all.rename(columns={"group": "channel"})], ignore_index=True)
    lt["channel"] = lt["channel"].astype(str)
    out = cac.merge(
        lt[["channel", "ltv_mean", "complete"]].rename(
            columns={"ltv_mean": "ltv", "complete": "ltv_customers"}
        ),
        on="channel",
        how="left",
    )
    out["ltv_to_cac"] = np.where(out["cac"] > 0, out["ltv"] / out["cac"], np.nan)
    pb = payback_days(
        d,
        dict(zip(cac["channel"], cac["cac"], strict=True)),
        value,
        annual_discount_rate,
        margin_rate=margin_rate,
    )
    out["payback_days"] = out["channel"].map(pb)
    out = out[
        [
            "channel",
            "new_customers",
            "acquisition_cost",
            "cac",
            "ltv",
            "ltv_customers",
            "ltv_to_cac",
            "payback_days",
            "note",
        ]
    ]
    out.attrs.update(horizon_days=horizon_days, value=value)
    return out


def k_factor(data, costs: dict | pd.DataFrame | None = None) -> dict[str, float]:
    """Fission (裂变) numbers: K-factor, its two factors, and cost per referred customer.

    ``k_factor`` = customers who joined through an invite / all customers in the
    pool: the mean number of friends each customer brought.  In a run it splits
    as ``shares_per_customer * joins_per_share`` (``shares`` from the daily table).
    ``cost_per_referred`` = referral rewards (inviter and invitee) / referred.

    Parameters
    ----------
    data : RunResult, DataFrame, path or OrderData
        A real log needs a customers table with ``referrer`` (or a ``referral`` channel).
    costs : dict or DataFrame, optional
        For a real log: the ``referral`` channel's reward cost.

    Returns
    -------
    dict
        ``customers, referred, sharers, k_factor, shares, shares_per_customer,
        joins_per_share, referral_cost, cost_per_referred`` (NaN where unknown).
    """
    d = as_order_data(data)
    c = d.customers
    if "referrer" in c.columns:
        referred = int((c["referrer"] >= 0).sum())
        sharers = int(c.loc[c["referrer"] >= 0, "referrer"].nunique())
    elif (c["channel"] == "referral").any() or d.daily is not None:
        referred = int((c["channel"] == "referral").sum())
        sharers = np.nan
    else:
        raise ValueError(
            f"{d.source}: K-factor needs to know who was invited: a customers table with a "
            "'referrer' column, or a 'channel' with value 'referral'"
        )
    n = len(c)
    shares = float(d.daily["shares"].sum()) if d.daily is not None else np.nan
    try:
        cost = float(acquisition_costs(d, costs).get("referral", 0.0))
    except ValueError:
        cost = np.nan
    return {
        "customers": float(n),
        "referred": float(referred),
        "sharers": float(sharers),
        "k_factor": referred / n if n else np.nan,
        "shares": shares,
        "shares_per_customer": shares / n if n else np.nan,
        "joins_per_share": referred / shares if shares else np.nan,
        "referral_cost": cost,
        "cost_per_referred": cost / referred if referred else np.nan,
    }
