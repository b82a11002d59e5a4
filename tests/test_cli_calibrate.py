"""lab calibrate | calibrate-retention | backtest: outputs, messages and exit codes."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
import yaml
from rich.cells import cell_len
from typer.testing import CliRunner

import lab
from lab.cli import app
from tests.test_calibrate_scenario import synthetic_log

runner = CliRunner()


@pytest.fixture(scope="module")
def orders_csv(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli")
    path = folder / "shop_orders.csv"
    synthetic_log(folder, n=600, seed=5).rename(
        columns={"customer_id": "会员id", "date": "下单时间", "amount": "实付金额"}
    ).to_csv(path, index=False)
    return path


def test_calibrate_writes_scenario_customers_and_fit_report(tmp_path, orders_csv):
    out = tmp_path / "scenarios" / "shop.yaml"
    r = runner.invoke(
        app, ["calibrate", str(orders_csv), "--calibration-end", "2025-09-30", "--out", str(out)]
    )
    assert r.exit_code == 0, r.output
    assert "same_day_orders" in r.output and "alpha" in r.output
    assert "runs the forecast 2025-10-01 to 2026-09-30" in " ".join(r.output.split())
    # its customers all joined early (a closed cohort): no new customers in the forecast
    assert "a closed cohort: no new customers expected" in " ".join(r.output.split())
    sc = lab.load_scenario(out)
    assert sc.acquisition.known_customers.enabled and sc.name == "shop"
    # the forecast period by default: from the calibration end (day 0) + 365 days
    assert str(sc.start_date) == "2025-09-30" and sc.days == 1 + 365
    (data,) = out.parent.glob("shop.data-*")  # one folder: customers + fit report
    assert (data / "customers.csv").is_file() and sorted(out.parent.iterdir()) == [data, out]
    report = data / "fit"
    assert {"fit.md", "parameters.csv", "histogram.png", "cleaning.csv"} <= {
        p.name for p in report.iterdir()
    }
    info = json.loads((report / "fit.json").read_text(encoding="utf-8"))
    assert info["fit"]["model"] == "bgnbd" and info["cleaning"]["columns"]["customer"] == "会员id"
    # a planner layers strategies on top with extends: and the customers still load
    child = tmp_path / "with_strategy.yaml"
    child.write_text("extends: scenarios/shop.yaml\nname: shop-plus\n", encoding="utf-8")
    assert len(lab.load_scenario(child).acquisition.known_customers.table) == 600


def test_calibrate_period_log_replays_the_log_and_forecast_needs_bgnbd(tmp_path, orders_csv):
    out = tmp_path / "log.yaml"
    args = ["calibrate", str(orders_csv), "--calibration-end", "2025-09-30", "--out", str(out)]
    r = runner.invoke(app, [*args, "--period", "log", "--no-seasonality"])
    assert r.exit_code == 0, r.output
    sc = lab.load_scenario(out)
    assert str(sc.start_date) == "2025-01-01" and sc.days == 273 + 365  # replay + forecast
    assert sc.acquisition.known_customers.book_first_order
    assert "the log's period 2025-01-01 to 2025-09-30 replayed" in out.read_text("utf-8")
    bad = tmp_path / "bad.yaml"
    r = runner.invoke(app, [*args[:-1], str(bad), "--model", "paretonbd", "--period", "forecast"])
    assert r.exit_code == 2 and "use --model bgnbd" in r.output and not bad.exists()


def test_calibrate_pareto_option(tmp_path, orders_csv):
    out = tmp_path / "p.yaml"
    r = runner.invoke(
        app, ["calibrate", str(orders_csv), "--model", "paretonbd", "--out", str(out)]
    )
    assert r.exit_code == 0, r.output
    assert "WARNING" not in out.read_text(encoding="utf-8")
    sc = lab.load_scenario(out)
    assert sc.dropout.per_day and not sc.dropout.after_purchase
    assert sc.traits.default.dropout_per_day.dist == "gamma"
    (data,) = tmp_path.glob("p.data-*")
    assert (data / "fit" / "histogram.png").is_file()


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        ("", [], "the file is empty"),
        ("customer_id,date,amount\n", [], "header but no rows"),
        ("customer_id,when,amount\n1,2024-01-01,3\n", [], "no date column"),
        ("customer_id,date,amount\n1,x,3\n", [], "no value could be read as a date"),
        ("customer_id,date,amount\n1,2024-01-01,3\n", ["--date-col", "day"], "--date-col 'day'"),
        (
            "customer_id,date,amount\n1,2024-01-01,3\n1,2024-02-01,3\n",
            ["--calibration-end", "2023-01-01"],
            "must be within the log",
        ),
        (
            "customer_id,date,amount\n1,2024-01-01,3\n",
            ["--calibration-end", "someday"],
            "not a date",
        ),
        ("customer_id,date,amount\n1,2024-01-01,3\n", ["--model", "magic"], "--model 'magic'"),
    ],
)
def test_calibrate_bad_input_exits_2_with_message_and_writes_nothing(
    tmp_path, content, args, message
):
    orders = tmp_path / "orders.csv"
    orders.write_text(content, encoding="utf-8")
    out = tmp_path / "out" / "x.yaml"
    r = runner.invoke(app, ["calibrate", str(orders), "--out", str(out), *args])
    assert r.exit_code == 2, r.output
    assert message in r.output
    assert not out.parent.exists()


# two customers, one of whom buys again: BG/NBD is not identified (r, alpha run off
# to the bound exp(12), no standard errors)
TINY = (
    "customer_id,date,amount\n"
    "a,2025-01-01,10\na,2025-02-01,20\nb,2025-01-05,5\na,2025-03-15,7\nb,2025-03-20,9\n"
)


def test_calibrate_refuses_an_unreliable_fit_unless_forced(tmp_path):
    orders = tmp_path / "tiny_orders.csv"
    orders.write_text(TINY, encoding="utf-8")
    out = tmp_path / "out" / "tiny.yaml"
    args = ["calibrate", str(orders), "--calibration-end", "2025-02-28", "--out", str(out)]
    r = runner.invoke(app, args)
    assert r.exit_code == 2, r.output
    text = " ".join(r.output.split())  # rich wraps long lines
    assert "tiny_orders.csv" in text and "nothing written" in text and "--force" in text
    assert "standard errors are unavailable" in text and "search bound" in text
    assert "only 1 customer(s) bought again" in text
    assert not out.parent.exists()
    r = runner.invoke(app, [*args, "--force"])
    assert r.exit_code == 0, r.output
    header = out.read_text(encoding="utf-8").split("\nname:")[0]
    assert "WARNING: written with --force from an UNRELIABLE fit" in header
    assert "bought again" in header and "search bound" in header
    assert lab.load_scenario(out).acquisition.known_customers.enabled  # still a scenario


def test_backtest_refuses_an_unreliable_fit_unless_forced(tmp_path):
    orders = tmp_path / "tiny_orders.csv"
    orders.write_text(TINY, encoding="utf-8")
    out = tmp_path / "bt"
    args = ["backtest", str(orders), "--calibration-end", "2025-02-28", "--seeds", "2",
            "--runs-per-seed", "1", "--workers", "1", "--out", str(out), "-q"]  # fmt: skip
    r = runner.invoke(app, args)
    assert r.exit_code == 2, r.output
    text = " ".join(r.output.split())
    # the refusal names the lab's own fit (regular timing, BG/CNBD-k): it decides
    assert "tiny_orders.csv" in text and "nothing written" in text
    assert "only 1 customer(s) bought again" in text and "fit bgcnbd" in text
    assert not out.exists()
    r = runner.invoke(app, [*args, "--force"])
    assert r.exit_code == 0, r.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert any("bought again" in p for p in summary["fit_problems"])
    # BG/NBD's own problems (r, alpha at the bound) mark the comparison rows
    assert any("search bound" in p for p in summary["unreliable_methods"]["closed_form"])
    assert "WARNING" in (out / "summary.md").read_text(encoding="utf-8")
    errors = pd.read_csv(out / "errors.csv")
    assert not errors["reliable"].any()  # the lab's rows too: forced from an unreliable fit


def test_calibrated_yaml_is_stamped_with_version_and_commit(tmp_path, orders_csv):
    from lab.results import git_commit

    out = tmp_path / "s.yaml"
    r = runner.invoke(app, ["calibrate", str(orders_csv), "--out", str(out)])
    assert r.exit_code == 0, r.output
    header = out.read_text(encoding="utf-8").split("\nname:")[0]
    assert f"# lab version {lab.__version__}, git commit {git_commit()}" in header
    assert "WARNING" not in header  # a good fit carries no warning


def test_a_folder_given_as_orders_is_named_as_a_folder(tmp_path):
    r = runner.invoke(app, ["calibrate", str(tmp_path), "--out", str(tmp_path / "x.yaml")])
    assert r.exit_code == 2
    assert "is a folder, not a file" in " ".join(r.output.split())
    assert not (tmp_path / "x.yaml").exists()


def test_missing_orders_file_exits_2(tmp_path):
    r = runner.invoke(
        app, ["backtest", str(tmp_path / "none.csv"), "--calibration-end", "2024-01-01"]
    )
    assert r.exit_code == 2 and "file not found" in r.output


def test_backtest_prints_both_errors_and_writes_folder(tmp_path, orders_csv):
    out = tmp_path / "bt"
    r = runner.invoke(
        app,
        ["backtest", str(orders_csv), "--calibration-end", "2025-09-30", "--seeds", "3",
         "--runs-per-seed", "2", "--workers", "1", "--out", str(out), "-q"],
        env={"COLUMNS": "80"},
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "closed form" in r.output and "simulation" in r.output and "%" in r.output
    table = r.output.split("holdout after")[1].split("errors.csv")[0]  # the errors table
    assert "…" not in table and max(cell_len(line) for line in table.splitlines()) <= 80
    errors = pd.read_csv(out / "errors.csv")
    for x in errors["error_pct"]:
        assert f"{x:+.1f}%" in table
    assert (out / "backtest.png").is_file() and (out / "errors.csv").is_file()
    # the lab by customer segment: this log is one closed cohort, so no new customers
    seg = pd.read_csv(out / "segments.csv").set_index("segment")
    assert list(seg.index) == ["existing", "new", "total"] and seg.loc["new", "actual"] == 0
    assert "customer segment" in r.output


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_backtest_errors_table_reads_at_80_columns_with_a_big_shop(lang):
    # seven rows (conditional and unconditional) of a shop with a million repeat
    # orders: every number whole (no ellipsis, no fold), every line within 80 cells,
    # in Chinese too (its characters take two cells each)
    import types

    from rich.console import Console

    from lab.calibrate.backtest_text import METHOD_LABELS
    from lab.cli.calibrate import _errors_table

    rows = [
        {"start": start, "method": m, "actual": 1_234_567.0, "forecast": 1_098_765.4,
         "error_pct": -11.0, "mc_se": 1_234.5 if m in ("lab", "simulation") else float("nan"),
         "weekly_mae": 23_456.7, "cum_error": -135_801.6}
        for start, methods in (
            ("unconditional", ["simulation", "closed_form"]),
            ("conditional", ["lab", "closed_form_seasonal", "paretonbd", "bgnbd_age",
                             "bgnbd_age_seasonal", "simulation", "closed_form"]),
        )
        for m in methods
    ]  # fmt: skip
    bt = types.SimpleNamespace(
        errors=pd.DataFrame(rows),
        meta={"calibration_end": "2025-09-30", "holdout_end": "2026-06-30", "runs_per_seed": 5},
    )
    for width in (80, 120):
        console = Console(width=width, record=True, file=io.StringIO())
        console.print(_errors_table(bt, 20, lang))
        text = console.export_text()
        lines = text.splitlines()
        assert max(cell_len(line) for line in lines) <= width
        assert "…" not in text
        body = [line for line in lines if "1,234,567" in line]
        assert len(body) == len(rows)  # one line per row carries all its numbers
        for line in body:
            assert all(x in line for x in ("1,098,765", "-11.0%", "23,456.7", "-135,802"))
        assert sum("1,234.5" in line for line in body) == 3  # MC SE of the simulations
        words = " ".join(text.split())
        # grouped: the conditional rows first, the start named once per group
        named = ("cond.", "uncond.", "条件", "无条件")
        starts = [line.split()[0] for line in body if line.split()[0] in named]
        if lang == "en":
            for en, _ in METHOD_LABELS.values():  # wrapped, not cut: every word is there
                assert all(w in words for w in en.split())
            assert starts == ["cond.", "uncond."] and "MC SE = Monte Carlo" in words
        else:
            assert starts == ["条件", "无条件"] and "蒙特卡洛标准误" in "".join(text.split())
            assert "仿真与解析解" in "".join(text.split()) and "closed form" not in words


def test_backtest_needs_a_holdout(orders_csv, tmp_path):
    r = runner.invoke(
        app,
        [
            "backtest",
            str(orders_csv),
            "--calibration-end",
            "2026-12-31",
            "--out",
            str(tmp_path / "b"),
        ],
    )
    assert r.exit_code == 2 and "must be within the log" in r.output
    assert not (tmp_path / "b").exists()


def test_calibrate_retention_recovers_published_sbg_and_writes_fragment(tmp_path):
    # Fader & Hardie (2007) "regular" customers: alpha = 0.704, beta = 1.182
    curve = tmp_path / "retention.csv"
    shares = [1.0, 0.631, 0.468, 0.382, 0.326, 0.289, 0.262, 0.241]
    curve.write_text(
        "period,active_share\n" + "".join(f"{i},{s}\n" for i, s in enumerate(shares)),
        encoding="utf-8",
    )
    out = tmp_path / "churn.yaml"
    r = runner.invoke(
        app,
        ["calibrate-retention", str(curve), "--cohort-size", "1000", "--period-days", "1", "--out", str(out)],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    frag = yaml.safe_load(out.read_text(encoding="utf-8"))
    d = frag["traits"]["default"]["dropout_per_day"]
    # with one-day periods the daily hazard is theta itself: mean alpha / (alpha + beta)
    assert d["mean"] == pytest.approx(0.704 / (0.704 + 1.182), rel=0.01)
    assert d["concentration"] == pytest.approx(0.704 + 1.182, rel=0.01)
    assert frag["dropout"]["per_day"] is True
    # the fragment merges into a scenario that validates
    merged = lab.scenario.deep_merge({"name": "x"}, frag)
    assert lab.scenario_from_dict(merged).traits.default.dropout_per_day.dist == "beta"
    # longer periods: the same churn spread over more days gives a smaller daily hazard
    r30 = runner.invoke(app, ["calibrate-retention", "--shares", ",".join(map(str, shares))])
    assert r30.exit_code == 0 and "mean:" in r30.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--shares", "1,0.5,0.7"], "exceeds period 1"),
        (["--shares", "1,abc"], "'abc' is not a number"),
        ([], "give a RETENTION file or --shares"),
    ],
)
def test_calibrate_retention_bad_input(args, message):
    r = runner.invoke(app, ["calibrate-retention", *args])
    assert r.exit_code == 2 and message in r.output


def test_backtest_marks_an_unreliable_comparison_and_exits_0(tmp_path):
    """A log of regular purchases: the plain BG/NBD fit does not converge, the lab's
    regular-timing fit does.  The command used to stop with exit code 2; now it writes
    every method, marks BG/NBD's rows and says why."""
    from tests.test_calibrate_backtest_lab import REGULAR_END, regular_log

    orders = tmp_path / "regular_orders.csv"
    regular_log().to_csv(orders, index=False)
    out = tmp_path / "bt"
    args = ["backtest", str(orders), "--calibration-end", REGULAR_END, "--seeds", "2",
            "--runs-per-seed", "1", "--workers", "1", "--out", str(out), "-q"]  # fmt: skip
    r = runner.invoke(app, args, env={"COLUMNS": "80"})
    assert r.exit_code == 0, r.output
    text = " ".join(r.output.split())
    assert "note: method closed_form (BG/NBD closed form) rests on an unreliable fit" in text
    assert "the bgnbd fit did not converge" in text and "--force" not in text
    errors = pd.read_csv(out / "errors.csv")
    assert list(errors.columns[:5]) == ["start", "method", "actual", "forecast", "error_pct"]
    assert list(errors.columns[-2:]) == ["reliable", "note"]
    rows = errors.set_index(["start", "method"])
    assert rows.loc[("conditional", "lab"), "reliable"]
    assert not rows.loc[("conditional", "closed_form"), "reliable"]
    assert "did not converge" in rows.loc[("conditional", "closed_form"), "note"]
    table = r.output.split("holdout after")[1].split("errors.csv")[0]
    assert "BG/NBD closed form *" in " ".join(table.split())
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["fit_problems"] == [] and "closed_form" in summary["unreliable_methods"]
    md = (out / "summary.md").read_text(encoding="utf-8")
    assert "rows from an unreliable fit" in md and "WARNING" not in md
