"""The workbook of ``lab forecast``: the forecast tables for planners who work in Excel.

Sheets: ``summary`` (what was fitted and forecast, in sentences, the whole forecast
period's orders, distinct buyers and GMV per segment, with the plot embedded),
``monthly`` and ``weekly`` (one row per period and segment: existing customers, new
customers, total, as the page names them; orders, the buyers in the period and GMV with
their mean and 80% / 95% bands over seeds),
and ``provenance`` (source, calibration and forecast dates, seeds, lab version).
Periods are real Excel dates (first and last day of the period) beside the number
of forecast days they hold, so a partial first or last month is visible; numbers
are numbers; column heads name their unit; head rows are frozen.  Every text cell
is written as text, never as a formula (as :mod:`lab.report.xlsx`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from lab.report.forecast_html import (
    FORECAST_LABELS,
    SEGMENT_NAMES,
    SEGMENTS,
    horizon_sentences,
    mechanisms_sentence,
)
from lab.report.xlsx import _header, _put, _widths

__all__ = ["FORECAST_SHEETS", "forecast_workbook", "write_forecast_xlsx"]

FORECAST_SHEETS: tuple[str, ...] = ("summary", "monthly", "weekly", "provenance")

#: metric -> (column name with its unit, Excel number format); ``{period}``: month or week
METRICS: dict[str, tuple[str, str]] = {
    "orders": ("orders", "#,##0"),
    "buyers": ("buyers in the {period}", "#,##0"),
    "gmv": ("GMV (CNY)", "#,##0"),
}


#: statistic column -> its head suffix (the bands are over seeds with parameter draws)
STATS: dict[str, str] = {
    "mean": "mean",
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


def _table(ws, title: str, table: pd.DataFrame, start: dt.date, end: dt.date) -> None:
    ws.title = title
    heads = ["first day", "last day", "forecast days", "segment"]
    period = {"monthly": "month", "weekly": "week"}[title]
    for name, _fmt in METRICS.values():
        heads += [f"{name.format(period=period)} {s}" for s in STATS.values()]
    _header(ws, 1, heads, keep_columns=4)
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
            _put(ws, r, 4, SEGMENT_NAMES[seg])
            col = 5
            for metric, (_name, fmt) in METRICS.items():
                row = wide.loc[(period, seg, metric)]
                for s in STATS:
                    _put(ws, r, col, float(row[s]), fmt)
                    col += 1
    _widths(ws, {1: 12, 2: 12, 3: 9, 4: 18}, default=11)


def _summary_lines(model, fc) -> list[str]:
    s = fc.meta
    arr = s.get("arrivals", {})
    source = Path(str(model.orders.report.source)).name
    end = fc.start + pd.Timedelta(days=fc.days - 1)
    return [
        f"Calibrated on {source}: {model.calibration.start_date.date()} to "
        f"{s['calibration_end']}, {s['customers']:,} customers.",
        f"Forecast {fc.start.date()} to {end.date()} ({fc.days} days), "
        f"{len(s['seeds'])} seeds, each with its own parameter draw (bands: 80% = 10–90%, "
        "95% = 2.5–97.5% over seeds).",
        mechanisms_sentence(int(s["regularity_k"]), bool(arr.get("closed_cohort")), "en")
        + " "
        + FORECAST_LABELS["no_costs"][0],
        "Segments: existing customers = the log's customers from the forecast start; new "
        "customers = first-time buyers arriving in the forecast; total = both.",
        *horizon_sentences(fc),
        "Buyers over the period: the customers who buy at least once in the forecast, each "
        "counted once; the monthly and weekly sheets count the buyers in each month or "
        "week, which do not add up to it.",
    ]


def _summary(ws, model, fc, png: Path | None) -> None:
    ws.title = "summary"
    source = Path(str(model.orders.report.source)).name
    _put(ws, 1, 1, f"Forecast: {source}").font = Font(bold=True, size=14)
    r = 2
    for line in _summary_lines(model, fc):
        r += 1
        _put(ws, r, 1, line).alignment = Alignment(wrap_text=True, vertical="top")
    ws.column_dimensions["A"].width = 140
    if png is not None:
        from openpyxl.drawing.image import Image

        img = Image(str(png))
        ws.add_image(img, f"A{r + 2}")


def _provenance(ws, model, fc) -> None:
    from lab._version import __version__
    from lab.results import git_commit

    ws.title = "provenance"
    _header(ws, 1, ["field", "value"])
    rows = [
        ("source", str(model.orders.report.source)),
        ("calibration_start", model.calibration.start_date.date()),
        ("calibration_end", pd.Timestamp(fc.meta["calibration_end"]).date()),
        ("forecast_start", fc.start.date()),
        ("forecast_days", int(fc.days)),
        ("horizon", str(fc.meta.get("horizon", ""))),
        ("seeds", ", ".join(str(s) for s in fc.meta["seeds"])),
        ("parameter_uncertainty", str(bool(fc.meta.get("parameter_uncertainty")))),
        ("lab_version", __version__),
        ("git_commit", git_commit()),
    ]
    for i, (k, v) in enumerate(rows, start=2):
        _put(ws, i, 1, k)
        _put(ws, i, 2, v, _DATE if isinstance(v, dt.date) else "0")
    _widths(ws, {1: 24, 2: 60})


def forecast_workbook(model, fc, png: str | Path | None = None) -> Workbook:
    """The workbook of a forecast (not yet saved).

    Parameters
    ----------
    model : lab.calibrate.estimator.OrderModel
    fc : lab.calibrate.estimator.Forecast
    png : path, optional
        The forecast plot, embedded on the summary sheet.

    Returns
    -------
    openpyxl.Workbook
    """
    wb = Workbook()
    _summary(wb.active, model, fc, None if png is None else Path(png))
    end = (fc.start + pd.Timedelta(days=fc.days - 1)).date()
    for title, table in (("monthly", fc.monthly), ("weekly", fc.weekly)):
        _table(wb.create_sheet(title), title, table, fc.start.date(), end)
    _provenance(wb.create_sheet("provenance"), model, fc)
    wb.properties.creator = "private-traffic-lab"
    wb.properties.category = "forecast"
    return wb


def write_forecast_xlsx(model, fc, path: str | Path, png: str | Path | None = None) -> Path:
    """Save :func:`forecast_workbook` to ``path`` (inside an atomic folder: not atomic
    by itself)."""
    path = Path(path)
    forecast_workbook(model, fc, png).save(path)
    return path
