"""Experiment designs: which scenario parameters vary, and the runs that follow.

A parameter is named by its path in the scenario (``strategies.discount.depth``,
``acquisition.paid.daily_budget_cny``); the path syntax and its resolver live in
:mod:`lab.scenario_paths`, shared with :meth:`lab.Scenario.with_changes`.  Paths are
checked against the validated base scenario up front: an unknown key is reported
with the valid keys at that level.  Values are coerced to the field's type (an
integer field stays an integer, also when sampled from a range).

A *run spec* is one (design point, seed): the base scenario with the point's
overrides, the seed and the number of days.  Its ``run_id`` hashes the base
scenario, the overrides (by canonical path), the seed, the days and the metric
function, so the same run always has the same id whatever design it belongs to.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from lab.acquisition_terms import pool_projection_problem
from lab.limits import MAX_RUNS
from lab.scenario import Scenario, ScenarioError, dump_scenario, scenario_from_dict
from lab.scenario_paths import Param, ScenarioPathError, resolve_param, set_at

__all__ = [
    "MAX_RUNS",
    "DesignError",
    "Param",
    "RunSpec",
    "apply_overrides",
    "check_pool_size",
    "check_run_count",
    "grid_points",
    "lhs_points",
    "parse_assignment",
    "parse_range",
    "resolve_param",
    "run_id",
    "run_specs",
]


#: a path, value or range an experiment cannot use (paths and values are checked by
#: :mod:`lab.scenario_paths`, shared with :meth:`lab.Scenario.with_changes`)
DesignError = ScenarioPathError


def check_run_count(n_runs: int, max_runs: int | None = None, what: str = "the design") -> None:
    """Refuse, before any point is built, a design of more than ``max_runs`` runs.

    Parameters
    ----------
    n_runs : int
        Runs the design would hold (points x seeds).
    max_runs : int, optional
        The limit (default :data:`MAX_RUNS`).
    what : str
        How the design was asked for, named in the message.

    Raises
    ------
    DesignError
        With the count and how to raise the limit.
    """
    limit = MAX_RUNS if max_runs is None else int(max_runs)
    if limit < 1:
        raise DesignError(f"--max-runs {max_runs}: must be at least 1")
    if n_runs > limit:
        raise DesignError(
            f"{what}: {_runs_text(n_runs)} runs, more than --max-runs {limit:,}; make the "
            "design smaller or raise the limit with --max-runs (max_runs= in Python)"
        )


def check_pool_size(scenario: Scenario, days: int | None) -> None:
    """Refuse, before any run, a ``--days`` under which the base pool outgrows ``max_customers``.

    Loading checked the scenario's own ``days``; an experiment may run it longer.
    """
    if days is None:
        return
    problem = pool_projection_problem(scenario, int(days))
    if problem:
        raise DesignError(f"--days {days}: {problem}")


def _runs_text(n: int) -> str:
    return f"{n:,}" if n < 10**12 else f"about {float(n):.3g}"


def apply_overrides(base: dict, overrides: Mapping[Param, Any]) -> dict:
    """The dumped scenario ``base`` with each parameter set (see :func:`lab.scenario_paths.set_at`)."""
    out = base
    for p, v in overrides.items():
        out = set_at(out, p.loc, v)
    return out


def check_point(base: dict, overrides: Mapping[Param, Any], arg: str) -> None:
    """Validate the scenario of one design point; raise DesignError naming the argument."""
    try:
        scenario_from_dict(apply_overrides(base, overrides))
    except ScenarioError as exc:
        shown = ", ".join(f"{p.path}={v}" for p, v in overrides.items())
        raise DesignError(
            f"{arg}: the scenario with {shown} is not valid: " + "; ".join(exc.problems)
        ) from None


def parse_assignment(text: str, arg: str = "--set") -> tuple[str, list[str]]:
    """``"path=v1,v2"`` -> ``("path", ["v1", "v2"])``."""
    path, sep, values = text.partition("=")
    if not sep or not path.strip() or not values.strip():
        raise DesignError(f"{arg} {text!r}: write PATH=VALUE[,VALUE...]")
    return path.strip(), [v.strip() for v in values.split(",")]


def parse_range(text: str, arg: str = "--range") -> tuple[str, str, str]:
    """``"path=lo:hi"`` -> ``("path", "lo", "hi")``."""
    path, sep, bounds = text.partition("=")
    lo, colon, hi = bounds.partition(":")
    if not sep or not colon or not path.strip() or not lo.strip() or not hi.strip():
        raise DesignError(f"{arg} {text!r}: write PATH=LOW:HIGH")
    return path.strip(), lo.strip(), hi.strip()


def numeric_range(p: Param, lo: Any, hi: Any, arg: str) -> tuple[float, float]:
    """Coerce and check ``lo < hi`` for a numeric parameter."""
    if p.kind not in ("int", "float"):
        raise DesignError(f"{arg}: {p.path} is a {p.kind}; a range needs a number field")
    lo, hi = p.coerce(lo, arg), p.coerce(hi, arg)
    if lo is None or hi is None or not lo < hi:
        raise DesignError(f"{arg}: {p.path} needs LOW < HIGH, got {lo}:{hi}")
    return lo, hi


def grid_points(grid: Mapping[Param, Sequence[Any]]) -> list[dict[Param, Any]]:
    """Every combination of the listed values, the last parameter varying fastest."""
    params = list(grid)
    return [dict(zip(params, combo, strict=True)) for combo in itertools.product(*grid.values())]


def lhs_points(
    ranges: Mapping[Param, tuple[float, float]], samples: int, seed: int
) -> list[dict[Param, Any]]:
    """``samples`` Latin hypercube points over ``ranges`` (scipy.stats.qmc, seeded).

    Integer parameters are rounded to the nearest integer in their range.
    """
    from scipy.stats import qmc

    params = list(ranges)
    if not params:
        return [{}]
    gen = np.random.default_rng(seed)
    try:
        sampler = qmc.LatinHypercube(d=len(params), rng=gen)
    except TypeError:  # scipy < 1.15 calls it seed
        sampler = qmc.LatinHypercube(d=len(params), seed=gen)
    unit = sampler.random(samples)
    return [_scale(params, ranges, row) for row in unit]


def _scale(params, ranges, row) -> dict[Param, Any]:
    point = {}
    for p, u in zip(params, row, strict=True):
        lo, hi = ranges[p]
        x = lo + float(u) * (hi - lo)
        point[p] = int(np.clip(np.rint(x), lo, hi)) if p.kind == "int" else float(x)
    return point


def levels(lo: float, hi: float, p: Param, n: int) -> list:
    """``n`` evenly spaced values from ``lo`` to ``hi`` (distinct integers for an int field)."""
    xs = np.linspace(lo, hi, n)
    if p.kind == "int":
        return list(dict.fromkeys(int(np.rint(x)) for x in xs))
    return [float(x) for x in xs]


@dataclass(frozen=True)
class RunSpec:
    """One run of an experiment: a design point and a seed."""

    run_id: str
    point: int
    overrides: tuple  # ((Param, value), ...)
    seed: int
    days: int | None


def run_id(base_hash: str, overrides: Mapping[Param, Any], seed: int, days, metrics: str) -> str:
    """Stable id of one run: hash of base scenario, overrides, seed, days and metric function."""
    key = json.dumps(
        [base_hash, sorted((p.canonical, v) for p, v in overrides.items()), seed, days, metrics],
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def run_specs(
    base_hash: str,
    points: Sequence[Mapping[Param, Any]],
    seeds: Sequence[int],
    days: int | None,
    metrics: str,
) -> list[RunSpec]:
    """Every (point, seed), point-major, each with its :func:`run_id`."""
    return [
        RunSpec(run_id(base_hash, pt, s, days, metrics), i, tuple(pt.items()), int(s), days)
        for i, pt in enumerate(points)
        for s in seeds
    ]


def base_dump(scenario: Scenario) -> dict:
    """The complete base scenario as plain data (what overrides are merged into)."""
    return dump_scenario(scenario)
