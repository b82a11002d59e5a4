"""Scenario pairs differ only in their lever; `lab.scenario_diff` and `lab diff` show what differs."""

from __future__ import annotations

import pytest
import yaml
from typer.testing import CliRunner

from lab.cli import app
from lab.scenario import load_scenario
from lab.scenario_diff import ABSENT, scenario_diff
from lab.scenario_paths import resolve_param

runner = CliRunner()
S = "scenarios/"
GROUP_WEEK = [f"strategies.group plan.weekly.{d}" for d in "mon tue wed thu fri sat sun".split()]

#: every bundled question pair (and the README's examples): A, B and the lever's paths
PAIRS = [
    (  # README: lab report baseline q1_weekly ("weekly vs monthly")
        "baseline",
        "q1_weekly_20off",
        ["strategies.discount_cadence.every_days", "strategies.discount_cadence.duration_days"],
    ),
    (  # README: lab compare q1_monthly q1_weekly
        "q1_monthly_30off",
        "q1_weekly_20off",
        [
            "strategies.discount_cadence.every_days",
            "strategies.discount_cadence.duration_days",
            "strategies.discount_cadence.depth",
        ],
    ),
    ("baseline", "q1_monthly_30off", ["strategies.discount_cadence.depth"]),
    (
        "q2_monthly_coupons",
        "q2_membership_99",
        ["strategies.monthly coupon", "strategies.membership"],
    ),
    ("baseline", "q3_group_daily_promotions", GROUP_WEEK),
    ("baseline", "q4_referral_reward_50", ["strategies.fission_program"]),
    ("q5_guides_turnover", "q5_guides_reassign", ["strategies.shop_guides.reassign"]),
    ("baseline", "q5_guides_turnover", ["strategies.shop_guides"]),
    (
        "q6_promote_everyone",
        "q6_lifecycle_playbook",
        [
            "strategies.discount_cadence.every_days",
            "strategies.promote to everyone",
            "strategies.lifecycle_playbook",
        ],
    ),
    ("baseline", "q7_stored_value", ["strategies.stored_value"]),
    (
        "q9_group_content_first",
        "q9_group_ad_share",
        [f"strategies.community_groups.weekly.{d}" for d in ("tue", "thu", "fri", "sun")],
    ),
]


@pytest.mark.parametrize(("a", "b", "lever"), PAIRS, ids=[f"{a}-{b}" for a, b, _ in PAIRS])
def test_each_bundled_pair_differs_only_in_its_lever(a, b, lever):
    sa, sb = load_scenario(f"{S}{a}.yaml"), load_scenario(f"{S}{b}.yaml")
    d = scenario_diff(sa, sb)
    assert d.paths == lever, d.frame().to_string()
    assert not d.confounded
    for x in d:  # every path names the value in the scenario(s) that have it
        for sc, value in ((sa, x.a), (sb, x.b)):
            if value != ABSENT:
                resolve_param(sc, x.path, sections=True)


def test_readme_python_example_differs_only_in_the_cadence():
    base = load_scenario(f"{S}baseline.yaml")
    weekly = base.with_changes({"name": "weekly", "strategies.discount_cadence.every_days": 7})
    d = scenario_diff(base, weekly)
    assert [(x.path, x.a, x.b) for x in d] == [("strategies.discount_cadence.every_days", 30, 7)]
    assert scenario_diff(base, weekly, labels=True).paths == ["name", d.paths[0]]


def test_identical_scenarios_have_no_difference():
    d = scenario_diff(f"{S}baseline.yaml", f"{S}baseline.yaml")
    assert len(d) == 0 and not d.confounded and d.frame().empty


def _confounded(tmp_path):
    """q4's old mistake: the reward campaign, and the baseline's plans and big sales dropped."""
    base = tmp_path / "base.yaml"
    base.write_text(open(f"{S}baseline.yaml", encoding="utf-8").read(), encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        yaml.safe_dump(
            {
                "extends": "base.yaml",
                "name": "reward-50",
                "acquisition": {"paid": {"daily_budget_cny": 1500}},
                "strategies": [
                    {"type": "discount_cadence", "every_days": 30, "depth": 0.2},
                    {"type": "fission_program", "reward_cny": 50},
                ],
            }
        ),
        encoding="utf-8",
    )
    return base, bad


def test_a_confounded_pair_is_flagged(tmp_path):
    base, bad = _confounded(tmp_path)
    d = scenario_diff(base, bad)
    assert d.confounded
    assert [(x.path, x.a, x.b) for x in d.flagged] == [
        ("acquisition.paid.daily_budget_cny", 2000.0, 1500.0)
    ]
    inside = {x.path for x in d if not x.flagged}
    # the dropped big sales and contact plans are listed, not hidden behind the lever
    assert {
        "strategies.discount_cadence.big_sales",
        "strategies.group plan",
        "strategies.moments",
        "strategies.fission_program",
    } <= inside
    frame = d.frame()
    assert list(frame.columns) == ["path", "a", "b", "outside_strategies"]
    assert frame["outside_strategies"].sum() == 1


def test_lab_diff_prints_the_table_and_flags_confounders(tmp_path):
    base, bad = _confounded(tmp_path)
    res = runner.invoke(app, ["diff", str(base), str(bad)], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "acquisition.paid.daily_budget_cny" in res.output
    assert "outside strategies" in res.output and "strategies.fission_program" in res.output
    clean = runner.invoke(
        app, ["diff", f"{S}baseline.yaml", f"{S}q4_referral_reward_50.yaml"], env={"COLUMNS": "200"}
    )
    assert clean.exit_code == 0 and "strategies.fission_program" in clean.output
    assert "outside strategies" not in clean.output


def test_lab_diff_bad_file_exits_2_with_a_message(tmp_path):
    res = runner.invoke(app, ["diff", f"{S}baseline.yaml", str(tmp_path / "missing.yaml")])
    assert res.exit_code == 2
    assert "file not found" in res.output and "Traceback" not in res.output
    broken = tmp_path / "broken.yaml"
    broken.write_text("days: -3\n", encoding="utf-8")
    res = runner.invoke(app, ["diff", str(broken), f"{S}baseline.yaml"])
    assert res.exit_code == 2 and "days" in res.output


def test_compare_starts_with_the_diff_and_warns_of_a_confounded_pair(tmp_path):
    import lab
    from lab.experiments import ConfoundedWarning

    small = {
        "days": 20,
        "acquisition.stock_import.customers_per_day": 50,
        "acquisition.stock_import.total_customers": 200,
    }
    a = load_scenario(f"{S}baseline.yaml").with_changes(small)
    b = a.with_changes({"acquisition.paid.daily_budget_cny": 500, "strategies[0].depth": 0.3})
    with pytest.warns(ConfoundedWarning, match="acquisition.paid.daily_budget_cny"):
        cmp = lab.compare({"A": a, "B": b}, seeds=[0, 1], workers=1, progress=False)
    assert cmp.confounded
    frame = cmp.diff_frame()
    assert frame[["path", "outside_strategies"]].values.tolist() == [
        ["acquisition.paid.daily_budget_cny", True],
        ["strategies.discount_cadence.depth", False],
    ]
    assert (frame["scenario"] == "B").all()
    out = cmp.save(tmp_path / "cmp", plots=False)
    assert (out / "diff.csv").is_file()
