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
from lab.cli.common import campaigns_or_exit, consoles, fail
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
            help="language of the page, workbook, summary.md, forecast.png and this "
            "console: en or zh"
        ),
    ] = "en",
    quiet: Quiet = False,
) -> None:
    """Forecast ORDERS' next months: orders, buyers, GMV of existing and new customers.

    Writes monthly.csv and weekly.csv (mean and 80%/95% bands over seeds that each
    draw their own parameters), forecast.xlsx (the same tables with real dates, and
    the plot, in --lang), forecast.html (the page: headline numbers, plots, monthly
    table, in --lang), fit.json, summary.md and forecast.png (in --lang) to --out, all
    or nothing; the console's table and sentences are in --lang too.
    """
    import pandas as pd
    from rich.markup import escape

    from lab.calibrate.estimator import fit, horizon_days
    from lab.io import check_out_folder, default_out
    from lab.report.forecast_html import _t, forecast_notes, horizon_sentences

    if lang not in ("en", "zh"):
        fail(f"--lang {lang!r}: use en or zh")
    checked_month_prior(month_prior)
    rules = checked_calendar_rules(penalty_rule, month_rule)
    out_dir = out or default_out("forecast", orders.stem)
    check_out_folder(out_dir)
    if not orders.is_file():
        fail(f"{orders}: no such file")
    camps = campaigns_or_exit(campaigns)
    clean = read_order_log(
        orders, customer_col, date_col, amount_col, tz, dayfirst, keep_duplicates
    )
    try:
        horizon_days(horizon, clean.last_date, name="--horizon")
    except ValueError as exc:
        fail(str(exc))
    try:
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
    con.print(forecast_table(model, fc, lang))
    for line in horizon_sentences(fc, lang):
        con.print(escape(line), highlight=False, soft_wrap=True)
    for line in forecast_notes(fc, lang):
        con.print("[bold yellow]" + escape(line) + "[/]", highlight=False, soft_wrap=True)
    con.print(_t("wrote", lang, path=escape(str(path))), highlight=False)
    del pd


def forecast_table(model, fc, lang: str = "en"):
    """The console's table of ``lab forecast``: per month and segment, orders (mean and
    80% band), the buyers in the month and GMV (means), in ``lang`` (the page's words).

    Returns
    -------
    rich.table.Table
    """
    from rich.table import Table

    from lab.i18n import label
    from lab.report.forecast_html import SEGMENTS, _t

    cohort = _t("arrivals_off" if model.arrivals.closed else "arrivals_on", lang)
    t = Table(
        title=_t("console_title", lang, start=fc.meta["start"], days=fc.days,
                 k=model.regularity.k, cohort=cohort),
        title_justify="left",
    )  # fmt: skip
    heads = [_t(k, lang) for k in ("month", "segment", "orders")]
    heads += [label("band80", lang)] + [_t(k, lang) for k in ("buyers_in_month", "gmv")]
    for i, c in enumerate(heads):
        t.add_column(c, justify="left" if i < 2 else "right")
    m = fc.monthly.set_index(["period", "segment", "metric"])
    for period in sorted(fc.monthly["period"].unique()):
        for seg in SEGMENTS:
            if (period, seg, "orders") not in m.index:
                continue
            o = m.loc[(period, seg, "orders")]
            t.add_row(
                period,
                _t(seg, lang),
                f"{o['mean']:,.0f}",
                f"{o['p10']:,.0f}-{o['p90']:,.0f}",
                f"{m.loc[(period, seg, 'buyers')]['mean']:,.0f}",
                f"{m.loc[(period, seg, 'gmv')]['mean']:,.0f}",
            )
    return t


def save_forecast(model, fc, out_dir, lang: str = "en") -> Path:
    """Write a forecast's tables, workbook, fit summary, report, page and plot into
    ``out_dir`` atomically (all files or none); the page ``forecast.html``, the
    workbook ``forecast.xlsx``, ``summary.md`` and ``forecast.png`` in ``lang``."""
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
        (tmp / "summary.md").write_text(_summary_md(model, fc, lang), "utf-8")
        with mpl.rc_context(house_rc(lang)):  # the CJK font: zh words, campaign names
            fig = _plot(model, fc, lang)
            fig.savefig(tmp / "forecast.png")
        plt.close(fig)
        write_forecast_xlsx(model, fc, tmp / "forecast.xlsx", tmp / "forecast.png", lang)
        (tmp / "forecast.html").write_text(render_forecast_html(model, fc, lang), "utf-8")
        (tmp / "manifest.json").write_text(json.dumps(stamp, indent=2), "utf-8")
    return Path(out_dir)


def _plot(model, fc, lang: str = "en"):
    """forecast.png: weekly orders by segment (80% band) and the fitted calendar, its
    titles, axis label, legend and calendar names in ``lang`` (the page's words); draw
    it inside ``house_rc(lang)`` for the CJK font."""
    import matplotlib.pyplot as plt
    import numpy as np

    from lab.plots._style import finish
    from lab.report.forecast_html import SEGMENTS, _t, effect_label

    fig, (a, b) = plt.subplots(1, 2, figsize=(13, 4.2), layout="constrained")
    w = fc.weekly[(fc.weekly["metric"] == "orders")]
    for seg, color in zip(SEGMENTS, ("C0", "C1", "C2"), strict=True):
        d = w[w["segment"] == seg]
        if d.empty:
            continue
        x = np.arange(len(d))
        a.plot(x, d["mean"], color=color, label=_t(seg, lang))
        a.fill_between(x, d["p10"], d["p90"], color=color, alpha=0.2)
    a.set_title(_t("plot_title", lang), loc="left")
    a.set_xlabel(_t("week_from", lang, start=fc.meta["start"]))
    a.legend()
    t = model.seasonality.table()
    names = [effect_label(e, lang) for e in t["effect"]]
    b.bar(np.arange(len(t)), t["multiplier"] - 1.0, bottom=1.0, color="C0")
    b.set_xticks(np.arange(len(t)), names, rotation=90)
    b.axhline(1.0, color="k", lw=0.8)
    b.set_title(_t("calendar_title", lang), loc="left")
    finish(a, lang, b)
    return fig


def _summary_md(model, fc, lang: str = "en") -> str:
    """summary.md in ``lang``: the page's words (:data:`FORECAST_LABELS`), the numbers
    formatted alike in both languages."""
    from lab.calibrate.scenario_out import _correlation_line, _md_table, month_age_caution
    from lab.i18n import label
    from lab.report.forecast_html import _t, forecast_notes, mechanisms_sentence

    s = model.summary()
    arr = s["arrivals"]
    seas = model.seasonality
    lines = [
        "# " + _t("title", lang, source=Path(str(model.orders.report.source)).name),
        "",
        _t(
            "md_intro",
            lang,
            cal_first=model.calibration.start_date.date(),
            cal_last=s["calibration_end"],
            customers=f"{s['customers']:,}",
            start=fc.meta["start"],
            days=fc.days,
            seeds=len(fc.meta["seeds"]),
        ),
        "",
        mechanisms_sentence(
            int(s["regularity_k"]),
            bool(arr["closed_cohort"]),
            lang,
            str(s.get("purchase_clock", "calendar")),
        ),
        "",
        _correlation_line(model.calibration, lang),
        "",
        *_campaign_lines(model, fc, lang),
        *(line for n in forecast_notes(fc, lang) for line in (f"**{n}**", "")),
        *_horizon_md(fc, lang),
        "## " + _t("md_sec_monthly", lang),
        "",
        _t("md_monthly_note", lang),
        "",
        _md_table(_whole_numbers(_labelled(fc.monthly, "month", lang))),
        "",
        "## " + _t("md_sec_calendar", lang),
        "",
        _t(
            "md_penalty",
            lang,
            penalty=f"{seas.penalty:g}",
            rules=seas.rules_text(lang),
            prior=seas.month_prior,
        ),
        "",
        _t("calendar_legend", lang),
        "",
        *([c, ""] if (c := month_age_caution(model, lang)) else []),
        _md_table(_calendar_table(seas.table(), lang)),
        "",
        f"![{label('forecast', lang)}](forecast.png)",
        "",
    ]
    return "\n".join(lines)


def _labelled(table, period: str, lang: str = "en"):
    """A monthly or weekly table as summary.md shows it: segments and metrics named as on
    the page and in the workbook (``buyers``: the buyers in that ``period``, month or
    week), in ``lang``; in Chinese the column heads too (the workbook's words)."""
    from lab.i18n import label
    from lab.report.forecast_html import SEGMENTS, _t
    from lab.report.forecast_xlsx import STATS
    from lab.report.labels import text

    metrics = {m: _t(m, lang) for m in ("orders", "gmv")}
    metrics["buyers"] = _t(f"buyers_in_{period}", lang)
    out = table.assign(
        segment=table["segment"].map({s: _t(s, lang) for s in SEGMENTS}),
        metric=table["metric"].map(metrics),
    )
    if lang == "en":  # the columns of monthly.csv
        return out
    heads = {"period": _t(period, lang), "segment": _t("segment", lang)}
    heads |= {"metric": text("metric", lang)}
    heads |= {c: s or label(c, lang) for c, s in STATS.items()}  # the workbook's: 均值, 10% ...
    return out.rename(columns=heads)


def _whole_numbers(table):
    """A table's numbers as the page and the console show them: whole, with thousands
    separators (``205,978``, not ``2.06e+05``), alike in both languages; empty for NaN."""
    nums = table.select_dtypes("number").columns
    return table.assign(**{c: table[c].map(lambda v: "" if v != v else f"{v:,.0f}") for c in nums})


def _calendar_table(t, lang: str):
    """summary.md's calendar table: in Chinese the effects as the page names them
    (:func:`effect_label`), the sources and the column heads in Chinese."""
    from lab.report.forecast_html import FORECAST_LABELS, _t, effect_label

    if lang == "en":
        return t
    source = t["source"].str.replace("fit", _t("src_fit", lang), regex=False)
    source = source.str.replace("prior:", _t("src_prior", lang), regex=False)
    heads = {c: _t(f"cal_{c}", lang) for c in t.columns if f"cal_{c}" in FORECAST_LABELS}
    effects = [effect_label(e, lang) for e in t["effect"]]
    return t.assign(effect=effects, source=source).rename(columns=heads)


def _horizon_md(fc, lang: str = "en") -> list[str]:
    """summary.md's section on the whole forecast period: orders, distinct buyers and GMV
    per segment, mean [80% band] (95% band) over seeds, as the page's headline
    (:func:`lab.report.forecast_html.horizon_rows`)."""
    from lab.report.forecast_html import _t, horizon_rows

    heads = [_t(k, lang) for k in ("segment", "orders", "buyers_horizon", "gmv")]
    rows = [
        f"| {r['segment']} | " + " | ".join(f"{c['mean']} {c['band']}" for c in r["cells"]) + " |"
        for r in horizon_rows(fc, lang)
    ]
    return [
        "## " + _t("sec_headline", lang),
        "",
        _t("md_horizon_note", lang),
        "",
        "| " + " | ".join(heads) + " |",
        "|---|---|---|---|",
        *rows,
        "",
    ]


def _campaign_lines(model, fc, lang: str = "en") -> list[str]:
    """The campaigns of the campaign file: fitted in the log (with the unshrunk lift, as
    the scenario header gives it), placed in the forecast."""
    from lab.calibrate.scenario_out import _unshrunk_note
    from lab.report.forecast_html import _t

    seas = model.seasonality
    fitted = []
    for c in seas.campaigns:
        note = _unshrunk_note(seas, "campaign_" + c["name"], lang).removeprefix("; ")
        fitted.append(
            _t("md_campaign", lang, name=c["name"], start=c["start"].date(),
               end=c["end"].date(), lift=f"{c['lift']:.3f}")
            + (f" ({note})" if note else "")
        )  # fmt: skip
    how = {"fitted_mean": _t("lift_fitted_mean", lang), "none": _t("lift_none", lang)}
    placed = [
        _t("md_campaign", lang, name=c["name"], start=c["start"], end=c["end"],
           lift=f"{c['lift']:.3f}") + how.get(c.get("lift_from"), "")
        for c in fc.meta.get("future_campaigns", [])
    ]  # fmt: skip
    if not fitted and not placed:
        return []
    sep, none = _t("md_list_sep", lang), _t("md_none", lang)
    return [
        _t("md_campaigns", lang, fitted=sep.join(fitted) or none, placed=sep.join(placed) or none),
        "",
    ]


def register(app: typer.Typer) -> None:
    """Add this module's command to ``app``."""
    app.command()(forecast)
