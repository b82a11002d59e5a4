"""The report of a calibrated scenario (known buyers from an order log, nothing layered).

Every customer of such a pool joins with an order, so a conversion rate would read
100% by construction; and no cost is booked, so net margin would equal gross margin.
The report must say so instead of presenting either as a result.
"""

from __future__ import annotations

import math

import pytest

import lab
from lab.analysis.headline import headline_metrics, known_buyers_only
from lab.calibrate.ingest import clean_orders
from lab.calibrate.scenario_out import calibrate, write_calibration
from lab.calibrate.synthetic import synthetic_order_log
from lab.report.data import collect
from lab.report.html import _key_figures, metric_head
from lab.report.summary import no_costs_modelled, summary_sentences

PARAMS = {"r": 0.5, "alpha": 6.0, "a": 0.7, "b": 3.0}  # weekly BG/NBD
DAYS = 90


@pytest.fixture(scope="module")
def calibrated(tmp_path_factory):
    log = synthetic_order_log(PARAMS, 200, join_weeks=8, days=DAYS, seed=5)
    cal = calibrate(clean_orders(log, source="shop.csv"))
    paths = write_calibration(cal, tmp_path_factory.mktemp("cal") / "shop.yaml")
    return paths["scenario"]


@pytest.fixture(scope="module")
def data(calibrated):
    return collect([calibrated], seeds=[1, 2], workers=1, progress=False)


def test_known_buyers_only_is_read_from_the_scenario(calibrated):
    sc = lab.load_scenario(calibrated)
    assert known_buyers_only(sc)
    assert not known_buyers_only(lab.load_scenario("scenarios/baseline.yaml"))
    paid_on = sc.model_copy(deep=True)
    paid_on.acquisition.paid.enabled = True  # prospects who may never order
    assert not known_buyers_only(paid_on)


def test_conversion_is_undefined_for_known_buyers(calibrated):
    res = lab.run(lab.load_scenario(calibrated), seed=1)
    assert (res.customers["customer_id"].isin(res.transactions["customer_id"])).all()
    h = headline_metrics(res)
    assert math.isnan(h["conversion_rate"])  # not the 100% of construction
    assert h["repurchase_rate"] > 0  # the rest is still measured


def test_report_says_no_costs_are_modelled(data):
    info = data.scenarios[0]
    assert math.isnan(data.headline_value(info.name, "conversion_rate"))
    gross = data.headline_value(info.name, "gross_margin")
    assert gross > 0 and data.headline_value(info.name, "net_margin") == gross
    assert no_costs_modelled(data, info)
    en = " ".join(summary_sentences(data, "en"))
    assert "no costs are modelled (calibrated from orders only)" in en
    assert "net margin of" not in en and "never ordered" not in en
    assert "conversion rate is undefined" in en
    assert f"the {info.days} days from {info.start} to {info.end}" in en  # not "the next"
    assert "the next" not in en
    zh = " ".join(summary_sentences(data, "zh"))
    assert "未建模任何成本" in zh and "净利 " not in zh
    rows = {r["label"]: r["cells"][0] for r in _key_figures(data, "en")}
    net = rows[metric_head("net_margin", "en", info.currency)]
    assert net["median"] == "–" and "no costs modelled" in net["band"]
    assert rows[metric_head("gross_margin", "en", info.currency)]["median"] != "–"


def test_workbook_shows_the_note_not_a_net_margin(data):
    from lab.report.xlsx import build_workbook

    ws = build_workbook(data, "en")["key_figures"]
    rows = {r[1]: r for r in ws.iter_rows(min_row=2, values_only=True)}
    assert "no costs modelled" in rows["net_margin"][4]
    assert all(v is None for v in rows["net_margin"][5:])
    assert isinstance(rows["gross_margin"][4], float)
    assert rows["conversion_rate"][4] is None  # NaN is an empty cell, not 100%


def test_report_says_which_mechanisms_are_on_and_which_the_log_cannot_identify(data):
    en = " ".join(summary_sentences(data, "en"))
    assert "Mechanisms on: purchase and dropout fitted to the log, spend." in en
    off = en.split("Off because an order log cannot identify them: ")[1]
    for name in ("paid acquisition", "referral", "promotion fatigue", "strategies"):
        assert name in off
    zh = " ".join(summary_sentences(data, "zh"))
    assert "因订单日志无法识别而关闭：付费获客" in zh


def test_a_layered_strategy_is_on_and_makes_the_net_margin_a_result(calibrated, tmp_path):
    # a planner layers a strategy of the library with extends: (issue 15)
    child = tmp_path / "plus.yaml"
    child.write_text(
        f"extends: {calibrated}\nname: shop-plus\nstrategies:\n"
        "  - {type: discount_cadence, label: monthly 30% off, every_days: 30, first_day: 7,\n"
        "     duration_days: 3, depth: 0.3, kind: sitewide, announce: mass_message}\n",
        encoding="utf-8",
    )
    plus = collect([child], seeds=[1], workers=1, progress=False)
    info = plus.scenarios[0]
    assert data_discount(plus, info) > 0  # the strategy acts on the calibrated customers
    assert not no_costs_modelled(plus, info)  # its costs are modelled, whatever they are
    en = " ".join(summary_sentences(plus, "en"))
    assert "strategies: monthly 30% off" in en and "no costs are modelled" not in en
    assert "net margin of" in en
    off = en.split("Off because an order log cannot identify them: ")[1]
    assert "promotion fatigue" in off and "strategies" not in off


def data_discount(data, info) -> float:
    return data.headline_value(info.name, "discount_cost")


def test_ltv_with_all_money_is_per_customer_in_yuan(data):
    # audit D11: "LTV (全部收支) 0.01 万元" beside "LTV (毛利) 117 元/用户"
    from lab.report.fmt import fmt_value

    assert metric_head("ltv_net", "zh").endswith("(元/用户)")
    assert fmt_value("ltv_net", 117.2, lang="zh") == fmt_value("ltv_margin", 117.2, lang="zh")
    rows = {r["label"]: r["cells"][0] for r in _key_figures(data, "zh")}
    info = data.scenarios[0]
    margin = rows[metric_head("ltv_margin", "zh", info.currency)]["median"]
    net = rows[metric_head("ltv_net", "zh", info.currency)]["median"]
    assert net == margin  # nothing but margin is booked: the same number, the same unit


def test_appendix_credits_fitted_values_to_the_log_not_cdnow(data):
    # audit D5: the appendix said "assumption: CDNOW BG/NBD (Fader, Hardie & Lee 2005)"
    from lab.report.html import _assumptions

    a = data.assumptions.set_index("parameter")
    rate = a.loc["traits.default.propensity_per_day.mean"]
    assert rate["source"] == "calibration" and rate["fitted_to"] == "shop.csv"
    assert rate["basis"].startswith("fitted to shop.csv") and "SE" in rate["basis"]
    assert "CDNOW" not in rate["basis"]
    rows = {r["parameter"]: r for r in _assumptions(data, "zh")["set"]}
    cell = rows["traits.default.propensity_per_day.mean"]["cells"][0]
    assert cell["source_label"] == "标定 (shop.csv)"


def test_cac_is_a_dash_not_zero_without_acquisition_spend(data):
    # audit D11: "综合获客成本 0.0" for customers who came from the order log
    from lab.report.html import _channels
    from lab.report.xlsx import build_workbook

    info = data.scenarios[0]
    assert data.headline_value(info.name, "cac_blended") == 0  # nothing was spent
    for lang in ("en", "zh"):
        rows = {r["label"]: r["cells"][0] for r in _key_figures(data, lang)}
        cac = rows[metric_head("cac_blended", lang, info.currency)]
        assert cac["median"] == "–" and cac["band"]
    assert "无获客支出" in rows[metric_head("cac_blended", "zh", info.currency)]["band"]
    table = _channels(data, "zh")
    cac_col = next(i for i, h in enumerate(table["heads"]) if "CAC" in h and "/" not in h[:4])
    assert all(r["cells"][cac_col] == "–" for r in table["rows"])
    assert all(r["cells"][2] == "–" for r in table["rows"])  # no payback without a cost
    ws = build_workbook(data, "en")["key_figures"]
    rows = {r[1]: r for r in ws.iter_rows(min_row=2, values_only=True)}
    assert "no acquisition spend" in rows["cac_blended"][4]


def test_fatigue_index_is_a_dash_while_fatigue_and_reference_price_are_off(calibrated, tmp_path):
    # audit D11: 促销疲劳指数 0.205 beside "促销疲劳 ... 因订单日志无法识别而关闭": the index
    # then measures only the customers who left and still count in the pool
    child = tmp_path / "promo.yaml"
    child.write_text(
        f"extends: {calibrated}\nname: promo\nstrategies:\n"
        "  - {type: discount_cadence, label: weekly 30% off, every_days: 7, first_day: 3,\n"
        "     duration_days: 2, depth: 0.3, kind: sitewide, announce: mass_message}\n",
        encoding="utf-8",
    )
    promo = collect([child], seeds=[1], workers=1, progress=False)
    info = promo.scenarios[0]
    assert not info.scenario.fatigue.enabled and not info.scenario.reference_price.enabled
    assert math.isfinite(promo.headline_value(info.name, "fatigue_index"))  # computed
    for lang, note in (("en", "promo fatigue and reference price are off"), ("zh", "均已关闭")):
        rows = {r["label"]: r["cells"][0] for r in _key_figures(promo, lang)}
        cell = rows[metric_head("fatigue_index", lang, info.currency)]
        assert cell["median"] == "–" and note in cell["band"]


def test_the_calibrated_description_is_in_chinese_under_zh(calibrated, data):
    # audit D11: the scenario table of `lab report --lang zh` showed calibrate's English
    from lab.calibrated_text import description_in
    from lab.report.html import context

    en = lab.load_scenario(calibrated).description
    assert en.startswith("calibrated to shop.csv up to ")
    zh = context(data, "zh", with_charts=False)["scenarios"][0]["description"]
    assert zh.startswith("按 shop.csv 标定至 ") and "replayed" not in zh
    assert context(data, "en", with_charts=False)["scenarios"][0]["description"] == en
    assert description_in("我的情景: my own words", "zh") == "我的情景: my own words"
    forecast = (
        "forecast from 2025-12-01 of the customers of a b.csv (calibrated up to 2025-11-30; "
        "day 0 is that day: they join at its end with their order history)"
    )
    assert description_in(forecast, "zh").startswith("a b.csv 中用户自 2025-12-01 起的预测")


@pytest.fixture(scope="module")
def forecast_scenario(tmp_path_factory):
    from typer.testing import CliRunner

    from lab.cli import app

    folder = tmp_path_factory.mktemp("forecast")
    log = synthetic_order_log(
        {"r": 2.0, "alpha": 8.0, "a": 0.7, "b": 4.0}, 600, join_weeks=38, days=270, seed=3
    )
    log.to_csv(folder / "orders.csv", index=False)
    out = folder / "shop.yaml"
    args = ["calibrate", str(folder / "orders.csv"), "--out", str(out), "--forecast-days", "30"]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    return out


def test_new_customers_after_the_log_are_counted_as_new_not_as_stock_import(forecast_scenario):
    # audit D11: the new customers expected after the log were counted under 存量导入
    import pandas as pd

    from lab.analysis.headline import channel_metrics
    from lab.report.labels import text

    table = pd.read_csv(
        next(forecast_scenario.parent.glob("shop.data-*/customers.csv")), comment="#"
    )
    is_new = table["customer_id"].astype(str).str.startswith("new-")
    assert is_new.any() and not is_new.all()
    m = channel_metrics(lab.run(lab.load_scenario(forecast_scenario), seed=1))
    assert m["channel:known_new:customers"] == is_new.sum()
    assert m["channel:stock_import:customers"] == (~is_new).sum()  # the log's, with history
    assert m["channel:all:customers"] == len(table)
    assert text("known_new", "zh") == "新客 (加入当天下首单)"
