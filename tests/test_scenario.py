"""Scenario validation: every class of bad input gets one clear message."""

from __future__ import annotations

import pytest

import lab
from lab.explain import scenario_reference, strategies_reference
from lab.scenario import ScenarioError


def _problems(data) -> list[str]:
    with pytest.raises(ScenarioError) as exc:
        lab.scenario_from_dict(data, source="s.yaml")
    assert "s.yaml" in str(exc.value)
    return exc.value.problems


def test_unknown_key_lists_valid_keys():
    (p,) = _problems({"fatigue": {"decay_per_dya": 0.1}})
    assert "fatigue.decay_per_dya" in p
    assert "valid keys here: enabled, decay_per_day, gain_per_promo_day" in p


def test_unknown_top_level_and_strategy_keys():
    probs = _problems({"dayz": 3, "strategies": [{"type": "discount_cadence", "dept": 0.2}]})
    assert any("unknown key 'dayz'" in p and "days" in p for p in probs)
    assert any("strategies[0]" in p and "'dept'" in p and "depth" in p for p in probs)


def test_wrong_type_and_out_of_range_name_field_and_value():
    probs = _problems({"days": "many", "fatigue": {"decay_per_day": 1.5}})
    assert any(p.startswith("days = 'many'") for p in probs)
    assert any(
        p.startswith("fatigue.decay_per_day = 1.5") and "less than or equal to 1" in p
        for p in probs
    )
    assert len(probs) == 2  # all problems at once


def test_unknown_strategy_type_lists_types():
    (p,) = _problems({"strategies": [{"type": "coupon_rain"}]})
    assert "unknown strategy type 'coupon_rain'" in p
    assert "discount_cadence" in p and "contact_plan" in p


def test_cross_field_rules():
    assert any("days_to_silent" in p for p in _problems({"lifecycle": {"days_to_silent": 100}}))
    probs = _problems({"strategies": [{"type": "contact_plan", "touchpoint": "carrier_pigeon"}]})
    assert any("carrier_pigeon" in p and "mass_message" in p for p in probs)
    probs = _problems({"strategies": [{"type": "contact_plan", "weekly": {"funday": ["value"]}}]})
    assert any("funday" in p for p in probs)
    assert any(
        "beta" in p
        for p in _problems(
            {"traits": {"default": {"trust": {"dist": "beta", "mean": 2, "concentration": 1}}}}
        )
    )


def test_missing_file_and_malformed_yaml(tmp_path):
    with pytest.raises(ScenarioError, match="file not found"):
        lab.load_scenario(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("days: [1, 2\nname: x\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"malformed YAML at line \d+"):
        lab.load_scenario(bad)
    top = tmp_path / "list.yaml"
    top.write_text("- 1\n- 2\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="top level must be a mapping"):
        lab.load_scenario(top)


def test_run_rejects_bad_seed_and_days(baseline):
    with pytest.raises(ValueError, match="seed"):
        lab.run(baseline, seed=-1)
    with pytest.raises(ValueError, match="days"):
        lab.run(baseline, days=0)


def test_committed_reference_matches_schema():
    with open("docs/scenario-reference.md", encoding="utf-8") as fh:
        committed = fh.read()
    assert committed == scenario_reference(), "run: lab reference --out docs/scenario-reference.md"
    with open("docs/strategies.md", encoding="utf-8") as fh:
        assert fh.read() == strategies_reference(), (
            "run: lab reference --what strategies --out docs/strategies.md"
        )


def test_every_scenario_in_repo_validates():
    from pathlib import Path

    for path in sorted(Path("scenarios").glob("*.yaml")):
        lab.load_scenario(path)


def test_an_extends_name_the_system_cannot_look_up_is_a_clear_error(tmp_path):
    """A 300-character ``extends:`` (found by the fuzz test: the path lookup raised
    OSError ENAMETOOLONG as a traceback) is refused as a scenario error saying why."""
    (tmp_path / "child.yaml").write_text(f"extends: {'x' * 300}.yaml\nname: child\n")
    with pytest.raises(ScenarioError, match="cannot open the file: File name too long"):
        lab.load_scenario(tmp_path / "child.yaml")


def test_extends_merges_onto_the_parent_file(tmp_path):
    (tmp_path / "base.yaml").write_text(
        "name: base\ndays: 30\nfatigue: {decay_per_day: 0.1, enabled: true}\n"
    )
    (tmp_path / "child.yaml").write_text(
        "extends: base.yaml\nname: child\nfatigue: {decay_per_day: 0.2}\n"
    )
    sc = lab.load_scenario(tmp_path / "child.yaml")
    assert (sc.name, sc.days, sc.fatigue.decay_per_day, sc.fatigue.enabled) == (
        "child",
        30,
        0.2,
        True,
    )
    (tmp_path / "loop.yaml").write_text("extends: loop.yaml\n")
    with pytest.raises(ScenarioError, match="cycle"):
        lab.load_scenario(tmp_path / "loop.yaml")
    (tmp_path / "orphan.yaml").write_text("extends: missing.yaml\n")
    with pytest.raises(ScenarioError, match="file not found"):
        lab.load_scenario(tmp_path / "orphan.yaml")


def test_a_weekly_contact_day_that_is_a_number_is_a_clear_error():
    """``weekly: {mon: .inf}`` (found by the fuzz test: ``list(inf)`` raised TypeError as a
    traceback) is refused naming the field and the value."""
    from lab.scenario import scenario_from_dict

    plan = {"type": "contact_plan", "touchpoint": "moments", "weekly": {"mon": float("inf")}}
    with pytest.raises(ScenarioError, match=r"weekly\.mon = inf: Input should be a valid list"):
        scenario_from_dict({"strategies": [plan]})
