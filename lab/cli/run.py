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

    from lab.io import check_out_folder, default_out
    from lab.population import PoolTooLarge

    _, err_console = consoles()
    sc = load_or_exit(scenario)
    n_days = days or sc.days
    out_dir = out or default_out(sc.name)
    check_out_folder(out_dir)  # before the work: a refusal costs nothing
    formats = ("parquet", "csv") if csv else ("parquet",)
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
            result = _run_and_write(
                sc, seed, days, out_dir, formats, lambda d: bar.update(task, completed=d)
            )
        except PoolTooLarge as exc:
            err_console.print(f"[bold red]error:[/] {scenario}: {escape(str(exc))}")
            raise typer.Exit(code=2) from None
    _print_summary(result, out_dir)


class _RunFailed(Exception):
    """The run itself failed (not the writing): carried out of the output folder's block."""


def _run_and_write(sc, seed, days, out_dir: Path, formats: tuple[str, ...], progress):
    """Run the scenario and write its folder.

    Where the engine leaves a core unused (:func:`stream_wanted`), the transactions
    CSV is written on it while the run goes on (:class:`lab.results.TransactionsCsvStream`)
    and the rest after the run; otherwise every table is written after the run, the
    CSV text made on the engine's idle cores.

    The folder is written atomically (:func:`lab.io.atomic_folder`, made before the
    run): a failure or an interrupt leaves no folder and no temporary files.  An error
    of the run itself (a pool too large, an interrupt) is raised as it is, after the
    temporary folder is removed; an error writing the files is an output error.
    """
    from lab.api import run as run_scenario
    from lab.io import atomic_folder
    from lab.results import TransactionsCsvStream

    streaming = stream_wanted(formats)
    stream: TransactionsCsvStream | None = None
    writer_error: list[BaseException] = []
    run_error: list[BaseException] = []

    def start_stream(model) -> None:
        nonlocal stream  # assigned before the thread starts: abandon() always finds it
        stream = TransactionsCsvStream.for_model(model, tmp / "transactions.csv", start=False)
        stream.start()

    def day_done(day: int) -> None:
        progress(day)
        if stream is not None:
            try:
                stream.day_done()
            except BaseException as exc:  # the writer's error stops the run
                writer_error.append(exc)
                raise

    try:
        with atomic_folder(out_dir) as tmp:
            try:
                result = run_scenario(
                    sc, seed=seed, days=days, progress=day_done,
                    on_model=start_stream if streaming else None,
                )  # fmt: skip
            except BaseException as exc:
                if stream is not None:
                    stream.abandon()
                if writer_error and exc is writer_error[0]:
                    raise  # the writer's: an output error (atomic_folder says so)
                run_error.append(exc)
                raise _RunFailed from None  # the temporary folder is removed on the way out
            result.write_files(tmp, formats, transactions_csv=stream, keep_log=False)
    except _RunFailed:
        raise run_error[0] from None
    return result


def stream_wanted(formats: tuple[str, ...]) -> bool:
    """Whether ``lab run`` writes the transactions CSV while the run goes on: with CSV,
    and only where the engine's numba threads leave a core of this process unused.

    On a core of its own the writer costs the run nothing.  Taking a core from the
    engine costs more than it saves: the engine is 1.35-1.55x faster on two threads,
    and after the run the CSV's text is made on both cores (:func:`lab.results.post_run_threads`;
    ``benchmarks/RESULTS.md``, ``lab run`` with CSV).
    """
    if "csv" not in formats:
        return False
    import numba

    from lab.csv_arrow import usable_cores

    return numba.get_num_threads() < usable_cores()


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
    for col in ("value", "unit", "valid", "set in", "source (of the default, or the fit)"):
        t.add_column(col)
    shown = {"file": "[green]file[/]", "calibration": "[green]file: fitted[/]"}
    for rec in parameter_rows(sc):
        src = shown.get(rec["source"], "default")
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
