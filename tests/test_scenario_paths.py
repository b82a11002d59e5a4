"""One way to change a scenario: Scenario.with_changes, on the paths of `lab sweep --set`."""

from __future__ import annotations

import pytest

import lab
from lab.experiments.design import DesignError, apply_overrides
from lab.experiments.sweep import build_points
from lab.scenario import ScenarioError, dump_scenario
from lab.scenario_paths import resolve_param, set_at
from lab.teaching import scenario_path, weekly_plan

# Paths written every way the sweep accepts them: by type, type prefix, label,
# position, nested sections and dict keys.
SHARED_PATHS = {
    "strategies.discount_cadence.depth": 0.4,
    "strategies.discount.every_days": 7,
    "strategies.group plan.reach": 0.5,
    "strategies[2].reach": 0.3,
    "acquisition.referral.reward_cny": 50,
    "contacts.daily_cap.group": 2,
    "economics.annual_discount_rate": 0.05,
    "habit.enabled": False,
    "days": 90,
}


@pytest.fixture(scope="module")
def base() -> lab.Scenario:
    return lab.load_scenario(scenario_path("baseline"))


def value_at(scenario: lab.Scenario, loc: tuple):
    node = dump_scenario(scenario)
    for key in loc:
        node = node[key]
    return node


def test_a_valid_change_is_applied_and_the_original_kept(base):
    before = dump_scenario(base)
    sc = base.with_changes({"strategies.discount_cadence.depth": 0.4, "name": "deeper"})
    assert sc.strategies[0].depth == 0.4 and sc.name == "deeper"
    assert isinstance(sc, lab.Scenario)
    # everything not named is as it was
    assert sc.strategies[1:] == base.strategies[1:]
    assert sc.acquisition == base.acquisition
    assert dump_scenario(base) == before  # the original is unchanged
    assert base.strategies[0].depth == 0.2


def test_strings_are_read_as_the_field_type_like_the_command_line(base):
    sc = base.with_changes({"strategies.discount.every_days": "14", "habit.enabled": "no"})
    assert sc.strategies[0].every_days == 14 and isinstance(sc.strategies[0].every_days, int)
    assert sc.habit.enabled is False


def test_an_unknown_path_is_a_clear_error_naming_it(base):
    with pytest.raises(ScenarioError) as exc:
        base.with_changes({"strategies.discount_cadence.deepth": 0.4})
    text = str(exc.value)
    assert "'deepth'" in text and "valid keys" in text and "depth" in text
    with pytest.raises(ScenarioError, match="no strategy matches"):
        base.with_changes({"strategies.membership.fee_cny": 10})
    with pytest.raises(ScenarioError, match="goes past it"):
        base.with_changes({"days.total": 10})


def test_an_invalid_value_is_a_clear_error_naming_path_and_value(base):
    with pytest.raises(ScenarioError) as exc:
        base.with_changes({"strategies.discount_cadence.depth": 1.5})
    text = str(exc.value)
    # the path as written, its canonical form and the value
    assert "strategies.discount_cadence.depth (strategies[0].depth) = 1.5" in text
    with pytest.raises(ScenarioError, match=r"every_days = 'weekly' is not a valid int"):
        base.with_changes({"strategies.discount.every_days": "weekly"})
    with pytest.raises(ScenarioError, match="is not an integer"):
        base.with_changes({"days": 10.5})


def test_every_problem_is_reported_at_once(base):
    with pytest.raises(ScenarioError) as exc:
        base.with_changes({"no_such": 1, "habit.nope": 2, "days": "many"})
    assert len(exc.value.problems) == 3


def test_two_names_for_one_value_are_refused(base):
    with pytest.raises(ScenarioError, match="names the same value"):
        base.with_changes({"strategies.discount.depth": 0.1, "strategies[0].depth": 0.3})


def test_a_section_takes_a_mapping_merged_key_by_key(base):
    sc = base.with_changes({"acquisition.referral": {"reward_cny": 50}})
    assert sc.acquisition.referral.reward_cny == 50
    assert (
        sc.acquisition.referral.invitee_reward_cny == base.acquisition.referral.invitee_reward_cny
    )
    plan = weekly_plan(2)
    sc = base.with_changes({"strategies.group plan.weekly": plan})
    assert sc.strategies[1].weekly == plan  # every weekday restated: the plan is replaced
    with pytest.raises(ScenarioError, match="reward_cnyy"):
        base.with_changes({"acquisition.referral": {"reward_cnyy": 5}})


def test_a_list_replaces_the_strategies(base):
    sc = base.with_changes({"strategies": []})
    assert sc.strategies == []
    with pytest.raises(ScenarioError, match="unknown strategy type"):
        base.with_changes({"strategies": [{"type": "no_such"}]})


def test_changes_must_be_a_mapping(base):
    with pytest.raises(ScenarioError, match="mapping"):
        base.with_changes([("days", 10)])


@pytest.mark.parametrize("path", sorted(SHARED_PATHS))
def test_sweep_and_with_changes_accept_the_same_paths(base, path):
    """A path that `lab sweep --set` takes works in with_changes, with the same result."""
    value = SHARED_PATHS[path]
    param = resolve_param(base, path, "--set")  # what the sweep resolves
    swept = lab.scenario_from_dict(apply_overrides(dump_scenario(base), {param: value}))
    changed = base.with_changes({path: value})
    assert changed == swept
    assert value_at(changed, param.loc) == value


@pytest.mark.parametrize(
    "path", ["strategies.discount_cadence.deepth", "strategies[9].depth", "habit.enabled.x"]
)
def test_sweep_and_with_changes_refuse_the_same_paths(base, path):
    with pytest.raises(DesignError):
        resolve_param(base, path, "--set")
    with pytest.raises(ScenarioError):
        base.with_changes({path: 1})


def test_the_sweep_still_refuses_a_section(base):
    # a sweep varies single values; with_changes may also replace a section
    with pytest.raises(DesignError, match="is a section"):
        build_points(base, {"acquisition.referral": [{}, {}]}, None, None, "grid", 0)


def test_set_at_copies_and_merges():
    data = {"a": {"b": 1, "c": [1, 2]}, "d": [{"e": 1}]}
    out = set_at(data, ("d", 0, "e"), 5)
    assert out["d"][0]["e"] == 5 and data["d"][0]["e"] == 1
    out = set_at(data, ("a",), {"b": 2})
    assert out["a"] == {"b": 2, "c": [1, 2]}
    out["a"]["c"].append(3)
    assert data["a"]["c"] == [1, 2]  # a deep copy
