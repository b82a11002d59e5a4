"""The brand's platform store and competitors (issue 17 item 6): directions and invariants."""

from __future__ import annotations

import numpy as np
import pytest

import lab
from lab.scenario import Scenario

SEEDS = range(3)
DAYS = 120


def _base(**changes) -> Scenario:
    """The baseline's plans on a small pool (2,000 imported customers, 120 days)."""
    sc = lab.load_scenario("scenarios/baseline.yaml")
    return sc.with_changes({"acquisition.stock_import.total_customers": 2000, **changes})


def _daily(sc: Scenario, seed: int):
    return lab.run(sc, seed=seed, days=DAYS).daily


@pytest.fixture(scope="module")
def store_runs():
    """No store, a store without feedback, a store with feedback: paired seeds."""
    variants = {
        "off": _base(),
        "store": _base(**{"platform_store.enabled": True, "platform_store.feedback_strength": 0.0}),
        "feedback": _base(**{"platform_store.enabled": True}),
    }
    return {k: [_daily(sc, s) for s in SEEDS] for k, sc in variants.items()}


def test_the_store_takes_orders_the_pool_would_have_had(store_runs):
    """Cannibalisation, exactly: the baseline's plans do not react to orders, so every
    purchase decision is the same with or without the store (common random numbers);
    the store only moves some repeat orders out of the pool, day by day."""
    for off, on in zip(store_runs["off"], store_runs["store"], strict=True):
        assert on["platform_orders"].sum() > 0
        assert np.array_equal(on["orders"] + on["platform_orders"], off["orders"])
        assert on["gmv"].sum() < off["gmv"].sum()
        # about base_share (20%) of repeat orders; first orders stay in the pool
        share = on["platform_orders"].sum() / off["orders"].sum()
        assert 0.08 < share < 0.25, share


def test_reviews_feed_back_into_cheaper_paid_traffic(store_runs):
    """反哺: the same paid budget buys more customers as the store's reviews accumulate."""
    for plain, fed in zip(store_runs["store"], store_runs["feedback"], strict=True):
        assert fed["platform_reviews"].iloc[-1] > 0
        assert fed["new_paid"].sum() > plain["new_paid"].sum()
        assert fed["cost_paid_acquisition"].sum() == pytest.approx(
            plain["cost_paid_acquisition"].sum(), rel=0.02
        )


def test_a_store_sale_pulls_deal_prone_customers_to_the_store():
    """The store's 30% sale on days 40-49 (no pool promotion then): its share rises."""
    sale = {
        "platform_store.enabled": True,
        "platform_store.sales": [
            {"name": "store sale", "day": 40, "duration_days": 10, "depth": 0.3, "yearly": False}
        ],
        "strategies.discount_cadence.enabled": False,
    }
    for seed in SEEDS:
        d = _daily(_base(**sale), seed).set_index("day")
        during = d.loc[40:49, "platform_share"].mean()
        before = d.loc[25:39, "platform_share"].mean()
        assert during > 1.3 * before, (during, before)


def test_a_cheaper_competitor_takes_share_of_wallet():
    for seed in SEEDS:
        same = _daily(_base(**{"competition.enabled": True}), seed)
        cheap = _daily(
            _base(**{"competition.enabled": True, "competition.price_index": 0.85}), seed
        )
        plain = _daily(_base(), seed)
        assert (same["orders"] == plain["orders"]).all()  # no gap at equal prices: no effect
        assert cheap["orders"].sum() < 0.95 * plain["orders"].sum()


def test_only_deal_prone_customers_follow_the_competitor():
    """With deal_proneness 0 for everyone, a cheaper competitor changes nothing at all."""
    zero = {"dist": "fixed", "mean": 0.0}
    indifferent = {
        "traits.default.deal_proneness": zero,
        "traits.by_channel.paid.deal_proneness": zero,
    }
    for seed in SEEDS[:2]:
        plain = _daily(_base(**indifferent), seed)
        cheap = _daily(
            _base(**indifferent, **{"competition.enabled": True, "competition.price_index": 0.7}),
            seed,
        )
        cols = ["orders", "gmv", "dropouts"]
        assert np.array_equal(plain[cols].to_numpy(), cheap[cols].to_numpy())


def test_customers_leave_for_better_prices():
    """Wallet effect off, leaving on: more customers drop out for good."""
    leave = {
        "competition.enabled": True,
        "competition.price_index": 0.8,
        "competition.wallet_elasticity": 0.0,
        "competition.leave_per_gap": 5.0,
    }
    for seed in SEEDS:
        plain = _daily(_base(), seed)
        cheap = _daily(_base(**leave), seed)
        assert cheap["dropouts"].sum() > plain["dropouts"].sum()
