"""The command line: outputs, stamps, exit codes, atomic writes."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

import lab
from lab.cli import app
from lab.results import load_table

runner = CliRunner()


def _write(tmp_path, text, name="s.yaml"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_run_writes_stamped_tables(tmp_path):
    out = tmp_path / "out"
    r = runner.invoke(
        app,
        ["run", "scenarios/baseline.yaml", "--days", "30", "--seed", "5", "--out", str(out), "-q"],
    )
    assert r.exit_code == 0, r.output
    assert "GMV" in r.output
    manifest = json.loads((out / "manifest.json").read_text())
    sc = lab.load_scenario("scenarios/baseline.yaml")
    assert manifest["scenario_hash"] == lab.scenario_hash(sc)
    assert manifest["seed"] == "5" and manifest["lab_version"] == lab.__version__
    assert manifest["git_commit"]
    for table in ("daily", "transactions", "customers"):
        df_p, meta_p = load_table(out / f"{table}.parquet")
        df_c, meta_c = load_table(out / f"{table}.csv")
        assert meta_p["scenario_hash"] == meta_c["scenario_hash"] == manifest["scenario_hash"]
        assert meta_p["seed"] == "5" and meta_c["git_commit"] == manifest["git_commit"]
        assert len(df_p) == len(df_c) == manifest["files"][f"{table}.csv"]
    daily, _ = load_table(out / "daily.parquet")
    tx, _ = load_table(out / "transactions.parquet")
    assert len(daily) == 30
    assert daily["gmv"].sum() == pytest.approx(tx["amount"].sum(), rel=1e-9)
    assert {"customer_id", "date", "amount", "list_price", "discount", "channel"} <= set(tx.columns)


@pytest.mark.parametrize(
    "args, needle",
    [
        (["--days", "0"], "--days"),
        (["--days", "abc"], "--days"),
        (["--seed", "-3"], "--seed"),
    ],
)
def test_bad_arguments_exit_2_and_write_nothing(tmp_path, args, needle):
    out = tmp_path / "out"
    r = runner.invoke(app, ["run", "scenarios/baseline.yaml", "--out", str(out), *args])
    assert r.exit_code == 2
    assert needle in r.output
    assert not out.exists()


@pytest.mark.parametrize(
    "text, needle",
    [
        ("days: 10\nfatigue: {decay_per_dya: 1}\n", "valid keys here"),
        ("days: ten\n", "days = 'ten'"),
        ("days: 10\npurchase: {margin_rate: 3}\n", "purchase.margin_rate = 3"),
        ("days: [10\n", "malformed YAML at line"),
        ("strategies: [{type: nope}]\n", "unknown strategy type"),
    ],
)
def test_bad_scenarios_exit_2_name_file_field_value(tmp_path, text, needle):
    path = _write(tmp_path, text)
    out = tmp_path / "out"
    r = runner.invoke(app, ["run", str(path), "--out", str(out)])
    assert r.exit_code == 2
    flat = " ".join(r.output.split())
    assert needle in flat and "s.yaml" in flat
    assert not out.exists()


def test_missing_scenario_file(tmp_path):
    r = runner.invoke(app, ["run", str(tmp_path / "missing.yaml"), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "file not found" in r.output
    assert not (tmp_path / "o").exists()


def test_interrupted_save_leaves_previous_outputs(tmp_path, monkeypatch):
    out = tmp_path / "out"
    res = lab.run("scenarios/baseline.yaml", days=10, seed=1)
    res.save(out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    import lab.results as results

    calls = {"n": 0}
    real = results.write_csv

    def flaky(df, path, meta):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        real(df, path, meta)

    monkeypatch.setattr(results, "write_csv", flaky)
    with pytest.raises(KeyboardInterrupt):
        lab.run("scenarios/baseline.yaml", days=12, seed=2).save(out)
    after = {p.name: p.read_bytes() for p in out.iterdir()}
    assert after == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no partial folders left


def test_explain_prints_step_order_and_sources():
    r = runner.invoke(app, ["explain", "scenarios/baseline.yaml"], env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    assert "calendar" in r.output and "purchase" in r.output and "lifecycle" in r.output
    assert "[discount_cadence]" in r.output
    lines = r.output.splitlines()
    assert any("fatigue.decay_per_day" in ln and "default" in ln for ln in lines)
    assert any("days_to_silent" in ln and "file" in ln for ln in lines)


def test_customer_journey_reads_like_a_story():
    res = lab.run("scenarios/baseline.yaml", days=60, seed=1)
    tx = res.transactions
    uid = int(tx["customer_id"].value_counts().index[0])
    j = res.customer(uid)
    text = j.to_text()
    assert f"customer {uid}" in text and "order" in text
    assert len(j.orders) == (tx["customer_id"] == uid).sum()
    with pytest.raises(KeyError, match="no customer"):
        res.customer(10**9)
    assert isinstance(res.daily, pd.DataFrame)


def test_user_text_with_markup_is_shown_verbatim(tmp_path):
    path = _write(tmp_path, "name: '[red]x[/red]'\ndays: 5\nfatigue: {decay_per_day: '[bold]'}\n")
    r = runner.invoke(app, ["run", str(path), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "'[bold]'" in r.output
    ok = _write(tmp_path, "name: '[red]x[/red]'\ndays: 5\n", "ok.yaml")
    r = runner.invoke(app, ["explain", str(ok)])
    assert r.exit_code == 0 and "[red]x[/red]" in r.output


def test_runaway_fission_stops_with_a_clear_message(tmp_path):
    path = _write(
        tmp_path,
        "days: 200\nmax_customers: 20000\n"
        "acquisition: {referral: {friends_per_share: 6, reward_cny: 200}}\n"
        "traits: {default: {referral_propensity: {dist: beta, mean: 0.9, concentration: 5}}}\n",
    )
    r = runner.invoke(app, ["run", str(path), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2
    assert "max_customers" in " ".join(r.output.split())
    assert not (tmp_path / "o").exists()
