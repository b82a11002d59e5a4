"""What every ``lab`` command shares: the command group, consoles, loading and number format.

Bad input (scenario files, arguments) ends with one clear message naming the file,
field and value, exit code 2, and nothing written.  Output failures of every command
(a refused ``--out``, an unwritable or full disk) are turned into that same message
once, in :class:`_LabGroup`.  The scenario schema, the engine, experiments, reports and
calibration are imported inside the commands that use them, so ``lab --help`` stays
fast (they load numba, SciPy, mesa, SALib and the report templates).  Options used by several commands are in
:mod:`lab.cli.options`.
"""

from __future__ import annotations

import errno
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import click
import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

if TYPE_CHECKING:  # pragma: no cover
    from lab.scenario import Scenario

__all__ = [
    "consoles",
    "fail",
    "finite",
    "fmt_interval",
    "fmt_number",
    "load_or_exit",
    "new_app",
    "print_error",
]

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
        try:
            return super().invoke(ctx)
        except Exception as exc:
            message = _output_failure(exc)
            if message is None:
                raise
            print_error(message)
        raise typer.Exit(code=2)


def _output_failure(exc: BaseException) -> str | None:
    """The one-line message for an output failure, or None for any other exception.

    The lab's own error types are looked up among the loaded modules only: an
    :class:`lab.io.OutputError` cannot have been raised unless :mod:`lab.io` was
    imported, and importing it here would load pandas for ``lab CMD --help``.
    """
    io, pool = sys.modules.get("lab.io"), sys.modules.get("lab.parallel.pool")
    if io is not None and isinstance(exc, io.OutputError):
        return str(exc)
    if pool is not None and isinstance(exc, pool.WorkerDied):  # a worker killed (OOM, signal)
        return str(exc)
    if not isinstance(exc, OSError) or exc.errno not in _OUTPUT_ERRNOS:
        return None
    where = exc.filename or "a file"
    reason = None
    if exc.errno == errno.ENOSPC:  # a failure: the time to load lab.io does not matter
        from lab.io import output_error

        reason = str(output_error(exc)).split(": ", 1)[1]
    return f"{where}: {reason or exc.strerror or exc}"


def print_error(message: str) -> None:
    Console(stderr=True).print(
        f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True
    )


def new_app() -> typer.Typer:
    """The ``lab`` command group with ``--version``, without commands (:mod:`lab.cli` adds them)."""
    app = typer.Typer(
        cls=_LabGroup,
        add_completion=False,
        no_args_is_help=True,
        help="Private-traffic strategy lab (私域流量策略实验室): simulate a brand's private pool.",
    )
    app.callback()(_main_options)
    return app


def _show_version(value: bool) -> None:
    if value:
        from lab._version import __version__

        typer.echo(f"lab {__version__}")
        raise typer.Exit()


def _main_options(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_show_version,
            is_eager=True,
            help="print the lab's version and exit",
        ),
    ] = False,
) -> None:
    """Options of ``lab`` itself, before the command name."""


def consoles() -> tuple[Console, Console]:
    """Fresh consoles per command, so the terminal width is read when the command runs."""
    return Console(), Console(stderr=True)


def load_or_exit(path: Path) -> Scenario:
    """The scenario at ``path``, or its problems on stderr and exit code 2."""
    # the schema loads every strategy (SciPy, mesa, numba): only when a command runs
    from lab.scenario import ScenarioError, load_scenario

    _, err_console = consoles()
    try:
        return load_scenario(path)
    except ScenarioError as exc:
        err_console.print(
            f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True
        )
        raise typer.Exit(code=2) from None


def finite(x) -> bool:
    return x is not None and math.isfinite(float(x))


def fmt_number(x: float) -> str:
    """A number for a terminal table: thousands separated, three significant digits below 1."""
    if not finite(x):
        return "–"
    ax = abs(x)
    if ax >= 1000:
        return f"{x:,.0f}"
    if ax >= 10:
        return f"{x:,.1f}"
    if ax >= 1:
        return f"{x:.2f}"
    return f"{x:.3g}"  # shares and small differences: three significant digits


def fmt_interval(low: float, high: float, n: int) -> str:
    """``[low, high]`` with the two ends apart, or why there is no meaningful spread."""
    from lab.report.fmt import fmt_interval_g, spread_note

    note = spread_note(low, high, int(n))
    if note:
        return f"({note})"
    lo, hi = fmt_number(low), fmt_number(high)
    if lo == hi:  # a narrow interval rounded alike: enough significant digits to tell apart
        lo, hi = fmt_interval_g(low, high, 4)
    return f"[{lo}, {hi}]"


def fail(message: str) -> NoReturn:
    """Print ``error: message`` on stderr and exit with code 2."""
    _, err = consoles()
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)


def campaigns_or_exit(path: Path | None) -> list[dict]:
    """The ``--campaigns`` file's campaigns (none without a file), or a clear exit-2
    message naming the file, the row, the field and the value
    (:func:`lab.calibrate.seasonality.read_campaigns`)."""
    if path is None:
        return []
    from lab.calibrate.seasonality import read_campaigns

    if not path.is_file():
        fail(f"--campaigns {path}: no such file")
    try:
        return read_campaigns(path)
    except ValueError as exc:
        fail(str(exc))
