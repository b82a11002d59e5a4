"""A partial mapping in a scenario changes the entries it names; the other defaults stay."""

from __future__ import annotations

import pytest

from lab.scenario import Scenario, dump_scenario, scenario_from_dict, scenario_hash
from lab.strategies.lifecycle_playbook import LifecyclePlaybookConfig
from lab.strategies.rfm_playbook import RfmPlaybookConfig

DEFAULT = Scenario()


def _strategy(config: dict):
    return scenario_from_dict({"strategies": [config]}).strategies[0]


def test_one_content_type_changes_that_type_only():
    sc = scenario_from_dict({"contacts": {"content": {"promotion": {"purchase_lift": 1.2}}}})
    content, default = sc.contacts.content, DEFAULT.contacts.content
    assert set(content) == set(default) == {"promotion", "value", "interaction"}
    assert content["promotion"].purchase_lift == 1.2
    # the promotion's other settings are its default entry's, not the class defaults
    assert content["promotion"].fatigue_gain == default["promotion"].fatigue_gain == 0.06
    assert content["value"] == default["value"] and content["interaction"] == default["interaction"]


def test_a_new_content_type_is_added_to_the_defaults():
    sc = scenario_from_dict({"contacts": {"content": {"live": {"purchase_lift": 2.0}}}})
    assert set(sc.contacts.content) == {"promotion", "value", "interaction", "live"}


def test_one_touchpoint_setting_changes_that_touchpoint_only():
    sc = scenario_from_dict({"contacts": {"daily_cap": {"group": 2}}})
    caps, default = sc.contacts.daily_cap, DEFAULT.contacts.daily_cap
    assert caps == {**default, "group": 2} and default["group"] != 2


def test_one_channel_trait_override_keeps_the_other_overrides():
    trust = {"dist": "beta", "mean": 0.8, "concentration": 5.0}
    sc = scenario_from_dict({"traits": {"by_channel": {"staff_invite": {"trust": trust}}}})
    over, default = sc.traits.by_channel, DEFAULT.traits.by_channel
    assert set(over) == set(default) | {"staff_invite"}
    assert over["paid"] == default["paid"] and over["referral"] == default["referral"]
    assert sc.traits.for_channel("staff_invite").trust.mean == 0.8
    # a partial override of a default entry keeps that entry's other fields
    sc = scenario_from_dict({"traits": {"by_channel": {"paid": {"trust": trust}}}})
    paid = sc.traits.by_channel["paid"]
    assert paid.trust.mean == 0.8
    assert paid.propensity_per_day == default["paid"].propensity_per_day is not None


def test_an_empty_mapping_means_no_overrides():
    sc = scenario_from_dict({"traits": {"by_channel": {}}})
    assert sc.traits.by_channel == {}
    assert sc.traits.for_channel("paid") == sc.traits.default


def test_one_lifecycle_play_changes_that_stage_only():
    cfg = _strategy({"type": "lifecycle_playbook", "plays": {"silent": {"offer_depth": 0.25}}})
    default = LifecyclePlaybookConfig().plays
    assert set(cfg.plays) == set(default)
    assert cfg.plays["silent"].offer_depth == 0.25
    assert cfg.plays["silent"].offer_every_days == default["silent"].offer_every_days == 21
    for stage in ("active", "sleeping", "churned"):
        assert cfg.plays[stage] == default[stage]


def test_one_rfm_action_changes_that_class_only():
    cfg = _strategy({"type": "rfm_playbook", "actions": {"important_value": {"coupon_depth": 0.3}}})
    default = RfmPlaybookConfig().actions
    assert set(cfg.actions) == set(default)
    assert cfg.actions["important_value"].coupon_depth == 0.3
    assert cfg.actions["important_value"].gift_cny == default["important_value"].gift_cny == 15.0
    for name in set(default) - {"important_value"}:
        assert cfg.actions[name] == default[name]


@pytest.mark.parametrize(
    "data",
    [
        {"contacts": {"content": {"promotion": {"purchase_lift": 1.2}}}},
        {"traits": {"by_channel": {"paid": {"trust": None}}}},
        {"traits": {"by_channel": {}}},
        {"strategies": [{"type": "lifecycle_playbook", "plays": {"churned": {"reach": 0.1}}}]},
    ],
)
def test_a_dumped_scenario_reloads_as_the_same_scenario(data):
    sc = scenario_from_dict(data)
    again = scenario_from_dict(dump_scenario(sc))
    assert scenario_hash(again) == scenario_hash(sc)


def test_an_unknown_entry_is_still_an_error():
    with pytest.raises(Exception, match="unknown stage 'dormant'"):
        _strategy({"type": "lifecycle_playbook", "plays": {"dormant": {"reach": 0.5}}})
