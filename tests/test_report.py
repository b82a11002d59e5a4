"""`lab report`: the workbook's numbers are the runs', user text is escaped, the page is
self-contained and stamped, writes are atomic, bad input exits 2 with nothing written.

The rendering in a real browser is checked in ``test_report_browser.py``.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import os
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from report_helpers import DAYS, EVIL, FORMULA, SEEDS, shared_reports, write_scenarios
from typer.testing import CliRunner

import lab
from lab.cli import app
from lab.report import collect, summary_sentences, write_report
from lab.report.data import COHORT_PREFIX, SOURCES, report_metrics
from lab.report.fonts import page_characters
from lab.report.html import metric_head
from lab.report.labels import source_label
from lab.report.write import OutputError, write_pair
from lab.results import git_commit

runner = CliRunner()


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """Both scenarios reported through the CLI, in English and in Chinese (made once)."""
    return shared_reports(tmp_path_factory)


def _monthly_sheet(path: Path) -> pd.DataFrame:
    ws = openpyxl.load_workbook(path, read_only=True)["monthly"]
    rows = list(ws.values)
    return pd.DataFrame(rows[1:], columns=rows[0])


def test_workbook_numbers_equal_the_runs(made):
    reps = lab.replicate(made["a"], seeds=range(SEEDS), days=DAYS, workers=1)
    d = reps.daily
    d = d.assign(month=(pd.Timestamp("2026-01-01") + pd.to_timedelta(d["day"], unit="D")))
    d["month"] = d["month"].dt.to_period("M").astype(str)
    gmv = d[d["metric"] == "gmv"].groupby(["seed", "month"])["value"].sum()
    customers = d[d["metric"] == "customers"].groupby(["seed", "month"])["value"].last()
    fatigue = d[d["metric"] == "mean_fatigue"].groupby(["seed", "month"])["value"].mean()
    sheet = _monthly_sheet(made["en"].with_suffix(".xlsx"))
    mine = sheet[sheet.iloc[:, 0] == "monthly"].set_index(sheet.columns[1])
    assert all(isinstance(m, dt.datetime) for m in mine.index)  # real dates, not text
    mine.index = [m.strftime("%Y-%m") for m in mine.index]
    assert list(mine.index) == ["2026-01", "2026-02", "2026-03", "2026-04"]
    assert mine.iloc[:, 1].tolist() == [31, 28, 31, 10]  # simulated days of each month
    damping = lab.load_scenario(made["a"]).purchase.fatigue_damping
    lost = fatigue * damping  # the promotion response lost to fatigue
    for metric, expected in (("gmv", gmv), ("customers", customers), ("promo_response_lost", lost)):
        head = metric_head(metric, "en", "CNY", horizon=50)
        for stat, fn in (("median", "median"), ("10%", lambda v: np.quantile(v, 0.1))):
            col = f"{head} · {stat}"
            want = expected.groupby("month").agg(fn)
            np.testing.assert_allclose(mine[col].astype(float), want.loc[mine.index], rtol=1e-12)
    # end-of-run metrics and the paired difference, against lab.replicate of each scenario
    wb = openpyxl.load_workbook(made["en"].with_suffix(".xlsx"), read_only=True)
    kf = pd.DataFrame(list(wb["key_figures"].values)[1:])
    row = kf[(kf[0] == "monthly") & (kf[1] == "net_margin")].iloc[0]
    net_a = reps.totals.query("metric == 'net_margin'").sort_values("seed")["value"].to_numpy()
    assert row[3] == "CNY" and row[4] == pytest.approx(np.median(net_a), rel=1e-12)
    reps_b = lab.replicate(made["b"], seeds=range(SEEDS), days=DAYS, workers=1)
    net_b = reps_b.totals.query("metric == 'net_margin'").sort_values("seed")["value"].to_numpy()
    cmp = pd.DataFrame(list(wb["comparison"].values)[1:])
    diff = cmp[cmp[2] == "net_margin"].iloc[0]
    assert diff[0] == EVIL and diff[1] == "monthly"
    assert diff[4] == "CNY"
    assert diff[11] == pytest.approx(np.mean(net_b - net_a), rel=1e-9)  # diff_mean
    assert diff[12] < diff[11] < diff[13]  # its interval


def test_monthly_ltv_is_the_cohorts_complete_ltv(made):
    res = lab.run(made["a"], seed=0, days=DAYS)
    m = report_metrics(res)
    h = lab.analysis.headline.ltv_horizon_for(DAYS)
    table = lab.analysis.ltv_by(res, "cohort", h, "margin").set_index("cohort")
    assert m[f"{COHORT_PREFIX}2026-01"] == pytest.approx(table.loc["2026-01", "ltv_mean"])
    # a cohort not yet observed for the whole horizon has no value
    assert np.isnan(m[f"{COHORT_PREFIX}2026-04"])


def test_provenance_in_page_and_workbook(made):
    page = made["en"].read_text(encoding="utf-8")
    hash_a = lab.scenario_hash(lab.load_scenario(made["a"]))
    assert f'<meta name="lab:scenario_hash:monthly" content="{hash_a}">' in page
    assert f'<meta name="lab:git_commit" content="{git_commit()}">' in page
    assert '<meta name="lab:seeds" content="0..2">' in page
    footer = page[page.index('<footer id="provenance">') :]
    assert hash_a in footer and git_commit() in footer and lab.__version__ in footer
    wb = openpyxl.load_workbook(made["en"].with_suffix(".xlsx"))
    stamp = {r[0]: r[1] for r in list(wb["provenance"].values)[1:]}
    assert stamp["scenario_hash:monthly"] == hash_a
    assert stamp["seeds"] == "0..2" and stamp["n_seeds"] == str(SEEDS)
    assert stamp["git_commit"] == git_commit() and stamp["lab_version"] == lab.__version__
    assert stamp["created_utc"].endswith("Z") and stamp["language"] == "en"
    props = {p.name: p.value for p in wb.custom_doc_props.props}
    assert props["lab:git_commit"] == git_commit() and props["lab:scenario_hash:monthly"] == hash_a
    assert lab.__version__ in wb.properties.creator and hash_a in wb.properties.keywords


def test_user_text_is_escaped(made):
    for lang in ("en", "zh"):
        page = made[lang].read_text(encoding="utf-8")
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert "<script" not in page.lower()  # the page has no script at all
        assert "<b>bold</b>" not in page and "&lt;b&gt;bold&lt;/b&gt;" in page
    wb = openpyxl.load_workbook(made["en"].with_suffix(".xlsx"))
    ws = wb["assumptions"]
    cells = [row for row in ws.iter_rows(min_row=2) if row[1].value == "description"]
    desc = next(r[2] for r in cells if r[0].value == EVIL)
    # text, not a formula, and neutralised with a leading ' should it be pasted or saved as CSV
    assert desc.value == "'" + FORMULA and desc.data_type == "s"


def test_page_is_self_contained_and_small(made):
    for lang in ("en", "zh"):
        page = made[lang].read_text(encoding="utf-8")
        assert "Content-Security-Policy" in page and "default-src 'none'" in page
        for url in re.findall(r'(?:src|href)="([^"]*)"', page):
            assert url.startswith("data:"), url
        assert "url(http" not in page and "@import" not in page
        assert page.count("data:image/png;base64,") >= 5  # 4 KPI charts + 1 forest plot
        assert made[lang].stat().st_size < 1_500_000


def test_embedded_font_covers_the_page(made):
    from fontTools.ttLib import TTFont

    page = made["zh"].read_text(encoding="utf-8")
    for word in ("执行摘要", "月度预测", "情景比较", "假设", "成交总额", "促销疲劳", "置信区间"):
        assert word in page
    src = re.search(r"url\(data:font/(woff2?);base64,([A-Za-z0-9+/=]+)\)", page)
    assert src, "no embedded font"
    font = TTFont(io.BytesIO(base64.b64decode(src.group(2))))
    assert font["name"].getDebugName(1) == "Noto Sans CJK SC"
    cmap = font.getBestCmap()
    text = page_characters(page.replace(src.group(0), ""))
    missing = [c for c in text if ord(c) > 32 and ord(c) not in cmap]
    assert not missing, missing
    # the English page embeds only its CJK characters, with a matching unicode-range
    en = made["en"].read_text(encoding="utf-8")
    assert "unicode-range: U+" in en and "双" in en


@pytest.fixture(scope="module")
def small(made):
    """Both scenarios over 2 seeds and 40 days, through the Python API (made once)."""
    return collect([made["a"], made["b"]], seeds=range(2), days=40, workers=1)


def test_summary_and_assumptions(small, made):
    data = small
    en = summary_sentences(data, "en")
    zh = summary_sentences(data, "zh")
    customers = data.headline_value("monthly", "customers")
    outlook = next(s for s in en if s.startswith("Over the next 40 days"))
    assert f"reach {customers:,.0f}" in outlook and "10–90%" in outlook
    never = data.headline_value("monthly", "prospects_end")
    assert f"({never:,.0f} of them added but never ordered)" in outlook
    assert 0 <= never <= customers
    assert any("私域流量池" in s for s in zh) and any("置信区间" in s for s in zh)
    a = data.assumptions.set_index(["scenario", "parameter"])
    assert (
        a.loc[("monthly", "days"), "source"] == "option"
        and a.loc[("monthly", "days"), "value"] == "40"
    )
    assert a.loc[("monthly", "acquisition.paid.daily_budget_cny"), "source"] == "file"
    assert a.loc[("monthly", "acquisition.paid.daily_budget_cny"), "source_file"] == str(made["a"])
    assert a.loc[("monthly", "purchase.margin_rate"), "source"] == "default"
    assert set(data.assumptions["source"]) <= set(SOURCES)
    # every parameter also says where its default comes from (lab.params sources)
    assert a.loc[("monthly", "fatigue.decay_per_day"), "basis"].startswith("assumption")
    assert (data.assumptions["basis"] != "").all()
    assert source_label("calibration", "zh") == "标定" and source_label("file", "zh") == "情景文件"
    one = collect([made["a"]], seeds=[5], days=20, workers=1)
    assert one.comparison is None and "ran once" in summary_sentences(one, "en")[-1]


def test_atomic_pair_write(tmp_path):
    html = tmp_path / "r.html"
    html.write_text("old page", encoding="utf-8")
    html.with_suffix(".xlsx").write_bytes(b"old book")

    def broken(path):
        Path(path).write_bytes(b"half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        write_pair("new page", broken, html)
    assert html.read_text(encoding="utf-8") == "old page"
    assert html.with_suffix(".xlsx").read_bytes() == b"old book"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html", "r.xlsx"]

    real = os.replace

    def fail_on_html(src, dst):
        if Path(dst) == html:
            raise OSError(28, "No space left on device")
        return real(src, dst)

    import lab.report.write as w

    w.os.replace = fail_on_html
    try:
        with pytest.raises(OutputError, match="no space left on the device"):
            write_pair("new page", lambda p: Path(p).write_bytes(b"new book"), html)
    finally:
        w.os.replace = real
    assert html.read_text(encoding="utf-8") == "old page"
    assert html.with_suffix(".xlsx").read_bytes() == b"old book"  # put back
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html", "r.xlsx"]

    write_pair("new page", lambda p: Path(p).write_bytes(b"new book"), html)
    assert html.read_text(encoding="utf-8") == "new page"
    assert html.with_suffix(".xlsx").read_bytes() == b"new book"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html", "r.xlsx"]


def test_bad_input_exits_2_and_writes_nothing(tmp_path):
    a, _ = write_scenarios(tmp_path)
    out = tmp_path / "out" / "r.html"
    blocker = tmp_path / "blocker"
    blocker.write_text("a file, not a folder", encoding="utf-8")
    (tmp_path / "folder.html").mkdir()
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nacquisition: {paid: {daily_budget_cny: -5}}\n", encoding="utf-8")
    cases = [
        ([str(tmp_path / "missing.yaml")], str(out), "missing.yaml"),
        ([str(a), str(bad)], str(out), "daily_budget_cny"),
        ([str(a), "--lang", "fr"], str(out), "--lang 'fr'"),
        ([str(a), "--seeds", "0"], str(out), "--seeds 0"),
        ([str(a), "--days", "0"], str(out), "--days 0"),
        ([str(a)], str(tmp_path / "out" / "r.htm"), "must end in .html"),
        ([str(a)], str(tmp_path / "out" / "r.xlsx"), "must end in .html"),
        ([str(a)], str(tmp_path / "folder.html"), "is a folder"),
        ([str(a)], str(blocker / "r.html"), "not a folder"),
    ]
    if Path("/proc").is_dir():  # not writable, even for root
        cases.append(([str(a)], "/proc/lab-report-test/r.html", "not writable"))
    if os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        cases.append(([str(a)], str(locked / "r.html"), "not writable"))
    before = sorted(p.name for p in tmp_path.rglob("*"))
    for argv, target, needle in cases:
        days = [] if "--days" in argv else ["--days", "20"]
        res = runner.invoke(app, ["report", *argv, "--out", target, *days, "-q"])
        assert res.exit_code == 2, (argv, target, res.output)
        assert needle in res.output, (argv, target, res.output)
        assert sorted(p.name for p in tmp_path.rglob("*")) == before, (argv, target)
    assert not (tmp_path / "out").exists()


def test_write_report_checks_the_path_first(tmp_path, made):
    from lab.report import OutputError

    data = collect([made["a"]], seeds=[0], days=10, workers=1)
    with pytest.raises(OutputError, match=r"must end in \.html"):
        write_report(data, tmp_path / "r.pdf")
    with pytest.raises(ValueError, match="lang"):
        write_report(data, tmp_path / "r.html", lang="fr")
    assert list(tmp_path.iterdir()) == []


def test_report_starts_with_what_differs(made):
    page = made["en"].read_text(encoding="utf-8")
    section = page[page.index('id="scenario-diff"') : page.index('id="key-figures"')]
    assert "strategies.discount_cadence.depth" in section and "outside strategies" not in section
    assert page.index('id="scenario-diff"') < page.index('id="comparison"')
    assert "情景之间的差异" in made["zh"].read_text(encoding="utf-8")
    wb = openpyxl.load_workbook(made["en"].with_suffix(".xlsx"), read_only=True)
    rows = list(wb["scenario_diff"].iter_rows(min_row=2, values_only=True))
    assert [(r[2], r[3], r[4], r[5]) for r in rows] == [
        ("strategies.discount_cadence.depth", "0.2", "0.35", False)
    ]


def test_report_flags_a_difference_outside_the_strategies(tmp_path):
    from lab.report.html import render_html
    from lab.report.xlsx import build_workbook

    a, _ = write_scenarios(tmp_path)
    b = tmp_path / "bigger.yaml"
    b.write_text(
        f"extends: {a.name}\nname: bigger\nacquisition: {{paid: {{daily_budget_cny: 900}}}}\n",
        encoding="utf-8",
    )
    data = collect({"A": str(a), "B": str(b)}, [0, 1], days=15, workers=1, progress=False)
    for lang, flag in (("en", "outside strategies"), ("zh", "策略以外")):
        page = render_html(data, lang, embed_font=False)
        section = page[page.index('id="scenario-diff"') : page.index('id="scenarios"')]
        assert "acquisition.paid.daily_budget_cny" in section and flag in section
        assert 'class="confounded"' in section
    rows = list(build_workbook(data)["scenario_diff"].iter_rows(min_row=2, values_only=True))
    assert [(r[2], r[5]) for r in rows] == [("acquisition.paid.daily_budget_cny", True)]


# ---------------------------------------------------------------- the first screen
def test_first_screen_answers_on_the_objective(small):
    from lab.plots._style import GOOD_DIRECTION

    data, b = small, EVIL
    cmp = data.comparison
    row = cmp.table[(cmp.table["scenario"] == b) & (cmp.table["metric"] == "net_margin")].iloc[0]
    per_seed = cmp.differences.query("scenario == @b and metric == 'net_margin'")["diff"]
    en = summary_sentences(data, "en")
    # 1. the answer: better / worse / cannot tell, by the sign and the interval of B - A
    clear = row["diff_low"] > 0 or row["diff_high"] < 0
    word = ("better" if row["diff_mean"] > 0 else "worse") if clear else "cannot be told apart"
    assert en[0].startswith(f"The answer: on net margin, “{b}”") and word in en[0], en[0]
    assert "2026-01-01 to 2026-02-09" in en[0]  # calendar dates of the 40 days
    # 2. how sure: paired runs won, counted from the per-seed differences
    k, lost = int((per_seed > 0).sum()), int((per_seed < 0).sum())
    side = f"worse in {lost}" if lost > k else f"better in {k}"
    assert en[1].startswith(f"How sure: “{b}” came out {side} of 2 paired runs"), en[1]
    assert "--robustness" in en[1]  # not run: the sentence says so
    # 3. the cost, A -> B with its verdict coloured by the good direction
    lost = cmp.table.query("scenario == @b and metric == 'promo_response_lost'").iloc[0]
    assert en[2].startswith("At what cost (mean A → B): promotion response lost to fatigue ")
    assert f"{lost['a_mean'] * 100:.1f}% → {lost['b_mean'] * 100:.1f}%" in en[2]
    disc = cmp.table.query("scenario == @b and metric == 'discount_cost'").iloc[0]
    if disc["diff_low"] > 0:  # a deeper discount costs more: that is worse, never "better"
        assert GOOD_DIRECTION["discount_cost"] == -1
        assert "discount spend" in en[2] and en[2].split("discount spend")[1].count("worse") == 1
    # 4. what differs
    assert en[3] == (
        f"What differs: “{b}” changes 1 setting(s) of “monthly”: "
        "strategies.discount_cadence.depth 0.2 → 0.35."
    )
    zh = summary_sentences(data, "zh")
    assert zh[0].startswith("结论：在净利上") and "差异所在" in zh[3] and "代价" in zh[2]
    # the objective changes the question
    gmv = replace(data, objective="gmv")
    assert summary_sentences(gmv, "en")[0].startswith(f"The answer: on GMV, “{b}”")


def test_first_screen_with_the_plausible_worlds(small, made):
    from lab.experiments.robustness import robustness

    rob = robustness(
        {"monthly": made["a"], EVIL: made["b"]}, n=3, seeds=1, days=20, workers=1, progress=False
    )
    data = replace(small, robustness=rob)
    share = rob.summary.set_index("metric").loc["net_margin", "share_b_better"]
    sure = summary_sentences(data, "en")[1]
    assert "Across 3 plausible worlds" in sure and f"better in {share:.0%} of them" in sure
    assert "合理假设世界" in summary_sentences(data, "zh")[1]


def test_single_scenario_report_states_the_forecast(made):
    one = collect([made["a"]], seeds=[0, 1], days=20, workers=1)
    en = summary_sentences(one, "en")
    assert en[0].startswith("Over the next 20 days") and "net margin of CNY" in en[0]
    assert "promotion fatigue takes away" in en[1] and len(en) == 3


def test_objective_is_checked_before_any_run(tmp_path, made):
    with pytest.raises(ValueError, match="objective 'profit'"):
        collect([made["a"]], seeds=[0], days=5, objective="profit")
    out = tmp_path / "r.html"
    for argv, needle in (
        (["--objective", "profit"], "--objective 'profit'"),
        (["--robustness", "3"], "exactly two scenario files"),
    ):
        res = runner.invoke(app, ["report", str(made["a"]), "--out", str(out), *argv, "-q"])
        assert res.exit_code == 2 and needle in res.output, res.output
    assert list(tmp_path.iterdir()) == []


def test_pdf_without_a_browser_exits_2_before_running(tmp_path, made, monkeypatch):
    monkeypatch.setenv("LAB_CHROMIUM", str(tmp_path / "no-such-chromium"))
    out = tmp_path / "r.html"
    res = runner.invoke(app, ["report", str(made["a"]), "--out", str(out), "--pdf", "-q"])
    assert res.exit_code == 2, res.output
    assert "headless Chromium" in res.output and "no-such-chromium" in res.output
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- units and colours
def test_promo_response_lost_is_the_damped_lift(small):
    """Fatigue in a manager's unit: the share of promotion lift the engine's damping removes."""
    t = small.replications.totals.pivot_table(
        index=["scenario", "seed"], columns="metric", values="value", observed=True
    )
    for info in small.scenarios:
        damping = info.scenario.purchase.fatigue_damping
        part = t.loc[info.name]
        np.testing.assert_allclose(part["promo_response_lost"], damping * part["mean_fatigue"])
        assert ((part["promo_response_lost"] >= 0) & (part["promo_response_lost"] <= 1)).all()


def test_one_money_unit_per_language(made):
    from lab.report.fmt import fmt_money_words, fmt_value

    assert fmt_value("gmv", 1_234_567, lang="zh") == "123.5"
    assert fmt_value("gmv", 1_234_567, lang="en") == "1,234,567"
    assert fmt_value("ltv_margin", 35.27, lang="zh") == "35.3"  # per customer: 元
    assert fmt_money_words(7_500, "zh") == "0.75 万元"  # no bare 元 beside 万元
    assert fmt_money_words(-9_584, "en", like=-27_000) == "−CNY 10 thousand"  # as its pair
    assert metric_head("gmv", "zh") == "成交总额 (GMV) (万元)"
    assert metric_head("ltv_margin", "zh").endswith("(元/用户)")
    zh = made["zh"].read_text(encoding="utf-8")
    monthly = zh[zh.index('id="monthly"') : zh.index('id="comparison"')]
    assert "(万元)" in monthly and "(CNY)" not in monthly
    en = made["en"].read_text(encoding="utf-8")
    assert "GMV (CNY)" in en and "万元" not in en
    # the workbook in Chinese holds the same numbers in 万元
    rows = {lang: _monthly_sheet(made[lang].with_suffix(".xlsx")) for lang in ("en", "zh")}
    gmv_en = rows["en"][metric_head("gmv", "en") + " · median"].astype(float)
    gmv_zh = rows["zh"][metric_head("gmv", "zh") + " · 中位数"].astype(float)
    np.testing.assert_allclose(gmv_zh, gmv_en / 1e4, rtol=1e-12)


def test_readable_ticks_have_one_unit_and_no_exponent():
    from lab.plots._style import ReadableNumbers

    for lang, locs, want in (
        ("zh", [0, 2500, 5000, 7500, 10000], ["0.00万", "0.25万", "0.50万", "0.75万", "1.00万"]),
        ("en", [0, 2500, 5000, 7500], ["0.0k", "2.5k", "5.0k", "7.5k"]),
        ("zh", [0, 0.1, 0.2], ["0.0", "0.1", "0.2"]),
    ):
        f = ReadableNumbers(lang)
        f.set_locs(locs)
        got = [f(x) for x in locs]
        assert got == want and not any("e+" in g or "e-" in g for g in got)
    fixed = ReadableNumbers("zh", fixed=(1e4, ""))
    fixed.set_locs([0, 5000])
    assert fixed(5000) == "0.5"


def test_good_bad_is_one_mapping():
    from lab.experiments.robustness import ROBUSTNESS_METRICS
    from lab.explorer import GOOD_DIRECTION as EXPLORER
    from lab.plots._style import GOOD_DIRECTION, NEGATIVE, NEUTRAL, POSITIVE, good_bad_colour
    from lab.report.html import _verdict

    for other in (EXPLORER, ROBUSTNESS_METRICS):
        assert {k: GOOD_DIRECTION[k] for k in other} == dict(other)
    assert good_bad_colour("discount_cost", 10, 20) == NEGATIVE  # a cost going up is bad
    assert good_bad_colour("block_rate", 0.01, 0.02) == NEGATIVE
    assert good_bad_colour("gmv", 10, 20) == POSITIVE
    assert good_bad_colour("gmv", -10, 20) == NEUTRAL
    assert _verdict("discount_cost", 1, 2, "en")[1] == "bad"
    assert _verdict("net_margin", -2, -1, "en") == ("▼ lower, clear, worse", "bad")


def test_workbook_has_native_charts_dates_and_frozen_heads(made):
    wb = openpyxl.load_workbook(made["zh"].with_suffix(".xlsx"))
    charts = wb["charts"]._charts
    assert len(charts) == 4
    for chart in charts:
        assert len(chart.series) == 2  # one line per scenario
        assert type(chart.x_axis).__name__ == "DateAxis"  # a time axis, not text labels
    ws = wb["charts"]
    assert isinstance(ws.cell(row=3, column=1).value, dt.datetime)
    assert ws.cell(row=3, column=1).number_format == "yyyy-mm"
    for name in ("monthly", "key_figures", "comparison", "assumptions", "scenario_diff"):
        assert wb[name].freeze_panes is not None and wb[name].freeze_panes.endswith("2"), name
    heads = [c.value for c in wb["monthly"][1]]
    money = [h for h in heads if h and "(GMV)" in h]
    assert money and all("(万元)" in h for h in money)


def test_page_order_and_appendix(made):
    page = made["en"].read_text(encoding="utf-8")
    lead = page[page.index('<div class="lead">') : page.index("</div>", page.index('class="lead"'))]
    assert "The answer: on net margin" in lead and "“Better” means higher net margin" in lead
    order = [
        "summary",
        "scenario-diff",
        "key-figures",
        "charts",
        "comparison",
        "method",
        "assumptions",
        "provenance",
    ]
    at = [page.index(f'id="{k}"') for k in order]
    assert at == sorted(at)
    assert "Appendix: all assumptions" in page
    assert "customers in pool (incl. never ordered)" in page
    comparison = page[page.index('id="comparison"') : page.index('id="method"')]
    assert 'class="good"' in comparison or 'class="bad"' in comparison or "unclear" in comparison
