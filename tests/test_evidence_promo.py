"""Promotion-response mechanisms (issue 14, section 2): direction of each effect.

Deal conditioning, stockpiling, loss aversion and the first-deal trust gain
(``lab/configs/promotion.py``, ``lab/agents/promo_mechanisms.py``) each have a switch;
each test compares the mechanism on against off with the same seed (common random
numbers), so the difference is the mechanism's effect, not noise.  The last tests
check that with every switch off (and the previous defaults) the golden runs are
bit-identical to the results before the mechanisms existed.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from lab.agents.promo_mechanisms import price_effect, promo_memory
from lab.configs.promotion import PromotionResponse
from lab.facts.base import QUICK, established_pool, promotion, promotions, simulate
from lab.facts.promotions import conditioning, new_vs_established, one_off_cut
from lab.model import PoolModel
from lab.scenario import Scenario

sys.path.insert(0, str(Path(__file__).parent))

SEEDS = (1, 2)


def _off(*names: str) -> dict:
    """A behaviour patch switching the named promotion-response mechanisms off."""
    return {"promotion_response": {n: {"enabled": False} for n in names}}


def _size(patch: dict):
    return replace(QUICK, behaviour=patch)


def _kernel_params(**section) -> object:
    sc = Scenario.model_validate({"promotion_response": section})
    return PoolModel(sc, seed=1)._params


def test_conditioning_raises_the_probe_elasticity_after_frequent_promotions():
    # paired seeds: only the conditioning switch differs.  The effect (about 1.33 vs
    # 0.93 on the quick pool of 3,000) is ~40x the ratio's seed-to-seed spread (~0.01
    # in the facts run), so a margin of 0.15 cannot be crossed by noise.
    for seed in SEEDS:
        on = conditioning(seed, QUICK)["ratio"]
        off = conditioning(seed, _size(_off("deal_conditioning")))["ratio"]
        assert on > 1.0 > off - 0.1, (seed, on, off)
        assert on > off + 0.15, (seed, on, off)


def test_conditioning_state_rises_with_exposure_and_relaxes_slowly():
    # five 3-day cuts on days 10-68; states when days 1, 70 and 130 start
    sales = [promotion(d, 3, 0.2, f"cut {d}") for d in range(10, 70, 14)]
    sc = established_pool("cond", QUICK, 131, strategies=[promotions(*sales)])
    days = (1, 70, 130)
    sim = simulate(sc, 1, snapshot_days=days, fields=("deal_cond", "fatigue"))
    cond = {d: float(sim.snapshots[d]["deal_cond"].mean()) for d in days}
    fat = {d: float(sim.snapshots[d]["fatigue"].mean()) for d in days}
    assert cond[1] == 0.0 and cond[70] > 0.2
    # conditioning outlasts fatigue: two months without offers keep most of it
    # (0.995**60 = 0.74 of it, against 0.97**60 = 0.16 of the fatigue)
    assert cond[130] > 0.6 * cond[70]
    assert fat[130] < 0.3 * fat[70]


def test_conditioned_customers_anchor_their_reference_price_on_deals():
    p = _kernel_params()
    off = _kernel_params(deal_conditioning={"anchoring": 0.0})
    # a 20%-off day: conditioning grows the same way; only the reference price differs
    c_on, _, r_on = promo_memory.py_func(0.8, 0.0, 1.0, 0.2, p)
    c_off, _, r_off = promo_memory.py_func(0.8, 0.0, 1.0, 0.2, off)
    assert c_on == c_off and r_off == 1.0 and r_on < 1.0
    # a more conditioned customer anchors more; without an offer nothing is learned
    assert promo_memory.py_func(0.2, 0.0, 1.0, 0.2, p)[2] > r_on
    assert promo_memory.py_func(0.8, 0.0, 1.0, 0.0, p)[2] == 1.0


def test_stockpiling_makes_the_dip_and_only_in_routine_buyers():
    # stockpiling off: the dip is the reference-price effect alone (a few % of the
    # bump); on: it is the main source of the dip.  Paired seeds; the gap (~0.1 of the
    # bump) is several times the seed spread of the dip share (~0.03 on 3,000).
    for seed in SEEDS:
        on = one_off_cut(seed, QUICK)
        off = one_off_cut(seed, _size(_off("stockpiling")))
        assert on["dip_share"] > off["dip_share"] + 0.05, (seed, on, off)
        # no permanent effect either way: the stock is used up within weeks
        assert abs(on["late_level"]) < 0.02


def test_stock_follows_a_promotion_order_and_is_used_up():
    sc = established_pool("stock", QUICK, 60, strategies=[promotions(promotion(10, 3, 0.2, "cut"))])
    sim = simulate(sc, 1, snapshot_days=(10, 13, 59), fields=("promo_stock", "alive"))
    before, after = (sim.snapshots[d]["promo_stock"] for d in (10, 13))
    late = sim.snapshots[59]["promo_stock"][sim.snapshots[59]["alive"]]  # the gone keep theirs
    assert before.max() == 0.0
    # each order at the 20% cut takes pull_forward (0.1) of the headroom: at most 3 orders
    assert (after > 0).sum() > 0 and after.max() <= 1.0 - 0.9**3 + 1e-6
    assert late.max() < 0.5 * after.max()  # half-life 10 days: 46 days later < 5%


def test_deep_discount_helps_new_customers_and_hurts_established_ones():
    # Anderson & Simester 2004 directions with every mechanism at its default; the
    # first-deal trust gain adds to the new customers' gain (paired seeds).
    for seed in SEEDS:
        on = new_vs_established(seed, QUICK)
        assert on["new"] > 0.0 > on["established"], (seed, on)
        no_deal = new_vs_established(seed, _size(_off("first_deal")))
        assert on["new"] >= no_deal["new"], (seed, on, no_deal)
        no_stock = new_vs_established(seed, _size(_off("stockpiling")))
        assert on["established"] < no_stock["established"], (seed, on, no_stock)


def test_losses_weigh_loss_aversion_times_more_than_equal_gains():
    p = _kernel_params()
    run = price_effect.py_func
    deal, gap = 0.5, 0.1
    loss = run(deal, 0.0, 1.0, 1.0 - gap, p)  # list price, reference 10% below it
    gain = run(deal, 0.0, 1.0, 1.0 + gap, p)  # list price, reference 10% above it
    assert loss < 1.0 < gain
    assert np.log(1.0 / loss) == pytest.approx(p.loss_aversion * np.log(gain), rel=1e-12)
    # the promotion lift acts on the cut off list price even when the reference is low
    low_ref = run(deal, 0.2, 1.0, 0.8, p)
    assert low_ref == pytest.approx(1.0 + p.promo_lift * deal * 0.2)


def test_without_loss_aversion_the_lift_acts_on_the_gap_to_the_reference():
    p = _kernel_params(loss_aversion={"enabled": False})
    run = price_effect.py_func
    assert run(0.5, 0.2, 1.0, 0.8, p) == 1.0  # the reference has learned the price
    assert run(0.5, 0.2, 1.0, 1.0, p) == pytest.approx(1.0 + p.promo_lift * 0.5 * 0.2)


def test_switches_reach_the_kernel():
    p = _kernel_params(
        deal_conditioning={"enabled": False, "relax_per_day": 0.1},
        stockpiling={"halflife_days": 1.0},
    )
    assert not p.cond_on and p.stock_on and p.loss_on and p.first_deal_on
    assert p.cond_keep == pytest.approx(0.9) and p.stock_keep == pytest.approx(0.5)
    defaults = PromotionResponse()
    assert defaults.loss_aversion.loss_aversion >= 1.0


# The switches-off check (old defaults reproduce the results before issue 14) is the
# joint one in tests/test_golden.py: ISSUE_14_OFF.
