"""The brand's campaign calendar: lifts fitted on the log's promotion days, future
campaigns placed in the forecast and in the calibrated scenario (issue 15).

The log is a pure BG/NBD-like lab pool (tests/conftest.py ``bare``: everyone imported
on day 0 with one order of history, booked the day before) whose calendar doubles the
purchase rate on the ten days of one campaign, so the lift the fit must find is known.
The planner's path is tried end to end: a Chinese export (``会员id, 下单时间,
实付金额``) and a campaign file with Chinese names through ``lab calibrate`` and
``lab forecast``.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

import lab
from lab.calibrate.estimator import fit
from lab.cli import app
from tests.conftest import bare, bgnbd_traits

R, ALPHA_DAYS, A, B = 0.8, 40.0, 0.5, 6.0
N = 2000
START = "2026-03-02"
LIFT = 2.0
SALE = {"name": "春季大促", "start": "2026-04-10", "end": "2026-04-19"}
runner = CliRunner()


@pytest.fixture(scope="module")
def sale_log() -> pd.DataFrame:
    """120 days of a pool whose purchase rate doubles on the sale's ten days."""
    traits = {
        "default": {
            **bgnbd_traits(R, ALPHA_DAYS, A, B),
        }
    }
    calendar = {"enabled": True, "campaigns": [{**SALE, "lift": LIFT}]}
    res = lab.run(bare(N, 120, traits=traits, start_date=START, calendar=calendar), seed=11)
    orders = res.transactions[["customer_id", "date", "amount"]]
    history = pd.DataFrame(
        {
            "customer_id": res.customers["customer_id"].to_numpy(),
            "date": pd.Timestamp(START) - pd.Timedelta(days=1),
            "amount": 100.0,
        }
    )
    return pd.concat([history, orders], ignore_index=True)


@pytest.fixture(scope="module")
def sale_model(sale_log):
    future = [
        {"name": "国庆", "start": "2026-10-01", "end": "2026-10-07", "lift": 1.5},
        {"name": "双旦", "start": "2026-12-24", "end": "2026-12-26", "lift": None},
    ]
    return fit(sale_log, campaigns=[{**SALE, "lift": None}, *future], k_max=1)


def test_a_campaigns_lift_on_its_days_is_recovered_within_2_se(sale_model):
    seas = sale_model.seasonality
    (camp,) = seas.campaigns  # only the campaign inside the log is fitted
    est, se = np.log(camp["lift"]), seas.se[f"campaign_{SALE['name']}"]
    print(f"\ncampaign log-lift {est:.3f} ± {se:.3f} (true {np.log(LIFT):.3f})")
    assert abs(est - np.log(LIFT)) < 2 * se
    assert se < 0.1  # ~1,000 orders on the sale days: well determined, not the prior's 1


def test_future_campaigns_are_placed_with_their_own_or_the_fitted_lift(sale_model):
    placed = {c["name"]: c["lift"] for c in sale_model.future_campaigns()}
    fitted = sale_model.seasonality.campaigns[0]["lift"]
    assert placed == {"国庆": 1.5, "双旦": pytest.approx(fitted)}  # the log's sale left out
    cal = sale_model.seasonality.calendar(sale_model.future_campaigns())
    names = [c["name"] for c in cal["campaigns"]]
    assert names == [SALE["name"], "国庆", "双旦"]
    # a campaign straddling the calibration end is fitted, not placed a second time
    end = sale_model.calibration_end
    straddle = {"name": "x", "start": end, "end": end + pd.Timedelta(days=3), "lift": 3.0}
    assert sale_model.future_campaigns([straddle]) == []


def _write_chinese_export(log: pd.DataFrame, path) -> None:
    """The log as a shop's export: Chinese column names, order times in the day."""
    t = pd.to_datetime(log["date"]) + pd.Timedelta(hours=20)
    pd.DataFrame(
        {
            "会员id": "M" + log["customer_id"].astype(str),
            "下单时间": t.dt.strftime("%Y/%m/%d %H:%M:%S"),
            "实付金额": log["amount"].map("{:.2f}".format),
        }
    ).to_csv(path, index=False, encoding="utf-8-sig")


def test_calibrate_and_forecast_cli_place_the_campaign_file(sale_log, tmp_path, recwarn):
    src = tmp_path / "订单导出.csv"
    _write_chinese_export(sale_log, src)
    end = pd.to_datetime(sale_log["date"]).max()
    soon = end + pd.Timedelta(days=10)
    camp = tmp_path / "campaigns.csv"
    camp.write_text(
        "name,start,end,lift\n"
        f"{SALE['name']},{SALE['start']},{SALE['end']},\n"
        f"年中庆,{soon.date()},{(soon + pd.Timedelta(days=2)).date()},1.8\n",
        encoding="utf-8",
    )
    out = tmp_path / "calibrated" / "shop.yaml"
    args = ["calibrate", str(src), "--campaigns", str(camp), "--out", str(out)]
    r = runner.invoke(app, [*args, "--forecast-days", "30"])
    assert r.exit_code == 0, r.output
    text = out.read_text(encoding="utf-8")
    sc = yaml.safe_load(text)
    camps = {c["name"]: c for c in sc["calendar"]["campaigns"]}
    assert set(camps) == {SALE["name"], "年中庆"}
    assert camps["年中庆"]["lift"] == 1.8 and camps["年中庆"]["start"] == str(soon.date())
    assert abs(np.log(camps[SALE["name"]]["lift"] / LIFT)) < 0.2  # fitted (2 SE above)
    assert "campaign 年中庆" in text and "placed in the forecast with its own lift" in text
    assert "campaign 春季大促" in text and "(fitted)" in text
    # the header quotes the unshrunk lift too, and its 95% interval covers the truth
    line = next(x for x in text.splitlines() if "campaign 春季大促" in x)
    low, high = (float(v) for v in line.split("95% ")[1].split("-"))
    assert "unshrunk" in line and low < LIFT < high
    # the calendar plot draws the Chinese names with the lab's CJK font, no missing glyph
    assert not [w for w in recwarn if "missing from font" in str(w.message)]
    fc_dir = tmp_path / "fc"
    r = runner.invoke(
        app,
        ["forecast", str(src), "--campaigns", str(camp), "--horizon", "30d", "--seeds", "2",
         "--workers", "1", "--quiet", "--out", str(fc_dir)],
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    meta = json.loads((fc_dir / "fit.json").read_text(encoding="utf-8"))
    assert [c["name"] for c in meta["future_campaigns"]] == ["年中庆"]
    assert meta["future_campaigns"][0]["lift"] == 1.8
    summary = (fc_dir / "summary.md").read_text(encoding="utf-8")
    assert (
        "placed in the forecast: 年中庆" in summary and "fitted on the log's promotion" in summary
    )
    # which mechanisms are on, which are off because the log cannot identify them
    assert "the fitted calendar" in summary and "Off (the log cannot identify them)" in summary
    assert "Frequency-spend correlation among" in summary  # gamma-gamma's assumption checked
    # the Calendar table says which lift is which, and the fitted campaign's unshrunk lift
    # with its interval is given next to it, as in the scenario header
    from lab.report.forecast_html import FORECAST_LABELS

    CALENDAR_LEGEND = FORECAST_LABELS["calendar_legend"][0]

    assert CALENDAR_LEGEND in summary and "| unshrunk_ci95_low | unshrunk_ci95_high |" in summary
    camp_line = next(x for x in summary.splitlines() if x.startswith("Campaigns: fitted"))
    fitted_part = camp_line.split("; placed in")[0]
    low, high = (float(v) for v in fitted_part.split("95% ")[1].rstrip(")").split("-"))
    assert "春季大促" in fitted_part and "unshrunk" in fitted_part and low < LIFT < high
    calendar = summary.split("## Calendar")[1]
    assert "nan" not in calendar  # weekdays and months: empty cells
    assert not [w for w in recwarn if "missing from font" in str(w.message)]


def test_python_forecast_places_the_fitted_models_future_campaigns(sale_model):
    # model.forecast without future_campaigns places those of the file given to fit
    fc = sale_model.forecast("14d", seeds=range(1), workers=1, parameter_uncertainty=False)
    assert [c["name"] for c in fc.meta["future_campaigns"]] == ["国庆", "双旦"]
    none = sale_model.forecast(
        "14d", seeds=range(1), workers=1, parameter_uncertainty=False, future_campaigns=[]
    )
    assert none.meta["future_campaigns"] == []
