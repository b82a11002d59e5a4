"""``lab run | explain | reference``: one scenario, run or explained."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from lab.cli.common import consoles, load_or_exit
from lab.cli.options import ScenarioArg

__all__ = ["explain", "reference", "register", "run"]


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
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from lab.api import run as run_scenario
    from lab.io import check_out_folder, default_out
    from lab.population import PoolTooLarge

    _, err_console = consoles()
    sc = load_or_exit(scenario)
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
    out_console, _ = consoles()
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


def explain(scenario: ScenarioArg) -> None:
    """Print the daily step order and every parameter in effect (unit, source, plausible range)."""
    from lab.explain import parameter_rows, step_order_lines

    sc = load_or_exit(scenario)
    out_console, _ = consoles()
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


def reference(
    out: Annotated[Path | None, typer.Option(help="write to this file instead of stdout")] = None,
    what: Annotated[
        str, typer.Option(help="scenario (the file format) or strategies")
    ] = "scenario",
) -> None:
    """Print (or write) the scenario-format or strategy reference generated from the code."""
    from lab.explain import scenario_reference, strategies_reference
    from lab.io import atomic_file

    makers = {"scenario": scenario_reference, "strategies": strategies_reference}
    if what not in makers:
        _, err = consoles()
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


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command()(run)
    app.command()(explain)
    app.command()(reference)
