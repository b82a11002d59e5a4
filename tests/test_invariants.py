"""Invariants that hold for any valid scenario (hypothesis property tests)."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lab
from lab.plan import DayPlan
from lab.population import Population
from lab.scenario import Contacts
from tests.conftest import merge

STAGE_COLS = ["prospect", "active", "silent", "sleeping", "churned"]

scenario_patches = st.fixed_dictionaries(
    {
        "days": st.integers(5, 60),
        "acquisition": st.fixed_dictionaries(
            {
                "stock_import": st.fixed_dictionaries(
                    {
                        "customers_per_day": st.floats(0, 200),
                        "total_customers": st.integers(0, 1500),
                    }
                ),
                "paid": st.fixed_dictionaries({"daily_budget_cny": st.floats(0, 5000)}),
                "referral": st.fixed_dictionaries(
                    {"reward_cny": st.floats(0, 200), "friends_per_share": st.floats(0, 4)}
                ),
            }
        ),
        "fatigue": st.fixed_dictionaries(
            {"enabled": st.booleans(), "decay_per_day": st.floats(0, 1)}
        ),
        "annoyance": st.fixed_dictionaries(
            {"enabled": st.booleans(), "block_hazard": st.floats(0, 1)}
        ),
        "first_order": st.fixed_dictionaries(
            {"trial": st.fixed_dictionaries({"enabled": st.booleans()})}
        ),
        "strategies": st.lists(
            st.one_of(
                st.fixed_dictionaries(
                    {
                        "type": st.just("discount_cadence"),
                        "every_days": st.integers(5, 30),
                        "duration_days": st.integers(1, 5),
                        "depth": st.floats(0, 0.9),
                        "first_day": st.integers(0, 10),
                        "kind": st.sampled_from(["sitewide", "coupon"]),
                    }
                ),
                st.fixed_dictionaries(
                    {
                        "type": st.just("contact_plan"),
                        "touchpoint": st.sampled_from(
                            ["group", "moments", "mass_message", "private_chat"]
                        ),
                        "reach": st.floats(0, 1),
                        "weekly": st.fixed_dictionaries(
                            {
                                "mon": st.lists(
                                    st.sampled_from(["promotion", "value", "interaction"]),
                                    max_size=6,
                                )
                            }
                        ),
                    }
                ),
            ),
            max_size=3,
        ),
        "seed": st.integers(0, 2**32),
    }
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(patch=scenario_patches)
def test_run_invariants(patch):
    for s in patch["strategies"]:
        if s["type"] == "discount_cadence":
            s["duration_days"] = min(s["duration_days"], s["every_days"])
    sc = lab.scenario_from_dict(merge({"name": "prop"}, patch))
    res = lab.run(sc)
    d, tx, c = res.daily, res.transactions, res.customers
    # customers are conserved: every customer is in exactly one stage every day
    assert (d[STAGE_COLS].sum(axis=1) == d["customers"]).all()
    new = d[[f"new_{ch}" for ch in ("stock_import", "paid", "staff_invite", "referral")]].sum(
        axis=1
    )
    assert (d["customers"].diff().fillna(d["customers"].iloc[0]) == new).all()
    assert len(c) == d["customers"].iloc[-1]
    # money adds up: GMV is the order log, discounts are list - paid, nothing negative
    assert np.isclose(d["gmv"].sum(), tx["amount"].sum(), rtol=1e-9, atol=1e-6)
    assert np.isclose(d["discount_cost"].sum(), tx["discount"].sum(), rtol=1e-9, atol=1e-6)
    assert (tx["amount"] >= 0).all() and (tx["discount"] >= -1e-9).all()
    assert (tx["amount"] <= tx["list_price"] + 1e-9).all()
    cost_cols = [col for col in d.columns if col.startswith("cost_")]
    assert (d[cost_cols] >= 0).all().all()
    assert np.isclose(d["orders"].sum(), len(tx))
    # contacts: per-touchpoint counts add up, and each is costed at its touchpoint's price
    price = sc.contacts.cost_per_contact_cny
    assert (d[[f"contacts_{tp}" for tp in price]].sum(axis=1) == d["contacts"]).all()
    expected_cost = sum(d[f"contacts_{tp}"] * p for tp, p in price.items())
    assert np.allclose(d["cost_contacts"], expected_cost)
    revenues = d[[c for c in d.columns if c.startswith("revenue_")]].sum(axis=1)
    assert np.allclose(d["net_margin"], d["gross_margin"] + revenues - d[cost_cols].sum(axis=1))
    # fatigue and reference price bounded; blocks and dropouts never undo
    assert ((c["fatigue"] >= 0) & (c["fatigue"] <= 1)).all()
    assert ((d["mean_fatigue"] >= 0) & (d["mean_fatigue"] <= 1)).all()
    assert ((c["ref_price"] > 0) & (c["ref_price"] <= 1 + 1e-6)).all()
    assert (d["blocked_total"].diff().dropna() >= 0).all()
    assert (d["alive"] <= d["customers"]).all()
    assert (c["spend"] >= 0).all()
    # each customer's spend is the sum of their orders
    per = tx.groupby("customer_id")["amount"].sum()
    assert np.allclose(c.loc[per.index, "spend"], per.to_numpy())


@settings(max_examples=60, deadline=None)
@given(
    requests=st.lists(
        st.tuples(
            st.sampled_from(["group", "moments", "mass_message", "private_chat"]), st.integers(1, 8)
        ),
        min_size=1,
        max_size=12,
    ),
    blocked_share=st.floats(0, 1),
)
def test_platform_caps_never_exceeded(requests, blocked_share):
    contacts = Contacts()
    pop = Population(200)
    pop.append(200)
    pop.blocked[:200] = np.arange(200) < int(200 * blocked_share)
    plan = DayPlan(contacts)
    plan.reset(pop)
    everyone = np.ones(200, bool)
    for tp, count in requests:
        plan.contact(everyone, tp, "promotion", count)
    for tp, cap in contacts.daily_cap.items():
        assert plan.sent[tp][:200].max() <= cap
    assert plan.n_contacts[: int(200 * blocked_share)].sum() == 0  # blocked get nothing
    assert plan.n_contacts[:200].sum() == sum(plan.contacts_by_touchpoint.values())


contact_strategies = st.lists(
    st.one_of(
        st.fixed_dictionaries(
            {
                "type": st.just("contact_plan"),
                "touchpoint": st.sampled_from(["group", "moments", "mass_message", "private_chat"]),
                "reach": st.floats(0.5, 1),
                "weekly": st.fixed_dictionaries(
                    {
                        d: st.lists(st.sampled_from(["promotion", "value"]), max_size=5)
                        for d in ("mon", "tue")
                    }
                ),
            }
        ),
        st.just({"type": "lifecycle_playbook"}),
        st.just({"type": "rfm_playbook", "every_days": 3}),
        st.just({"type": "discount_cadence", "every_days": 2, "duration_days": 1}),
    ),
    min_size=1,
    max_size=5,
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(strategies=contact_strategies, seed=st.integers(0, 2**31))
def test_platform_caps_hold_in_full_runs(strategies, seed):
    sc = lab.scenario_from_dict(
        {
            "days": 14,
            "start_date": "2026-01-05",
            "acquisition": {"stock_import": {"customers_per_day": 300, "total_customers": 600}},
            "strategies": strategies,
        }
    )
    model = lab.PoolModel(sc, seed=seed)
    caps = sc.contacts.daily_cap
    for _ in range(sc.days):
        model.step()
        n = model.plan.n
        for tp, cap in caps.items():
            assert model.plan.sent[tp][:n].max(initial=0) <= cap
        # customers who blocked before today got nothing (today's blockers reacted to today's message)
        earlier = model.pop.blocked[:n] & (model.pop.day_blocked[:n] < model.day - 1)
        assert (model.plan.n_contacts[:n][earlier] == 0).all()
