"""Options and arguments shared by the ``lab`` commands, defined once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

#: the environment variable naming a dask scheduler (the same name as
#: :data:`lab.parallel.executors.ENV_SCHEDULER`, written out so that ``lab --help``
#: does not load multiprocessing; a test keeps the two equal)
ENV_SCHEDULER = "LAB_DASK_SCHEDULER"

__all__ = [
    "AllowCodeChange",
    "BaseScenarioArg",
    "Cluster",
    "Days",
    "FirstSeed",
    "Lang",
    "MaxRuns",
    "Out",
    "Quiet",
    "ScenarioArg",
    "Seeds",
    "Workers",
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
Lang = Annotated[str, typer.Option(help="language of the plot labels: en or zh")]
MaxRuns = Annotated[
    int,
    typer.Option(
        "--max-runs",
        help="refuse a design of more runs (points x seeds) than this, before building it",
        min=1,
    ),
]
