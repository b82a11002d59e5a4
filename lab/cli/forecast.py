"""Command line: ``lab forecast ORDERS --horizon 2Q`` (预测下两个季度).

Calibrates on the whole log (purchase, spend, calendar, regular timing, arrivals:
:func:`lab.calibrate.fit`) and forecasts from the day after its last order, existing
and new customers apart, with bands over seeds and parameter draws.  Heavy imports
stay inside the command.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lab.cli.calibrate import AmountCol, CustomerCol, DateCol, DayFirst, KeepDup, Tz
from lab.cli.common import consoles, fail
from lab.cli.options import (
    MonthPrior,
    MonthRule,
    PenaltyRule,
    Quiet,
    checked_calendar_rules,
    checked_month_prior,
    read_order_log,
)


def forecast(
    orders: Annotated[Path, typer.Argument(help="order export (CSV/XLSX)", show_default=False)],
    horizon: Annotated[str, typer.Option(help="how far: 2Q (quarters), 6M, 26W, 180D, 1Y")] = "2Q",
    campaigns: Annotated[
        Path | None,
        typer.Option(
            help="campaign calendar CSV (name, start, end[, lift]): past ones fitted, "
            "future ones placed in the forecast"
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="output folder (default: reports/forecast-<ORDERS stem>)")
    ] = None,
    seeds: Annotated[int, typer.Option(help="simulation seeds", min=1, max=10_000)] = 20,
    workers: Annotated[
        int | None, typer.Option(help="worker processes (default: the local cores)", min=1)
    ] = None,
    customer_col: CustomerCol = None,
    date_col: DateCol = None,
    amount_col: AmountCol = None,
    tz: Tz = "Asia/Shanghai",
    dayfirst: DayFirst = None,
    keep_duplicates: KeepDup = False,
    month_prior: MonthPrior = "flat",
    penalty_rule: PenaltyRule = "min",
    month_rule: MonthRule = "all",
    lang: Annotated[
        str,
        typer.Option(
            help="language of forecast.html (the page) and forecast.xlsx (the workbook): en or zh"
        ),
    ] = "en",
    quiet: Quiet = False,
) -> None:
    """Forecast ORDERS' next months: orders, buyers, GMV of existing and new customers.

    Writes monthly.csv and weekly.csv (mean and 80%/95% bands over seeds that each
    draw their own parameters), forecast.xlsx (the same tables with real dates, and
    the plot, in --lang), forecast.html (the page: headline numbers, plots, monthly
    table, in --lang), fit.json, summary.md and forecast.png to --out, all or nothing.
    """
    import pandas as pd
    from rich.markup import escape
    from rich.table import Table

    from lab.calibrate.estimator import fit, horizon_days
    from lab.calibrate.seasonality import read_campaigns
    from lab.io import check_out_folder, default_out
    from lab.report.forecast_html import FORECAST_LABELS, SEGMENT_NAMES, horizon_sentences

    if lang not in ("en", "zh"):
        fail(f"--lang {lang!r}: use en or zh")
    checked_month_prior(month_prior)
    rules = checked_calendar_rules(penalty_rule, month_rule)
    out_dir = out or default_out("forecast", orders.stem)
    check_out_folder(out_dir)
    if not orders.is_file():
        fail(f"{orders}: no such file")
    camps = []
    if campaigns is not None:
        if not campaigns.is_file():
            fail(f"--campaigns {campaigns}: no such file")
        try:
            camps = read_campaigns(campaigns)
        except ValueError as exc:
            fail(str(exc))
    clean = read_order_log(
        orders, customer_col, date_col, amount_col, tz, dayfirst, keep_duplicates
    )
    try:
        horizon_days(horizon, clean.last_date)
        model = fit(
            clean, campaigns=camps, month_prior=month_prior, penalty_rule=rules[0],
            month_rule=rules[1],
        )  # fmt: skip
        fc = model.forecast(
            horizon,
            seeds=range(seeds),
            future_campaigns=camps,
            workers=workers,
            progress=False if quiet else None,
        )
    except ValueError as exc:
        fail(f"{orders}: {exc}")
    path = save_forecast(model, fc, out_dir, lang=lang)
    con, _ = consoles()
    t = Table(
        title=f"forecast {fc.meta['start']} + {fc.days} days · k = {model.regularity.k} · "
        + ("closed cohort" if model.arrivals.closed else "with new customers"),
        title_justify="left",
    )
    heads = [FORECAST_LABELS[k][0] for k in ("month", "segment", "orders")]
    heads += ["80% band"] + [FORECAST_LABELS[k][0] for k in ("buyers_in_month", "gmv")]
    for i, c in enumerate(heads):
        t.add_column(c, justify="left" if i < 2 else "right")
    m = fc.monthly.set_index(["period", "segment", "metric"])
    for period in sorted(fc.monthly["period"].unique()):
        for seg in ("existing", "new", "total"):
            if (period, seg, "orders") not in m.index:
                continue
            o = m.loc[(period, seg, "orders")]
            t.add_row(
                period,
                SEGMENT_NAMES[seg],
                f"{o['mean']:,.0f}",
                f"{o['p10']:,.0f}-{o['p90']:,.0f}",
                f"{m.loc[(period, seg, 'buyers')]['mean']:,.0f}",
                f"{m.loc[(period, seg, 'gmv')]['mean']:,.0f}",
            )
    con.print(t)
    for line in horizon_sentences(fc):
        con.print(escape(line), highlight=False, soft_wrap=True)
    con.print(f"wrote {escape(str(path))}/", highlight=False)
    del pd


def save_forecast(model, fc, out_dir, lang: str = "en") -> Path:
    """Write a forecast's tables, workbook, fit summary, report, page and plot into
    ``out_dir`` atomically (all files or none); the page ``forecast.html`` and the
    workbook ``forecast.xlsx`` in ``lang``."""
    import json

    import matplotlib as mpl
    import matplotlib.pyplot as plt

    from lab.io import atomic_folder, write_csv
    from lab.plots import house_rc
    from lab.report.forecast_html import render_forecast_html
    from lab.report.forecast_xlsx import write_forecast_xlsx

    stamp = {"source": str(model.orders.report.source), "start": fc.meta["start"]}
    with atomic_folder(out_dir) as tmp:
        write_csv(fc.monthly, tmp / "monthly.csv", stamp)
        write_csv(fc.weekly, tmp / "weekly.csv", stamp)
        write_csv(model.seasonality.table(), tmp / "seasonality.csv", stamp)
        write_csv(model.regularity.profile, tmp / "regularity_profile.csv", stamp)
        (tmp / "fit.json").write_text(
            json.dumps(fc.meta, indent=2, ensure_ascii=False, default=str), "utf-8"
        )
        (tmp / "summary.md").write_text(_summary_md(model, fc), "utf-8")
        with mpl.rc_context(house_rc("en")):  # the CJK fallback: campaign names
            fig = _plot(model, fc)
            fig.savefig(tmp / "forecast.png")
        plt.close(fig)
        write_forecast_xlsx(model, fc, tmp / "forecast.xlsx", tmp / "forecast.png", lang)
        (tmp / "forecast.html").write_text(render_forecast_html(model, fc, lang), "utf-8")
        (tmp / "manifest.json").write_text(json.dumps(stamp, indent=2), "utf-8")
    return Path(out_dir)


def _plot(model, fc):
    import matplotlib.pyplot as plt
    import numpy as np

    from lab.report.forecast_html import SEGMENT_NAMES

    fig, (a, b) = plt.subplots(1, 2, figsize=(13, 4.2), layout="constrained")
    w = fc.weekly[(fc.weekly["metric"] == "orders")]
    for seg, color in (("existing", "C0"), ("new", "C1"), ("total", "C2")):
        d = w[w["segment"] == seg]
        if d.empty:
            continue
        x = np.arange(len(d))
        a.plot(x, d["mean"], color=color, label=SEGMENT_NAMES[seg])
        a.fill_between(x, d["p10"], d["p90"], color=color, alpha=0.2)
    a.set_title("weekly orders (80% band)", loc="left")
    a.set_xlabel(f"week from {fc.meta['start']}")
    a.legend()
    t = model.seasonality.table()
    b.bar(t["effect"], t["multiplier"] - 1.0, bottom=1.0, color="C0")
    b.axhline(1.0, color="k", lw=0.8)
    b.set_title("fitted calendar multipliers", loc="left")
    b.tick_params(axis="x", rotation=90)
    return fig


def _summary_md(model, fc) -> str:
    from lab.calibrate.scenario_out import _correlation_line, _md_table, month_age_caution
    from lab.report.forecast_html import mechanisms_sentence

    s = model.summary()
    arr = s["arrivals"]
    lines = [
        f"# Forecast: {Path(str(model.orders.report.source)).name}",
        "",
        f"Calibrated on {model.calibration.start_date.date()} to {s['calibration_end']} "
        f"({s['customers']:,} customers); forecast {fc.meta['start']} + {fc.days} days, "
        f"{len(fc.meta['seeds'])} seeds, each with its own parameter draw.",
        "",
        mechanisms_sentence(int(s["regularity_k"]), bool(arr["closed_cohort"]), "en"),
        "",
        _correlation_line(model.calibration),
        "",
        *_campaign_lines(model, fc),
        *_horizon_md(fc),
        "## Monthly",
        "",
        "buyers: the buyers in the month (each month counts its own; they do not add up to "
        "the period's buyers above).",
        "",
        _md_table(_labelled(fc.monthly, "month")),
        "",
        "## Calendar",
        "",
        f"Ridge penalty {model.seasonality.penalty:g} by cross-validation inside the "
        f"calibration period, chosen by {model.seasonality.rules_text()}; month prior "
        f"{model.seasonality.month_prior}.",
        "",
        CALENDAR_LEGEND,
        "",
        *([c, ""] if (c := month_age_caution(model)) else []),
        _md_table(model.seasonality.table()),
        "",
        "![forecast](forecast.png)",
        "",
    ]
    return "\n".join(lines)


def _labelled(table, period: str):
    """A monthly or weekly table as summary.md shows it: segments and metrics named as on
    the page and in the workbook (``buyers``: the buyers in that ``period``, month or
    week)."""
    from lab.report.forecast_html import FORECAST_LABELS, SEGMENT_NAMES

    metrics = {m: FORECAST_LABELS[m][0] for m in ("orders", "gmv")}
    metrics["buyers"] = FORECAST_LABELS[f"buyers_in_{period}"][0]
    return table.assign(
        segment=table["segment"].map(SEGMENT_NAMES), metric=table["metric"].map(metrics)
    )


def _horizon_md(fc) -> list[str]:
    """summary.md's section on the whole forecast period: orders, distinct buyers and GMV
    per segment, mean [80% band] (95% band) over seeds, as the page's headline
    (:func:`lab.report.forecast_html.horizon_rows`)."""
    from lab.report.forecast_html import FORECAST_LABELS, horizon_rows

    heads = [FORECAST_LABELS[k][0] for k in ("segment", "orders", "buyers_horizon", "gmv")]
    rows = [
        f"| {r['segment']} | " + " | ".join(f"{c['mean']} {c['band']}" for c in r["cells"]) + " |"
        for r in horizon_rows(fc, "en")
    ]
    return [
        "## Over the forecast period",
        "",
        "Mean [80% band] (95% band) over seeds. Buyers over the period: the customers who "
        "buy at least once in the forecast, each counted once however many months they "
        "buy in.",
        "",
        "| " + " | ".join(heads) + " |",
        "|---|---|---|---|",
        *rows,
        "",
    ]


#: the legend of summary.md's Calendar table
CALENDAR_LEGEND = (
    "multiplier = what the forecast uses (shrunk towards 1); "
    "unshrunk = the log alone (95% interval)"
)


def _campaign_lines(model, fc) -> list[str]:
    """The campaigns of the campaign file: fitted in the log (with the unshrunk lift, as
    the scenario header gives it), placed in the forecast."""
    from lab.calibrate.scenario_out import _unshrunk_note

    seas = model.seasonality
    fitted = []
    for c in seas.campaigns:
        note = _unshrunk_note(seas, "campaign_" + c["name"]).removeprefix("; ")
        fitted.append(
            f"{c['name']} ({c['start'].date()} to {c['end'].date()}) x{c['lift']:.3f}"
            + (f" ({note})" if note else "")
        )
    placed = [
        f"{c['name']} ({c['start']} to {c['end']}) x{c['lift']:.3f}"
        for c in fc.meta.get("future_campaigns", [])
    ]
    if not fitted and not placed:
        return []
    return [
        "Campaigns: fitted on the log's promotion days: "
        + (", ".join(fitted) or "none")
        + "; placed in the forecast: "
        + (", ".join(placed) or "none")
        + ".",
        "",
    ]


def register(app: typer.Typer) -> None:
    """Add this module's command to ``app``."""
    app.command()(forecast)
