"""The Python entry points: build a scenario from anything, run it."""

from __future__ import annotations

import gc
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from lab.model import PoolModel
from lab.params import parameter_table as _parameter_table
from lab.results import RunResult, release_freed_memory
from lab.scenario import Scenario, load_scenario, scenario_from_dict

__all__ = ["as_scenario", "parameter_table", "run"]

#: pools of at least this capacity free the finished model at once (a collection costs
#: milliseconds, small against their run; many small runs leave it to Python)
_COLLECT_FROM = 200_000


def parameter_table(scenario: Scenario | dict | str | Path | None = None) -> pd.DataFrame:
    """Every parameter of a scenario (default: ``Scenario()``) with its source and range.

    See :func:`lab.params.parameter_table` for the columns.
    """
    return _parameter_table(Scenario() if scenario is None else as_scenario(scenario))


def as_scenario(scenario: Scenario | dict | str | Path) -> Scenario:
    """Accept a Scenario, a plain dict or a YAML path and return a validated Scenario."""
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, dict):
        return scenario_from_dict(scenario)
    if isinstance(scenario, str | Path):
        return load_scenario(scenario)
    raise TypeError(f"expected a Scenario, dict or path, got {type(scenario).__name__}")


def run(
    scenario: Scenario | dict | str | Path,
    seed: int | None = None,
    days: int | None = None,
    progress: Callable[[int], None] | None = None,
    on_model: Callable[[PoolModel], None] | None = None,
) -> RunResult:
    """Run one scenario and return its results.

    Parameters
    ----------
    scenario : Scenario, dict or path
        What to simulate.
    seed : int, optional
        Seed of the lab's random streams; defaults to the scenario's ``seed``.
        Same scenario and seed give identical results.
    days : int, optional
        Override the scenario's number of days.
    progress : callable, optional
        Called with the number of days done after each day (the CLI passes a
        progress bar's update).
    on_model : callable, optional
        Called with the model once it is built, before its first day (``lab run``
        writes the order log's finished days while the run goes on).

    Returns
    -------
    RunResult
        ``.daily``, ``.transactions``, ``.customers`` and ``.customer(uid)``.
    """
    sc = as_scenario(scenario)
    if seed is not None and not 0 <= int(seed) < 2**63:
        raise ValueError(f"seed must be in [0, 2**63), got {seed}")
    if days is not None and int(days) < 1:
        raise ValueError(f"days must be >= 1, got {days}")
    model = PoolModel(sc, seed=seed, days=days)
    if on_model is not None:
        on_model(model)
    model.run_model(progress=progress)
    result = RunResult(model)
    if model.pop.n >= _COLLECT_FROM:  # (not capacity: it counts projected referrals)
        # the finished model is a reference cycle (strategies and the acquirer point back
        # to it): free its day buffers now, before the tables are built and written
        del model
        gc.collect()
        release_freed_memory()
    return result
