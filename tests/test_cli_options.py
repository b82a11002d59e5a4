"""The options ``lab sweep | sensitivity | optimize`` share are declared once and read alike."""

from __future__ import annotations

import inspect
from pathlib import Path

import typer

from lab.cli import app
from lab.cli.options import ExperimentOptions, experiment_options, with_experiment_options
from lab.limits import MAX_RUNS

SHARED = list(inspect.signature(experiment_options).parameters)


def _params(command: str) -> dict:
    group = typer.main.get_command(app)
    return {p.name: p for p in group.commands[command].params}


def test_the_three_experiment_commands_take_the_same_shared_options():
    declared = [
        {name: (tuple(p.opts), p.default) for name, p in _params(c).items() if name in SHARED}
        for c in ("sweep", "sensitivity", "optimize")
    ]
    assert set(declared[0]) == set(SHARED)
    assert declared[0] == declared[1] == declared[2]
    assert declared[0]["max_runs"] == (("--max-runs",), MAX_RUNS)


def test_shared_options_come_after_the_commands_own():
    names = list(_params("optimize"))
    assert names.index("objective") < names.index("seeds")
    assert names[-len(SHARED) :] == SHARED


def test_the_options_become_the_experiment_functions_arguments():
    opts = ExperimentOptions(seeds=3, first_seed=10, days=30, out=Path("x"), quiet=True)
    kwargs = opts.run_kwargs()
    assert kwargs["seeds"] == [10, 11, 12]
    assert kwargs["progress"] is False  # --quiet: no progress bar
    assert ExperimentOptions().run_kwargs()["progress"] is None  # default: bar when a terminal
    assert (kwargs["days"], kwargs["out"], kwargs["max_runs"]) == (30, Path("x"), MAX_RUNS)


def test_the_decorated_command_receives_the_options_gathered():
    seen = {}

    @with_experiment_options
    def command(scenario: Path, depth: float = 0.2, *, opts: ExperimentOptions) -> None:
        seen.update(scenario=scenario, depth=depth, opts=opts)

    assert list(inspect.signature(command).parameters) == ["scenario", "depth", *SHARED]
    command(scenario=Path("a.yaml"), depth=0.3, seeds=2, first_seed=5, quiet=True)
    assert seen["depth"] == 0.3 and seen["opts"].seed_list == [5, 6]
    assert seen["opts"].quiet is True and seen["opts"].days is None
