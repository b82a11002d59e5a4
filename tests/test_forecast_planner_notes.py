"""What a planner must be told before using ``lab forecast``'s numbers (issue 15's
audit): summary.md, the console and the page say it, in English and Chinese.

* a future campaign without a lift, when no campaign was fitted in the log to take
  one from, is placed at x1: no effect on the forecast (D9);
* a big sale in the forecast period that the calibration log does not contain has no
  fitted lift and is forecast at x1: place it with ``--campaigns`` (D2); ``lab
  backtest`` says the same of its holdout.

The log is a small pure-BG/NBD lab log of 2025-01-01 to 2025-08-28 (no campaign in it).
"""

from __future__ import annotations

import datetime as dt
import html

import pytest
from typer.testing import CliRunner

from lab.calibrate.backtest import holdout_events_note
from lab.calibrate.order_model import events_at_x1
from lab.calibrate.synthetic import synthetic_order_log
from lab.cli import app

PARAMS = {"r": 0.5, "alpha": 6.0, "a": 0.7, "b": 3.0}  # weekly BG/NBD
runner = CliRunner()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """The log and a campaign file placing 国庆 (no lift) after it."""
    tmp = tmp_path_factory.mktemp("notes")
    src = tmp / "orders.csv"
    synthetic_order_log(PARAMS, 300, join_weeks=34, days=240, seed=2).to_csv(src, index=False)
    camps = tmp / "campaigns.csv"
    camps.write_text("name,start,end,lift\n国庆,2025-10-01,2025-10-07,\n", encoding="utf-8")
    return tmp, src, camps


@pytest.fixture(scope="module")
def runs(files):
    """``lab forecast --horizon 3M`` of the log with the campaign file, in both
    languages: {lang: (console, summary.md, page)}."""
    tmp, src, camps = files
    out = {}
    for lang in ("en", "zh"):
        folder = tmp / lang
        r = runner.invoke(
            app,
            ["forecast", str(src), "--horizon", "3M", "--campaigns", str(camps), "--seeds", "2",
             "--workers", "1", "--quiet", "--lang", lang, "--out", str(folder)],
            env={"COLUMNS": "300"},
        )  # fmt: skip
        assert r.exit_code == 0, r.output
        out[lang] = (
            " ".join(r.output.split()),
            (folder / "summary.md").read_text("utf-8"),
            html.unescape((folder / "forecast.html").read_text("utf-8")),
        )
    return out


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", ["placed at x1, with no effect on the forecast: 国庆 (2025-10-01 to 2025-10-07)",
                "give each its lift in the file's lift column"]),
        ("zh", ["以下活动按 x1 安排，对预测没有影响：国庆 (2025-10-01 至 2025-10-07)",
                "请在文件的 lift 列为每个活动填写提升系数"]),
    ],
)  # fmt: skip
def test_a_future_campaign_without_a_lift_is_said_to_be_placed_at_x1(runs, lang, words):
    console, summary, page = runs[lang]
    for w in words:
        assert w in console and w in summary and w in page
    assert ("(no lift given, none fitted: no effect)" if lang == "en" else "无效果") in summary


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("en", ["the calendar has no lift for them and forecasts them at x1: Double 11 "
                "(2025-11-01 to 2025-11-11)", "--campaigns FILE"]),
        ("zh", ["预测期内有标定期订单日志未包含的大促", "按 x1 预测：双11 (2025-11-01 至 2025-11-11)",
                "--campaigns FILE"]),
    ],
)  # fmt: skip
def test_a_big_sale_the_log_lacks_is_said_to_be_forecast_at_x1(runs, lang, words):
    """The log (January to August) holds 春节 and 618, not 双11: a forecast to November
    says 双11 runs at x1 and how to place it; 618 and 春节 (fitted) are not named."""
    console, summary, page = runs[lang]
    for w in words:
        assert w in console and w in summary and w in page
    for fitted in ("618 (", "CNY (", "春节 ("):
        assert fitted not in summary


def test_events_at_x1_are_the_named_events_in_the_period_the_log_lacks():
    """A 9-month log ending in November: a Dec-May forecast holds 双12 and 春节, neither
    fitted; a campaign placed on 双12's days takes it off the list."""
    got = events_at_x1(["618", "double11"], "2025-12-01", "2026-05-31")
    assert got == [
        {"name": "double12", "start": "2025-12-10", "end": "2025-12-12"},
        {"name": "cny", "start": "2026-02-10", "end": "2026-02-24"},
    ]
    sale = {"name": "双十二大促", "start": dt.date(2025, 12, 11), "end": dt.date(2025, 12, 11)}
    assert [e["name"] for e in events_at_x1([], "2025-12-01", "2026-05-31", [sale])] == ["cny"]
    assert events_at_x1(["double12", "cny"], "2025-12-01", "2026-05-31") == []
    # a window cut by the period's end gives its days inside only
    assert events_at_x1([], "2025-10-01", "2025-11-05") == [
        {"name": "double11", "start": "2025-11-01", "end": "2025-11-05"}
    ]


def test_the_backtest_note_names_holdout_events_the_calibration_lacks():
    rows = [{"effect": "weekday_mon"}, {"effect": "event_618"}, {"effect": "event_double11"}]
    meta = {"calibration_end": "2025-11-30", "holdout_end": "2026-03-31", "seasonality": rows}
    note = holdout_events_note(meta)
    assert "Double 12 (2025-12-10 to 2025-12-12), CNY (2026-02-10 to 2026-02-24)" in note
    assert "at x1" in note and "--campaigns FILE" in note
    zh = holdout_events_note(meta, "zh")  # the forecast's words: 双12, 春节, x1
    assert "双12 (2025-12-10 至 2025-12-12)、春节 (2026-02-10 至 2026-02-24)" in zh
    assert "按 x1 预测" in zh and "--campaigns FILE" in zh
    assert holdout_events_note({**meta, "holdout_end": "2025-12-05"}) == ""
    assert holdout_events_note({k: v for k, v in meta.items() if k != "seasonality"}) == ""


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_on_line_names_the_fitted_purchase_model(lang):
    """With k = 2 fitted the forecast simulates BG/CNBD-k: summary.md's and the page's
    "On:" line said BG/NBD (audit D12)."""
    from lab.report.forecast_html import mechanisms_sentence

    two = mechanisms_sentence(2, False, lang)
    assert (
        "On: BG/CNBD-k (k = 2) purchase" if lang == "en" else "开启：BG/CNBD-k (k = 2) 购买"
    ) in two
    assert "BG/NBD" not in two
    assert "BG/NBD" in mechanisms_sentence(1, False, lang) and "CNBD" not in (
        mechanisms_sentence(1, False, lang)
    )
    # fitted in operational time (issue 15): said in the page's language, only then
    op = mechanisms_sentence(2, False, lang, "operational")
    assert ("operational time" if lang == "en" else "运营时间") in op
    assert "operational" not in two and "运营" not in two


def _monthly_section(runs, lang: str) -> str:
    summary = runs[lang][1]
    return summary.split("## " + ("Monthly" if lang == "en" else "月度预测"))[1].split("## ")[0]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_summary_md_writes_numbers_as_the_page_does(runs, lang):
    """summary.md's monthly table printed GMV as 2.051e+05 (audit D12): whole numbers
    with thousands separators, alike in both languages."""
    import re

    monthly = _monthly_section(runs, lang)
    assert not re.search(r"\d\.?\d*e[+-]\d", monthly), monthly
    gmv = [line for line in monthly.splitlines() if "GMV" in line]
    assert gmv and any(re.search(r"\| \d{1,3}(,\d{3})+ \|", line) for line in gmv), gmv
    assert not re.search(r"\| \d+\.\d+ \|", monthly)  # no decimals: 972.1 was one
    # the same cells in both languages
    cells = re.findall(r"\| ([\d,]+) \|", monthly)
    other = _monthly_section(runs, "zh" if lang == "en" else "en")
    assert cells and cells == re.findall(r"\| ([\d,]+) \|", other)


def test_lab_calibrate_warns_of_a_campaign_placed_at_x1(files):
    """``lab calibrate`` with the same file: the console warns, the YAML header says NO
    EFFECT on the campaign's line (D9)."""
    tmp, src, camps = files
    out = tmp / "calibrated" / "shop.yaml"
    r = runner.invoke(
        app,
        ["calibrate", str(src), "--campaigns", str(camps), "--forecast-days", "60", "--out",
         str(out)],
        env={"COLUMNS": "300"},
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    text = " ".join(r.output.split())
    assert "warning: placed at x1, with no effect: 国庆 (2025-10-01 to 2025-10-07)" in text
    line = next(x for x in out.read_text("utf-8").splitlines() if "campaign 国庆" in x)
    assert "NO EFFECT" in line and "1.000" in line
