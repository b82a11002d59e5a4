"""Price-promotion facts: elasticity, post-promotion dip, deal conditioning, new vs established.

Sources (``shared/EVIDENCE.md``):

* van Heerde & Neslin (2008), handbook chapter: mean short-term promotional
  elasticity -3.63; Bijmolt, van Heerde & Pieters (2005, JMR 42(2)): mean price
  elasticity -2.62.  Band for a one-off 20% cut: -1.5 to -6.
* van Heerde, Leeflang & Wittink (2000, JMR 37(3)): the post-promotion dip is
  4-25% of the bump; Pauwels, Hanssens & Siddarth (2002, JMR 39(4)): no
  permanent effect (sales return to baseline; the +-2% band is an assumption).
* Mela, Gupta & Lehmann (1997, JMR 34(2)): more promotion makes consumers more
  promotion-sensitive (a direction; the magnitude band here is an assumption).
* Anderson & Simester (2004, Marketing Science 23(1)): deeper discounts raise
  first-time customers' future purchases and lower established customers'
  (directions; the magnitude bands are assumptions).
"""

from __future__ import annotations

import numpy as np

from lab.facts.base import (
    INF,
    Fact,
    Size,
    established_pool,
    orders_by_slot,
    paid_joins,
    promotion,
    promotions,
    simulate,
)
from lab.vocab import CHANNELS

__all__ = ["FACTS", "conditioning", "new_vs_established", "one_off_cut"]

# one-off cut: 60 quiet days, a 7-day 20% cut, 60 days after it (the dip), then days
# 120-179 after it (is the level back to baseline?)
WARM, PROMO_DAYS, POST_DAYS, CUT = 60, 7, 60, 0.2
LATE_FROM, LATE_TO = 120, 180


def one_off_cut(seed: int, size: Size) -> dict[str, float]:
    """A one-off 20% cut on a quiet pool of established customers vs the same pool without it.

    Elasticity = (orders during the cut / orders of the same days without it - 1) / -0.2.
    Dip share = orders lost in the 60 days after the cut / orders won during it.
    Late level = orders 120-179 days after the cut / the same days without it - 1.
    """
    end = WARM + PROMO_DAYS
    days = end + LATE_TO
    control = simulate(established_pool("no promotion", size, days), seed)
    promo = promotions(promotion(WARM, PROMO_DAYS, CUT, "one-off 20% cut"))
    treated = simulate(established_pool("one-off 20% cut", size, days, strategies=[promo]), seed)
    c, t = control.daily["orders"], treated.daily["orders"]
    during = slice(WARM, WARM + PROMO_DAYS)
    after = slice(end, end + POST_DAYS)
    late = slice(end + LATE_FROM, end + LATE_TO)
    bump = t[during].sum() - c[during].sum()
    lost = c[after].sum() - t[after].sum()
    return {
        "elasticity": (t[during].sum() / c[during].sum() - 1.0) / -CUT,
        "dip_share": lost / bump if bump > 0 else np.nan,
        "late_level": t[late].sum() / c[late].sum() - 1.0,
    }


# deal conditioning: 182 days with or without a promotion every 14 days, then a probe
HISTORY, EVERY, PROBE_GAP = 182, 14, 14


def _probe_elasticity(seed: int, size: Size, history: list[dict]) -> float:
    probe_day = HISTORY + PROBE_GAP
    days = probe_day + PROMO_DAYS
    probe = promotion(probe_day, PROMO_DAYS, CUT, "probe")
    runs = []
    for sales in (history, [*history, probe]):
        strategies = [promotions(*sales)] if sales else []
        runs.append(simulate(established_pool("probe", size, days, strategies=strategies), seed))
    window = slice(probe_day, days)
    base, probed = (r.daily["orders"][window].sum() for r in runs)
    return (probed / base - 1.0) / -CUT


def conditioning(seed: int, size: Size) -> dict[str, float]:
    """Probe elasticity after half a year of frequent promotions / after none.

    Frequent: a 3-day 20% cut every 14 days for 182 days; 14 quiet days later a
    7-day 20% probe cut, compared with the same history without the probe.
    Ratio = elasticity after frequent promotions / elasticity after none (> 1:
    conditioned to be more deal-sensitive).
    """
    frequent = [promotion(d, 3, CUT, f"cut day {d}") for d in range(0, HISTORY - 3, EVERY)]
    rare = _probe_elasticity(seed, size, [])
    often = _probe_elasticity(seed, size, frequent)
    return {"rare": rare, "frequent": often, "ratio": often / rare}


# Anderson & Simester: deep vs shallow discount, future orders of new vs established customers
AS_DAY, AS_DAYS, AS_NEW_WINDOW, AS_FUTURE = 90, 7, 60, 180
DEEP, SHALLOW = 0.4, 0.1


def new_vs_established(seed: int, size: Size) -> dict[str, float]:
    """A 7-day 40% vs 10% discount; orders in the 180 days after it, by customer type.

    New: acquired in the 60 days before the discount (default traits).
    Established: imported with a purchase history on day 0.
    Change = future orders after the deep discount / after the shallow one - 1.
    """
    end = AS_DAY + AS_DAYS
    days = end + AS_FUTURE
    joins = paid_joins(size.joins_per_day, AS_DAY - AS_NEW_WINDOW, AS_DAY - 1)
    sims = {}
    for depth in (DEEP, SHALLOW):
        strat = promotions(promotion(AS_DAY, AS_DAYS, depth, f"{depth:.0%} discount"))
        sc = established_pool(
            f"{depth:.0%} discount",
            size,
            days,
            strategies=[strat],
            **joins,
        )
        sims[depth] = simulate(sc, seed)
    out = {}
    for group in ("new", "established"):
        future = []
        for depth in (DEEP, SHALLOW):
            s = sims[depth]
            ch = s.state("channel")
            if group == "new":
                who = ch == CHANNELS.index("paid")
            else:
                who = ch == CHANNELS.index("stock_import")
            future.append(orders_by_slot(s, end, days)[who].sum())
        out[group] = future[0] / future[1] - 1.0
    return out


_PROMO = "van Heerde & Neslin 2008; Bijmolt, van Heerde & Pieters 2005 (JMR 42(2))"

FACTS = (
    Fact(
        key="promo_elasticity",
        label="One-off 20% cut: promotional elasticity",
        experiment="one_off_cut",
        measure="elasticity",
        source=_PROMO,
        target_low=-6.0,
        target_high=-1.5,
        unit="elasticity",
        finding="A one-off 20% price cut: short-run promotional elasticity about -3.6 "
        "(band -1.5 to -6).",
        measured="Orders during a 7-day 20% cut vs the same days without it, on a quiet "
        "pool of established customers.",
        label_zh="一次性降价20%的促销弹性",
    ),
    Fact(
        key="post_promo_dip",
        label="Post-promotion dip as a share of the bump",
        experiment="one_off_cut",
        measure="dip_share",
        source="van Heerde, Leeflang & Wittink 2000 (JMR 37(3)); Pauwels, Hanssens & "
        "Siddarth 2002 (JMR 39(4))",
        target_low=0.04,
        target_high=0.25,
        unit="share of bump",
        finding="The post-promotion dip is 4-25% of the bump; a promotion does not lose "
        "more orders afterwards than it won.",
        measured="Orders lost in the 60 days after the 7-day 20% cut / orders won during it.",
        label_zh="促销后回落占促销增量的比例",
    ),
    Fact(
        key="no_permanent_effect",
        label="Orders 4-6 months after the cut vs without it",
        experiment="one_off_cut",
        measure="late_level",
        source="Pauwels, Hanssens & Siddarth 2002 (JMR 39(4))",
        target_low=-0.02,
        target_high=0.02,
        unit="relative change",
        finding="Permanent promotion effects are virtually absent: sales return to "
        "baseline (band +-2% is an assumption).",
        measured="Orders in days 120-179 after the 7-day 20% cut / the same days without it - 1.",
        label_zh="促销无永久效应: 4-6个月后的订单变化",
    ),
    Fact(
        key="deal_conditioning",
        label="Deal conditioning: elasticity after frequent promotions (ratio)",
        experiment="conditioning",
        measure="ratio",
        source="Mela, Gupta & Lehmann 1997 (JMR 34(2))",
        target_low=1.0,
        target_high=2.5,
        unit="ratio of elasticities",
        finding="More promotion exposure makes customers more promotion-sensitive "
        "(a direction; the upper bound 2.5 is an assumption).",
        measured="Elasticity of a 7-day 20% probe cut after 182 days of a 3-day cut every "
        "14 days / after 182 days without promotions.",
        label_zh="促销条件化: 频繁促销后的弹性比",
    ),
    Fact(
        key="deep_discount_new",
        label="Deep discount: new customers' future orders",
        experiment="new_vs_established",
        measure="new",
        source="Anderson & Simester 2004 (Marketing Science 23(1))",
        target_low=0.0,
        target_high=INF,
        unit="relative change",
        finding="A deep discount raises new customers' future purchases (a direction).",
        measured="Orders in the 180 days after a 7-day 40% vs 10% discount, customers who "
        "joined in the 60 days before it.",
        label_zh="深度折扣: 新客户后续购买变化",
    ),
    Fact(
        key="deep_discount_established",
        label="Deep discount: established customers' future orders",
        experiment="new_vs_established",
        measure="established",
        source="Anderson & Simester 2004 (Marketing Science 23(1))",
        target_low=-INF,
        target_high=0.0,
        unit="relative change",
        finding="A deep discount lowers established customers' future purchases (a direction).",
        measured="Orders in the 180 days after a 7-day 40% vs 10% discount, customers with a "
        "purchase history before the pool.",
        label_zh="深度折扣: 老客户后续购买变化",
    ),
)

EXPERIMENTS = {
    "one_off_cut": one_off_cut,
    "conditioning": conditioning,
    "new_vs_established": new_vs_established,
}
