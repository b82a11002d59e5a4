"""The daily KPI table: every column of a run's ``daily`` table, described once.

Each row gives the column's name, unit, whether it is a whole count (stored as an
integer in ``RunResult.daily``), its English and Chinese labels (:mod:`lab.i18n`),
and who computes it (``source``):

* ``pool``: the model (pool size, money, means);
* ``kernel``: the daily customer loop (:mod:`lab.agents.behaviour`), which keeps one
  slot per kernel row in its KPI vector;
* ``market``: the finite market (only with ``market.size``).

Rows whose name holds ``{...}`` are families, one column per channel, revenue or
cost kind, or touchpoint.  Strategies declare their own KPIs (``Strategy.kpis``).
The rows are in column order.  Adding a KPI = one row here (and, for a kernel KPI,
one ``kpi[K.<name>] += ...`` in the mechanism that counts it).
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["KPI_TABLE", "Kpi", "integer_kpis", "kpi_rows"]


class Kpi(NamedTuple):
    """One daily KPI column."""

    name: str
    unit: str
    integer: bool
    en: str
    zh: str
    source: str = "pool"


KPI_TABLE: tuple[Kpi, ...] = (
    Kpi("customers", "customers", True, "customers in pool", "私域用户数"),
    Kpi("new_{channel}", "customers/day", True, "new customers by channel", "新增用户 (按渠道)"),
    Kpi("prospect", "customers", True, "prospects (added, no order)", "加了未下单", "kernel"),
    Kpi("active", "customers", True, "active", "活跃期", "kernel"),
    Kpi("silent", "customers", True, "silent", "沉默期", "kernel"),
    Kpi("sleeping", "customers", True, "sleeping", "睡眠期", "kernel"),
    Kpi("churned", "customers", True, "churned", "流失期", "kernel"),
    Kpi("alive", "customers", True, "not dropped out", "未永久流失", "kernel"),
    Kpi("blocked_total", "customers", True, "blocked (total)", "累计拉黑/删除", "kernel"),
    Kpi("new_blocks", "customers/day", True, "new blocks", "新增拉黑/删除", "kernel"),
    Kpi("dropouts", "customers/day", True, "dropouts", "永久流失", "kernel"),
    Kpi("orders", "orders/day", True, "orders", "订单数", "kernel"),
    Kpi("trial_orders", "orders/day", True, "trial-product orders", "体验品订单", "kernel"),
    Kpi("promo_orders", "orders/day", True, "orders on promotion", "促销订单", "kernel"),
    Kpi("first_orders", "orders/day", True, "first orders", "首单", "kernel"),
    Kpi("shares", "shares/day", True, "shares", "分享次数", "kernel"),
    Kpi("referred", "customers/day", True, "joined by referral", "裂变新增", "kernel"),
    Kpi("contacts", "contacts/day", True, "contacts", "触达次数", "kernel"),
    Kpi("customers_contacted", "customers/day", True, "customers contacted", "触达用户数", "kernel"),
    Kpi("offered", "customers/day", True, "customers offered a discount", "获得折扣的用户数", "kernel"),
    Kpi("mean_fatigue", "0..1", False, "mean promo fatigue", "平均促销疲劳"),
    Kpi("mean_ref_price", "share of list price", False, "mean reference price", "平均参考价格"),
    Kpi("gmv", "CNY/day", False, "GMV", "成交总额 (GMV)"),
    Kpi("list_value", "CNY/day", False, "list value", "标价总额"),
    Kpi("discount_cost", "CNY/day", False, "discount cost", "折扣成本"),
    Kpi("cogs", "CNY/day", False, "cost of goods", "商品成本"),
    Kpi("gross_margin", "CNY/day", False, "gross margin", "毛利"),
    Kpi("revenue_{kind}", "CNY/day", False, "revenue by kind", "收入 (按类型)"),
    Kpi("cost_{kind}", "CNY/day", False, "cost by kind", "成本 (按类型)"),
    Kpi("net_margin", "CNY/day", False, "net margin", "净利"),
    Kpi("contacts_{touchpoint}", "contacts/day", True, "contacts by touchpoint", "触达 (按触点)"),
    Kpi("market_remaining", "people", True, "market not yet reached", "剩余市场", "market"),
    Kpi("market_reached_share", "share", False, "share of the market reached", "市场渗透率", "market"),
    Kpi("invitations", "invitations/day", True, "invitations sent", "邀请次数", "market"),
    Kpi("invitations_accepted", "customers/day", True, "invitations accepted", "接受邀请", "market"),
    Kpi("word_of_mouth_talks", "talks/day", True, "word-of-mouth talks", "口碑传播次数", "market"),
    Kpi("word_of_mouth_joins", "customers/day", True, "joined by word of mouth", "口碑新增", "market"),
    Kpi("paid_cac_multiplier", "x", False, "paid CAC multiplier (scarcity)", "公域获客成本倍数 (稀缺)", "market"),
    Kpi("platform_orders", "orders/day", True, "orders in the platform store", "平台店订单", "outside"),
    Kpi("platform_gmv", "CNY/day", False, "platform store GMV", "平台店GMV", "outside"),
    Kpi("platform_margin", "CNY/day", False, "platform store margin after commission", "平台店毛利 (扣佣金)", "outside"),
    Kpi("platform_share", "share", False, "mean share of purchases taken by the store", "平台店分流占比", "outside"),
    Kpi("platform_reviews", "reviews", False, "reviews fed back to the store", "反哺评价数", "outside"),
    Kpi("competitor_price_gap", "share", False, "competitor's everyday discount vs our list", "竞品价差", "outside"),
)  # fmt: skip


def kpi_rows(source: str) -> tuple[Kpi, ...]:
    """The rows computed by ``source`` (``pool``, ``kernel`` or ``market``), in order."""
    return tuple(k for k in KPI_TABLE if k.source == source)


def integer_kpis(columns) -> set[str]:
    """The columns among ``columns`` that are whole counts (family members included)."""
    exact = {k.name for k in KPI_TABLE if k.integer and "{" not in k.name}
    prefixes = tuple(k.name.split("{")[0] for k in KPI_TABLE if k.integer and "{" in k.name)
    return {c for c in columns if c in exact or c.startswith(prefixes)}
