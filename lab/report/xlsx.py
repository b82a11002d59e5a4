"""The report's tables as an Excel workbook (openpyxl), for planners who work in Excel.

Sheets: ``summary`` (the sentences), ``charts`` (native Excel line charts of the
main monthly series, median per scenario, over real dates, with their data),
``monthly`` (the monthly forecast: median, 10% and 90% per metric, as numbers,
months as dates), ``key_figures`` (end-of-run metrics per scenario),
``comparison`` (paired differences, with 2+ scenarios), ``assumptions`` (every
parameter: value, unit, source) and ``provenance`` (the stamp, also in the
document properties).  Column heads are in the report's language and name their
unit; money is in the language's unit (CNY in English, 万元 in Chinese; per
customer CNY / 元).  Headers are frozen.  Sheet names and the ``metric`` key
columns stay in English so formulas and scripts keep working across languages.

Every text cell is written as text, never as a formula: a scenario named
``=HYPERLINK(...)`` stays those characters in Excel.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from lab.analysis.headline import HEADLINE_METRICS
from lab.io import neutralise_text
from lab.report.data import MONTHLY_METRICS, ReportData
from lab.report.fmt import kind_of, money_scale, money_unit
from lab.report.html import REPORT_METRICS, metric_head
from lab.report.labels import source_label, text, unit_label
from lab.report.summary import dash_reason, summary_sentences

__all__ = ["SHEETS", "build_workbook", "write_xlsx"]

SHEETS: tuple[str, ...] = (
    "summary",
    "charts",
    "scenario_diff",
    "monthly",
    "key_figures",
    "comparison",
    "assumptions",
    "provenance",
)

_FORMATS = {"money": "#,##0", "count": "#,##0", "share": "0.0%", "index": "0.000"}

#: monthly series drawn as native Excel charts on the ``charts`` sheet
CHART_METRICS: tuple[str, ...] = ("gmv", "net_margin", "customers", "promo_response_lost")


def _fmt(metric: str, lang: str) -> str:
    """Excel number format of ``metric`` in ``lang`` (万元 with one decimal)."""
    if kind_of(metric) == "money" and money_scale(metric, lang) != 1:
        return "#,##0.0"
    return _FORMATS[kind_of(metric)]


def _shown(metric: str, x, lang: str):
    """A value in the unit its column head names (money ÷ 10 000 in Chinese)."""
    if x is None or not isinstance(x, int | float) or kind_of(metric) != "money":
        return x
    return float(x) / money_scale(metric, lang)


def _unit(metric: str, lang: str, currency: str) -> str:
    kind = kind_of(metric)
    if kind == "money":
        return money_unit(metric, lang, currency)
    return "%" if kind == "share" else ""


def _month_date(month: str) -> dt.date:
    """``"2026-03"`` -> the first day of that month (a real Excel date)."""
    y, m = month.split("-")
    return dt.date(int(y), int(m), 1)


_HEAD_FONT = Font(bold=True)
_HEAD_FILL = PatternFill("solid", fgColor="EEF1F4")


def _clean(value):
    """A cell value: text stays text (no formulas, no control characters), NaN is empty."""
    if value is None:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item"):  # numpy scalars
        return _clean(value.item())
    if isinstance(value, str):
        return neutralise_text(ILLEGAL_CHARACTERS_RE.sub("", value))
    return value


def _put(ws, row: int, col: int, value, number_format: str | None = None):
    cell = ws.cell(row=row, column=col, value=_clean(value))
    if isinstance(cell.value, str):
        cell.data_type = "s"  # text, even when it starts with "="
    if number_format and isinstance(cell.value, int | float | dt.date):
        cell.number_format = number_format
    return cell


def _header(ws, row: int, heads: list[str], keep_columns: int = 0) -> None:
    """Bold head row; frozen with the first ``keep_columns`` columns."""
    for j, h in enumerate(heads, start=1):
        c = _put(ws, row, j, h)
        c.font = _HEAD_FONT
        c.fill = _HEAD_FILL
        c.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = ws.cell(row=row + 1, column=1 + keep_columns)


def _widths(ws, widths: dict[int, float] | None = None, default: float = 14) -> None:
    for j in range(1, ws.max_column + 1):
        ws.column_dimensions[get_column_letter(j)].width = (widths or {}).get(j, default)


def _summary(ws, data: ReportData, lang: str) -> None:
    names = data.names
    ws.title = "summary"
    title = (
        text("title_one", lang, a=names[0])
        if len(names) == 1
        else text("title_many", lang, names=" · ".join(names))
    )
    _put(ws, 1, 1, title).font = Font(bold=True, size=14)
    r = 3
    _put(ws, r, 1, text("sec_summary", lang)).font = _HEAD_FONT
    for sentence in summary_sentences(data, lang):
        r += 1
        c = _put(ws, r, 1, sentence)
        c.alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["A"].width = 140


def _chart_block(ws, data: ReportData, lang: str, metric: str, top: int) -> tuple[int, int]:
    """One metric's monthly medians: month column and one column per scenario.

    Returns the first and last data rows.
    """
    ref = data.scenarios[0]
    head = metric_head(metric, lang, ref.currency, ref.ltv_horizon_days)
    _put(ws, top, 1, head).font = _HEAD_FONT
    heads = [text("month", lang), *data.names]
    for j, h in enumerate(heads, start=1):
        c = _put(ws, top + 1, j, h)
        c.font, c.fill = _HEAD_FONT, _HEAD_FILL
    m = data.monthly[data.monthly["metric"] == metric]
    months = sorted(set(m["month"]))
    for i, month in enumerate(months):
        r = top + 2 + i
        _put(ws, r, 1, _month_date(month), "yyyy-mm")
        for j, name in enumerate(data.names, start=2):
            v = m[(m["scenario"] == name) & (m["month"] == month)]["median"]
            _put(
                ws,
                r,
                j,
                _shown(metric, float(v.iloc[0]), lang) if len(v) else None,
                _fmt(metric, lang),
            )
    return top + 2, top + 1 + len(months)


def _charts(ws, data: ReportData, lang: str) -> None:
    """Native line charts of the main monthly series (their data beside them)."""
    from openpyxl.chart import LineChart, Reference
    from openpyxl.chart.axis import DateAxis

    ws.title = "charts"
    n = len(data.names)
    top = 1
    for k, metric in enumerate(CHART_METRICS):
        first, last = _chart_block(ws, data, lang, metric, top)
        chart = LineChart()
        ref = data.scenarios[0]
        chart.title = metric_head(metric, lang, ref.currency, ref.ltv_horizon_days)
        chart.y_axis.title = _unit(metric, lang, ref.currency) or None
        chart.y_axis.number_format = _fmt(metric, lang)
        chart.y_axis.crossAx = 500
        chart.x_axis = DateAxis(crossAx=100)  # a time axis over the month dates
        chart.x_axis.number_format = "yyyy-mm"
        chart.x_axis.majorTimeUnit = "months"
        chart.x_axis.title = text("month", lang)
        chart.height, chart.width = 7.5, 16
        values = Reference(ws, min_col=2, max_col=1 + n, min_row=first - 1, max_row=last)
        chart.add_data(values, titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=1, min_row=first, max_row=last))
        chart.x_axis.delete = False
        chart.y_axis.delete = False
        ws.add_chart(chart, f"{get_column_letter(n + 3)}{1 + 16 * k}")
        top = max(last + 2, 1 + 16 * (k + 1))
    _widths(ws, {1: 12}, default=14)
    ws.freeze_panes = None


def _scenario_diff(ws, data: ReportData, lang: str) -> None:
    heads = [
        f"B: {text('scenario', lang)}",
        f"A: {text('reference', lang)}",
        text("parameter", lang),
        "A",
        "B",
        "outside_strategies",
        text("diff_flag", lang),
    ]
    _header(ws, 1, heads)
    cmp = data.comparison
    if cmp is None:
        _put(ws, 2, 1, text("no_comparison", lang))
        return
    frame = cmp.diff_frame()
    for r, row in enumerate(frame.itertuples(index=False), start=2):
        flag = bool(row.outside_strategies)
        values = [row.scenario, cmp.baseline, row.path, row.a, row.b, flag]
        for j, v in enumerate(values, start=1):
            _put(ws, r, j, v)
        if flag:
            _put(ws, r, 7, "⚠ " + text("diff_flag", lang)).font = Font(bold=True)
    _widths(ws, {1: 16, 2: 16, 3: 46, 4: 30, 5: 30, 6: 12, 7: 18})


def _monthly(ws, data: ReportData, lang: str) -> None:
    stats = ("median", "p10", "p90")
    heads = [text("scenario", lang), text("month", lang), text("days_in_month", lang)]
    ref = data.scenarios[0]
    for m in MONTHLY_METRICS:
        name = metric_head(m, lang, ref.currency, ref.ltv_horizon_days)
        heads += [f"{name} · {text(s, lang)}" for s in stats]
    _header(ws, 1, heads, keep_columns=2)
    r = 1
    for info in data.scenarios:
        part = data.monthly[data.monthly["scenario"] == info.name]
        for month, g in part.groupby("month", sort=True):
            r += 1
            g = g.set_index("metric")
            _put(ws, r, 1, info.name)
            _put(ws, r, 2, _month_date(month), "yyyy-mm")
            _put(ws, r, 3, int(g["days"].iloc[0]))
            col = 4
            for m in MONTHLY_METRICS:
                fmt = _fmt(m, lang)
                for s in stats:
                    v = _shown(m, float(g.loc[m, s]), lang) if m in g.index else None
                    _put(ws, r, col, v, fmt)
                    col += 1
    _widths(ws, {1: 18, 2: 10, 3: 7}, default=16)


def _key_figures(ws, data: ReportData, lang: str) -> None:
    stats = ("median", "p10", "p90", "mean", "n")
    heads = [text("scenario", lang), "metric", text("metric", lang), text("unit", lang)] + [
        text(s, lang) for s in stats
    ]
    _header(ws, 1, heads, keep_columns=3)
    h = data.headline
    order = {m: i for i, m in enumerate([*REPORT_METRICS, *HEADLINE_METRICS])}
    r = 1
    for info in data.scenarios:
        part = h[h["scenario"] == info.name].copy()
        part["_o"] = part["metric"].map(order).fillna(len(order))
        for row in part.sort_values("_o", kind="stable").itertuples(index=False):
            r += 1
            fmt = _fmt(row.metric, lang)
            _put(ws, r, 1, info.name)
            _put(ws, r, 2, row.metric)
            _put(ws, r, 3, metric_head(row.metric, lang, info.currency))
            _put(ws, r, 4, _unit(row.metric, lang, info.currency))
            if why := dash_reason(data, info, row.metric):
                _put(ws, r, 5, text(why, lang))  # no number to misread
                continue
            for j, s in enumerate(stats, start=5):
                v = getattr(row, s)
                _put(
                    ws,
                    r,
                    j,
                    v if s == "n" else _shown(row.metric, v, lang),
                    "0" if s == "n" else fmt,
                )
    _widths(ws, {1: 18, 2: 18, 3: 34, 4: 10})


def _comparison(ws, data: ReportData, lang: str) -> None:
    cols = [
        ("a_median", "A " + text("median", lang)),
        ("a_p10", "A " + text("p10", lang)),
        ("a_p90", "A " + text("p90", lang)),
        ("b_median", "B " + text("median", lang)),
        ("b_p10", "B " + text("p10", lang)),
        ("b_p90", "B " + text("p90", lang)),
        ("diff_mean", text("diff_mean", lang)),
        ("diff_low", text("diff_low", lang)),
        ("diff_high", text("diff_high", lang)),
    ]
    heads = [
        f"B: {text('scenario', lang)}",
        f"A: {text('reference', lang)}",
        "metric",
        text("metric", lang),
        text("unit", lang),
        *[h for _, h in cols],
        text("excludes_zero", lang),
        text("n_pairs", lang),
    ]
    _header(ws, 1, heads, keep_columns=3)
    cmp = data.comparison
    if cmp is None:
        _put(ws, 2, 1, text("no_comparison", lang))
        return
    cur = data.scenarios[0].currency
    for r, row in enumerate(cmp.table.itertuples(index=False), start=2):
        fmt = _fmt(row.metric, lang)
        _put(ws, r, 1, row.scenario)
        _put(ws, r, 2, cmp.baseline)
        _put(ws, r, 3, row.metric)
        _put(ws, r, 4, metric_head(row.metric, lang, cur))
        _put(ws, r, 5, _unit(row.metric, lang, cur))
        for j, (key, _) in enumerate(cols, start=6):
            _put(ws, r, j, _shown(row.metric, getattr(row, key), lang), fmt)
        _put(ws, r, 6 + len(cols), bool(row.excludes_zero))
        _put(ws, r, 7 + len(cols), int(row.n))
    _widths(ws, {1: 16, 2: 16, 3: 18, 4: 34, 5: 10})


def _assumptions(ws, data: ReportData, lang: str) -> None:
    heads = [
        text("scenario", lang),
        text("parameter", lang),
        text("value", lang),
        text("unit", lang),
        text("source", lang),
        "source_key",
        text("scenario_file", lang),
        text("valid", lang),
        text("meaning", lang),
        text("basis", lang),
    ]
    _header(ws, 1, heads, keep_columns=2)
    for r, row in enumerate(data.assumptions.itertuples(index=False), start=2):
        number = isinstance(row.raw, int | float) and not isinstance(row.raw, bool)
        values = [
            row.scenario,
            row.parameter,
            row.raw if number else row.value,
            unit_label(row.unit, lang),
            source_label(row.source, lang),
            row.source,
            row.source_file,
            row.valid,
            row.meaning,
            row.basis,
        ]
        for j, v in enumerate(values, start=1):
            _put(ws, r, j, v)
    _widths(ws, {1: 16, 2: 46, 3: 30, 4: 14, 5: 14, 6: 10, 7: 28, 8: 16, 9: 60, 10: 60})


def _provenance(ws, data: ReportData, lang: str) -> None:
    _header(ws, 1, [text("stamp_key", lang), text("value", lang)])
    items = [*data.stamp.items(), ("language", lang)]
    for r, (k, v) in enumerate(items, start=2):
        _put(ws, r, 1, k)
        _put(ws, r, 2, str(v))
    _widths(ws, {1: 26, 2: 90})


def _properties(wb: Workbook, data: ReportData, lang: str) -> None:
    s = data.stamp
    p = wb.properties
    p.title = text("title_many", lang, names=" · ".join(data.names))
    p.subject = text("title", lang)
    p.creator = f"private-traffic-lab {s.get('lab_version', '')}"
    p.lastModifiedBy = p.creator
    p.description = "; ".join(f"{k}={v}" for k, v in s.items())
    p.keywords = s.get("scenarios", "")
    p.identifier = s.get("git_commit", "")
    p.version = s.get("lab_version", "")
    p.language = "zh-CN" if lang == "zh" else "en"
    p.category = "forecast"
    created = s.get("created_utc")
    if created:
        when = dt.datetime.strptime(created, "%Y-%m-%dT%H:%M:%SZ")
        p.created = when
        p.modified = when
    for k, v in [*s.items(), ("language", lang)]:
        wb.custom_doc_props.append(StringProperty(name=f"lab:{k}", value=str(v)))


def build_workbook(data: ReportData, lang: str = "en") -> Workbook:
    """The report's workbook (not yet saved).

    Parameters
    ----------
    data : ReportData
    lang : {"en", "zh"}
        Language of the titles and column heads.

    Returns
    -------
    openpyxl.Workbook
    """
    wb = Workbook()
    _summary(wb.active, data, lang)
    for name, fill in (
        ("charts", _charts),
        ("scenario_diff", _scenario_diff),
        ("monthly", _monthly),
        ("key_figures", _key_figures),
        ("comparison", _comparison),
        ("assumptions", _assumptions),
        ("provenance", _provenance),
    ):
        fill(wb.create_sheet(name), data, lang)
    _properties(wb, data, lang)
    return wb


def write_xlsx(data: ReportData, path: str | Path, lang: str = "en") -> Path:
    """Save the workbook to ``path`` (not atomic by itself; see :mod:`lab.report.write`)."""
    path = Path(path)
    build_workbook(data, lang).save(path)
    return path
