"""The workbook of ``lab forecast``: the forecast tables for planners who work in Excel.

Sheets: ``summary`` (what was fitted and forecast, in sentences, the whole forecast
period's orders, distinct buyers and GMV per segment, with the plot embedded),
``monthly`` and ``weekly`` (one row per period and segment: existing customers, new
customers, total, as the page names them; orders, the buyers in the period and GMV with
their mean and 80% / 95% bands over seeds),
and ``provenance`` (source, calibration and forecast dates, seeds, lab version: one
row per stamp key, as in ``lab report``'s workbook; column A the key, the same
identifier in every language, B its value, C its name in the workbook's language).
Periods are real Excel dates (first and last day of the period) beside the number
of forecast days they hold, so a partial first or last month is visible; numbers
are numbers; column heads name their unit; head rows are frozen.  Every text cell
is written as text, never as a formula (as :mod:`lab.report.xlsx`).

The sentences, column heads, segment names and provenance labels are in English or
Chinese (``lang``), in the page's words (:data:`lab.report.forecast_html.FORECAST_LABELS`);
the numbers and dates are the same in both.  Sheet names stay ASCII in both languages
(:data:`FORECAST_SHEETS`), as in ``lab report``'s workbook, so formulas and scripts that
name a sheet work on either.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from lab.i18n import check_lang, label
from lab.report.forecast_html import SEGMENTS, _t, horizon_sentences, mechanisms_sentence
from lab.report.labels import text
from lab.report.xlsx import _header, _put, _widths

__all__ = [
    "FORECAST_SHEETS",
    "forecast_workbook",
    "summary_lines",
    "table_heads",
    "write_forecast_xlsx",
]

#: the sheets, in order; the same ASCII names in English and Chinese workbooks
FORECAST_SHEETS: tuple[str, ...] = ("summary", "monthly", "weekly", "provenance")

#: metric -> (its column name's key in ``FORECAST_LABELS``, with its unit; Excel number
#: format); ``{period}``: month or week
METRICS: dict[str, tuple[str, str]] = {
    "orders": ("orders", "#,##0"),
    "buyers": ("buyers_in_{period}", "#,##0"),
    "gmv": ("gmv", "#,##0"),
}


#: statistic column -> its head suffix (the bands are over seeds with parameter draws);
#: ``None``: the word of :func:`lab.i18n.label` in the workbook's language
STATS: dict[str, str | None] = {
    "mean": None,
    "p10": "10%",
    "p90": "90%",
    "p2_5": "2.5%",
    "p97_5": "97.5%",
}

_DATE = "yyyy-mm-dd"


def period_bounds(period: str) -> tuple[dt.date, dt.date]:
    """First and last day of a forecast period label.

    ``"2026-03"`` (a month) or ``"2026-03-02/2026-03-08"`` (a week, as pandas
    writes a weekly period).
    """
    if "/" in period:
        a, b = period.split("/")
        return pd.Timestamp(a).date(), pd.Timestamp(b).date()
    p = pd.Period(period, "M")
    return p.start_time.date(), p.end_time.date()


def _days_inside(first: dt.date, last: dt.date, start: dt.date, end: dt.date) -> int:
    """Days of ``first .. last`` inside the forecast ``start .. end``."""
    return max((min(last, end) - max(first, start)).days + 1, 0)


def table_heads(title: str, lang: str = "en") -> list[str]:
    """The column heads of the ``monthly`` or ``weekly`` sheet in ``lang``.

    Parameters
    ----------
    title : {"monthly", "weekly"}
        The sheet.
    lang : {"en", "zh"}
        Language of the heads.

    Returns
    -------
    list of str
        First day, last day, forecast days, segment, then for each metric (orders, the
        buyers in the month or week, GMV) its mean and its 10/90% and 2.5/97.5% bands,
        e.g. ``"orders 10%"`` / ``"订单 10%"``.
    """
    period = {"monthly": "month", "weekly": "week"}[title]
    heads = [_t(k, lang) for k in ("first_day", "last_day", "forecast_days", "segment")]
    for key, _fmt in METRICS.values():
        name = _t(key.format(period=period), lang)
        heads += [f"{name} {s or label(k, lang)}" for k, s in STATS.items()]
    return heads


def _table(ws, title: str, table: pd.DataFrame, start: dt.date, end: dt.date, lang: str) -> None:
    ws.title = title
    _header(ws, 1, table_heads(title, lang), keep_columns=4)
    wide = table.set_index(["period", "segment", "metric"])
    r = 1
    for period in sorted(table["period"].unique(), key=lambda p: period_bounds(p)[0]):
        first, last = period_bounds(period)
        for seg in SEGMENTS:
            if (period, seg, "orders") not in wide.index:
                continue
            r += 1
            _put(ws, r, 1, first, _DATE)
            _put(ws, r, 2, last, _DATE)
            _put(ws, r, 3, _days_inside(first, last, start, end), "0")
            _put(ws, r, 4, _t(seg, lang))
            col = 5
            for metric, (_name, fmt) in METRICS.items():
                row = wide.loc[(period, seg, metric)]
                for s in STATS:
                    _put(ws, r, col, float(row[s]), fmt)
                    col += 1
    _widths(ws, {1: 12, 2: 12, 3: 9, 4: 18}, default=11)


def summary_lines(model, fc, lang: str = "en") -> list[str]:
    """The sentences of the summary sheet in ``lang``: what was fitted and forecast,
    the mechanisms, the segments, the whole period per segment, the buyers.

    Parameters
    ----------
    model : lab.calibrate.estimator.OrderModel
    fc : lab.calibrate.estimator.Forecast
    lang : {"en", "zh"}

    Returns
    -------
    list of str
    """
    s = fc.meta
    arr = s.get("arrivals", {})
    source = Path(str(model.orders.report.source)).name
    end = fc.start + pd.Timedelta(days=fc.days - 1)
    space = " " if lang == "en" else ""  # between sentences; none after 。
    return [
        _t(
            "xlsx_calibrated",
            lang,
            source=source,
            first=model.calibration.start_date.date(),
            last=s["calibration_end"],
            customers=f"{s['customers']:,}",
        ),
        _t(
            "xlsx_forecast",
            lang,
            first=fc.start.date(),
            last=end.date(),
            days=fc.days,
            seeds=len(s["seeds"]),
        ),
        mechanisms_sentence(
            int(s["regularity_k"]),
            bool(arr.get("closed_cohort")),
            lang,
            str(s.get("purchase_clock", "calendar")),
        )
        + space
        + _t("no_costs", lang),
        _t("xlsx_segments", lang, **{k: _t(k, lang) for k in SEGMENTS}),
        *horizon_sentences(fc, lang),
        _t("xlsx_buyers", lang),
    ]


def _summary(ws, model, fc, png: Path | None, lang: str) -> None:
    ws.title = "summary"
    source = Path(str(model.orders.report.source)).name
    _put(ws, 1, 1, _t("title", lang, source=source)).font = Font(bold=True, size=14)
    r = 2
    for line in summary_lines(model, fc, lang):
        r += 1
        _put(ws, r, 1, line).alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["A"].width = 140
    if png is not None:
        from openpyxl.drawing.image import Image

        img = Image(str(png))
        ws.add_image(img, f"A{r + 2}")


def _provenance(ws, model, fc, lang: str) -> None:
    from lab._version import __version__
    from lab.results import git_commit

    ws.title = "provenance"
    _header(ws, 1, [text("stamp_key", lang), _t("value", lang), _t("field", lang)])
    drawn = bool(fc.meta.get("parameter_uncertainty"))
    rows = [
        ("source", str(model.orders.report.source)),
        ("calibration_start", model.calibration.start_date.date()),
        ("calibration_end", pd.Timestamp(fc.meta["calibration_end"]).date()),
        ("forecast_start", fc.start.date()),
        ("forecast_days", int(fc.days)),
        ("horizon", str(fc.meta.get("horizon", ""))),
        ("seeds", ", ".join(str(s) for s in fc.meta["seeds"])),
        ("parameter_uncertainty", _t("yes" if drawn else "no", lang)),
        ("lab_version", __version__),
        ("git_commit", git_commit()),
        ("language", lang),
    ]
    for i, (k, v) in enumerate(rows, start=2):
        _put(ws, i, 1, k)  # the key a script reads, the same in every language
        _put(ws, i, 2, v, _DATE if isinstance(v, dt.date) else "0")
        _put(ws, i, 3, _t(k, lang))
    _widths(ws, {1: 24, 2: 60, 3: 24})


def forecast_workbook(model, fc, png: str | Path | None = None, lang: str = "en") -> Workbook:
    """The workbook of a forecast (not yet saved).

    Parameters
    ----------
    model : lab.calibrate.estimator.OrderModel
    fc : lab.calibrate.estimator.Forecast
    png : path, optional
        The forecast plot, embedded on the summary sheet.
    lang : {"en", "zh"}
        Language of the sentences, column heads, segment names and provenance labels
        (the sheet names, numbers and dates are the same in both).

    Returns
    -------
    openpyxl.Workbook
    """
    check_lang(lang)
    wb = Workbook()
    _summary(wb.active, model, fc, None if png is None else Path(png), lang)
    end = (fc.start + pd.Timedelta(days=fc.days - 1)).date()
    for title, table in (("monthly", fc.monthly), ("weekly", fc.weekly)):
        _table(wb.create_sheet(title), title, table, fc.start.date(), end, lang)
    _provenance(wb.create_sheet("provenance"), model, fc, lang)
    wb.properties.creator = "private-traffic-lab"
    wb.properties.category = "forecast"
    wb.properties.language = "zh-CN" if lang == "zh" else "en"
    return wb


def write_forecast_xlsx(
    model, fc, path: str | Path, png: str | Path | None = None, lang: str = "en"
) -> Path:
    """Save :func:`forecast_workbook` to ``path`` (inside an atomic folder: not atomic
    by itself).

    Parameters
    ----------
    model : lab.calibrate.estimator.OrderModel
    fc : lab.calibrate.estimator.Forecast
    path : path
        The ``.xlsx`` file to write.
    png : path, optional
        The forecast plot, embedded on the summary sheet.
    lang : {"en", "zh"}
        Language of the workbook's text (:func:`forecast_workbook`).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    path = Path(path)
    forecast_workbook(model, fc, png, lang).save(path)
    return path
