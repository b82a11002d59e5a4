"""Command line for calibration: ``lab calibrate | calibrate-retention | backtest``.

Registered on :data:`lab.cli.app`.  Unreadable input (missing column, no parseable
dates, empty file, a bad date argument) ends with one message naming the file,
column and value, exit code 2, and nothing written.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from lab.cli.common import campaigns_or_exit, consoles, fail
from lab.cli.options import (
    Lang,
    MonthPrior,
    MonthRule,
    PenaltyRule,
    Quiet,
    checked_calendar_rules,
    checked_month_prior,
    read_order_log,
)

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

OrdersArg = Annotated[Path, typer.Argument(help="order export: CSV or parquet", show_default=False)]
CustomerCol = Annotated[
    str | None, typer.Option(help="customer id column (default: customer_id, user_id, ...)")
]
DateCol = Annotated[str | None, typer.Option(help="order date column (default: date, ...)")]
AmountCol = Annotated[str | None, typer.Option(help="order amount column (default: amount, ...)")]
Tz = Annotated[str, typer.Option(help="time zone of the calendar dates")]
DayFirst = Annotated[
    bool | None,
    typer.Option(
        "--dayfirst/--monthfirst", help="read nn/nn/YYYY dates (default: decided from the values)"
    ),
]
Campaigns = Annotated[
    Path | None,
    typer.Option(help="campaign calendar CSV (name, start, end): lifts fitted from the log"),
]
KeepDup = Annotated[bool, typer.Option(help="keep exact duplicate rows (a log without order ids)")]
Force = Annotated[
    bool,
    typer.Option(
        "--force",
        help="write even from an unreliable fit (not converged, no SE, parameter at a "
        "bound, too few repeat buyers), with a warning in the output",
    ),
]


def _refuse_or_warn(orders: Path, problems: list[str], force: bool) -> None:
    """Exit 2 naming the file and what failed, or (``--force``) print a loud warning."""
    if not problems:
        return
    listed = "; ".join(problems)
    if not force:
        fail(
            f"{orders}: the fit is unreliable, nothing written: {listed}. "
            "Use a longer or larger log, or --force to write it anyway."
        )
    _, err = consoles()
    err.print(
        f"[bold yellow]warning:[/] --force: writing from an unreliable fit of {escape(str(orders))}: "
        f"{escape(listed)}",
        highlight=False,
        soft_wrap=True,
    )


def _date(value: str | None, option: str) -> pd.Timestamp | None:
    import pandas as pd  # pandas only when a command runs: ``lab --help`` stays fast

    if value is None:
        return None
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        ts = pd.NaT
    if pd.isna(ts):
        fail(f"{option} {value!r}: not a date (use YYYY-MM-DD)")
    return ts.normalize()


def _check_end(clean, end: pd.Timestamp | None, option: str, need_holdout: bool) -> None:
    if end is None:
        return
    first, last = clean.first_date, clean.last_date
    if end < first or end > last or (need_holdout and end >= last):
        span = f"{first.date()} to {last.date()}"
        extra = " and before its last date (a holdout is needed)" if need_holdout else ""
        fail(f"{option} {end.date()}: must be within the log ({span}){extra}")


def _print_rules(clean) -> None:
    out, _ = consoles()
    t = Table(title=f"cleaning {escape(clean.report.source)}", title_justify="left")
    t.add_column("rule 规则")
    t.add_column("rows 行数", justify="right")
    t.add_column("example 示例")
    for r in clean.report.rules:
        t.add_row(r.rule, f"{r.rows:,}", escape(r.example))
    out.print(t)
    out.print(
        f"{clean.report.rows_read:,} rows read → {clean.report.rows_kept:,} purchase occasions"
        f" · columns {clean.report.columns}",
        highlight=False,
    )


def _print_fit(fit, title: str) -> None:
    out, _ = consoles()
    t = Table(title=title, title_justify="left")
    for c in ("parameter 参数", "estimate 估计", "SE 标准误", "95% CI"):
        t.add_column(c, justify="right" if c != "parameter 参数" else "left")
    for row in fit.table().itertuples():
        t.add_row(
            row.parameter,
            f"{row.estimate:.4g}",
            f"{row.se:.3g}",
            f"{row.ci_low:.3g}–{row.ci_high:.3g}",
        )
    out.print(t)
    if not fit.converged:
        out.print(
            f"[bold yellow]warning:[/] the {fit.model} fit did not converge; treat these "
            f"estimates with care ({escape(fit.message)})",
            highlight=False,
        )
    elif fit.message:
        out.print(f"[dim]{escape(fit.message)}[/]", highlight=False)


def calibrate(
    orders: OrdersArg,
    calibration_end: Annotated[
        str | None,
        typer.Option(help="last day of the calibration period (default: the log's last)"),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="scenario YAML to write (default: calibrated/<ORDERS stem>.yaml)"),
    ] = None,
    model: Annotated[str, typer.Option(help="purchase model: bgnbd or paretonbd")] = "bgnbd",
    forecast_days: Annotated[
        int, typer.Option(help="days the scenario runs past the calibration end", min=0, max=3000)
    ] = 365,
    customer_col: CustomerCol = None,
    date_col: DateCol = None,
    amount_col: AmountCol = None,
    tz: Tz = "Asia/Shanghai",
    dayfirst: DayFirst = None,
    keep_duplicates: KeepDup = False,
    force: Force = False,
    seasonality: Annotated[
        bool,
        typer.Option(
            help="also fit and write the calendar, regular timing and new-customer arrivals"
        ),
    ] = True,
    campaigns: Campaigns = None,
    month_prior: MonthPrior = "flat",
    penalty_rule: PenaltyRule = "min",
    month_rule: MonthRule = "all",
    period: Annotated[
        str | None,
        typer.Option(
            help="what the scenario runs: forecast = from the day after the calibration end, "
            "the customers starting with their history (default with bgnbd); log = the "
            "log's period replayed, then the forecast (default with paretonbd)"
        ),
    ] = None,
) -> None:
    """Fit ORDERS (BG/NBD or Pareto/NBD + gamma–gamma) and write a calibrated scenario.

    By default the scenario runs the forecast: it starts on the calibration end, where
    the log's customers join with their order history (as `lab forecast`'s existing
    customers), and runs --forecast-days beyond it; `lab run` and `lab report` of it
    show the forecast period.  --period log replays the log's period first, with the
    new customers expected after the log.  The scenario also carries the fitted
    calendar and regular timing (unless --no-seasonality).  It is written to
    calibrated/ by default (git-ignored: it holds your customers' ids), not scenarios/.

    An unreliable fit (not converged, standard errors unavailable, a parameter at the
    search bound, fewer than 10 repeat buyers) ends with exit code 2 and nothing
    written, unless --force (then the YAML header opens with a warning).
    """
    import pandas as pd

    from lab.calibrate.scenario_out import _check_yaml_target, write_calibration
    from lab.calibrate.scenario_out import calibrate as fit
    from lab.io import default_out

    if model not in ("bgnbd", "paretonbd"):
        fail(f"--model {model!r}: use bgnbd or paretonbd")
    prior = checked_month_prior(month_prior)
    rules = checked_calendar_rules(penalty_rule, month_rule, seasonality=seasonality, model=model)
    period = period or ("forecast" if model == "bgnbd" else "log")
    if period not in ("forecast", "log"):
        fail(f"--period {period!r}: use forecast or log")
    if period == "forecast" and model != "bgnbd":
        fail("--period forecast starts each customer from its BG/NBD posterior: use --model bgnbd")
    end = _date(calibration_end, "--calibration-end")
    target = out or default_out(orders.stem, suffix=".yaml", base="calibrated")
    if target.suffix.lower() not in (".yaml", ".yml"):
        fail(f"--out {target}: the scenario file name must end in .yaml")
    _check_yaml_target(target)  # before the fit: a refusal costs nothing
    camps = campaigns_or_exit(campaigns) if seasonality and model == "bgnbd" else []
    clean = read_order_log(
        orders, customer_col, date_col, amount_col, tz, dayfirst, keep_duplicates
    )
    _check_end(clean, end, "--calibration-end", need_holdout=False)
    try:
        cal = fit(clean, end, model=model)
    except ValueError as exc:
        fail(f"{orders}: {exc}")
    _print_rules(clean)
    _print_fit(cal.fit, f"{model} fit · {cal.fit.n:,} customers · to {cal.calibration_end.date()}")
    if cal.spend is not None:
        _print_fit(cal.spend, "gamma–gamma spend fit")
    span = (cal.calibration_end - cal.start_date).days + 1 if period == "log" else 1
    if span + forecast_days > 3650:
        fail(
            f"--forecast-days {forecast_days}: the scenario would run {span + forecast_days} "
            "days, more than the 3650 a scenario allows"
        )
    _refuse_or_warn(orders, cal.problems(), force)
    extras = None
    if seasonality and model == "bgnbd":
        from lab.calibrate.estimator import fit as fit_all

        try:
            extras = fit_all(
                clean, cal.calibration_end, campaigns=camps, month_prior=prior,
                penalty_rule=rules[0], month_rule=rules[1],
            )  # fmt: skip
        except ValueError as exc:
            fail(f"{orders}: {exc}")
    paths = write_calibration(
        cal, target, forecast_days=forecast_days, force=force, model=extras, period=period
    )
    out_console, _ = consoles()
    first = (cal.calibration_end + pd.Timedelta(days=1)).date()
    last = cal.calibration_end + pd.Timedelta(days=forecast_days)
    out_console.print(
        f"the scenario runs the forecast {first} to {last.date()}: the log's customers start "
        "with their order history" + _new_customers_note(extras, forecast_days)
        if period == "forecast"
        else f"the scenario replays the log's period {cal.start_date.date()} to "
        f"{cal.calibration_end.date()}, then forecasts {first} to {last.date()}",
        highlight=False,
        soft_wrap=True,
    )
    out_console.print(
        "wrote " + ", ".join(escape(str(p)) for p in paths.values()),
        highlight=False,
        soft_wrap=True,
    )
    x1 = [c for c in (extras.future_campaigns() if extras else []) if c["lift_from"] == "none"]
    if x1:
        _, err = consoles()
        names = ", ".join(f"{c['name']} ({c['start'].date()} to {c['end'].date()})" for c in x1)
        err.print(
            f"[bold yellow]warning:[/] placed at x1, with no effect: {escape(names)}: the "
            "campaign file gives no lift and no campaign was fitted in the log; give each "
            "its lift in the file's lift column (the YAML header says the same)",
            highlight=False,
            soft_wrap=True,
        )


def _new_customers_note(extras, forecast_days: int) -> str:
    """What the forecast scenario holds of the new customers the arrivals fit expects."""
    if extras is None:
        return ""
    if extras.arrivals.closed:
        return "; a closed cohort: no new customers expected"
    from lab.calibrate.scenario_out import future_arrivals

    n = len(future_arrivals(extras, forecast_days))
    if n == 0:
        return "; no new customer is expected in these days"
    return (
        f", and the {n:,} new customers expected after the log join on their expected "
        "days with their first order booked"
    )


def calibrate_retention(
    retention: Annotated[
        Path | None,
        typer.Argument(help="CSV with the share still active per period (period 0 = 1.0)"),
    ] = None,
    shares: Annotated[
        str | None, typer.Option(help="the shares inline instead: 1,0.63,0.47,...")
    ] = None,
    cohort_size: Annotated[
        int | None, typer.Option(help="customers in the cohort (for standard errors)", min=1)
    ] = None,
    period_days: Annotated[
        float, typer.Option(help="length of one period in days (30 = monthly)", min=1)
    ] = 30.0,
    out: Annotated[Path | None, typer.Option(help="write a scenario fragment (YAML) here")] = None,
) -> None:
    """Fit the shifted-beta-geometric churn model to a retention curve (sBG)."""
    from lab.calibrate.retention import read_shares, retention_fragment, write_fragment
    from lab.calibrate.sbg import fit_sbg

    if (retention is None) == (shares is None):
        fail("give a RETENTION file or --shares, one of them")
    try:
        values = read_shares(retention, shares)
        fit = fit_sbg(values, cohort_size=cohort_size)
    except ValueError as exc:
        fail(str(exc))
    _print_fit(fit, f"sBG fit · {len(values)} periods of {period_days:g} days")
    fragment = retention_fragment(fit, period_days)
    out_console, _ = consoles()
    import yaml

    out_console.print(escape(yaml.safe_dump(fragment, sort_keys=False)), highlight=False)
    if out is not None:
        write_fragment(fragment, fit, out, source=str(retention or "--shares"))
        out_console.print(f"wrote {escape(str(out))}")


def backtest(
    orders: OrdersArg,
    calibration_end: Annotated[
        str, typer.Option(help="last day of the calibration period", show_default=False)
    ],
    holdout_end: Annotated[
        str | None, typer.Option(help="last day of the holdout (default: the log's last)")
    ] = None,
    seeds: Annotated[int, typer.Option(help="simulation seeds", min=1, max=10_000)] = 20,
    runs_per_seed: Annotated[
        int | None,
        typer.Option(
            help="replications of each seed's forecasts, each with its own parameter draw "
            "(default: 100 runs in all, so the forecast is an expectation)",
            min=1,
            max=10_000,
        ),
    ] = None,
    parameter_uncertainty: Annotated[
        bool,
        typer.Option(help="each seed draws its own parameters from the fit's uncertainty"),
    ] = True,
    workers: Annotated[
        int | None, typer.Option(help="worker processes (default: the local cores)", min=1)
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="output folder (default: reports/backtest-<ORDERS stem>)")
    ] = None,
    lang: Lang = "en",
    customer_col: CustomerCol = None,
    date_col: DateCol = None,
    amount_col: AmountCol = None,
    tz: Tz = "Asia/Shanghai",
    dayfirst: DayFirst = None,
    keep_duplicates: KeepDup = False,
    quiet: Quiet = False,
    force: Force = False,
    seasonality: Annotated[
        bool,
        typer.Option(help="also forecast with the fitted calendar and regular timing (method lab)"),
    ] = True,
    campaigns: Campaigns = None,
    month_prior: MonthPrior = "flat",
    penalty_rule: PenaltyRule = "min",
    month_rule: MonthRule = "all",
) -> None:
    """Calibrate ORDERS up to a date, simulate beyond it and compare with what happened.

    Methods side by side (conditional start): lab (calendar + regular timing),
    simulation (the plain BG/NBD lab), closed_form (BG/NBD), closed_form_seasonal,
    paretonbd, bgnbd_age and bgnbd_age_seasonal (BG/NBD with an early-life burst);
    holdout error %, weekly MAE and the cumulative error at the end.

    An unreliable fit of the lab's own model ends with exit code 2 and nothing written,
    unless --force (then summary.md opens with a warning).  A comparison method's
    unreliable fit (e.g. BG/NBD on a log of regular purchases) only marks its rows
    (reliable = False in errors.csv, * in the table, a note on stderr and in summary.md).
    """
    from lab.calibrate.backtest import backtest as run_backtest
    from lab.calibrate.backtest import holdout_events_note, save_backtest
    from lab.calibrate.backtest_text import bt_text
    from lab.calibrate.checks import UnreliableFit
    from lab.io import check_out_folder, default_out

    if lang not in ("en", "zh"):
        fail(f"--lang {lang!r}: use en or zh")
    prior = checked_month_prior(month_prior)
    rules = checked_calendar_rules(penalty_rule, month_rule, seasonality=seasonality)
    end = _date(calibration_end, "--calibration-end")
    h_end = _date(holdout_end, "--holdout-end")
    out_dir = out or default_out("backtest", orders.stem)
    check_out_folder(out_dir)  # before the work: a refusal costs nothing
    camps = campaigns_or_exit(campaigns)
    clean = read_order_log(
        orders, customer_col, date_col, amount_col, tz, dayfirst, keep_duplicates
    )
    _check_end(clean, end, "--calibration-end", need_holdout=True)
    if h_end is not None and not end < h_end <= clean.last_date:
        fail(
            f"--holdout-end {h_end.date()}: must be after the calibration end and on or "
            f"before the log's last date {clean.last_date.date()}"
        )
    try:
        bt = run_backtest(
            clean,
            end,
            holdout_end=h_end,
            seeds=range(seeds),
            runs_per_seed=runs_per_seed,
            parameter_uncertainty=parameter_uncertainty,
            workers=workers,
            progress=False if quiet else None,
            force=force,
            campaigns=camps,
            seasonality=seasonality,
            month_prior=prior,
            penalty_rule=rules[0],
            month_rule=rules[1],
        )
    except UnreliableFit as exc:
        _refuse_or_warn(orders, exc.problems, force=False)
    except ValueError as exc:
        fail(f"{orders}: {exc}")
    _refuse_or_warn(orders, bt.meta["fit_problems"], force)
    path = save_backtest(bt, out_dir, lang=lang)
    _note_unreliable_methods(bt.meta.get("unreliable_methods", {}), bt.meta["fit_problems"], lang)
    _print_rules(clean)
    _print_fit(bt.calibration.fit, f"BG/NBD fit · {bt.calibration.fit.n:,} customers")
    out_console, _ = consoles()
    out_console.print(_errors_table(bt, seeds, lang))
    if bt.segments is not None:
        out_console.print(_segments_table(bt, lang))
    if note := holdout_events_note(bt.meta, lang):
        out_console.print("[bold yellow]" + escape(note) + "[/]", highlight=False, soft_wrap=True)
    wrote = bt_text(
        "wrote", lang, path=escape(str(path)), version=bt.meta["lab_version"],
        commit=bt.meta["git_commit"],
    )  # fmt: skip
    out_console.print(wrote, highlight=False, soft_wrap=True)


def _note_unreliable_methods(
    flagged: dict[str, list[str]], warned: list[str], lang: str = "en"
) -> None:
    """A note on stderr naming each back-test method whose rows rest on an unreliable
    fit, and why; not for problems all in ``warned`` (the lab's own, --force's warning)."""
    from lab.calibrate.backtest_text import bt_text

    _, err = consoles()
    for method, problems in flagged.items():
        if set(problems) <= set(warned):
            continue
        text = bt_text(
            "unreliable_method", lang, method=method, label=bt_text(f"method:{method}", lang),
            problems="; ".join(problems),
        )  # fmt: skip
        err.print(
            f"[bold yellow]{bt_text('note', lang)}[/] {escape(text)}",
            highlight=False,
            soft_wrap=True,
        )


def _errors_table(bt, seeds: int, lang: str = "en"):
    """The holdout errors of ``bt.errors`` as a table that reads at 80 columns.

    Rows grouped by start (conditional first, a rule between the groups); the start
    abbreviated, the method column wraps, the numbers never shrink (no ellipsis) and
    two-line heads keep the numeric columns narrow.  The caption says what the
    abbreviations mean; errors.csv has the same rows with full precision.
    """
    import pandas as pd
    from rich import box
    from rich.table import Table

    from lab.calibrate.backtest_text import START_LABELS, bt_text

    m = bt.meta
    t = Table(
        title=bt_text(
            "table_title",
            lang,
            end=m["calibration_end"],
            holdout_end=m["holdout_end"],
            seeds=seeds,
            runs=m["runs_per_seed"],
        ),
        title_justify="left",
        caption=bt_text("table_caption", lang)
        + (
            ""
            if all(_reliable(r) for r in bt.errors.itertuples())
            else bt_text("table_caption_unreliable", lang)
        ),
        caption_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        collapse_padding=True,
    )
    heads = ("start", "method", "actual", "forecast", "error", "mc_se", "weekly_mae", "cum_error")
    for c in heads:
        text = c in ("start", "method")
        t.add_column(
            bt_text(f"col_{c}", lang),
            justify="left" if text else "right",
            no_wrap=c != "method",
            overflow="fold",
        )
    order = {s: i for i, s in enumerate(START_LABELS)}
    rows = sorted(bt.errors.itertuples(), key=lambda r: order.get(r.start, len(order)))
    for i, r in enumerate(rows):
        first = i == 0 or rows[i - 1].start != r.start
        last = i == len(rows) - 1 or rows[i + 1].start != r.start
        t.add_row(
            bt_text(f"start:{r.start}", lang) if first else "",
            bt_text(f"method:{r.method}", lang) + ("" if _reliable(r) else " *"),
            f"{r.actual:,.0f}",
            f"{r.forecast:,.1f}" if abs(r.forecast) < 10_000 else f"{r.forecast:,.0f}",
            f"{r.error_pct:+.1f}%",
            "" if pd.isna(r.mc_se) else f"{r.mc_se:,.1f}",
            f"{r.weekly_mae:,.1f}",
            f"{r.cum_error:+,.0f}",
            end_section=last and i < len(rows) - 1,
        )
    return t


def _reliable(row) -> bool:
    """An errors row's ``reliable`` flag (True for a table without the column)."""
    return bool(getattr(row, "reliable", True))


def _segments_table(bt, lang: str = "en"):
    """The lab's holdout forecast of existing and new customers (``bt.segments``)."""
    import pandas as pd
    from rich.table import Table

    from lab.calibrate.backtest_text import bt_text

    n = bt.meta.get("holdout_new_customers", 0)
    t = Table(title=bt_text("segments_title", lang, n=f"{n:,}"), title_justify="left")
    for c in ("segment", "actual", "forecast", "error", "new_customers", "forecast_new"):
        head = bt_text(f"col_{c}", lang)
        t.add_column(head, justify="left" if c == "segment" else "right", no_wrap=True)
    for r in bt.segments.itertuples():
        t.add_row(
            bt_text(f"seg_{r.segment}", lang),
            f"{r.actual:,.0f}",
            f"{r.forecast:,.1f}",
            "" if pd.isna(r.error_pct) else f"{r.error_pct:+.1f}%",
            "" if pd.isna(r.actual_customers) else f"{r.actual_customers:,.0f}",
            "" if pd.isna(r.forecast_customers) else f"{r.forecast_customers:,.1f}",
        )
    return t


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command()(calibrate)
    app.command("calibrate-retention")(calibrate_retention)
    app.command()(backtest)
