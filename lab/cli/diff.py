"""``lab diff A.yaml B.yaml``: what differs between two scenarios, as a table.

Also the table ``lab compare`` prints first.  Differences outside the
``strategies`` section are marked: they change the pool, the customers or the
economics rather than what the team does, so they confound a strategy comparison.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from lab.cli.common import consoles, load_or_exit

if TYPE_CHECKING:  # pragma: no cover
    from lab.scenario_diff import ScenarioDiff

__all__ = ["diff", "print_diff", "print_scenario_diffs"]

FLAG = "⚠"


def print_diff(d: ScenarioDiff, console: Console, a: str = "A", b: str = "B") -> None:
    """Print ``d`` as a table with the differences outside ``strategies`` flagged."""
    from rich import box

    from lab.scenario_diff import show_value  # the schema: only when a command runs

    head = f"What differs: {escape(d.b_name)} (B) vs {escape(d.a_name)} (A)"
    if not len(d):
        console.print(f"{head}: nothing (the resolved scenarios are the same but for names)")
        return
    t = Table(title=f"{head} · {len(d)} parameter(s)", title_justify="left", box=box.SIMPLE_HEAD)
    longest = max(len(x.path) for x in d)
    t.add_column("parameter 参数", overflow="fold", min_width=min(longest, 44))
    t.add_column(f"A {escape(a)}", overflow="fold")
    t.add_column(f"B {escape(b)}", overflow="fold")
    t.add_column("", overflow="fold")
    for x in d:
        mark = f"[bold yellow]{FLAG} outside strategies[/]" if x.flagged else ""
        t.add_row(escape(x.path), escape(show_value(x.a)), escape(show_value(x.b)), mark)
    console.print(t)
    if d.confounded:
        console.print(
            f"[bold yellow]{FLAG} {len(d.flagged)} difference(s) outside the strategies "
            "section[/]: they change the pool, customers or economics, not only what the team "
            "does; B − A includes their effect.",
            soft_wrap=True,
        )


def print_scenario_diffs(scenarios: dict, paths: list[Path], console: Console) -> None:
    """Print what differs between the first scenario (A) and each of the others."""
    from lab.scenario_diff import scenario_diff

    names = list(scenarios)
    a = scenarios[names[0]]
    for name, path in zip(names[1:], paths[1:], strict=True):
        print_diff(scenario_diff(a, scenarios[name]), console, paths[0].name, path.name)


def diff(
    a: Annotated[Path, typer.Argument(help="scenario YAML file A", show_default=False)],
    b: Annotated[Path, typer.Argument(help="scenario YAML file B", show_default=False)],
    labels: Annotated[
        bool, typer.Option(help="also list names, descriptions and strategy labels")
    ] = False,
) -> None:
    """Show every resolved parameter whose value differs between two scenarios."""
    from lab.scenario_diff import scenario_diff

    out_console, _ = consoles()
    sa, sb = load_or_exit(a), load_or_exit(b)
    print_diff(scenario_diff(sa, sb, labels=labels), out_console, a.name, b.name)


def register(app: typer.Typer) -> None:
    """Add ``lab diff`` to ``app``."""
    app.command("diff")(diff)
