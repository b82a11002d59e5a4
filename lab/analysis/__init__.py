"""Metrics on a simulated run *or* a real order log of the same shape.

Every function takes a :class:`lab.RunResult`, an order DataFrame, a path to an
order export (CSV/parquet) or an :class:`OrderData`; see :mod:`lab.analysis.orders`
for the accepted columns.  Definitions, formulas and Chinese terms: ``docs/metrics.md``.
"""

from __future__ import annotations

from lab.analysis.acquisition import (
    CHANNEL_COST_COLUMNS,
    acquisition_costs,
    cac_by_channel,
    cumulative_value,
    k_factor,
    payback_days,
    unit_economics,
)
from lab.analysis.fatigue import (
    fatigue_index,
    fatigue_over_time,
    fatigue_summary,
    promo_response,
    promotions,
)
from lab.analysis.funnel import FUNNEL_STAGES, funnel
from lab.analysis.groups import group_health_summary
from lab.analysis.headline import HEADLINE_METRICS, headline_metrics
from lab.analysis.ltv import customer_ltv, ltv_by
from lab.analysis.money import daily_discount_rate, discount_factor, order_values
from lab.analysis.orders import OrderData, OrderLogError, as_order_data, read_order_log
from lab.analysis.referral import (
    bass_cumulative,
    k_factor_by_period,
    koc_reach,
    market_reach,
    referral_tree,
    referral_trees,
)
from lab.analysis.repurchase import (
    inter_purchase_summary,
    inter_purchase_times,
    purchase_ladder,
    repurchase_rate,
)
from lab.analysis.retention import cohort_retention, survival_curves, survival_data
from lab.analysis.rfm import RFM_CLASSES, rfm_class_sizes, rfm_table
from lab.analysis.service import SERVICE_METRICS, service_level

__all__ = [
    "CHANNEL_COST_COLUMNS",
    "FUNNEL_STAGES",
    "HEADLINE_METRICS",
    "RFM_CLASSES",
    "SERVICE_METRICS",
    "OrderData",
    "OrderLogError",
    "acquisition_costs",
    "as_order_data",
    "bass_cumulative",
    "cac_by_channel",
    "cohort_retention",
    "cumulative_value",
    "customer_ltv",
    "daily_discount_rate",
    "discount_factor",
    "fatigue_index",
    "fatigue_over_time",
    "fatigue_summary",
    "funnel",
    "group_health_summary",
    "headline_metrics",
    "inter_purchase_summary",
    "inter_purchase_times",
    "k_factor",
    "k_factor_by_period",
    "koc_reach",
    "ltv_by",
    "market_reach",
    "order_values",
    "payback_days",
    "promo_response",
    "promotions",
    "purchase_ladder",
    "read_order_log",
    "referral_tree",
    "referral_trees",
    "repurchase_rate",
    "rfm_class_sizes",
    "rfm_table",
    "service_level",
    "survival_curves",
    "survival_data",
    "unit_economics",
]
