"""What a planner must be told before using ``lab forecast``'s numbers (issue 15's
audit): summary.md, the console and the page say it, in English and Chinese.

* a future campaign without a lift, when no campaign was fitted in the log to take
  one from, is placed at x1: no effect on the forecast (D9);

The log is a small pure-BG/NBD lab log of 2025-01-01 to 2025-08-28 (no campaign in it).
"""

from __future__ import annotations

import html

import pytest
from typer.testing import CliRunner

from lab.calibrate.synthetic import synthetic_order_log
from lab.cli import app

PARAMS = {"r": 0.5, "alpha": 6.0, "a": 0.7, "b": 3.0}  # weekly BG/NBD
runner = CliRunner()


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """``lab forecast --horizon 3M`` of the log with a campaign file placing 国庆 (no
    lift) in the forecast, in both languages: {lang: (console, summary.md, page)}."""
    tmp = tmp_path_factory.mktemp("notes")
    src = tmp / "orders.csv"
    synthetic_order_log(PARAMS, 300, join_weeks=34, days=240, seed=2).to_csv(src, index=False)
    camps = tmp / "campaigns.csv"
    camps.write_text("name,start,end,lift\n国庆,2025-10-01,2025-10-07,\n", encoding="utf-8")
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
