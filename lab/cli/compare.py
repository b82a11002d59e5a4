"""``lab compare | report``: scenarios side by side over paired seeds, and the forecast report."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from lab.cli.common import consoles, fail, fmt_interval, fmt_number, load_or_exit
from lab.cli.diff import print_scenario_diffs
from lab.cli.options import Lang, Quiet

if TYPE_CHECKING:  # pragma: no cover
    from lab.parallel.pool import LocalExecutor
    from lab.scenario import Scenario

__all__ = ["compare", "register", "report"]


def _scenario_names(paths: list[Path], scenarios: list[Scenario]) -> list[str]:
    names = [sc.name for sc in scenarios]
    if len(set(names)) < len(names):
        names = [p.stem for p in paths]
    if len(set(names)) < len(names):
        names = [f"{n}#{i + 1}" for i, n in enumerate(names)]
    return names


@contextmanager
def _workers(workers: int | None) -> Iterator[LocalExecutor]:
    """Worker processes for one command (started on first use, closed at its end), so
    the comparison and the plausible worlds share their start-up and numba caches."""
    from lab.parallel.pool import LocalExecutor

    pool = LocalExecutor(workers)
    try:
        yield pool
    finally:
        pool.close()


def compare(
    scenarios: Annotated[
        list[Path],
        typer.Argument(
            help="two or more scenario YAML files; the first is the baseline A",
            show_default=False,
        ),
    ],
    seeds: Annotated[
        int, typer.Option(help="number of seeds: paired runs per scenario", min=2, max=10_000)
    ] = 20,
    first_seed: Annotated[
        int, typer.Option(help="seeds are first-seed, first-seed + 1, ...", min=0, max=2**62)
    ] = 0,
    days: Annotated[
        int | None,
        typer.Option(help="days to simulate (default: each scenario's)", min=1, max=3650),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="output folder (default: reports/compare-<A>-vs-<B>)"),
    ] = None,
    workers: Annotated[
        int | None, typer.Option(help="worker processes (default: the local cores)", min=1, max=256)
    ] = None,
    level: Annotated[
        float, typer.Option(help="confidence level of the paired interval", min=0.5, max=0.999)
    ] = 0.9,
    lang: Lang = "en",
    plots: Annotated[bool, typer.Option(help="write the plots")] = True,
    quiet: Quiet = False,
    robustness: Annotated[
        int | None,
        typer.Option(
            help="also draw N plausible worlds of the behavioural assumptions: in how many "
            "does B beat A, and on what does it hinge (lab.robustness)"
        ),
    ] = None,
    world_seeds: Annotated[
        int, typer.Option(help="with --robustness: seeds run in every world", min=1, max=100)
    ] = 2,
    params: Annotated[
        str | None,
        typer.Option(help="with --robustness: draw only assumptions matching these patterns"),
    ] = None,
) -> None:
    """Run scenarios over the same seeds and compare each with the first, paired by seed."""
    from lab.experiments import compare as run_compare
    from lab.experiments.robustness import plan_for_cli
    from lab.io import check_out_folder, default_out

    out_console, err_console = consoles()
    if len(scenarios) < 2:
        err_console.print("[bold red]error:[/] compare needs at least two scenario files")
        raise typer.Exit(code=2)
    if lang not in ("en", "zh"):
        err_console.print(f"[bold red]error:[/] --lang {escape(lang)!r}: use en or zh")
        raise typer.Exit(code=2)
    loaded = [load_or_exit(p) for p in scenarios]
    names = _scenario_names(scenarios, loaded)
    out_dir = out or default_out("compare", names[0], "vs", names[1])
    check_out_folder(out_dir)
    seed_list = list(range(first_seed, first_seed + seeds))
    world_seed_list = list(range(first_seed, first_seed + world_seeds))
    named = dict(zip(names, loaded, strict=True))
    plan = plan_for_cli(named, robustness, world_seed_list, days, params, err_console)
    print_scenario_diffs(named, scenarios, out_console)
    with _workers(workers) as pool:  # one warm pool for the comparison and the worlds
        cmp = run_compare(
            dict(zip(names, loaded, strict=True)),
            seed_list,
            days=days,
            level=level,
            progress=False if quiet else None,
            warn_confounded=False,  # printed above, flagged in the table
            executor=pool,
        )
        rob = (
            plan.run(progress=False if quiet else None, executor=pool) if plan is not None else None
        )
    path = cmp.save(out_dir, lang=lang, plots=plots, extra=rob and rob.writer(lang, plots))
    _print_comparison(cmp, out_console)
    _print_channels(cmp.channels, out_console)
    _print_breakdown(cmp, out_console)
    if rob is not None:
        rob.print(out_console)
    out_console.print(
        f"wrote {escape(str(path))}/ (diff.csv, comparison.csv, channels.csv, breakdown.csv, "
        "differences.csv, "
        "totals.csv, "
        f"daily.parquet{', plots' if plots else ''}{', robustness*' if rob is not None else ''}, "
        f"manifest.json) · seeds "
        f"{seed_list[0]}..{seed_list[-1]} · "
        + " · ".join(f"{escape(n)} {v['hash']}" for n, v in cmp.meta["scenarios"].items())
        + f" · lab {cmp.meta['lab_version']} · commit {cmp.meta['git_commit']}"
    )


def _print_comparison(cmp, console: Console) -> None:
    from rich import box

    from lab.i18n import label

    a = cmp.baseline
    wide = console.size.width >= 120
    n_days = ", ".join(f"{escape(k)} {v}" for k, v in cmp.meta["days"].items())
    for b in list(cmp.table["scenario"].unique()):
        part = cmp.table[cmp.table["scenario"] == b]
        t = Table(
            title=(
                f"{escape(b)} vs {escape(a)} · {len(cmp.meta['seeds'])} seeds · days: {n_days}\n"
                f"B − A is taken per seed first (paired), then its {cmp.level:.0%} interval"
            ),
            title_justify="left",
            box=box.SIMPLE_HEAD,
        )
        band = "\nmedian [10–90%]" if wide else "\nmedian"
        t.add_column("metric 指标")
        t.add_column(f"A {escape(a)}{band}", justify="right")
        t.add_column(f"B {escape(b)}{band}", justify="right")
        t.add_column(f"B − A\nmean [{cmp.level:.0%} interval]", justify="right")
        for r in part.itertuples():
            name = f"{label(r.metric, 'en')} {label(r.metric, 'zh')}"
            if wide:
                va = f"{fmt_number(r.a_median)} [{fmt_number(r.a_p10)}, {fmt_number(r.a_p90)}]"
                vb = f"{fmt_number(r.b_median)} [{fmt_number(r.b_p10)}, {fmt_number(r.b_p90)}]"
            else:
                va, vb = fmt_number(r.a_median), fmt_number(r.b_median)
            diff = f"{fmt_number(r.diff_mean)} {fmt_interval(r.diff_low, r.diff_high, r.n)}"
            if r.excludes_zero:
                diff += " [green]▲[/]" if r.diff_low > 0 else " [red]▼[/]"
            else:
                diff += "  "
            t.add_row(escape(name), va, vb, diff)
        console.print(t)
    console.print(
        "▲ / ▼: the interval excludes 0 (B higher / lower than A); "
        "no mark: no clear difference at this number of seeds"
    )


def _print_channels(channels, console: Console) -> None:
    """Unit economics by acquisition channel (medians over seeds), one row per scenario."""
    from rich import box

    if channels.empty:
        return
    t = Table(
        title="By acquisition channel 按获客渠道 · medians over seeds · LTV and payback: "
        "gross margin over the LTV horizon; LTV (all money) adds fees, bonus, rewards, contacts",
        title_justify="left",
        box=box.SIMPLE_HEAD,
    )
    for col in (
        "scenario",
        "channel 渠道",
        "customers",
        "CAC",
        "payback days\n回本天数",
        "LTV",
        "LTV (all money)",
        "LTV/CAC",
    ):
        t.add_column(col, justify="left" if col.startswith(("scenario", "channel")) else "right")
    for r in channels.itertuples():
        t.add_row(
            escape(str(r.scenario)),
            escape(str(r.channel)),
            fmt_number(r.customers),
            fmt_number(r.cac),
            "not reached" if r.payback_days != r.payback_days else fmt_number(r.payback_days),
            fmt_number(r.ltv),
            fmt_number(r.ltv_net),
            fmt_number(r.ltv_to_cac),
        )
    console.print(t)


def _print_breakdown(cmp, console: Console) -> None:
    """For whom: value per customer by segment, channel and RFM class, B − A paired by seed."""
    from rich import box

    b = cmp.breakdown
    if b.empty:
        return
    part = b[b["measure"] == "value_per_customer"]
    for name in part["scenario"].unique():
        t = Table(
            title=f"For whom 按人群: value per customer (order margin + money credited to them, "
            f"over the run), {escape(str(name))} vs {escape(cmp.baseline)} · RFM class on the "
            "last day",
            title_justify="left",
            box=box.SIMPLE_HEAD,
        )
        for col in ("by", "group", "A median", "B median", f"B − A [{cmp.level:.0%} interval]"):
            t.add_column(col, justify="left" if col in ("by", "group") else "right")
        for r in part[part["scenario"] == name].itertuples():
            diff = f"{fmt_number(r.diff_mean)} {fmt_interval(r.diff_low, r.diff_high, r.n)}"
            if r.excludes_zero:
                diff += " [green]▲[/]" if r.diff_low > 0 else " [red]▼[/]"
            t.add_row(
                escape(r.dimension),
                escape(r.group),
                fmt_number(r.a_median),
                fmt_number(r.b_median),
                diff,
            )
        console.print(t)


# ---------------------------------------------------------------------- report
def report(
    scenarios: Annotated[
        list[Path],
        typer.Argument(
            help="one or more scenario YAML files; the first is the reference of the comparison",
            show_default=False,
        ),
    ],
    seeds: Annotated[
        int,
        typer.Option(help="simulated runs per scenario (seeds first-seed, +1, ...)"),
    ] = 10,
    first_seed: Annotated[
        int, typer.Option(help="seeds are first-seed, first-seed + 1, ...", min=0, max=2**62)
    ] = 0,
    days: Annotated[
        int | None,
        typer.Option(help="days to forecast (default: each scenario's)"),
    ] = None,
    lang: Annotated[str, typer.Option(help="language of the report: en or zh")] = "en",
    out: Annotated[
        Path | None,
        typer.Option(help="the HTML file, ending in .html (default: reports/<names>.html)"),
    ] = None,
    workers: Annotated[
        int | None, typer.Option(help="worker processes (default: the local cores)", min=1, max=256)
    ] = None,
    level: Annotated[
        float, typer.Option(help="confidence level of the paired intervals", min=0.5, max=0.999)
    ] = 0.9,
    quiet: Quiet = False,
    objective: Annotated[
        str,
        typer.Option(help="what 'better' means on the first screen: net_margin, gmv, orders, ..."),
    ] = "net_margin",
    pdf: Annotated[
        bool, typer.Option("--pdf", help="also print the page to .pdf (needs headless Chromium)")
    ] = False,
    robustness: Annotated[
        int | None,
        typer.Option(
            help="two scenarios: also draw N plausible worlds of the behavioural assumptions; "
            "the first screen says in how many B beats A"
        ),
    ] = None,
    world_seeds: Annotated[
        int, typer.Option(help="with --robustness: seeds run in every world", min=1, max=100)
    ] = 2,
) -> None:
    """Write a forecast report: one self-contained HTML page and a matching .xlsx workbook."""

    from lab.io import OutputError, default_out
    from lab.population import PoolTooLarge
    from lab.report import check_output, collect, write_report
    from lab.report.data import OBJECTIVES, unique_names

    out_console, err_console = consoles()

    if lang not in ("en", "zh"):
        fail(f"--lang {lang!r}: use en or zh")
    if objective not in OBJECTIVES:
        fail(f"--objective {objective!r}: use one of {', '.join(OBJECTIVES)}")
    if robustness is not None and len(scenarios) != 2:
        fail(f"--robustness needs exactly two scenario files, got {len(scenarios)}")
    if pdf:
        from lab.report.pdf import PdfError, require_chromium

        try:
            require_chromium()
        except PdfError as exc:
            fail(str(exc))
    if not 1 <= seeds <= 10_000:
        fail(f"--seeds {seeds}: must be between 1 and 10000")
    if days is not None and not 1 <= days <= 3650:
        fail(f"--days {days}: must be between 1 and 3650")
    if out is not None and out.suffix.lower() != ".html":
        fail(f"--out {out}: the report file name must end in .html")
    if out is not None:
        check_output(out, pdf=pdf)
    loaded = [load_or_exit(p) for p in scenarios]
    names = unique_names([sc.name for sc in loaded], [p.stem for p in scenarios])
    if out is None:
        out = default_out("-vs-".join(names[:2]), suffix=".html")
        check_output(out, pdf=pdf)
    seed_list = list(range(first_seed, first_seed + seeds))
    plan = None
    if robustness is not None:
        from lab.experiments.robustness import plan_for_cli

        worlds_seeds = list(range(first_seed, first_seed + world_seeds))
        named = dict(zip(names, loaded, strict=True))
        plan = plan_for_cli(named, robustness, worlds_seeds, days, None, err_console)
    try:
        data = collect(
            {n: str(p) for n, p in zip(names, scenarios, strict=True)},
            seed_list,
            days=days,
            level=level,
            workers=workers,
            progress=False if quiet else None,
            objective=objective,
        )
        if plan is not None:
            rob = plan.run(workers, progress=False if quiet else None)
            data = replace(data, robustness=rob, stamp=data.stamp | rob.stamp())
    except PoolTooLarge as exc:
        fail(str(exc))
    try:
        html_path, xlsx_path = write_report(data, out, lang=lang, pdf=pdf)
    except OutputError as exc:
        fail(str(exc))
    size = html_path.stat().st_size
    also = f" and {escape(str(html_path.with_suffix('.pdf')))}" if pdf else ""
    out_console.print(
        f"wrote {escape(str(html_path))} ({size / 1024:,.0f} kB), {escape(str(xlsx_path))}{also} "
        f"· {len(names)} scenario(s) · seeds {seed_list[0]}..{seed_list[-1]} · "
        + " · ".join(f"{escape(s.name)} {s.hash}" for s in data.scenarios)
        + f" · lab {data.stamp['lab_version']} · commit {data.stamp['git_commit']}",
        highlight=False,
        soft_wrap=True,
    )


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command()(compare)
    app.command()(report)
