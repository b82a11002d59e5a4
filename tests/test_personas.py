"""Personas behave differently when ``personas.enabled``: price sensitivity, contact
tolerance, basket and referral propensity by segment, and so their value."""

from __future__ import annotations

import pytest

import lab
from lab.analysis.breakdown import customer_breakdown
from lab.api import as_scenario
from lab.configs.personas import PERSONA_TRAITS
from lab.scenario import ScenarioError
from tests.conftest import bare, merge

#: every trait drawn per customer; segments 1:1:1 so each has ~500 of 1,500 customers
SEGMENTS = {"student": 1.0, "white_collar": 1.0, "business": 1.0}


def _data(**personas) -> dict:
    data = bare(n_customers=1500, days=40)
    return merge(data, {"traits": {"default": {"segments": SEGMENTS}}, "personas": personas})


@pytest.fixture(scope="module")
def on() -> lab.RunResult:
    return lab.run(_data(enabled=True), seed=4)


def test_switched_on_with_unit_effects_changes_nothing():
    """The mechanism-off path: multipliers of 1 reproduce the run without personas."""
    ones = {s: dict.fromkeys(PERSONA_TRAITS, 1.0) for s in SEGMENTS}
    off = lab.run(_data(), seed=4)
    unit = lab.run(_data(enabled=True, effects=ones), seed=4)
    assert off.customers.equals(unit.customers)
    assert off.transactions.equals(unit.transactions)


def test_segments_differ_in_the_direction_of_their_effects(on):
    """Default effects: students x1.3 deal proneness and tolerance, x0.7 basket, x1.5
    sharing; business the reverse.  With ~500 customers a segment drawn from the same
    distributions, segment means differ by a few percent without personas, far less
    than the 40-130% gaps the effects make."""
    c = on.customers
    m = c.groupby(c["segment"].astype(str))[
        ["deal_proneness", "tolerance", "referral_propensity", "mean_order_value"]
    ].mean()
    for trait in ("deal_proneness", "tolerance", "referral_propensity"):
        assert m.loc["student", trait] > 1.3 * m.loc["business", trait], trait
    assert m.loc["business", "mean_order_value"] > 1.8 * m.loc["student", "mean_order_value"]
    assert (c["deal_proneness"] <= 1).all() and (c["referral_propensity"] <= 1).all()


def test_business_customers_are_worth_more_than_students(on):
    t = customer_breakdown(on, "segment").set_index("group")
    assert t.loc["business", "value_per_customer"] > t.loc["student", "value_per_customer"]


def test_an_unknown_persona_trait_is_refused():
    with pytest.raises(ScenarioError, match="unknown trait 'height'"):
        as_scenario(_data(enabled=True, effects={"student": {"height": 2.0}}))


def test_a_partial_mapping_changes_only_what_it_names():
    sc = as_scenario(_data(enabled=True, effects={"student": {"basket": 0.5}}))
    eff = sc.personas.effects
    assert eff["student"]["basket"] == 0.5
    assert eff["student"]["deal_proneness"] == 1.3  # the default kept
    assert eff["business"]["basket"] == 1.6
