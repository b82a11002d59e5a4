"""The page of ``lab forecast`` (lab/report/forecast_html.py): dates, figures, numbers, atomicity.

Uses the small open-cohort forecast of tests/test_forecast.py (the same log and fit) (a lab-generated BG/NBD log
whose customers keep joining; 90 days from the day after the log, three seeds).
"""

from __future__ import annotations

import base64
import io
import json
import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from lab.cli.forecast import save_forecast
from lab.report.forecast_html import forecast_totals, mechanisms_sentence, render_forecast_html
from lab.report.write import lab_wrote_html
from tests.test_forecast import PARAMS


class _Page(HTMLParser):
    """Rows of the page's tables (by class), the images and the text of ids."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[dict]] = {}
        self.images: dict[str, str] = {}
        self._table = None
        self._row = None
        self._cell = None
        self._figure = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            self._table = self.tables.setdefault(a.get("class", ""), [])
        elif tag == "tr" and self._table is not None:
            self._row = {"attrs": a, "cells": []}
        elif tag in ("td", "th") and self._row is not None:
            self._cell = {"text": "", "band": ""}
            self._in_band = False
        elif tag == "span" and self._cell is not None and a.get("class") == "band":
            self._in_band = True
        elif tag == "figure":
            self._figure = a.get("id")
        elif tag == "img" and self._figure:
            self.images[self._figure] = a["src"]

    def handle_endtag(self, tag):
        if tag == "span":
            self._in_band = False
        elif tag in ("td", "th") and self._cell is not None:
            self._row["cells"].append(self._cell)
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self._table.append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None
        elif tag == "figure":
            self._figure = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell["band" if self._in_band else "text"] += data


def _parse(page: str) -> _Page:
    p = _Page()
    p.feed(page)
    return p


def _n(x: float) -> str:
    return f"{x:,.0f}"


@pytest.fixture(scope="module")
def open_model():
    from lab.calibrate.estimator import fit
    from lab.calibrate.synthetic import synthetic_order_log

    return fit(synthetic_order_log(PARAMS, 300, join_weeks=34, days=240, seed=2), k_max=2)


@pytest.fixture(scope="module")
def open_forecast(open_model):
    return open_model.forecast("90d", seeds=range(3), workers=1, progress=False)


@pytest.fixture(scope="module")
def written(open_model, open_forecast, tmp_path_factory):
    out = tmp_path_factory.mktemp("fc") / "shop"
    save_forecast(open_model, open_forecast, out, lang="en")
    return out


def test_forecast_folder_holds_the_page_stamped_by_the_lab(written):
    page = written / "forecast.html"
    assert page.is_file() and lab_wrote_html(page)
    assert "forecast.html" in json.loads((written / "manifest.json").read_text())["lab_files"]
    text = page.read_text(encoding="utf-8")
    assert "default-src 'none'" in text  # no script, no network: one self-contained file
    assert '<meta name="lab:start" content="2025-08-29">' in text


def test_page_names_the_horizon_dates_and_shows_both_figures(written, open_forecast):
    from PIL import Image

    text = (written / "forecast.html").read_text(encoding="utf-8")
    first = open_forecast.start.date()
    last = (open_forecast.start + pd.Timedelta(days=open_forecast.days - 1)).date()
    assert f"Forecast {first} to {last} ({open_forecast.days} days)" in text
    page = _parse(text)
    assert set(page.images) == {"chart-forecast", "chart-calendar"}
    for src in page.images.values():
        assert src.startswith("data:image/png;base64,")
        img = Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1])))
        assert img.width > 600 and img.height > 250
        colours = img.convert("RGB").getcolors(maxcolors=1 << 16)
        assert colours is not None and len(colours) > 20  # drawn, not blank


def test_monthly_table_and_headline_match_monthly_csv(written):
    monthly = pd.read_csv(written / "monthly.csv")
    m = monthly.set_index(["period", "segment", "metric"])
    page = _parse((written / "forecast.html").read_text(encoding="utf-8"))
    rows = [r for r in page.tables["monthly"] if "data-period" in r["attrs"]]
    segs = {"existing customers": "existing", "new customers": "new", "total": "total"}
    assert len(rows) == len(monthly) // 3  # one row per month and segment
    for r in rows:
        period, seg = r["attrs"]["data-period"], segs[r["cells"][1]["text"]]
        for cell, metric in zip(r["cells"][2:], ("orders", "buyers", "gmv"), strict=True):
            x = m.loc[(period, seg, metric)]
            assert cell["text"] == _n(x["mean"])
            assert cell["band"] == f"[{_n(x['p10'])}–{_n(x['p90'])}]"
    # the headline: orders and GMV over the horizon are the sums of the monthly means
    head = {segs[r["cells"][0]["text"]]: r["cells"] for r in page.tables["headline"][1:]}
    assert set(head) == {"existing", "new", "total"}
    for seg, cells in head.items():
        part = monthly[monthly["segment"] == seg].groupby("metric")["mean"].sum()
        assert cells[1]["text"] == _n(part["orders"])
        assert cells[3]["text"] == _n(part["gmv"])


def test_headline_totals_hold_the_seeds_bands(open_forecast):
    t = forecast_totals(open_forecast).set_index(["segment", "metric"])
    m = open_forecast.monthly
    for seg in ("existing", "new", "total"):
        for metric in ("orders", "gmv"):
            r = t.loc[(seg, metric)]
            mean = m[(m["segment"] == seg) & (m["metric"] == metric)]["mean"].sum()
            assert r["mean"] == pytest.approx(mean)
            assert r["p2_5"] <= r["p10"] <= r["mean"] <= r["p90"] <= r["p97_5"]
            assert r["p97_5"] > r["p2_5"]  # seeds with their own parameters differ
    for metric in ("buyers", "orders", "gmv"):  # existing and new are different people
        assert t.loc[("total", metric), "mean"] == pytest.approx(
            t.loc[("existing", metric), "mean"] + t.loc[("new", metric), "mean"]
        )


def test_horizon_buyers_are_distinct_over_the_forecast_not_a_sum_of_months(open_forecast):
    """A planner reads the period's buyers as people: per seed and segment, at least the
    busiest month's buyers and at most the months' sum (a customer buying in two months
    counts once); the existing customers, who buy again, fall strictly below the sum."""
    d = open_forecast.daily
    months = d[d["kind"] == "M"].groupby(["segment", "seed"])["buyers"].agg(["max", "sum"])
    horizon = d[d["kind"] == "H"].set_index(["segment", "seed"])["buyers"]
    assert set(horizon.index) == set(months.index)  # one per seed and segment
    horizon = horizon.reindex(months.index)
    assert (months["max"] <= horizon).all() and (horizon <= months["sum"]).all()
    assert (horizon.loc["existing"] < months.loc["existing", "sum"]).all()
    t = forecast_totals(open_forecast).set_index(["segment", "metric"])
    for seg in ("existing", "new"):
        v = horizon.loc[seg].reindex(open_forecast.meta["seeds"]).to_numpy()
        r = t.loc[(seg, "buyers")]
        assert r["mean"] == pytest.approx(v.mean())
        assert (r["p2_5"], r["p97_5"]) == pytest.approx(tuple(np.quantile(v, [0.025, 0.975])))


def test_forecast_run_counts_each_buyer_once_over_the_horizon(monkeypatch):
    """The worker's horizon row is the number of distinct customers in the run's
    transactions after day 0, however many weeks and months they buy in; ``d`` buys
    only on day 0 (the calibration end) and is no forecast buyer."""
    import types

    import lab.api
    from lab.calibrate.estimator import _forecast_run

    tx = pd.DataFrame(
        {"day": [0, 1, 2, 40, 40, 70, 0], "customer_id": ["a", "a", "b", "a", "c", "a", "d"]}
    )
    daily = pd.DataFrame({"day": range(80), "orders": 0.0, "gmv": 0.0})
    res = types.SimpleNamespace(daily=daily, transactions=tx)
    monkeypatch.setattr(lab.api, "run", lambda scenario, seed: res)
    scenario = types.SimpleNamespace(start_date="2026-01-01")
    out = _forecast_run((scenario, 7, "existing"))
    h = out[out["kind"] == "H"]
    assert h["buyers"].tolist() == [3.0] and h["period"].tolist() == ["horizon"]  # a, b, c: no d
    months = out[out["kind"] == "M"].set_index("period")["buyers"]
    assert months.to_dict() == {"2026-01": 2.0, "2026-02": 2.0, "2026-03": 1.0}  # sum 5
    assert (out["seed"] == 7).all() and (out["segment"] == "existing").all()


def test_buyers_are_labelled_by_period_and_segments_alike_everywhere(
    written, open_model, open_forecast
):
    from openpyxl import load_workbook

    en = (written / "forecast.html").read_text(encoding="utf-8")
    page = _parse(en)
    heads = [c["text"] for c in page.tables["headline"][0]["cells"]]
    assert heads[2] == "buyers over the period (distinct)"
    assert [c["text"] for c in page.tables["monthly"][0]["cells"]][3] == "buyers in the month"
    assert "each counted once however many months they buy in" in en
    zh = render_forecast_html(open_model, open_forecast, "zh", embed_font=False)
    assert "预测期购买人数 (去重)" in zh and "当月购买人数" in zh and "月均购买人数" not in zh
    assert "预测期内" in zh and "预测期合计" not in zh  # the section holds distinct buyers
    names = {"existing customers", "new customers", "total"}
    assert {r["cells"][0]["text"] for r in page.tables["headline"][1:]} == names
    wb = load_workbook(written / "forecast.xlsx")
    for sheet, period in (("monthly", "month"), ("weekly", "week")):
        ws = wb[sheet]
        assert {r[3] for r in ws.iter_rows(min_row=2, values_only=True)} == names
        assert f"buyers in the {period} mean" in [c.value for c in ws[1]]
    summary = [str(c.value) for c in wb["summary"]["A"] if c.value]
    t = forecast_totals(open_forecast).set_index(["segment", "metric"])
    n = _n(t.loc[("existing", "buyers"), "mean"])
    assert any("existing customers: orders" in v and f"(distinct) {n} [" in v for v in summary)
    md = (written / "summary.md").read_text(encoding="utf-8")
    assert "## Over the forecast period" in md and "| existing customers | " in md
    assert f"| {n} [" in md.split("## Over the forecast period")[1].split("## Monthly")[0]
    assert "| existing customers | buyers in the month |" in md
    assert "| existing |" not in md  # no code where the page and the workbook use words
    assert "| existing customers | GMV (CNY) |" in md and "| gmv |" not in md
    from lab.report.forecast_html import horizon_rows

    rows = horizon_rows(open_forecast, "en")  # the page's headline, summary.md's section
    assert [r["cells"][0]["text"] for r in page.tables["headline"][1:]] == [
        r["segment"] for r in rows
    ]
    for r in rows:
        assert (
            f"| {r['segment']} | "
            + " | ".join(f"{c['mean']} {c['band']}" for c in r["cells"])
            + " |"
            in md
        )
    import matplotlib.pyplot as plt

    from lab.cli.forecast import _plot

    fig = _plot(open_model, open_forecast)  # forecast.png, in the workbook and summary.md
    assert {t.get_text() for t in fig.axes[0].get_legend().get_texts()} == names
    plt.close(fig)


def test_headline_note_says_whether_the_bands_hold_parameter_uncertainty(open_model, open_forecast):
    import dataclasses

    page = render_forecast_html(open_model, open_forecast, "en", embed_font=False)
    assert "Every seed draws its own parameters" in page
    fixed = dataclasses.replace(
        open_forecast, meta={**open_forecast.meta, "parameter_uncertainty": False}
    )
    page = render_forecast_html(open_model, fixed, "en", embed_font=False)
    assert "fixed at the fit" in page and "Every seed draws" not in page


def test_page_says_which_mechanisms_are_on_and_off_as_summary_md(written, open_forecast):
    meta = open_forecast.meta
    sentence = mechanisms_sentence(meta["regularity_k"], False, "en", meta["purchase_clock"])
    assert "new-customer arrivals" in sentence and "Off (the log cannot identify them)" in sentence
    assert "operational time" in sentence  # the fitted weekdays: refitted in operational time
    assert sentence in (written / "summary.md").read_text(encoding="utf-8")
    assert sentence in (written / "forecast.html").read_text(encoding="utf-8")


def test_chinese_page_uses_the_glossary_and_embeds_its_glyphs(open_model, open_forecast):
    page = render_forecast_html(open_model, open_forecast, "zh")
    assert '<html lang="zh-CN">' in page and "@font-face" in page
    assert "预测期 2025-08-29 至 2025-11-26 (90 天)" in page
    for words in (
        "老客",
        "新客",
        "成交总额 (GMV)",
        "2025年9月",
        "裂变",
        "促销疲劳",
        "订单日志无法识别",
    ):
        assert words in page
    # the provenance list: each stamp key named in Chinese, the key (read by scripts) beside it
    names = re.findall(r"<dt>(.*?)</dt>", page)
    assert names[:2] == ["类型 <code>kind</code>", "订单数据文件 <code>source</code>"]
    assert all(_CJK.search(n) for n in names) and "预测期开始 <code>start</code>" in names
    en = render_forecast_html(open_model, open_forecast, "en", embed_font=False)
    assert re.findall(r"<dt>(.*?)</dt>", en)[:3] == ["kind", "source", "calibration_end"]
    # glossary terms: segment = 用户分层, public acquisition = 公域拉新 (not the lab's old words)
    assert "用户分层" in page and "用户类型" not in page
    assert "公域拉新" in page and "付费/员工获客" not in page
    assert mechanisms_sentence(1, True, "zh").startswith("开启") and "无新客到达" in (
        mechanisms_sentence(1, True, "zh")
    )


def test_a_failing_page_leaves_nothing_half_written(
    open_model, open_forecast, tmp_path, monkeypatch
):
    import lab.report.forecast_html as fh

    out = tmp_path / "fc"
    save_forecast(open_model, open_forecast, out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def broken(*args, **kwargs):
        raise RuntimeError("the page broke")

    monkeypatch.setattr(fh, "render_forecast_html", broken)
    with pytest.raises(RuntimeError, match="the page broke"):
        save_forecast(open_model, open_forecast, out)  # a previous forecast: kept as it was
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    with pytest.raises(RuntimeError, match="the page broke"):
        save_forecast(open_model, open_forecast, tmp_path / "new")  # none: none made
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fc"]  # no partial folder left


def test_chinese_page_in_a_browser_draws_with_the_embedded_font(written, open_model, open_forecast):
    """Light check in headless Chromium (skips without it, unless LAB_REQUIRE_BROWSER=1):
    the page loads nothing, runs nothing, logs no error, shows both charts, and draws its
    Chinese with the embedded face."""
    from browser_helpers import launched_browser

    from lab.report.fonts import SC_FACE
    from tests.test_report_browser import _open, _platform_fonts

    path = written.parent / "forecast_zh.html"
    path.write_text(render_forecast_html(open_model, open_forecast, "zh"), encoding="utf-8")
    browsers = launched_browser()
    browser = next(browsers)
    try:
        page, seen = _open(browser, path, 390)  # a phone: the tables scroll inside the page
        images = page.evaluate(
            "[...document.images].map(i => [i.complete, i.naturalWidth, i.naturalHeight])"
        )
        assert len(images) == 2 and all(ok and w > 100 and h > 100 for ok, w, h in images)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        assert page.evaluate("document.scripts.length") == 0
        assert "老客" in page.inner_text("#headline")
        for selector in ("#title", "#headline td", "#mechanisms p"):
            used = _platform_fonts(page, selector)
            assert used and all(f["isCustomFont"] and f["familyName"] == SC_FACE for f in used)
        assert seen["errors"] == [] and seen["requests"] == [] and seen["dialogs"] == []
        page.close()
    finally:
        browsers.close()


def test_calendar_chart_marks_the_unshrunk_lifts_that_are_estimable():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    import pandas as pd

    from lab.report.forecast_html import _unshrunk_whiskers

    t = pd.DataFrame(
        {
            "effect": ["month_jan", "event_618", "event_cny", "campaign_A"],
            "multiplier": [1.1, 0.9, 1.3, 1.5],
            "unshrunk": [np.nan, 0.53, np.nan, 1.8],  # CNY not estimable: no whisker
            "unshrunk_ci95_low": [np.nan, 0.41, np.nan, 1.5],
            "unshrunk_ci95_high": [np.nan, 0.68, np.nan, 2.2],
        }
    )
    fig, ax = plt.subplots()
    _unshrunk_whiskers(ax, np.arange(len(t)), t)
    (bars,) = ax.containers  # one errorbar container
    x, y = bars.lines[0].get_data()
    assert list(x) == [1, 3] and list(y) == [0.53, 1.8]
    plt.close(fig)


_CJK = re.compile(r"[\u3400-\u9fff]")
#: the Latin words a Chinese summary.md may hold: model and statistic names, rule and prior
#: names as the options spell them, the log's name (here a DataFrame) and the plot's file
_LATIN_OK = {"GMV", "BG", "NBD", "gamma", "k", "Spearman", "rho", "Pearson", "r", "min", "all"}
_LATIN_OK |= {"flat", "forecast", "png", "DataFrame"}
#: the note on big sales the log lacks (x1): the option and the campaign file's columns
#: as the planner types them, ``--campaigns FILE (name, start, end, lift)``
_LATIN_OK |= {"x", "campaigns", "FILE", "name", "start", "end", "lift"}
_NUMBERISH = re.compile(r"[\d,.\-–\[\]() e+%]+")


def _md_parts(md: str) -> tuple[list[list[str]], list[str]]:
    """summary.md's table rows (cells) and the numbers of its other lines."""
    rows = [
        [c.strip() for c in ln.strip("|").split("|")] for ln in md.splitlines() if ln[:1] == "|"
    ]
    prose = [ln for ln in md.splitlines() if ln[:1] != "|"]
    return rows, sorted(re.findall(r"\d[\d,.]*", " ".join(prose)))


def test_summary_md_follows_the_language_with_the_same_numbers(open_model, open_forecast):
    """``lab forecast --lang zh``'s summary.md: headings, sentences, table heads, segment,
    metric and calendar names in Chinese (glossary words), every number as in English."""
    from lab.cli.forecast import _summary_md

    en, zh = (_summary_md(open_model, open_forecast, lang) for lang in ("en", "zh"))
    heads = [ln for ln in zh.splitlines() if ln.startswith("#")]
    assert heads == ["# 预测：<DataFrame>", "## 预测期内", "## 月度预测", "## 拟合的日历"]
    for words in ("| 用户分层 | 订单 | 预测期购买人数 (去重) | 成交总额 (GMV) (元) |", "| 老客 |"):
        assert words in zh
    assert "| 2025-09 | 新客 | 当月购买人数 |" in zh and "| 周一 |" in zh and "| 春节 |" in zh
    assert "惩罚规则 min (留出偏差最小)" in zh and "Spearman rho" in zh
    latin = set(re.findall(r"[A-Za-z]+", re.sub(r"\d\.?\d*e[+-]\d+", "", zh)))  # not 1.5e+04
    assert latin <= _LATIN_OK, latin
    assert all(_CJK.search(ln) for ln in zh.splitlines() if ln and ln[:2] not in ("|-", "|"))
    (rows_en, prose_en), (rows_zh, prose_zh) = _md_parts(en), _md_parts(zh)
    assert prose_en == prose_zh and len(prose_en) > 10
    assert len(rows_en) == len(rows_zh) > 40
    n = 0
    for a, b in zip(rows_en, rows_zh, strict=True):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            if _NUMBERISH.fullmatch(x):
                assert x == y
                n += 1
    assert n > 250  # the monthly and calendar tables' numbers, the headline's bands


def test_forecast_png_speaks_the_language_and_draws_the_same_numbers(open_model, open_forecast):
    """forecast.png in zh: titles, axis label, legend and calendar names are the page's
    Chinese words, drawn with the lab's CJK font (no missing glyph); lines, bands and
    bars are those of the English plot."""
    import warnings

    import matplotlib as mpl
    import matplotlib.pyplot as plt

    from lab.cli.forecast import _plot
    from lab.plots import house_rc

    figs = {}
    for lang in ("en", "zh"):
        with mpl.rc_context(house_rc(lang)), warnings.catch_warnings():
            warnings.filterwarnings("error", "Glyph .* missing from")  # a box, not a glyph
            figs[lang] = fig = _plot(open_model, open_forecast, lang)
            fig.canvas.draw()
    a, b = figs["zh"].axes
    texts = [a.get_title(loc="left"), a.get_xlabel(), b.get_title(loc="left")]
    texts += [t.get_text() for t in a.get_legend().get_texts()]
    ticks = [t.get_text() for t in b.get_xticklabels()]
    assert texts[:3] == ["每周订单 (80% 区间)", "自 2025-08-29 起第几周", "拟合的日历系数"]
    assert texts[3:] == ["老客", "新客", "合计"]
    assert ticks[:2] == ["周一", "周二"] and "1月" in ticks and "春节" in ticks
    assert not [t for t in texts + ticks if re.search(r"[A-Za-z]", t)]
    fams = {t.get_fontfamily()[0] for t in (a.title, a.xaxis.label, b.get_xticklabels()[0])}
    from lab.plots._style import CJK_FAMILY

    assert fams == {CJK_FAMILY}
    ea, eb = figs["en"].axes
    assert [t.get_text() for t in ea.get_legend().get_texts()] == [
        "existing customers",
        "new customers",
        "total",
    ]
    for x, y in ((ea, a), (eb, b)):
        assert len(x.lines) == len(y.lines) and len(x.patches) == len(y.patches)
        for lx, ly in zip(x.lines, y.lines, strict=True):
            assert np.array_equal(lx.get_xydata(), ly.get_xydata())
        for px, py in zip(x.patches, y.patches, strict=True):
            assert px.get_height() == py.get_height() and px.get_y() == py.get_y()
        for cx, cy in zip(x.collections, y.collections, strict=True):  # the 80% bands
            assert all(
                np.array_equal(p.vertices, q.vertices)
                for p, q in zip(cx.get_paths(), cy.get_paths(), strict=True)
            )
    for fig in figs.values():
        plt.close(fig)


def test_forecast_console_table_follows_the_language_with_the_same_numbers(
    open_model, open_forecast
):
    """The console table of ``lab forecast``: Chinese heads, title and segment names in
    zh (glossary: 用户分层), cell for cell the same numbers as in English."""
    from rich.console import Console

    from lab.cli.forecast import forecast_table

    out = {}
    for lang in ("en", "zh"):
        con = Console(record=True, width=200)
        con.print(forecast_table(open_model, open_forecast, lang))
        out[lang] = con.export_text()
    zh = out["zh"]
    assert zh.startswith("预测 2025-08-29 起 90 天 · k = ")
    for words in ("月份", "用户分层", "订单", "80% 区间", "当月购买人数", "成交总额 (GMV) (元)"):
        assert words in zh
    assert not re.search(r"[A-Za-z]{2,}", zh.replace("GMV", "")), zh
    cells = {
        lang: [
            [c.strip() for c in ln.strip("│ ").split("│")]
            for ln in text.splitlines()
            if ln.startswith("│")
        ]
        for lang, text in out.items()
    }
    assert len(cells["en"]) == len(cells["zh"]) == 3 * 4  # 4 months x 3 segments
    segs = {"existing customers": "老客", "new customers": "新客", "total": "合计"}
    for a, b in zip(cells["en"], cells["zh"], strict=True):
        assert a[0] == b[0] and a[2:] == b[2:] and segs[a[1]] == b[1]
