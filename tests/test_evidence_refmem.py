"""Referred customers, membership headroom and regular purchase timing (issue 14, section 2).

Each mechanism has a switch; these tests check the direction of its effect with
paired seeds (the same seed in both arms, so every draw the arms share is the same),
the pieces it is made of, and that with the switches off the lab gives the results it
gave before the mechanisms existed (the golden hashes recorded before them).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import lab
from lab.agents.behaviour import make_params, referred_bond, standing_response
from lab.agents.promo_mechanisms import price_effect
from lab.facts.base import QUICK, simulate
from lab.facts.membership import loyalty_card
from lab.population import CHANNELS
from lab.strategies.membership import MembershipConfig

# ----------------------------------------------------------------- switches off
# The switches-off check (old defaults reproduce the results before issue 14) is the
# joint one in tests/test_golden.py: issue_14_off.


# ----------------------------------------------------------------- referred customers
def _kernel_params(**over) -> object:
    model = lab.PoolModel(lab.scenario_from_dict({"days": 1}), seed=0)
    values = model._kernel_params()._asdict()
    values.update(over)
    return make_params(values)


def test_referred_bond_lasts_while_the_referrer_stays_and_the_boost_halves():
    p = _kernel_params(
        referred_on=True,
        referred_retention=0.3,
        referred_boost=0.4,
        referred_boost_log_keep=math.log(0.5) / 100.0,
    )
    bond = referred_bond.py_func
    assert bond(-1, 0, -1, 50, p) == (1.0, 1.0)  # not referred: untouched
    boost, keep = bond(7, 0, -1, 50, p)
    assert boost == pytest.approx(1.4) and keep == pytest.approx(0.7)
    assert bond(7, 100, -1, 150, p)[0] == pytest.approx(1.2)  # half the boost at the half-life
    assert bond(7, 10, 60, 60, p)[1] == pytest.approx(0.7)  # referrer left today: still bonded
    assert bond(7, 10, 59, 60, p)[1] == 1.0  # referrer left yesterday: the bond is gone
    off = _kernel_params(referred_on=False, referred_retention=0.3, referred_boost=0.4)
    assert bond(7, 0, -1, 50, off) == (1.0, 1.0)


def _cohort(enabled: bool) -> dict:
    """Paid joiners (default traits) for 60 days, their referrals, followed for 540 days."""
    return {
        "days": 540,
        "acquisition": {
            "stock_import": {"enabled": False},
            "staff_invite": {"enabled": False},
            "paid": {
                "enabled": True,
                "daily_budget_cny": 60.0 * 120,
                "base_cac_cny": 60.0,
                "saturation_customers_per_day": 1e9,
                "end_day": 59,
            },
            "referral": {"enabled": True, "trait_correlation": 0.0},
        },
        "traits": {"by_channel": {"paid": {}}},
        "referred": {"enabled": enabled},
    }


def test_referred_customers_stay_longer_and_paid_ones_are_untouched():
    on, off = (simulate(_cohort(e), seed=3, fields=("alive",)) for e in (True, False))
    paid = CHANNELS.index("paid")

    def paid_states(sim, name):  # paid customers in the order of their identity keys
        who = sim.state("channel") == paid
        return sim.state(name)[who][np.argsort(sim.state("rkey")[who])]

    # paid customers have the same identities in both arms and the mechanism acts on
    # referred customers only, so their keys, alive flags and orders are identical
    for name in ("rkey", "alive", "n_orders", "day_dropout"):
        np.testing.assert_array_equal(paid_states(on, name), paid_states(off, name))
    ref = CHANNELS.index("referral")
    alive = {k: s.state("alive")[s.state("channel") == ref].mean() for k, s in (("on", on), ("off", off))}  # fmt: skip
    n_ref = int((off.state("channel") == ref).sum())
    # a few hundred referred customers: the standard error of a share is <= 0.5/sqrt(n);
    # the bond removes 70% of the daily dropout hazard (of ~0.0005 a day, about 20% of
    # the cohort over 540 days): an effect several standard errors wide
    assert n_ref > 300
    assert alive["on"] - alive["off"] > 2 * 0.5 / math.sqrt(n_ref)


# ----------------------------------------------------------------- membership headroom
def test_member_lift_shrinks_with_the_base_rate_and_is_flat_without_headroom():
    cfg = MembershipConfig()
    rates = np.array([0.001, 0.01, 0.05, 0.2])
    lift = cfg.member_lift(rates)
    assert (np.diff(lift) < 0).all() and lift[0] > 0.9 * cfg.lock_in_lift
    assert lift[-1] < 0.1 * cfg.lock_in_lift  # heavy buyers barely change (Liu 2007)
    flat = MembershipConfig(headroom=False).member_lift(rates)
    np.testing.assert_array_equal(flat, np.full(4, cfg.lock_in_lift))


def test_headroom_moves_the_membership_gain_from_heavy_to_light_buyers():
    """Members' extra orders after joining / their orders without the card, by thirds."""
    on, off = (
        loyalty_card(5, QUICK, card={"type": "membership", "headroom": h}) for h in (True, False)
    )
    light_on, heavy_on, light_off, heavy_off = (
        on["light_gain"], on["heavy_gain"], off["light_gain"], off["heavy_gain"]
    )  # fmt: skip
    # ~300 members per third with ~10 orders each after joining: a relative gain is
    # known to about 1/sqrt(3000) ~ 0.02; the differences asserted are 2.5-5x that
    assert light_on > heavy_on + 0.1
    assert heavy_on < heavy_off - 0.05
    # light buyers keep a larger part of their gain than heavy ones (seed 5 at the
    # defaults: 0.43 vs 0.24; off, the lift is flat, so this is the headroom at work)
    assert light_on / light_off > heavy_on / heavy_off + 0.1


def test_standing_response_keeps_its_share_of_the_member_price_effect():
    p = _kernel_params()
    keep = standing_response.py_func
    m = price_effect.py_func(0.5, 0.05, 1.0, 1.0, p)  # deal 0.5, 5% off, no fatigue, ref 1
    assert m > 1.0
    assert keep(0.5, 0.05, 0.0, 1.0, 1.0, p) == pytest.approx(1.0)  # all of it: untouched
    assert keep(0.5, 0.05, 0.0, 1.0, 0.0, p) * m == pytest.approx(1.0)  # none of it
    assert keep(0.5, 0.05, 0.0, 1.0, 0.25, p) * m == pytest.approx(1.0 + 0.25 * (m - 1.0))


def test_price_headroom_takes_the_member_price_response_mostly_from_heavy_members():
    """With price headroom the member price lifts heavy members' orders far less.

    Same seed and pool as the headroom test above; heavy members' headroom is small,
    light members' about half or more, so heavy members lose most of the member price's
    response and keep a smaller part of their gain than light members (seed 5 at the
    defaults: heavy 0.234 -> 0.143, i.e. 0.61 of it; light 0.504 -> 0.369, 0.73; paired
    seeds, each gain known to ~0.02).
    """
    on, off = (
        loyalty_card(5, QUICK, card={"type": "membership", "price_headroom": h})
        for h in (True, False)
    )
    heavy, light = (on[k] / off[k] for k in ("heavy_gain", "light_gain"))
    assert on["heavy_gain"] < off["heavy_gain"] - 0.05
    assert heavy < light - 0.05
    assert on["light_moderate_share"] > off["light_moderate_share"]


# ----------------------------------------------------------------- regular timing
RATE = 0.05  # orders a day: a mean gap of ~20 days


def _regular_pool(timing: str, k: int) -> dict:
    """Identical customers (fixed rate, trust 1), no dropout, habit or strategies."""
    fixed = {"dist": "fixed"}
    return {
        "days": 730,
        "acquisition": {
            "stock_import": {
                "enabled": True,
                "customers_per_day": 300.0,
                "total_customers": 300,
                "prior_orders_mean": 2.0,
                "prior_recency_max_days": 1,
            },
            "paid": {"enabled": False},
            "staff_invite": {"enabled": False},
            "referral": {"enabled": False},
        },
        "traits": {
            "default": {
                "propensity_per_day": {**fixed, "mean": RATE},
                "trust": {**fixed, "mean": 1.0},
            }
        },
        "first_order": {"enabled": False},
        "habit": {"enabled": False},
        "dropout": {"after_purchase": False, "per_day": False},
        "purchase": {"timing": timing, "timing_k": k},
    }


def _gaps(sim) -> np.ndarray:
    o = sim.orders()
    order = np.lexsort((o["day"], o["slot"]))
    slot, day = o["slot"][order], o["day"][order].astype(np.int64)
    same = slot[1:] == slot[:-1]
    return np.diff(day)[same]


@pytest.mark.parametrize("k", [1, 4])
def test_erlang_clock_makes_gaps_regular_and_keeps_the_mean_rate(k):
    sim = simulate(_regular_pool("erlang", k), seed=11)
    gaps = _gaps(sim)
    cv = gaps.std() / gaps.mean()
    # ~10,000 gaps: the CV's standard error is about cv / sqrt(2 n) < 0.01; days are
    # whole numbers and at most one order a day, which moves the CV by ~0.02 at a
    # 20-day mean gap, so 0.05 covers both
    assert cv == pytest.approx(1 / math.sqrt(k), abs=0.05)
    rate = len(sim.orders()["day"]) / (sim.n * 730)
    # ~11,000 orders: Poisson-like count error ~1%; the clock starts each customer
    # at stage 0 (a lag of (k-1)/2 stages, < 1% of 730 days); 5% covers both
    assert rate == pytest.approx(RATE, rel=0.05)


def test_poisson_timing_is_memoryless_and_the_default():
    assert lab.scenario_from_dict({}).purchase.timing == "poisson"
    gaps = _gaps(simulate(_regular_pool("poisson", 4), seed=11))
    # daily Bernoulli orders: geometric gaps with CV sqrt(1 - P(order)) ~ 0.98
    assert gaps.std() / gaps.mean() == pytest.approx(math.sqrt(math.exp(-RATE)), abs=0.05)
