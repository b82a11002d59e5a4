"""``lab new OUT.yaml --mode brand/ip/guide --role expert --stage mature``: a starting scenario.

Writes the scenario of :func:`lab.modes.starting_scenario` with a header that explains
each choice (English and Chinese) and the seed article it comes from.  An existing
file is never replaced: a starting scenario is meant to be edited, and the edits are
the user's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from lab.cli.common import consoles, fail

__all__ = ["new", "register"]

_MODE_HELP = (
    "operating mode company/content/distribution: channel|brand / ip|non-ip / self|guide|koc"
)


def _print_options() -> None:
    from lab.modes import DIMENSIONS

    out, _ = consoles()
    for dim, options in DIMENSIONS.items():
        t = Table(title=dim, title_justify="left")
        for col in ("key", "what", "中文", "source"):
            t.add_column(col, overflow="fold")
        for c in options:
            goal = f" (goal: {c.goal})" if c.goal else ""
            t.add_row(c.key, escape(c.en + goal), escape(c.zh), escape(c.source))
        out.print(t)


def _yaml_text(scenario: dict, lines: list[str], command: str) -> str:
    import yaml

    from lab._version import __version__

    head = [
        f"# Starting scenario written by `{command}` (private-traffic-lab {__version__}).",
        "# Each choice below is a set of strategies (and, where the seed implies it, a",
        "# setting of the business); customers' behaviour keeps the lab's defaults.",
        "# Edit freely; `lab explain` lists every parameter with its unit and source.",
        "#",
    ]
    head += [f"# {line}" for line in lines]
    body = yaml.safe_dump(scenario, allow_unicode=True, sort_keys=False, width=100)
    return "\n".join(head) + "\n\n" + body


def new(
    out: Annotated[
        Path | None, typer.Argument(help="scenario file to write (must not exist)")
    ] = None,
    mode: Annotated[str, typer.Option(help=_MODE_HELP)] = "brand/ip/self",
    role: Annotated[
        str, typer.Option(help="monetisation role: assistant | expert | partner")
    ] = "assistant",
    stage: Annotated[
        str, typer.Option(help="growth stage: startup | growth | mature | expansion")
    ] = "growth",
    name: Annotated[str | None, typer.Option(help="scenario name (default: the choices)")] = None,
    list_options: Annotated[
        bool, typer.Option("--list", help="list the modes, roles and stages with their sources")
    ] = False,
) -> None:
    """Write a starting scenario for an operating mode, monetisation role and growth stage (运营模式)."""
    if list_options:
        _print_options()
        return
    if out is None:
        fail("lab new: give the scenario file to write, e.g. lab new scenarios/mine.yaml")
    from lab.modes import describe, parse_mode, starting_scenario

    try:
        picked = {**parse_mode(mode), "role": role, "stage": stage}
        scenario = starting_scenario(**picked, name=name)
        lines = describe(**picked)
    except ValueError as exc:
        fail(f"--mode/--role/--stage: {exc}")
    _write_new(Path(out), scenario, lines, picked)


def _write_new(out: Path, scenario: dict, lines: list[str], picked: dict) -> None:
    from lab.io import OutputError, atomic_file, check_out_file
    from lab.scenario import Scenario

    Scenario.model_validate(scenario)  # a starting scenario always validates (tested)
    if out.suffix not in (".yaml", ".yml"):
        fail(f"lab new: {out} must end in .yaml or .yml; nothing written")
    if out.exists() or out.is_symlink():
        fail(f"lab new: {out} exists; nothing written (a starting scenario never replaces a file)")
    try:
        check_out_file(out)
    except OutputError as exc:
        fail(str(exc))
    mode = f"{picked['company']}/{picked['content']}/{picked['distribution']}"
    command = f"lab new --mode {mode} --role {picked['role']} --stage {picked['stage']}"
    with atomic_file(out, may_replace=lambda _p: False) as tmp:
        tmp.write_text(_yaml_text(scenario, lines, command), encoding="utf-8")
    std, _ = consoles()
    std.print(
        f"wrote {escape(str(out))}: {escape(scenario['name'])}; run it with lab run {escape(str(out))}"
    )


def register(app: typer.Typer) -> None:
    """Add ``lab new`` to ``app``."""
    app.command("new")(new)
