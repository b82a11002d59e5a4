"""Personas behave differently by default: price sensitivity and basket by segment
(seed 003), normalised so the average customer keeps the trait means, and so their
value differs ("for whom")."""

from __future__ import annotations

import types

import numpy as np
import pytest

import lab
from lab.analysis.breakdown import customer_breakdown
from lab.api import as_scenario
from lab.configs.personas import PERSONA_TRAITS, Personas, persona_multipliers
from lab.scenario import ScenarioError
from tests.conftest import bare, merge

#: every trait drawn per customer; segments 1:1:1 so each has ~500 of 1,500 customers
SEGMENTS = {"student": 1.0, "white_collar": 1.0, "business": 1.0}
#: the lab's default persona mix (traits.default.segments)
DEFAULT_MIX = {"student": 0.2, "white_collar": 0.6, "business": 0.2}


def _data(segments: dict | None = None, **personas) -> dict:
    data = bare(n_customers=1500, days=40)
    seg = {"traits": {"default": {"segments": segments or SEGMENTS}}}
    return merge(data, {**seg, "personas": personas})


@pytest.fixture(scope="module")
def on() -> lab.RunResult:
    """Personas at their defaults (``bare`` switches them off: switched back on)."""
    return lab.run(_data(enabled=True), seed=4)


def test_personas_are_on_by_default():
    sc = lab.Scenario()
    assert sc.personas.enabled and sc.personas.normalise


def test_switched_on_with_unit_effects_changes_nothing():
    """The mechanism-off path: multipliers of 1 reproduce the run without personas."""
    ones = {s: dict.fromkeys(PERSONA_TRAITS, 1.0) for s in SEGMENTS}
    off = lab.run(_data(enabled=False), seed=4)
    unit = lab.run(_data(enabled=True, effects=ones), seed=4)
    assert off.customers.equals(unit.customers)
    assert off.transactions.equals(unit.transactions)


def test_normalised_multipliers_average_one_over_the_mix():
    """Each trait's multipliers have a share-weighted mean of exactly 1 over the mix."""
    names = list(DEFAULT_MIX)
    m = persona_multipliers(Personas(), names, DEFAULT_MIX)
    w = np.array([DEFAULT_MIX[s] for s in names])
    for trait in PERSONA_TRAITS:
        assert float(np.dot(m[trait], w) / w.sum()) == pytest.approx(1.0, abs=1e-12), trait
    raw = persona_multipliers(Personas(normalise=False), names, DEFAULT_MIX)
    assert raw["basket"] == [0.7, 1.0, 1.6]  # as written when not normalised


def test_segments_differ_in_the_documented_directions(on):
    """Seed 003: students are more deal-prone and buy smaller baskets; business the
    reverse.  Default effects x1.3 / x0.7 deal proneness, x0.7 / x1.6 basket.  With
    ~500 customers a segment drawn from the same distributions, segment means differ by
    a few percent without personas (Beta sd ~0.22 / sqrt(500) ~ 2% of a 0.5 mean), far
    less than the 80-130% gaps the effects make (capping at 1 narrows deal proneness)."""
    c = on.customers
    m = c.groupby(c["segment"].astype(str))[
        ["deal_proneness", "tolerance", "referral_propensity", "mean_order_value"]
    ].mean()
    assert m.loc["student", "deal_proneness"] > 1.4 * m.loc["business", "deal_proneness"]
    assert m.loc["business", "mean_order_value"] > 1.8 * m.loc["student", "mean_order_value"]
    assert (c["deal_proneness"] <= 1).all() and (c["referral_propensity"] <= 1).all()
    # no source says how tolerance or sharing differ by persona: same within noise (the
    # gamma(4) tolerance and beta referral means have a relative se of ~3-6% per segment)
    for trait in ("tolerance", "referral_propensity"):
        assert m.loc["student", trait] == pytest.approx(m.loc["business", trait], rel=0.2)


def test_the_average_customer_keeps_the_trait_means():
    """Normalised over the default mix, personas spread deal proneness and basket across
    segments but leave the pool's means where they were: the same customers (common
    random numbers) with and without personas.  The segment draw's sampling error on the
    mean multiplier is sd(m) / sqrt(1500) ~ 0.3 / 39 ~ 0.8%; the cap at 1 on deal
    proneness takes off a little more (students above 1/1.3 lose their excess)."""
    off = lab.run(_data(DEFAULT_MIX, enabled=False), seed=5).customers
    on = lab.run(_data(DEFAULT_MIX, enabled=True), seed=5).customers
    assert on["mean_order_value"].mean() == pytest.approx(off["mean_order_value"].mean(), rel=0.03)
    assert on["deal_proneness"].mean() == pytest.approx(off["deal_proneness"].mean(), rel=0.04)
    assert not np.allclose(on["deal_proneness"], off["deal_proneness"])  # but spread


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


def test_persona_scaling_is_the_numpy_division_product_and_cap_bit_for_bit():
    """The compiled per-customer scaling of new customers' traits is x / m or x * m[segment],
    capped at 1 where the trait is a share (NaN kept), to the bit."""
    from lab.agents.personas import _COLUMNS, persona_traits

    rng = np.random.default_rng(2)
    n = 500

    table = types.SimpleNamespace(by_trait={t: rng.uniform(0.3, 3.0, 3) for t in _COLUMNS})

    cols = {
        "segment": rng.integers(0, 3, n).astype(np.int8),
        "deal_proneness": rng.random(n),
        "tolerance": rng.gamma(1.0, 3.0, n),
        "basket_rate": rng.gamma(2.0, 0.01, n),
        "referral_propensity": rng.random(n),
    }
    cols["deal_proneness"][:3] = np.nan
    got = dict(cols)
    persona_traits(got, table)
    seg = cols["segment"].astype(np.int64)
    for trait, (column, divide, cap) in _COLUMNS.items():
        m = table.by_trait[trait][seg]
        want = cols[column] / m if divide else cols[column] * m
        if cap is not None:
            want = np.minimum(want, cap)
        assert got[column].tobytes() == want.tobytes(), column
