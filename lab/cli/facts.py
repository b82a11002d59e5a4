"""Command line: ``lab facts`` (registered on :data:`lab.cli.app`).

Runs the stylized-facts suite (:mod:`lab.facts`) and writes ``facts.csv``, the
per-seed values, a one-page plot and a manifest into ``--out``.  Bad arguments end
with one clear message, exit code 2, and nothing written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from lab.cli.common import consoles, fmt_number
from lab.cli.options import Lang, Quiet

__all__ = ["facts_cmd"]


def facts_cmd(
    quick: Annotated[
        bool, typer.Option("--quick", help="small pools and 3 seeds (the test suite's run)")
    ] = False,
    seeds: Annotated[
        int | None,
        typer.Option(help="seeds per fact (default: 3 with --quick, else 10)", min=1, max=1000),
    ] = None,
    first_seed: Annotated[
        int, typer.Option(help="seeds are first-seed, first-seed + 1, ...", min=0, max=2**62)
    ] = 1,
    out: Annotated[Path, typer.Option(help="output folder")] = Path("reports") / "facts",
    lang: Lang = "en",
    only: Annotated[
        list[str] | None, typer.Option(help="run only this fact (repeatable)", show_default=False)
    ] = None,
    workers: Annotated[
        int, typer.Option(help="worker processes (results do not depend on it)", min=1, max=256)
    ] = 1,
    quiet: Quiet = False,
) -> None:
    """Measure the lab against published marketing evidence (stylized facts)."""
    from lab.facts import FACTS, OutputRefused, run_facts, save_facts
    from lab.facts.output import check_out

    out_console, err_console = consoles()

    def fail(message: str) -> None:
        err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
        raise typer.Exit(code=2)

    if lang not in ("en", "zh"):
        fail(f"--lang {lang!r}: use en or zh")
    keys = [f.key for f in FACTS]
    unknown = [k for k in only or [] if k not in keys]
    if unknown:
        fail(f"--only {', '.join(unknown)}: unknown fact; valid: {', '.join(keys)}")
    try:
        check_out(out)  # before the runs: refuse early, write nothing
    except OutputRefused as exc:
        fail(str(exc))
    run = run_facts(
        quick=quick,
        seeds=seeds,
        first_seed=first_seed,
        workers=workers,
        only=only or None,
        progress=False if quiet else None,
    )
    path = save_facts(run, out, lang=lang)
    _print_table(run.table, out_console)
    passed = int(run.table["pass"].sum())
    out_console.print(
        f"{passed} of {len(run.table)} facts pass · wrote {escape(str(path))}/ (facts.csv, "
        f"facts_by_seed.csv, facts.png, manifest.json) · seeds {run.meta['seeds'][0]}.."
        f"{run.meta['seeds'][-1]} · lab {run.meta['lab_version']} · commit "
        f"{run.meta['git_commit']}",
        highlight=False,
    )


def _range(lo: float, hi: float) -> str:
    return f"{fmt_number(lo) if lo > -float('inf') else '−∞'} .. " + (
        fmt_number(hi) if hi < float("inf") else "∞"
    )


def _print_table(table, console) -> None:
    t = Table(
        title="Stylized facts · value: median over seeds · band: 10–90% · pass: band inside target",
        title_justify="left",
        box=box.SIMPLE_HEAD,
    )
    for col, justify in (
        ("fact", "left"),
        ("target", "right"),
        ("value", "right"),
        ("band", "right"),
        ("", "left"),
    ):
        t.add_column(col, justify=justify)
    for _, r in table.iterrows():
        ok = bool(r["pass"])
        t.add_row(
            escape(r.fact),
            _range(r.target_low, r.target_high),
            fmt_number(r.value),
            f"{fmt_number(r.band_low)} .. {fmt_number(r.band_high)}",
            "[green]pass[/]" if ok else "[red]FAIL[/]",
        )
    console.print(t)


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("facts")(facts_cmd)
