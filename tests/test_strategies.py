"""Each strategy: its intended effect and its failure mode, on fixed seeds.

All comparisons run the two variants on the same seed, so customers and their
draws are shared (common random numbers) and differences come from the strategy.
The margins asserted are far from the observed values (noted beside each), so the
tests do not hinge on one lucky seed.
"""

from __future__ import annotations

import numpy as np
import pytest

import lab
from lab.model import PoolModel
from tests.conftest import bare, merge

WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@pytest.fixture(scope="module")
def base(baseline):
    return baseline.model_dump(mode="json")


def _strategies(base, *items):
    return merge(base, {"strategies": list(items)})


def test_frequent_deep_discounts_win_short_run_gmv_but_lose_12_month_margin(base):
    group = base["strategies"][1]

    def cadence(every, depth):
        return _strategies(
            base,
            {"type": "discount_cadence", "every_days": every, "duration_days": 3, "depth": depth},
            group,
        )

    deep = lab.run(cadence(7, 0.3), seed=1)
    moderate = lab.run(cadence(30, 0.2), seed=1)
    d_deep, d_mod = deep.daily, moderate.daily
    # short run: days 7-59, from the first promotion on (observed +11% to +13% on seeds 1-3)
    assert d_deep["gmv"].iloc[7:60].sum() > 1.05 * d_mod["gmv"].iloc[7:60].sum()
    full_price = lambda r: (r.transactions["discount"] == 0).mean()  # noqa: E731
    assert full_price(deep) < full_price(moderate) - 0.2  # observed 0.39 vs 0.84
    assert d_deep["mean_fatigue"].mean() > 1.5 * d_mod["mean_fatigue"].mean()  # observed 2.2x
    assert d_deep["mean_ref_price"].iloc[-1] < d_mod["mean_ref_price"].iloc[-1]
    # observed 0.95 and 0.97 on seeds 1-2 (0.72 before issue 14, when reference-price
    # learning lost 0.85 of every bump afterwards, which the post_promo_dip fact rules
    # out); the loss now comes from deal conditioning: customers anchor on deal prices
    assert d_deep["gross_margin"].sum() < 0.98 * d_mod["gross_margin"].sum()


def test_group_message_frequency_has_an_interior_optimum(base):
    def messages(k):
        weekly = {d: [] for d in WEEK}
        for i in range(k):
            weekly[WEEK[i % 7]].append(("promotion", "value", "interaction")[i % 3])
        sc = _strategies(
            base, {"type": "contact_plan", "touchpoint": "group", "weekly": weekly, "reach": 0.6}
        )
        return lab.run(merge(sc, {"days": 240}), seed=2).daily

    runs = {k: messages(k) for k in (0, 4, 21)}
    net = {k: d["net_margin"].sum() for k, d in runs.items()}
    # observed 2.9x and +9% over the ends (before contact carry-over and wear-out,
    # issue 14: +8% and +38%; messages now lift sales for days, and flooding wears out)
    assert net[4] > net[0] and net[4] > net[21]
    blocks = [runs[k]["blocked_total"].iloc[-1] for k in (0, 4, 21)]
    assert blocks == sorted(blocks) and blocks[2] > 5 * blocks[1]


def test_membership_raises_members_frequency_and_books_fees(base):
    card = {"type": "membership", "fee_cny": 99, "uptake_max": 0.4}
    with_card = lab.run(_strategies(base, card), seed=3)
    without = lab.run(_strategies(base), seed=3)
    d = with_card.daily
    fees = d["revenue_membership_fees"].sum()
    assert fees == pytest.approx(99 * (d["member_joins"].sum() + d["member_renewals"].sum()))
    assert d["members"].iloc[-1] > 100
    members = with_card.customers.loc[with_card.customers["member_until"] >= 0, "customer_id"]
    tx_a, tx_b = with_card.transactions, without.transactions
    # the same people (CRN) order more often when they hold the card
    orders_a = tx_a["customer_id"].isin(members).sum()
    orders_b = tx_b["customer_id"].isin(members).sum()
    assert orders_a > 1.1 * orders_b  # observed ~1.3x
    # uptake follows expected savings: members are the frequent buyers
    c = with_card.customers
    assert c.loc[c["member_until"] >= 0, "propensity"].mean() > 1.5 * c["propensity"].mean()


def test_stored_value_locks_in_and_accounts_for_every_yuan(base):
    sv = {
        "type": "stored_value",
        "pay_cny": 1000,
        "get_cny": 1200,
        "validity_days": 120,
        "uptake_max": 0.6,
    }
    with_sv = lab.run(_strategies(base, sv), seed=4)
    without = lab.run(_strategies(base), seed=4)
    d = with_sv.daily
    assert d["revenue_breakage"].sum() > 0
    # every yuan of cash: spent balance (at cash value) + breakage + outstanding liability
    cash_in = d["topup_cash"].sum()
    spent_cash = d["paid_from_balance"].sum() * 1000 / 1200
    outstanding = d["stored_value_liability"].iloc[-1]
    assert cash_in == pytest.approx(spent_cash + d["revenue_breakage"].sum() + outstanding)
    assert d["cost_stored_value_bonus"].sum() == pytest.approx(
        d["paid_from_balance"].sum() * 200 / 1200
    )
    # lock-in: people who topped up leave less often than the same people (CRN) without the offer
    a = with_sv.customers.set_index("person_key")
    b = without.customers.set_index("person_key")
    holders = a.index[a["balance_expiry"] >= 0].intersection(b.index)
    assert len(holders) > 300
    assert a.loc[holders, "alive"].mean() > b.loc[holders, "alive"].mean() + 0.02


def test_departing_guides_customers_buy_less_unless_reassigned(base):
    team = {"type": "shop_guides", "guides": 4, "book_size": 500, "quit_rate_per_year": 2.0}
    runs = {}
    for reassign in (False, True):
        sc = _strategies(base, {**team, "reassign": reassign, "replacement_delay_days": 10})
        runs[reassign] = lab.run(merge(sc, {"days": 240}), seed=5)
    c = runs[False].customers
    first = c.loc[c["guide_lost_day"] >= 0, "guide_lost_day"].min()
    book = c.loc[c["guide_lost_day"] == first, "customer_id"]
    assert len(book) > 20
    # up to the first departure both runs are identical, so the book is the same people
    left = [next(e for e in r.events if "left" in e[1]) for r in runs.values()]
    assert left[0] == left[1] and left[0][0] == first
    after = {
        k: ((r.transactions["day"] > first) & r.transactions["customer_id"].isin(book)).sum()
        for k, r in runs.items()
    }
    assert after[True] > 1.1 * after[False]  # observed ~1.3x
    d = runs[True].daily
    assert d["chats_served"].sum() > 0 and (d["cost_guide_salaries"] > 0).all()


def test_guide_capacity_drops_requests_when_overloaded(base):
    def chats(per_day):
        sc = _strategies(
            base,
            {
                "type": "shop_guides",
                "guides": 2,
                "book_size": 3000,
                "chats_per_day": per_day,
                "requests_per_week": 2.0,
                "quit_rate_per_year": 0,
            },
        )
        return lab.run(merge(sc, {"days": 60}), seed=6).daily

    tight, ample = chats(20), chats(5000)
    assert tight["chats_dropped"].sum() > 0.2 * tight["chats_requested"].sum()
    assert ample["chats_dropped"].sum() == 0
    assert ample["chats_served"].sum() > tight["chats_served"].sum()


def test_lifecycle_playbook_spends_less_on_discounts_and_gets_fewer_blocks(base):
    group = base["strategies"][1]
    big_sales = base["strategies"][0]["big_sales"]
    everyone = _strategies(
        base,
        {"type": "discount_cadence", "every_days": 14, "duration_days": 3, "depth": 0.2},
        {**group, "weekly": {"mon": ["promotion"], "wed": ["promotion"], "sat": ["promotion"]}},
    )
    playbook = _strategies(
        base,
        {"type": "discount_cadence", "every_days": None, "big_sales": big_sales},
        {"type": "lifecycle_playbook"},
    )
    a, b = lab.run(everyone, seed=7).daily, lab.run(playbook, seed=7).daily
    assert b["discount_cost"].sum() < 0.6 * a["discount_cost"].sum()  # observed 0.40
    # three group promotions a week to everyone win more orders than the
    # playbook's value content (1.08 before issue 14: a promotion no longer loses most of its
    # bump afterwards, and contacts carry over and wear out)
    assert b["gmv"].sum() > 0.65 * a["gmv"].sum()
    assert b["blocked_total"].iloc[-1] < a["blocked_total"].iloc[-1]


def test_fission_reward_raises_referrals_and_budget_caps_spend():
    def run(reward, budget=None):
        sc = bare(
            4000,
            120,
            strategies=[
                {
                    "type": "fission_program",
                    "start_day": 10,
                    "end_day": 100,
                    "reward_cny": reward,
                    "budget_cny": budget,
                }
            ],
        )
        return lab.run(sc, seed=8).daily

    low, high = run(5), run(80)
    assert high["referred"].sum() > 1.3 * low["referred"].sum()
    assert low["referred"].iloc[:10].sum() == 0 and low["referred"].iloc[101:].sum() == 0  # window
    capped = run(80, budget=2000)
    spend = capped["fission_spend"].cumsum()
    last_active = capped.index[capped["fission_active"] > 0].max()
    assert (
        spend.iloc[last_active - 1] < 2000 <= spend.iloc[-1]
    )  # stops the day after the cap is hit
    assert capped["fission_active"].iloc[last_active + 1 :].sum() == 0


def test_newcomer_coupon_and_task_raise_first_orders():
    acq = {"stock_import": {"enabled": False}, "paid": {"enabled": True, "daily_budget_cny": 3000}}
    plain = bare(0, 90, acquisition=acq, first_order={"enabled": True})
    welcomed = merge(
        plain, {"strategies": [{"type": "newcomer", "coupon_depth": 0.3, "task_completion": 0.5}]}
    )
    c0, c1 = lab.run(plain, seed=9).customers, lab.run(welcomed, seed=9).customers
    assert (c1["n_orders"] > 0).mean() > 1.1 * (c0["n_orders"] > 0).mean()
    d = lab.run(welcomed, seed=9).daily
    assert d["cost_newcomer_tasks"].sum() == pytest.approx(3.0 * d["newcomer_tasks_done"].sum())


def test_rfm_classes_follow_the_cuts():
    from lab.strategies.rfm_playbook import RFM_CLASSES, rfm_codes

    r = np.array([1, 1, 0, 0, 1, 1, 0, 0], bool)
    f = np.array([1, 0, 1, 0, 1, 0, 1, 0], bool)
    m = np.array([1, 1, 1, 1, 0, 0, 0, 0], bool)
    assert [RFM_CLASSES[c] for c in rfm_codes(r, f, m)] == list(RFM_CLASSES)
    sc = bare(
        3000, 120, strategies=[{"type": "rfm_playbook", "every_days": 30, "monetary_cut_cny": 200}]
    )
    model = PoolModel(lab.scenario_from_dict(sc), seed=10)
    model.run_model()
    pop, day = model.pop, model.day - 1
    n = pop.n
    classified = model.strategies[0].last_classified
    slots, amounts = model.recent_orders(classified, 90)
    spend = np.bincount(slots, weights=amounts, minlength=n)
    freq = np.bincount(slots, minlength=n)
    code = pop.rfm_class[:n]
    iv = code == RFM_CLASSES.index("important_value")
    assert iv.any() and (spend[iv] >= 200).all() and (freq[iv] >= 2).all()
    gr = code == RFM_CLASSES.index("general_retention")
    assert (spend[gr][freq[gr] > 0] < 200).all() and (freq[gr] < 2).all()
    assert day >= classified
    res = lab.RunResult(model)
    assert res.daily["cost_rfm_gifts"].sum() > 0
    assert set(res.customers["rfm_class"].dropna().unique()) <= set(RFM_CLASSES)


def test_targeting_by_stage_channel_member_and_rfm(base):
    sc = _strategies(
        base,
        {"type": "membership"},
        {
            "type": "discount_cadence",
            "every_days": 10,
            "depth": 0.3,
            "target": {"members": True},
            "announce": None,
        },
    )
    res = lab.run(merge(sc, {"days": 120}), seed=11)
    tx, c = res.transactions, res.customers
    deep = tx[tx["discount"] > tx["list_price"] * 0.29]
    joined = c.set_index("customer_id")["member_until"]
    assert (joined.loc[deep["customer_id"]] >= 0).all()  # only members ever got the 30%
