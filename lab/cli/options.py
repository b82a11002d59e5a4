"""Options and arguments shared by the ``lab`` commands, defined once.

The options ``lab sweep | sensitivity | optimize`` share (seeds, horizon, output
folder, where and how to run, limits) reach those commands as one
:class:`ExperimentOptions`: a command decorated with :func:`with_experiment_options`
takes ``opts`` and the decorator adds the options to its command line.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar, cast

import typer

from lab.limits import MAX_RUNS

if TYPE_CHECKING:
    from lab.calibrate.seasonality import MonthRuleName, PenaltyRuleName

#: the environment variable naming a dask scheduler (the same name as
#: :data:`lab.parallel.executors.ENV_SCHEDULER`, written out so that ``lab --help``
#: does not load multiprocessing; a test keeps the two equal)
ENV_SCHEDULER = "LAB_DASK_SCHEDULER"

__all__ = [
    "AllowCodeChange",
    "BaseScenarioArg",
    "Cluster",
    "Days",
    "ExperimentOptions",
    "FirstSeed",
    "Lang",
    "MaxRuns",
    "Out",
    "Quiet",
    "ScenarioArg",
    "Seeds",
    "Workers",
    "experiment_options",
    "with_experiment_options",
]

#: the scenario a command runs
ScenarioArg = Annotated[Path, typer.Argument(help="scenario YAML file", show_default=False)]
#: the scenario an experiment varies
BaseScenarioArg = Annotated[
    Path, typer.Argument(help="base scenario YAML file", show_default=False)
]
Seeds = Annotated[
    int, typer.Option(help="seeds per point (common random numbers)", min=1, max=10_000)
]
FirstSeed = Annotated[
    int, typer.Option(help="seeds are first-seed, first-seed + 1, ...", min=0, max=2**62)
]
Days = Annotated[
    int | None, typer.Option(help="days to simulate (default: the scenario's)", min=1, max=3650)
]
Out = Annotated[
    Path | None,
    typer.Option(help="experiment folder (default: reports/<kind>-<name>-<design key>)"),
]
Workers = Annotated[
    int | None, typer.Option(help="local worker processes (default: the cores)", min=1, max=256)
]
Cluster = Annotated[
    str | None,
    typer.Option(
        help="dask scheduler address, e.g. tcp://HOST:8786, or tls://HOST:8786 with dask's "
        "TLS configuration (default: local processes; LAB_DASK_TIMEOUT: seconds to wait)",
        envvar=ENV_SCHEDULER,
    ),
]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar")]
AllowCodeChange = Annotated[
    bool,
    typer.Option(
        "--allow-code-change",
        help="resume an --out folder whose runs another lab version or git commit made "
        "(keeps them; each row records its commit)",
    ),
]
Lang = Annotated[
    str, typer.Option(help="language of the labels and words (plots, pages, summary.md): en or zh")
]
MaxRuns = Annotated[
    int,
    typer.Option(
        "--max-runs",
        help="refuse a design of more runs (points x seeds) than this, before building it",
        min=1,
    ),
]


@dataclass(frozen=True)
class ExperimentOptions:
    """What ``lab sweep | sensitivity | optimize`` share: seeds, days, output, workers, limits.

    Attributes mirror the command-line options (``--seeds``, ``--first-seed``, ...).
    """

    seeds: int = 4
    first_seed: int = 0
    days: int | None = None
    out: Path | None = None
    workers: int | None = None
    cluster: str | None = None
    quiet: bool = False
    allow_code_change: bool = False
    max_runs: int = MAX_RUNS

    @property
    def seed_list(self) -> list[int]:
        """The seeds every point runs on: ``first_seed, first_seed + 1, ...``."""
        return list(range(self.first_seed, self.first_seed + self.seeds))

    def run_kwargs(self) -> dict[str, Any]:
        """The keyword arguments :func:`lab.sweep`, :func:`lab.sensitivity` and
        :func:`lab.optimize` take for these options."""
        return {
            "seeds": self.seed_list,
            "days": self.days,
            "out": self.out,
            "cluster": self.cluster,
            "workers": self.workers,
            "progress": False if self.quiet else None,
            "allow_code_change": self.allow_code_change,
            "max_runs": self.max_runs,
        }


def experiment_options(
    seeds: Seeds = 4,
    first_seed: FirstSeed = 0,
    days: Days = None,
    out: Out = None,
    workers: Workers = None,
    cluster: Cluster = None,
    quiet: Quiet = False,
    allow_code_change: AllowCodeChange = False,
    max_runs: MaxRuns = MAX_RUNS,
) -> ExperimentOptions:
    """The shared experiment options as the command line declares them, gathered."""
    return ExperimentOptions(
        seeds, first_seed, days, out, workers, cluster, quiet, allow_code_change, max_runs
    )


_Result = TypeVar("_Result")


def with_experiment_options(command: Callable[..., _Result]) -> Callable[..., _Result]:
    """``command`` with the options of :func:`experiment_options` added to its command line.

    Parameters
    ----------
    command : callable
        A command function whose last parameter is keyword-only ``opts:
        ExperimentOptions``; its other parameters are its own arguments and options.

    Returns
    -------
    callable
        A function typer reads as ``command``'s own parameters followed by the
        shared options (so ``--help`` lists them last); called with them, it calls
        ``command`` with the shared ones gathered into ``opts``.
    """
    own = inspect.signature(command, eval_str=True)
    shared = inspect.signature(experiment_options, eval_str=True)
    params = [p for name, p in own.parameters.items() if name != "opts"]
    params += shared.parameters.values()

    @functools.wraps(command)
    def with_options(**kwargs: Any) -> _Result:
        gathered = {name: kwargs.pop(name) for name in shared.parameters if name in kwargs}
        return command(**kwargs, opts=experiment_options(**gathered))

    with_options.__signature__ = own.replace(parameters=params)  # type: ignore[attr-defined]
    with_options.__annotations__ = {p.name: p.annotation for p in params}
    return with_options


MonthPrior = Annotated[
    str,
    typer.Option(
        help="calendar of the months the log does not contain: flat (multiplier 1), "
        "retail (the month shape of US retail sales, Census Bureau), or 12 numbers "
        "Jan..Dec separated by commas"
    ),
]


def checked_month_prior(text: str) -> str:
    """The ``--month-prior`` value, checked before any work (exit 2 naming the value)."""
    from lab.calibrate.seasonality import month_prior_shape
    from lab.cli.common import fail

    try:
        month_prior_shape(text)
    except ValueError as exc:
        fail(f"--month-prior: {exc}")
    return text


PenaltyRule = Annotated[
    str,
    typer.Option(
        help="how cross-validation picks the calendar's ridge penalty: min (the lowest "
        "held-out deviance) or one_se (the largest penalty within one standard error of it)"
    ),
]
MonthRule = Annotated[
    str,
    typer.Option(
        help="which months the log's counts estimate: all (every month it contains) or "
        "twice (only months it contains in two years; the others take --month-prior)"
    ),
]


def checked_calendar_rules(
    penalty_rule: str, month_rule: str, *, seasonality: bool = True, model: str = "bgnbd"
) -> tuple[PenaltyRuleName, MonthRuleName]:
    """The ``--penalty-rule`` and ``--month-rule`` values, checked before any work.

    Parameters
    ----------
    penalty_rule : str
        ``--penalty-rule``: one of :data:`~lab.calibrate.seasonality.PENALTY_RULES`.
    month_rule : str
        ``--month-rule``: one of :data:`~lab.calibrate.seasonality.MONTH_RULES`.
    seasonality : bool
        ``--seasonality``: without a fitted calendar a rule other than the default has
        nothing to choose.
    model : str
        ``--model``: only BG/NBD gets a fitted calendar.

    Returns
    -------
    tuple of str
        ``(penalty_rule, month_rule)``.

    Raises
    ------
    typer.Exit
        Exit code 2 after one message naming every problem: an unknown value (the
        option and the value), or a rule other than the default that would be silently
        ignored (``--penalty-rule one_se has no effect with --no-seasonality``).
    """
    from lab.calibrate.seasonality import (
        MONTH_RULE,
        MONTH_RULES,
        PENALTY_RULE,
        PENALTY_RULES,
        check_rules,
    )
    from lab.cli.common import fail

    problems = []
    try:
        check_rules(penalty_rule, month_rule, names=("--penalty-rule", "--month-rule"))
    except ValueError as exc:
        problems.append(str(exc))
    without = (
        "--no-seasonality" if not seasonality else f"--model {model}" if model != "bgnbd" else ""
    )
    if without:
        given = (
            ("--penalty-rule", penalty_rule, PENALTY_RULE, PENALTY_RULES),
            ("--month-rule", month_rule, MONTH_RULE, MONTH_RULES),
        )
        problems += [
            f"{option} {value} has no effect with {without}"
            for option, value, default, known in given
            if value != default and value in known  # an unknown one is said above
        ]
    if problems:
        fail("; ".join(problems))
    return cast("PenaltyRuleName", penalty_rule), cast("MonthRuleName", month_rule)


def read_order_log(orders, customer_col, date_col, amount_col, tz, dayfirst, keep_duplicates):
    """The cleaned order log of ``orders`` with the cleaning options of ``lab calibrate``,
    ``lab backtest`` and ``lab forecast``; a bad export ends in one message naming the file
    (exit code 2).
    """
    from lab.analysis import OrderLogError
    from lab.calibrate.ingest import read_orders
    from lab.cli.common import fail

    try:
        return read_orders(
            orders,
            customer_col=customer_col,
            date_col=date_col,
            amount_col=amount_col,
            tz=tz,
            dayfirst=dayfirst,
            duplicates="keep" if keep_duplicates else "drop",
        )
    except OrderLogError as exc:  # names the file already
        fail(str(exc))
