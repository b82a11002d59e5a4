"""``lab sweep`` varies a weekly contact plan by its messages per week and prints intervals."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

import lab
from lab.api import as_scenario
from lab.cli import app
from lab.experiments.design import DesignError
from lab.experiments.sweep import DEFAULT_SHOWN, parse_metrics
from lab.scenario import ScenarioError
from lab.scenario_paths import ScenarioPathError, resolve_param, spread_weekly
from tests.conftest import bare

WEEK = {
    "mon": ["promotion"],
    "tue": [],
    "wed": ["value"],
    "thu": [],
    "fri": [],
    "sat": [],
    "sun": [],
}


def _plan_data() -> dict:
    plan = {"type": "contact_plan", "label": "group plan", "touchpoint": "group", "weekly": WEEK}
    return bare(n_customers=400, days=40, strategies=[plan])


def _plan_scenario() -> lab.Scenario:
    return as_scenario(_plan_data())


def test_spread_weekly_spaces_messages_evenly_and_cycles_contents():
    three = spread_weekly(WEEK, 3)
    assert [d for d, items in three.items() if items] == ["mon", "wed", "fri"]
    assert three["mon"] + three["wed"] + three["fri"] == ["promotion", "value", "promotion"]
    assert all(len(items) == 2 for items in spread_weekly(WEEK, 14).values())
    assert sum(len(v) for v in spread_weekly(WEEK, 0).values()) == 0
    with pytest.raises(ScenarioPathError, match="whole number"):
        spread_weekly(WEEK, -1)
    with pytest.raises(ScenarioPathError, match="sends nothing"):
        spread_weekly({d: [] for d in WEEK}, 2)


def test_messages_per_week_is_a_path_like_any_single_value():
    sc = _plan_scenario()
    p = resolve_param(sc, "strategies.group plan.messages_per_week", "--set")
    assert p.kind == "int"
    changed = sc.with_changes({"strategies.group plan.messages_per_week": 5})
    assert changed.strategies[0].messages_per_week() == 5
    assert changed.strategies[0].contents_used() == ["promotion", "value"]
    with pytest.raises(ScenarioError, match="messages_per_week"):
        sc.with_changes({"strategies.group plan.messages_per_week": -2})


def test_parse_metrics_takes_aliases_and_names_unknown_ones():
    assert parse_metrics(None) == list(DEFAULT_SHOWN)
    assert parse_metrics("ltv, margin,ltv_margin") == ["ltv_margin", "net_margin"]
    with pytest.raises(DesignError, match="unknown metric 'nope'"):
        parse_metrics("gmv,nope")
    with pytest.raises(DesignError, match="at least one"):
        parse_metrics(" , ")


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    out = tmp_path_factory.mktemp("sweep") / "plan"
    return lab.sweep(
        _plan_scenario(),
        grid={"strategies.group plan.messages_per_week": [0, 7]},
        seeds=3,
        out=out,
        workers=1,
        progress=False,
    )


def test_more_messages_per_week_sell_more(swept):
    """Contacts lift purchases (contacts.content), so a daily plan sells more than none."""
    t = swept.intervals(["gmv", "orders"])
    col = "strategies.group plan.messages_per_week"
    by = t.set_index(col)
    assert by.loc[7, "orders"] > by.loc[0, "orders"]
    assert by.loc[7, "gmv_low"] > by.loc[0, "gmv_high"]


def test_intervals_bracket_the_mean_of_the_seeds(swept):
    t = swept.intervals(["gmv"], level=0.9)
    runs = swept.table
    for r in t.itertuples():
        v = runs.loc[runs["point"] == r.point, "gmv"].to_numpy()
        assert r.gmv == pytest.approx(v.mean())
        assert r.gmv_low < r.gmv < r.gmv_high
        assert r.gmv_n == 3 == r.n_seeds
    assert np.all(t["gmv_high"] - t["gmv_low"] > 0)


def test_cli_sweep_prints_the_chosen_metrics_with_intervals(tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(_plan_data(), allow_unicode=True), encoding="utf-8")
    args = ["sweep", str(path), "--set", "strategies.group plan.messages_per_week=0,7"]
    args += ["--seeds", "2", "--workers", "1", "--quiet", "--out", str(tmp_path / "o")]
    res = CliRunner().invoke(app, [*args, "--metrics", "orders"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "orders" in res.output and "[" in res.output
    assert "net_margin" not in res.output
    bad = CliRunner().invoke(app, [*args, "--metrics", "nope"])
    assert bad.exit_code == 2
    assert "unknown metric 'nope'" in bad.output
