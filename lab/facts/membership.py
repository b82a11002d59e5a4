"""Loyalty-programme facts: self-selection inflates the naive gap; light buyers gain most.

Sources (``shared/EVIDENCE.md``):

* Leenheer, van Heerde, Bijmolt & Smidts (2007, IJRM 24(1)): the causal effect of
  programme membership is about 7x smaller than a naive member-vs-non-member
  comparison suggests.  Band 3-15 around the 7 (an assumption: one study).
* Liu (2007, JM 71(4)): heavy buyers did not change under a programme; light and
  moderate buyers bought more (a direction).
"""

from __future__ import annotations

import numpy as np

from lab.facts.base import Fact, Size, established_pool, orders_by_slot, simulate

__all__ = ["FACTS", "loyalty_card"]

DAYS = 365


def loyalty_card(seed: int, size: Size, card: dict | None = None) -> dict[str, float]:
    """The default paid membership (99 CNY card) for a year vs the same pool without it.

    With common random numbers each member's orders in the pool without the card
    are their own counterfactual: causal effect = mean over members of (orders with
    the card - orders without).  Naive = members' mean orders - non-members' (with
    the card).  Where the gain comes from: members split in thirds of their base
    purchase rate (light, moderate, heavy); the share of all extra orders after
    joining (with - without the card) that light and moderate members account for.
    ``card`` is the membership strategy's settings (default: the lab's default card).
    """
    card = card or {"type": "membership"}
    sims = [
        simulate(established_pool(name, size, DAYS, strategies=strategies), seed)
        for name, strategies in (("no card", []), ("card", [card]))
    ]
    control, treated = sims
    n = min(control.n, treated.n)
    member = treated.state("member_until")[:n] >= 0
    y_c = orders_by_slot(control, 0, DAYS, n=n)
    y_t = orders_by_slot(treated, 0, DAYS, n=n)
    out = {"members": float(member.sum())}
    if not member.any() or member.all():
        return {**out, "naive_causal": np.nan, "light_moderate_share": np.nan}
    causal = (y_t - y_c)[member].mean()
    naive = y_t[member].mean() - y_t[~member].mean()
    out["naive_causal"] = naive / causal if causal > 0 else np.nan
    joined = treated.state("member_until")[:n] - (DAYS - 1)  # one term of 365 days
    rate = treated.state("propensity")[:n]
    low, high = np.quantile(rate[member], [1 / 3, 2 / 3])  # buyer weight among members (Liu)
    extra = {}
    for name, who in (("light", rate <= low), ("moderate", (rate > low) & (rate < high))):
        extra[name] = _extra(treated, control, member & who, joined)
    extra["heavy"] = _extra(treated, control, member & (rate >= high), joined)
    total = sum(e for e, _ in extra.values())
    for name, (e, base) in extra.items():
        out[f"{name}_gain"] = e / base if base > 0 else np.nan
    out["light_moderate_share"] = (extra["light"][0] + extra["moderate"][0]) / total
    return out


def _extra(treated, control, who: np.ndarray, joined: np.ndarray) -> tuple[float, float]:
    """Extra orders after joining (with - without the card) and the orders without it."""
    with_card = _after_join(treated.orders(), who, joined)
    without = _after_join(control.orders(), who, joined)
    return with_card - without, without


def _after_join(orders: dict[str, np.ndarray], who: np.ndarray, joined: np.ndarray) -> float:
    """Orders placed by customers ``who`` after the day they joined."""
    slot = orders["slot"].astype(np.int64)
    inside = slot < who.size
    slot, day = slot[inside], orders["day"][inside]
    return float((who[slot] & (day > joined[slot])).sum())


_LEENHEER = "Leenheer, van Heerde, Bijmolt & Smidts 2007 (IJRM 24(1))"

FACTS = (
    Fact(
        key="loyalty_naive_causal",
        label="Membership: naive / causal effect",
        experiment="loyalty_card",
        measure="naive_causal",
        source=_LEENHEER,
        target_low=3.0,
        target_high=15.0,
        unit="ratio",
        finding="The naive member-vs-non-member gap is about 7x the causal effect "
        "(band 3-15 around the 7 is an assumption).",
        measured="Members' minus non-members' orders in a year of the default 99 CNY card / "
        "members' orders with minus without the card (paired seeds).",
        label_zh="会员: 简单对比/因果效应之比",
    ),
    Fact(
        key="loyalty_gain_light_moderate",
        label="Membership: share of extra orders from light and moderate buyers",
        experiment="loyalty_card",
        measure="light_moderate_share",
        source="Liu 2007 (JM 71(4))",
        target_low=0.5,
        target_high=1.0,
        unit="share of extra orders",
        finding="Membership gains come from light and moderate buyers; heavy buyers barely "
        "change (so most of the extra orders come from the lighter two thirds; the 0.5 "
        "bound is an assumption).",
        measured="Extra orders after joining (with - without the card, paired seeds) of the "
        "members in the lower two thirds of base purchase rate / of all members.",
        label_zh="会员增量订单中轻中度用户的占比",
    ),
)

EXPERIMENTS = {"loyalty_card": loyalty_card}
