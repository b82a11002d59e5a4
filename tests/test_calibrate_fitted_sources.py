"""A calibrated scenario names its fits, not the literature, as the source of fitted values.

Audit D5: ``lab explain`` and the report credited a fitted purchase rate (0.036/day) to
"assumption: CDNOW BG/NBD (Fader, Hardie & Lee 2005)", and a robustness analysis redrew
it from CDNOW's plausible 0.003-0.03/day, a range that excludes the fit.  ``lab calibrate``
now writes a ``fitted`` section (path -> value, data, fit, SE); a value that still holds
its fit is shown as fitted to the user's log, with its SE, and drawn within ± 2 SE of its
own fit (or held at it without an SE).
"""

from __future__ import annotations

import math

import pytest
import yaml
from typer.testing import CliRunner

import lab
from lab.calibrate.synthetic import synthetic_order_log
from lab.cli import app
from lab.experiments.robustness import robustness_assumptions
from lab.explain import parameter_rows
from lab.params import parameter_table
from lab.scenario import scenario_hash

runner = CliRunner()
RATE = "traits.default.propensity_per_day.mean"


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fitted")
    log = synthetic_order_log(
        {"r": 2.0, "alpha": 8.0, "a": 0.7, "b": 4.0}, 600, join_weeks=30, days=270, seed=3
    )
    src = folder / "shop_orders.csv"
    log.to_csv(src, index=False)
    out = folder / "shop.yaml"
    r = runner.invoke(app, ["calibrate", str(src), "--out", str(out), "--forecast-days", "30"])
    assert r.exit_code == 0, r.output
    return out


def test_the_calibrated_yaml_records_each_fitted_value_with_its_fit_and_se(calibrated):
    raw = yaml.safe_load(calibrated.read_text(encoding="utf-8"))
    fitted = raw["fitted"]
    rate = fitted[RATE]
    assert rate["value"] == raw["traits"]["default"]["propensity_per_day"]["mean"]
    assert rate["data"] == "shop_orders.csv" and "r / alpha" in rate["fit"]
    assert 0 < rate["se"] < 0.5 * rate["value"]
    for path in (
        "traits.default.dropout_after_purchase.mean",
        "traits.default.basket.mean_order_value_cny",
        "calendar.weekday",
        "calendar.base",
    ):
        assert fitted[path]["data"] == "shop_orders.csv"
    assert fitted["calendar.base"]["value"] == raw["calendar"]["base"]
    assert "average 1 over the calibration days" in fitted["calendar.base"]["fit"]
    assert f"base {raw['calendar']['base']:.4f}" in calibrated.read_text(encoding="utf-8")
    if "timing_k" in raw.get("purchase", {}):
        assert fitted["purchase.timing_k"]["value"] == raw["purchase"]["timing_k"]


def test_explain_names_the_fit_not_cdnow(calibrated):
    rows = {r["path"]: r for r in parameter_rows(lab.load_scenario(calibrated))}
    rate = rows[RATE]
    assert rate["source"] == "calibration" and rate["basis_kind"] == "fitted"
    assert rate["basis"].startswith("fitted to shop_orders.csv") and "SE" in rate["basis"]
    assert "CDNOW" not in rate["basis"] and "assumption" not in rate["basis"]
    assert rows["calendar.weekday"]["basis"].startswith("fitted to shop_orders.csv")
    assert rows["traits.default.trust.mean"]["basis"].startswith("assumption")  # not fitted
    r = runner.invoke(app, ["explain", str(calibrated)], env={"COLUMNS": "400"})
    assert r.exit_code == 0, r.output
    line = next(x for x in r.output.splitlines() if RATE in x)
    assert "fitted to shop_orders.csv" in line and "Fader" not in line


def test_a_value_set_again_is_the_files_not_the_fits(calibrated, tmp_path):
    child = tmp_path / "mine.yaml"
    child.write_text(
        f"extends: {calibrated}\ntraits:\n  default:\n    propensity_per_day:\n      mean: 0.02\n",
        encoding="utf-8",
    )
    rows = {r["path"]: r for r in parameter_rows(lab.load_scenario(child))}
    assert rows[RATE]["source"] == "file" and rows[RATE]["basis_kind"] == "assumption"
    shape = rows["traits.default.propensity_per_day.shape"]
    assert shape["source"] == "calibration"  # untouched: still the fit's


def test_robustness_draws_a_fitted_value_within_its_own_se(calibrated):
    sc = lab.load_scenario(calibrated)
    se = sc.fitted[RATE].se
    value = sc.traits.default.propensity_per_day.mean
    row = parameter_table(sc).set_index("path").loc[RATE]
    assert row["source_kind"] == "fitted"
    assert math.isclose(row["plausible_low"], value - 2 * se)
    assert math.isclose(row["plausible_high"], value + 2 * se)
    table, left_out = robustness_assumptions(sc, sc)
    drawn = table.set_index("path").loc[RATE]
    assert drawn["range_from"] == "fit ± 2 SE"
    assert drawn["plausible_low"] < value < drawn["plausible_high"]
    assert (drawn["plausible_low"], drawn["plausible_high"]) != (0.003, 0.03)  # not CDNOW's
    assert "held at its fitted value" in left_out["calendar.weekday"]  # no SE: held


def test_the_fitted_section_changes_no_run_and_no_hash(calibrated):
    sc = lab.load_scenario(calibrated)
    assert sc.fitted
    assert scenario_hash(sc) == scenario_hash(sc.model_copy(update={"fitted": {}}))


def test_a_robustness_plan_says_which_fitted_values_it_draws_and_which_it_holds(calibrated):
    from lab.experiments.robustness import fitted_note, plan_robustness

    sc = lab.load_scenario(calibrated)
    plan = plan_robustness({"a": sc, "b": sc.model_copy(update={"name": "b"})}, n=4, seeds=[0])
    note = fitted_note(plan)
    assert "drawn within ± 2 SE of their own fit" in note
    assert "held at their fit" in note and "calendar.weekday" in note


def test_robustness_lists_only_the_held_fitted_values_its_patterns_name(calibrated):
    """--params narrows what is drawn, and so what the note says is held (review: a plan
    for ``traits.*`` listed the calendar's held multipliers too)."""
    sc = lab.load_scenario(calibrated)
    _, left_out = robustness_assumptions(sc, sc, params="traits.*")
    assert not [p for p in left_out if p.startswith("calendar.")]
    _, left_out = robustness_assumptions(sc, sc)
    assert "calendar.base" in left_out and "calendar.weekday" in left_out
