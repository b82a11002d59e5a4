"""Command line: ``lab run | explain | reference | compare``.

Bad input (scenario files, arguments) ends with one clear message naming the file,
field and value, exit code 2, and nothing written.  Output failures of every command
(a refused ``--out``, an unwritable or full disk) are turned into that same message
once, in :class:`_LabGroup`.
"""

from __future__ import annotations

import errno
import sys
from pathlib import Path
from typing import Annotated

import click
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from typer.core import TyperGroup

from lab.io import atomic_file, check_out_folder, default_out
from lab.model import PoolTooLarge
from lab.scenario import Scenario, ScenarioError, load_scenario

_OUTPUT_ERRNOS = frozenset(
    {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOTDIR,
     errno.EISDIR, errno.EEXIST, errno.ENAMETOOLONG, errno.ELOOP}
)  # fmt: skip


class _LabGroup(TyperGroup):
    """Every command's output failures end the same way: one message, exit 2.

    :class:`lab.io.OutputError` (a refused or failed ``--out``: a file, a path under
    a file, a folder the lab did not make, an unwritable or full disk), a worker of
    the process pool that died (:class:`lab.parallel.pool.WorkerDied`) and any
    stray file-system ``OSError`` become ``error: <path>: <why>`` on stderr, with
    no traceback; the writers have already left the previous outputs in place.
    """

    def invoke(self, ctx: click.Context):
        from lab.io import OutputError, output_error
        from lab.parallel.pool import WorkerDied

        try:
            return super().invoke(ctx)
        except OutputError as exc:
            _print_error(str(exc))
        except WorkerDied as exc:  # a replication worker was killed (OOM, signal)
            _print_error(str(exc))
        except OSError as exc:
            if exc.errno not in _OUTPUT_ERRNOS:
                raise
            where = exc.filename or "a file"
            reason = str(output_error(exc)).split(": ", 1)[1] if exc.errno == errno.ENOSPC else None
            _print_error(f"{where}: {reason or exc.strerror or exc}")
        raise typer.Exit(code=2)


def _print_error(message: str) -> None:
    Console(stderr=True).print(
        f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True
    )


app = typer.Typer(
    cls=_LabGroup,
    add_completion=False,
    no_args_is_help=True,
    help="Private-traffic strategy lab (私域流量策略实验室): simulate a brand's private pool.",
)


def _consoles() -> tuple[Console, Console]:
    """Fresh consoles per command, so the terminal width is read when the command runs."""
    return Console(), Console(stderr=True)


ScenarioArg = Annotated[Path, typer.Argument(help="scenario YAML file", show_default=False)]


def _load(path: Path) -> Scenario:
    _, err_console = _consoles()
    try:
        return load_scenario(path)
    except ScenarioError as exc:
        err_console.print(
            f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True
        )
        raise typer.Exit(code=2) from None


@app.command()
def run(
    scenario: ScenarioArg,
    seed: Annotated[
        int | None, typer.Option(help="seed (default: the scenario's)", min=0, max=2**63 - 1)
    ] = None,
    days: Annotated[
        int | None, typer.Option(help="days to simulate (default: the scenario's)", min=1, max=3650)
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="output folder (default: reports/<scenario name>)")
    ] = None,
    csv: Annotated[bool, typer.Option(help="also write CSV next to parquet")] = True,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar")] = False,
) -> None:
    """Run SCENARIO and write daily KPIs, the order log and the customer table."""
    from lab.api import run as run_scenario

    _, err_console = _consoles()
    sc = _load(scenario)
    n_days = days or sc.days
    out_dir = out or default_out(sc.name)
    check_out_folder(out_dir)  # before the work: a refusal costs nothing
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("day {task.completed:.0f}/{task.total:.0f}"),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
        disable=quiet or not sys.stderr.isatty(),
    ) as bar:
        task = bar.add_task(f"simulating {escape(sc.name)}", total=n_days)
        try:
            result = run_scenario(
                sc, seed=seed, days=days, progress=lambda d: bar.update(task, completed=d)
            )
        except PoolTooLarge as exc:
            err_console.print(f"[bold red]error:[/] {scenario}: {escape(str(exc))}")
            raise typer.Exit(code=2) from None
    formats = ("parquet", "csv") if csv else ("parquet",)
    path = result.save(out_dir, formats=formats)
    _print_summary(result, path)


def _print_summary(result, path: Path) -> None:
    out_console, _ = _consoles()
    s = result.summary()
    cur = result.scenario.economics.currency
    t = Table(
        title=f"{escape(result.scenario.name)} · seed {result.seed} · {result.days} days",
        title_justify="left",
    )
    t.add_column("metric 指标")
    t.add_column("value 数值", justify="right")
    rows = [
        ("customers in pool 私域用户", f"{s['customers']:,}"),
        ("orders 订单", f"{s['orders']:,}"),
        (f"GMV 成交总额 ({cur})", f"{s['gmv']:,.0f}"),
        (f"discount cost 折扣成本 ({cur})", f"{s['discount_cost']:,.0f}"),
        (f"gross margin 毛利 ({cur})", f"{s['gross_margin']:,.0f}"),
        (f"net margin after costs 净利 ({cur})", f"{s['net_margin']:,.0f}"),
        ("active at end 活跃期", f"{s['active']:,}"),
        ("blocked 拉黑/删除", f"{s['blocked']:,}"),
        ("joined by referral 裂变", f"{s['referred']:,}"),
        ("mean fatigue at end 促销疲劳", f"{s['mean_fatigue_end']:.3f}"),
    ]
    for k, v in rows:
        t.add_row(k, v)
    out_console.print(t)
    out_console.print(
        f"wrote {path}/ ({', '.join(['daily', 'transactions', 'customers', *result.extra_tables])}"
        " as parquet/csv; manifest.json) "
        f"· scenario {result.meta['scenario_hash']} · lab {result.meta['lab_version']} "
        f"· commit {result.meta['git_commit']}"
    )


@app.command()
def explain(scenario: ScenarioArg) -> None:
    """Print the daily step order and every parameter in effect (unit, source, plausible range)."""
    from lab.explain import parameter_rows, step_order_lines

    sc = _load(scenario)
    out_console, _ = _consoles()
    out_console.print(f"[bold]{escape(sc.name)}[/]: {escape(sc.description)}\n")
    out_console.print("[bold]One day, in order[/] (one tick = one day):")
    for line in step_order_lines(sc):
        out_console.print(line, highlight=False, markup=False)
    t = Table(title="Parameters in effect", title_justify="left")
    t.add_column("parameter", no_wrap=True)
    for col in ("value", "unit", "valid", "set in", "source of the default"):
        t.add_column(col)
    for rec in parameter_rows(sc):
        src = "[green]file[/]" if rec["source"] == "file" else "default"
        basis = escape(rec["basis"])
        t.add_row(
            escape(rec["path"]), escape(str(rec["value"])), rec["unit"], rec["range"], src, basis
        )
    out_console.print(t)


@app.command()
def reference(
    out: Annotated[Path | None, typer.Option(help="write to this file instead of stdout")] = None,
    what: Annotated[
        str, typer.Option(help="scenario (the file format) or strategies")
    ] = "scenario",
) -> None:
    """Print (or write) the scenario-format or strategy reference generated from the code."""
    from lab.explain import scenario_reference, strategies_reference

    makers = {"scenario": scenario_reference, "strategies": strategies_reference}
    if what not in makers:
        _, err = _consoles()
        err.print(f"[bold red]error:[/] --what {escape(what)}: choose scenario or strategies")
        raise typer.Exit(code=2)
    text = makers[what]()
    if out is None:
        sys.stdout.write(text)
        return
    first = text.splitlines()[0] if text else ""

    def lab_wrote(path: Path) -> bool:  # a reference the lab generated has the same title line
        with path.open(encoding="utf-8", errors="replace") as fh:
            return fh.readline().rstrip("\n") == first

    with atomic_file(out, may_replace=lab_wrote) as tmp:
        tmp.write_text(text, encoding="utf-8")


def main() -> None:  # pragma: no cover - console entry
    app()


# ---------------------------------------------------------------------- compare
def _finite(x) -> bool:
    import math

    return x is not None and math.isfinite(float(x))


def _fmt_number(x: float) -> str:
    if not _finite(x):
        return "–"
    ax = abs(x)
    if ax >= 1000:
        return f"{x:,.0f}"
    if ax >= 10:
        return f"{x:,.1f}"
    if ax >= 1:
        return f"{x:.2f}"
    return f"{x:.3g}"  # shares and small differences: three significant digits


def _fmt_interval(low: float, high: float, n: int) -> str:
    """``[low, high]`` with the two ends apart, or why there is no meaningful spread."""
    from lab.report.fmt import fmt_interval_g, spread_note

    note = spread_note(low, high, int(n))
    if note:
        return f"({note})"
    lo, hi = _fmt_number(low), _fmt_number(high)
    if lo == hi:  # a narrow interval rounded alike: enough significant digits to tell apart
        lo, hi = fmt_interval_g(low, high, 4)
    return f"[{lo}, {hi}]"


def _scenario_names(paths: list[Path], scenarios: list[Scenario]) -> list[str]:
    names = [sc.name for sc in scenarios]
    if len(set(names)) < len(names):
        names = [p.stem for p in paths]
    if len(set(names)) < len(names):
        names = [f"{n}#{i + 1}" for i, n in enumerate(names)]
    return names


@app.command()
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
    lang: Annotated[str, typer.Option(help="language of the plot labels: en or zh")] = "en",
    plots: Annotated[bool, typer.Option(help="write the plots")] = True,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar")] = False,
) -> None:
    """Run scenarios over the same seeds and compare each with the first, paired by seed."""
    from lab.experiments import compare as run_compare

    out_console, err_console = _consoles()
    if len(scenarios) < 2:
        err_console.print("[bold red]error:[/] compare needs at least two scenario files")
        raise typer.Exit(code=2)
    if lang not in ("en", "zh"):
        err_console.print(f"[bold red]error:[/] --lang {escape(lang)!r}: use en or zh")
        raise typer.Exit(code=2)
    loaded = [_load(p) for p in scenarios]
    names = _scenario_names(scenarios, loaded)
    out_dir = out or default_out("compare", names[0], "vs", names[1])
    check_out_folder(out_dir)
    seed_list = list(range(first_seed, first_seed + seeds))
    print_scenario_diffs(dict(zip(names, loaded, strict=True)), scenarios, out_console)
    cmp = run_compare(
        dict(zip(names, loaded, strict=True)),
        seed_list,
        days=days,
        level=level,
        workers=workers,
        progress=False if quiet else None,
        warn_confounded=False,  # printed above, flagged in the table
    )
    path = cmp.save(out_dir, lang=lang, plots=plots)
    _print_comparison(cmp, out_console)
    out_console.print(
        f"wrote {escape(str(path))}/ (diff.csv, comparison.csv, differences.csv, totals.csv, "
        f"daily.parquet{', plots' if plots else ''}, manifest.json) · seeds "
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
                va = f"{_fmt_number(r.a_median)} [{_fmt_number(r.a_p10)}, {_fmt_number(r.a_p90)}]"
                vb = f"{_fmt_number(r.b_median)} [{_fmt_number(r.b_p10)}, {_fmt_number(r.b_p90)}]"
            else:
                va, vb = _fmt_number(r.a_median), _fmt_number(r.b_median)
            diff = f"{_fmt_number(r.diff_mean)} {_fmt_interval(r.diff_low, r.diff_high, r.n)}"
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


# ---------------------------------------------------------------------- report
@app.command()
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
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar")] = False,
) -> None:
    """Write a forecast report: one self-contained HTML page and a matching .xlsx workbook."""
    from typing import NoReturn

    from lab.report import check_output, collect, write_report
    from lab.report.data import unique_names

    out_console, err_console = _consoles()

    def fail(message: str) -> NoReturn:
        err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
        raise typer.Exit(code=2)

    if lang not in ("en", "zh"):
        fail(f"--lang {lang!r}: use en or zh")
    if not 1 <= seeds <= 10_000:
        fail(f"--seeds {seeds}: must be between 1 and 10000")
    if days is not None and not 1 <= days <= 3650:
        fail(f"--days {days}: must be between 1 and 3650")
    if out is not None and out.suffix.lower() != ".html":
        fail(f"--out {out}: the report file name must end in .html")
    if out is not None:
        check_output(out)
    loaded = [_load(p) for p in scenarios]
    names = unique_names([sc.name for sc in loaded], [p.stem for p in scenarios])
    if out is None:
        out = default_out("-vs-".join(names[:2]), suffix=".html")
        check_output(out)
    seed_list = list(range(first_seed, first_seed + seeds))
    try:
        data = collect(
            {n: str(p) for n, p in zip(names, scenarios, strict=True)},
            seed_list,
            days=days,
            level=level,
            workers=workers,
            progress=False if quiet else None,
        )
    except PoolTooLarge as exc:
        fail(str(exc))
    html_path, xlsx_path = write_report(data, out, lang=lang)
    size = html_path.stat().st_size
    out_console.print(
        f"wrote {escape(str(html_path))} ({size / 1024:,.0f} kB) and {escape(str(xlsx_path))} "
        f"· {len(names)} scenario(s) · seeds {seed_list[0]}..{seed_list[-1]} · "
        + " · ".join(f"{escape(s.name)} {s.hash}" for s in data.scenarios)
        + f" · lab {data.stamp['lab_version']} · commit {data.stamp['git_commit']}",
        highlight=False,
        soft_wrap=True,
    )


# calibration commands (calibrate, calibrate-retention, backtest) register themselves on app
from lab import cli_calibrate as _cli_calibrate  # noqa: E402,F401
from lab import cli_experiments as _cli_experiments  # noqa: E402, F401  (lab sweep | sensitivity | optimize)
from lab import cli_facts as _cli_facts  # noqa: E402, F401  (lab facts)
from lab.cli_diff import diff as _diff  # noqa: E402  (lab diff A B)
from lab.cli_diff import print_scenario_diffs  # noqa: E402

app.command(name="diff")(_diff)
