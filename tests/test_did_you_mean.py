"""A mistyped key, path or strategy type is answered with the closest valid names.

Every error still names the file (or argument), the field and the value, exits with
code 2 and writes nothing; the suggestion is added to the message, the list of valid
names stays.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import lab
from lab.cli import app
from lab.suggest import closest, did_you_mean

BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.yaml"


@pytest.mark.parametrize(
    "word, valid, expected",
    [
        ("dpth", ["type", "depth", "kind", "every_days"], ["depth"]),
        ("daily_budgt_cny", ["enabled", "daily_budget_cny", "base_cac_cny"], ["daily_budget_cny"]),
        ("Days", ["name", "days", "seed"], ["days"]),  # case is ignored, the valid spelling shown
        ("budget", ["enabled", "daily_budget_cny", "base_cac_cny"], ["daily_budget_cny"]),
        ("zzzz", ["depth", "kind"], []),
        (3, ["depth"], []),  # a YAML key that is not text
        ("x" * 500, ["x" * 500], []),  # a whole line of a wrong file: no suggestion
    ],
)
def test_closest_names(word, valid, expected):
    assert closest(word, valid) == expected


def test_several_alike_names_are_offered_best_first():
    assert closest("rate", ["rate_a", "rates", "zzz"]) == ["rates", "rate_a"]
    assert did_you_mean("rate", ["rates", "rate_a"]) == " (did you mean 'rates' or 'rate_a'?)"
    assert did_you_mean("zzz", ["rates"]) == ""


def _run_yaml(tmp_path, text: str):
    path = tmp_path / "typo.yaml"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["run", str(path), "--days", "5", "--out", str(out)])
    return res, path, out


def test_a_mistyped_key_in_a_scenario_file(tmp_path):
    res, path, out = _run_yaml(
        tmp_path, "name: typo\ndays: 10\nacquisition:\n  paid:\n    daily_budgt_cny: 100\n"
    )
    assert res.exit_code == 2 and not out.exists()
    text = " ".join(res.output.split())  # the console wraps long lines
    assert path.name in text  # the file
    assert "acquisition.paid.daily_budgt_cny: unknown key 'daily_budgt_cny'" in text  # field
    assert "(did you mean 'daily_budget_cny'?)" in text
    assert "valid keys here: enabled, daily_budget_cny" in text
    assert "Traceback" not in res.output


def test_a_mistyped_strategy_type_in_a_scenario_file(tmp_path):
    res, _, out = _run_yaml(tmp_path, "days: 10\nstrategies:\n  - type: discount_cadense\n")
    assert res.exit_code == 2 and not out.exists()
    text = " ".join(res.output.split())
    assert "unknown strategy type 'discount_cadense' (did you mean 'discount_cadence'?)" in text


def test_a_key_unlike_any_gets_the_list_without_a_guess(tmp_path):
    res, _, _ = _run_yaml(tmp_path, "days: 10\nfatigue:\n  qqqqqq: 1\n")
    text = " ".join(res.output.split())
    assert res.exit_code == 2
    assert "unknown key 'qqqqqq'; valid keys here:" in text and "did you mean" not in text


def test_a_mistyped_set_path_on_the_command_line(tmp_path):
    out = tmp_path / "sweep"
    res = CliRunner().invoke(
        app,
        [
            "sweep",
            str(BASELINE),
            "--set",
            "strategies.discount_cadence.dpth=0.1,0.2",
            "--seeds",
            "1",
            "--days",
            "5",
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 2 and not out.exists()
    text = " ".join(res.output.split())
    assert "--set 'strategies.discount_cadence.dpth': unknown key 'dpth'" in text
    assert "(did you mean 'depth'?)" in text and "valid keys:" in text


def test_a_mistyped_strategy_name_in_a_path():
    base = lab.load_scenario(BASELINE)
    with pytest.raises(lab.ScenarioError) as err:
        base.with_changes({"strategies.discont.depth": 0.3})
    assert "no strategy matches (did you mean 'discount_cadence'?)" in str(err.value)


def test_with_changes_suggests_like_the_command_line():
    base = lab.load_scenario(BASELINE)
    with pytest.raises(lab.ScenarioError) as err:
        base.with_changes({"fatigue.decay_per_dya": 0.1})
    assert "unknown key 'decay_per_dya' (did you mean 'decay_per_day'?)" in str(err.value)
