"""`lab compare`: the table, the written outputs, and bad input (exit 2, nothing written)."""

from __future__ import annotations

import json

import yaml
from typer.testing import CliRunner

from lab.cli import app
from lab.results import load_table

runner = CliRunner()


def _scenarios(tmp_path):
    base = yaml.safe_load(open("scenarios/baseline.yaml", encoding="utf-8"))
    base["acquisition"]["stock_import"].update(customers_per_day=200, total_customers=800)
    a = tmp_path / "a.yaml"
    a.write_text(yaml.safe_dump(dict(base, name="monthly"), allow_unicode=True), encoding="utf-8")
    deeper = dict(base, name="deeper")
    deeper["strategies"] = [dict(base["strategies"][0], depth=0.35), *base["strategies"][1:]]
    b = tmp_path / "b.yaml"
    b.write_text(yaml.safe_dump(deeper, allow_unicode=True), encoding="utf-8")
    return a, b


def test_compare_prints_the_table_and_writes_stamped_outputs(tmp_path):
    a, b = _scenarios(tmp_path)
    out = tmp_path / "cmp"
    args = ["compare", str(a), str(b), "--seeds", "3", "--days", "40", "--workers", "1"]
    res = runner.invoke(app, [*args, "--out", str(out), "-q", "--lang", "zh"])
    assert res.exit_code == 0, res.output
    assert "deeper vs monthly" in res.output and "B − A" in res.output
    assert "discount cost" in res.output and "▲" in res.output  # deeper discounts cost more
    # what differs between the scenarios comes first, and nothing is flagged
    assert res.output.index("strategies.discount_cadence.depth") < res.output.index("B − A")
    assert "outside strategies" not in res.output
    wide = runner.invoke(app, [*args, "--out", str(out), "-q"], env={"COLUMNS": "160"})
    assert wide.exit_code == 0 and "median [10–90%]" in wide.output
    names = {p.name for p in out.iterdir()}
    assert {
        "diff.csv",
        "comparison.csv",
        "differences.csv",
        "totals.csv",
        "daily.parquet",
        "manifest.json",
        "forest.png",
        "kpi_cum_gmv.png",
    } <= names
    table, stamp = load_table(out / "comparison.csv")
    assert stamp["baseline"] == "monthly" and stamp["seeds"] == "0..2" and stamp["git_commit"]
    assert "monthly:monthly@" in stamp["scenarios"] and "deeper:deeper@" in stamp["scenarios"]
    assert set(table["scenario"]) == {"deeper"}
    diff, dstamp = load_table(out / "diff.csv")
    assert dstamp == stamp
    assert diff[["scenario", "path", "a", "b"]].astype(str).values.tolist() == [
        ["deeper", "strategies.discount_cadence.depth", "0.2", "0.35"]
    ]
    assert not diff["outside_strategies"].any()
    _, pstamp = load_table(out / "daily.parquet")
    assert pstamp["lab_version"] == stamp["lab_version"]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["meta"]["seeds"] == [0, 1, 2]


def test_bad_input_exits_2_and_writes_nothing(tmp_path):
    a, b = _scenarios(tmp_path)
    out = tmp_path / "cmp"
    cases = [
        ([str(a), str(tmp_path / "missing.yaml")], "missing.yaml"),
        ([str(a)], "at least two"),
        ([str(a), str(b), "--seeds", "1"], "--seeds"),
        ([str(a), str(b), "--lang", "fr"], "--lang"),
    ]
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nacquisition: {paid: {daily_budget_cny: -5}}\n", encoding="utf-8")
    cases.append(([str(a), str(bad)], "daily_budget_cny"))
    for argv, needle in cases:
        res = runner.invoke(app, ["compare", *argv, "--out", str(out), "-q"])
        assert res.exit_code == 2, (argv, res.output)
        assert needle in res.output, (argv, res.output)
        assert not out.exists()
    blocker = tmp_path / "file"
    blocker.write_text("x")
    res = runner.invoke(app, ["compare", str(a), str(b), "--out", str(blocker), "-q"])
    assert res.exit_code == 2 and "not a folder" in res.output
