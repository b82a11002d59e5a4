"""Issue 17 item 3: targeting by value (spend / order-count quantiles, order counts) and
the VIP key-care play.  Small pools, fixed seeds, paired arms."""

from __future__ import annotations

import numpy as np
import pytest

import lab
from lab.strategies.base import Target
from lab.strategies.value_targets import top_share_mask

SEED = 3
SMALL = {
    "stock_import": {"customers_per_day": 30, "total_customers": 1500},
    "paid": {"daily_budget_cny": 300},
    "staff_invite": {"enabled": False},
}


def test_top_share_takes_the_top_and_includes_ties():
    values = np.arange(1.0, 11.0)
    everyone = np.ones(10, dtype=bool)
    assert np.flatnonzero(top_share_mask(values, everyone, 0.1)).tolist() == [9]
    assert top_share_mask(values, everyone, 0.3).sum() == 3
    tied = np.array([5.0, 5.0, 5.0, 1.0])
    assert top_share_mask(tied, np.ones(4, dtype=bool), 0.25).tolist() == [True, True, True, False]
    some = np.array([True, False] * 5)  # only the odd values 1, 3, ..., 9 are eligible
    assert np.flatnonzero(top_share_mask(values, some, 0.2)).tolist() == [8]


@pytest.fixture(scope="module")
def model():
    m = lab.PoolModel(lab.scenario_from_dict({"days": 90, "acquisition": SMALL}), seed=SEED)
    for _ in range(90):
        m.step()
    return m


def test_super_users_are_the_top_tenth_by_spend(model):
    pop, n = model.pop, model.pop.n
    buyers = pop.n_orders[:n] > 0
    top = Target(spend_top_share=0.1).mask(model)
    assert buyers.sum() > 500
    assert 0.1 * buyers.sum() <= top.sum() <= 0.1 * buyers.sum() + 5  # a few ties at most
    assert pop.spend[:n][top].min() >= pop.spend[:n][buyers & ~top].max()


def test_key_care_is_the_top_thirty_percent_by_orders(model):
    pop, n = model.pop, model.pop.n
    buyers = pop.n_orders[:n] > 0
    care = Target(orders_top_share=0.3).mask(model)
    assert care.sum() >= 0.3 * buyers.sum()  # order counts tie: everyone at the cut is in
    assert pop.n_orders[:n][care].min() >= pop.n_orders[:n][buyers & ~care].max()


def test_order_count_targets(model):
    n_orders = model.pop.n_orders[: model.pop.n]
    once = Target(min_orders=1, max_orders=1).mask(model)
    assert np.array_equal(once, n_orders == 1) and once.any()
    three_plus = Target(min_orders=3).mask(model)
    assert np.array_equal(three_plus, n_orders >= 3)
    both = Target(min_orders=2, spend_top_share=0.5).mask(model)
    assert not (both & (n_orders < 2)).any()


def _vip_run(**care) -> lab.RunResult:
    sc = lab.scenario_from_dict(
        {"days": 180, "acquisition": SMALL, "strategies": [{"type": "vip_care", **care}]}
    )
    return lab.run(sc, seed=SEED)


@pytest.fixture(scope="module")
def idle():
    return _vip_run(churn_reduction=0.0, chat_every_days=None, gift_every_days=None)


def test_vip_care_with_no_effect_changes_nobody(idle):
    off = _vip_run(enabled=False)
    assert idle.daily["vips"].iloc[-1] > 100
    assert idle.daily["dropouts"].sum() == off.daily["dropouts"].sum()
    assert idle.daily["cost_vip_care"].sum() > 0  # the staff time is still paid


def test_vip_care_keeps_vips(idle):
    on = _vip_run(churn_reduction=0.6)
    # paired seeds; ~a third of the buyers in care with 60% less hazard: hundreds of
    # dropouts in all, the drop is many times the paired noise
    assert on.daily["dropouts"].sum() < 0.95 * idle.daily["dropouts"].sum()
    assert on.daily["vip_gifts"].sum() > 0
