"""Parameter sweeps: a grid of listed values and/or a Latin hypercube over ranges.

Every design point runs with the same seeds (common random numbers), on local
processes or a dask cluster (:mod:`lab.parallel.executors`); each finished run
is written to the experiment folder at once (:mod:`lab.experiments.runstore`), so
an interrupted sweep resumes where it stopped when run again.  The result is a
tidy table: ``point``, one column per parameter, ``seed``, ``run_id`` and the
metrics of :data:`~lab.experiments.runstore.EXPERIMENT_METRICS`;
:meth:`SweepResult.intervals` gives each point's mean over seeds with its interval.

A weekly contact plan is swept by its number of messages per week
(``strategies.<plan>.messages_per_week``, :func:`lab.scenario_paths.spread_weekly`).
"""

from __future__ import annotations

import functools
import math
import pickle
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lab.experiments.design import (
    DesignError,
    Param,
    RunSpec,
    base_dump,
    check_point,
    check_pool_size,
    check_run_count,
    grid_points,
    levels,
    lhs_points,
    numeric_range,
    resolve_param,
    run_specs,
)
from lab.experiments.runstore import (
    RunStore,
    check_metric,
    evaluate,
    experiment_metrics,
    finite_mean,
    open_store,
    run_table,
)
from lab.io import atomic_file, write_csv, write_parquet
from lab.stats import paired_interval

if TYPE_CHECKING:  # pragma: no cover
    from lab.scenario import Scenario

__all__ = [
    "DEFAULT_SHOWN",
    "BatchedRuns",
    "SweepResult",
    "function_name",
    "parse_metrics",
    "seed_list",
    "sweep",
    "write_figure",
    "write_tables",
]

#: metrics ``lab sweep`` prints unless ``--metrics`` says otherwise
DEFAULT_SHOWN: tuple[str, ...] = ("net_margin", "gmv", "ltv_margin", "mean_fatigue", "block_rate")


def parse_metrics(text: str | Sequence[str] | None, days: int | None = None) -> list[str]:
    """Metric names from ``--metrics`` (comma separated; aliases allowed), checked.

    Raises
    ------
    DesignError
        An unknown metric (the message lists the valid ones) or an empty list.
    """
    if text is None:
        return list(DEFAULT_SHOWN)
    names = text.split(",") if isinstance(text, str) else list(text)
    names = [n.strip() for n in names if n.strip()]
    if not names:
        raise DesignError("--metrics: give at least one metric, comma separated")
    return list(dict.fromkeys(check_metric(n, "--metrics", days) for n in names))


def function_name(fn: Callable) -> str:
    """A stable name for a metric function (part of every run id)."""
    if isinstance(fn, functools.partial):
        return f"{function_name(fn.func)}{fn.args!r}{sorted(fn.keywords.items())!r}"
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"


def seed_list(seeds: int | Sequence[int], first_seed: int = 0) -> list[int]:
    """``seeds`` as a list: an int n means ``first_seed .. first_seed + n - 1``."""
    out = list(range(first_seed, first_seed + seeds)) if isinstance(seeds, int) else list(seeds)
    out = [int(s) for s in out]
    if not out:
        raise DesignError("--seeds: at least one seed is needed")
    if len(set(out)) != len(out):
        raise DesignError(f"--seeds: seeds must be distinct, got {out}")
    if any(not 0 <= s < 2**63 for s in out):
        raise DesignError("--seeds: seeds must be in [0, 2**63)")
    return out


@dataclass
class SweepResult:
    """A finished (or resumed) sweep.

    Attributes
    ----------
    out : pathlib.Path
        The experiment folder (``manifest.json``, ``runs/``, ``table.parquet``, ``table.csv``).
    params : list of Param
    specs : list of RunSpec
    executed : int
        Runs executed by this call (the others were on disk already).
    where : str
        Where they ran (local processes or the dask cluster).
    """

    out: Path
    params: list[Param]
    specs: list[RunSpec]
    store: RunStore = field(repr=False)
    executed: int = 0
    where: str = ""

    @property
    def table(self) -> pd.DataFrame:
        """One row per run: point, parameters, seed, run_id, metrics (read from disk)."""
        return run_table(self.specs, self.store)

    def summary(self, metrics: Sequence[str] | None = None) -> pd.DataFrame:
        """Mean over seeds per design point (finite runs), for ``metrics`` (default: all)."""
        t = self.table
        cols = [p.path for p in self.params]
        names = list(metrics) if metrics is not None else _metric_columns(t)
        g = t.groupby("point", sort=True)
        out = g[cols].first() if cols else pd.DataFrame(index=g.size().index)
        for m in names:
            out[m] = g[m].apply(finite_mean)
        out["n_seeds"] = g.size()
        return out.reset_index()

    def intervals(self, metrics: Sequence[str] | None = None, level: float = 0.90) -> pd.DataFrame:
        """Per design point: its mean over seeds and the Student-t interval of that mean.

        Parameters
        ----------
        metrics : sequence of str, optional
            Metric columns (default: all).
        level : float
            Confidence level (default 0.90).

        Returns
        -------
        pandas.DataFrame
            ``point``, the parameters, then per metric ``<m>`` (mean over the finite
            runs), ``<m>_low``, ``<m>_high`` (NaN with fewer than 2 finite runs) and
            ``<m>_n``; ``n_seeds``.  Seeds are common to all points, so this interval
            is for one point's level; compare points with paired differences.
        """
        if not 0 < level < 1:
            raise DesignError(f"level must be in (0, 1), got {level}")
        t = self.table
        cols = [p.path for p in self.params]
        names = list(metrics) if metrics is not None else _metric_columns(t)
        rows = []
        for point, g in t.groupby("point", sort=True):
            row = {"point": point, **{c: g[c].iloc[0] for c in cols}}
            for m in names:
                v = g[m].to_numpy(dtype=np.float64)
                ci = paired_interval(np.zeros_like(v), v, level)
                row.update({m: ci.estimate, f"{m}_low": ci.low, f"{m}_high": ci.high})
                row[f"{m}_n"] = ci.n
            row["n_seeds"] = len(g)
            rows.append(row)
        out = pd.DataFrame(rows)
        out.attrs["level"] = level
        return out


def _metric_columns(t: pd.DataFrame) -> list[str]:
    skip = {"point", "seed", "run_id", "days", "scenario_hash"}
    return [c for c in t.columns if c not in skip and pd.api.types.is_float_dtype(t[c])]


def build_points(
    scenario: Scenario | Mapping[str, Any] | str | Path,
    grid: Mapping[str, Sequence[Any]] | None,
    ranges: Mapping[str, tuple[Any, Any]] | None,
    samples: int | None,
    design: str,
    design_seed: int,
    n_seeds: int = 1,
    max_runs: int | None = None,
) -> tuple[list[Param], list[dict], dict]:
    """Resolve parameters and build the design points; every point is validated up front.

    The number of runs (points x ``n_seeds``) is checked against ``max_runs``
    (:func:`~lab.experiments.design.check_run_count`) before any point is built.
    """
    if design not in ("lhs", "grid"):
        raise DesignError(f"--design {design!r}: use lhs or grid")
    grid, ranges = dict(grid or {}), dict(ranges or {})
    gp = {resolve_param(scenario, k, "--set"): v for k, v in grid.items()}
    rp = {resolve_param(scenario, k, "--range"): v for k, v in ranges.items()}
    params = [*gp, *rp]
    seen: dict[str, str] = {}
    for p in params:
        if p.canonical in seen:
            raise DesignError(f"parameter {p.path!r} is given twice (as {seen[p.canonical]!r})")
        seen[p.canonical] = p.path
    grid_vals = {}
    for p, vals in gp.items():
        vals = [vals] if isinstance(vals, str) or not isinstance(vals, Sequence) else vals
        coerced = [p.coerce(v, f"--set {p.path}") for v in vals]
        if len(set(map(repr, coerced))) != len(coerced):
            raise DesignError(f"--set {p.path}: values repeat: {coerced}")
        grid_vals[p] = coerced
    bounds = {p: numeric_range(p, lo, hi, f"--range {p.path}") for p, (lo, hi) in rp.items()}
    if bounds and (samples is None or samples < 1):
        raise DesignError("--samples: give the number of samples (>= 1) for --range")
    _check_size(grid_vals, bounds, samples, design, n_seeds, max_runs)
    if bounds and design == "grid":
        grid_vals.update({p: levels(lo, hi, p, samples) for p, (lo, hi) in bounds.items()})
        bounds = {}
    sampled = lhs_points(bounds, samples, design_seed) if bounds else [{}]
    points = [{**g, **s} for g in grid_points(grid_vals) for s in sampled]
    base = base_dump(scenario)
    for pt in points:
        arg = "--range" if any(p in bounds for p in pt) else "--set"
        check_point(base, pt, arg)
    spec = {
        "grid": {p.canonical: v for p, v in grid_vals.items()},
        "ranges": {p.canonical: list(b) for p, b in bounds.items()},
        "samples": samples if bounds else None,
        "design": design,
        "design_seed": design_seed if bounds else None,
    }
    return params, points, spec


def _check_size(grid_vals, bounds, samples, design, n_seeds, max_runs) -> None:
    """Refuse a sweep above the run limit from the counts alone (nothing built yet)."""
    n = math.prod(len(v) for v in grid_vals.values())
    if bounds and design == "grid":
        for p, (lo, hi) in bounds.items():
            n *= min(samples, int(hi - lo) + 1) if p.kind == "int" else samples
    elif bounds:
        n *= samples
    check_run_count(n * n_seeds, max_runs, f"the sweep ({n:,} points x {n_seeds} seed(s))")


def sweep(
    scenario: Scenario | Mapping[str, Any] | str | Path,
    grid: Mapping[str, Sequence[Any]] | None = None,
    ranges: Mapping[str, tuple[Any, Any]] | None = None,
    samples: int | None = None,
    design: str = "lhs",
    seeds: int | Sequence[int] = 4,
    days: int | None = None,
    out: str | Path | None = None,
    cluster: Any = None,
    workers: int | None = None,
    progress: bool | None = None,
    design_seed: int = 0,
    metrics: Callable = experiment_metrics,
    allow_code_change: bool = False,
    max_runs: int | None = None,
    batch: bool = True,
) -> SweepResult:
    """Run a scenario over a grid of values and/or a Latin hypercube of ranges, with seeds.

    Parameters
    ----------
    scenario : Scenario, dict or path
        The base scenario.
    grid : mapping, optional
        Path -> list of values (every combination runs), e.g.
        ``{"strategies.discount_cadence.every_days": [7, 14, 28]}``.
    ranges : mapping, optional
        Path -> ``(low, high)``, sampled with ``samples`` Latin hypercube points
        (``design="lhs"``, seeded by ``design_seed``) or ``samples`` evenly spaced
        levels each (``design="grid"``).  Combined with ``grid`` as a product.
    samples : int, optional
        Number of samples (needed with ``ranges``).
    seeds : int or sequence of int
        Seeds run at every point (an int n means 0..n-1): common random numbers.
    days : int, optional
        Override the scenario's length.
    out : path, optional
        Experiment folder (default ``reports/sweep-<name>-<design key>``).  Running
        the same sweep into it again resumes; a different sweep is refused.
    cluster : str or distributed.Client, optional
        Dask scheduler address or client (default: env ``LAB_DASK_SCHEDULER``, else
        local processes).
    workers : int, optional
        Local processes (default: the cores).
    progress : bool, optional
        Progress bar on stderr (default: when stderr is a terminal).
    metrics : callable
        ``RunResult -> dict[str, float]``, module-level (it runs in the workers).
    allow_code_change : bool
        Resume an ``out`` folder whose runs were made by another lab version or git
        commit (default: refuse, :class:`~lab.experiments.runstore.CodeChanged`); the
        old runs are kept and each row's ``lab_version`` / ``git_commit`` says which
        code made it.
    max_runs : int, optional
        Refuse a design of more runs (points x seeds) than this, before building it
        (default :data:`~lab.experiments.design.MAX_RUNS`, 10,000).
    batch : bool
        Advance each point's seeds together in batches (:mod:`lab.batch`, as
        :func:`lab.replicate`; :class:`BatchedRuns`); False runs every seed on its own.
        The results are the same bit for bit either way, on any number of workers.

    Returns
    -------
    SweepResult
        ``.table`` (tidy: point, parameters, seed, run_id, metrics) and ``.summary()``.

    Examples
    --------
    >>> res = lab.sweep("scenarios/baseline.yaml",
    ...                 grid={"strategies.discount_cadence.depth": [0.1, 0.2, 0.3]},
    ...                 seeds=4, days=120, out="reports/sweep-depth")   # doctest: +SKIP
    >>> res.summary(["net_margin", "block_rate"])                      # doctest: +SKIP
    """
    from lab.api import as_scenario
    from lab.parallel.executors import open_executor
    from lab.scenario import scenario_hash

    sc = as_scenario(scenario)
    seeds = seed_list(seeds)
    if days is not None and not 1 <= int(days) <= 3650:
        raise DesignError(f"--days {days}: must be between 1 and 3650")
    check_pool_size(sc, days)
    params, points, spec = build_points(
        sc, grid, ranges, samples, design, design_seed, len(seeds), max_runs
    )
    base = {"name": sc.name, "hash": scenario_hash(sc)}
    mname = function_name(metrics)
    spec.update(seeds=seeds, days=days, metrics=mname)
    store = open_store("sweep", out, sc.name, base["hash"], spec, allow_code_change)
    folder = store.folder
    specs = run_specs(base["hash"], points, seeds, days, mname)
    with open_executor(workers, cluster) as ex:
        store.open(ex.where)
        runner = BatchedRuns(ex) if batch else ex
        executed = evaluate(
            specs, base_dump(sc), store, runner, metrics, progress, f"sweep {sc.name}"
        )
    res = SweepResult(folder, params, specs, store, executed, ex.where)
    write_tables(res.table, store)
    return res


class BatchedRuns:
    """An executor's ``stream`` for :func:`~lab.experiments.runstore.evaluate`, batched.

    ``evaluate`` hands over one task per run (``run_id, scenario, seed, days,
    metrics``); this groups the runs of one design point (same scenario and length) and
    runs each group's seeds together in batches (:class:`lab.batch.BatchRun`) on the
    wrapped executor's workers, then yields every run's row as ``evaluate`` expects
    (``run_id, row``), so each finished run is written as before.  Each seed of a batch
    gives the very results of its run alone (:mod:`lab.batch`), so every row is the one
    the unbatched path writes, for any batch size and number of workers.

    Batches are cut as :func:`lab.replicate` cuts them: at most ``limit`` seeds (and what
    the free memory holds, :func:`lab.batch.batch_size`), even, and small enough that
    every worker gets at least two tasks when there are runs for it; a point that
    cannot batch (:func:`lab.batch.batch_problem`) runs seed by seed.

    Parameters
    ----------
    executor : LocalExecutor or DaskExecutor
        Where the batches run (its ``workers`` and ``stream``).
    limit : int, optional
        Most seeds in one batch (default :data:`lab.batch.MAX_BATCH`).
    """

    def __init__(self, executor, limit: int | None = None) -> None:
        self.executor = executor
        self.limit = limit
        self.workers = getattr(executor, "workers", 1)
        self.where = getattr(executor, "where", "")

    def stream(self, fn: Callable, tasks) -> Any:
        """Yield ``(run_id, row)`` for every task, the runs of a point in batches.

        ``fn`` is the per-run worker ``evaluate`` passes; a batch of one seed runs with it.
        """
        batches = self._batches(list(tasks))
        for _, rows in self.executor.stream(functools.partial(_run_batch, fn), batches):
            yield from rows

    def _batches(self, tasks: list) -> list[tuple]:
        """``(key, (tasks of one batch))`` items, points in order, seeds in order."""
        from lab.api import as_scenario
        from lab.batch import MAX_BATCH, batch_problem, batch_size
        from lab.experiments.replicate import _even_parts

        groups: dict[bytes, list] = {}
        for _, task in tasks:
            _, scenario, _, days, _ = task
            groups.setdefault(pickle.dumps((scenario, days)), []).append(task)
        per_worker = 1 if self.workers <= 1 else 2
        cap = max(1, -(-len(tasks) // (max(self.workers, 1) * per_worker)))
        limit = MAX_BATCH if self.limit is None else int(self.limit)
        out = []
        for group in groups.values():
            _, scenario, _, days, _ = group[0]
            sc = as_scenario(scenario)
            size = 1 if batch_problem(sc, days) else batch_size(sc, days, limit)
            for part in _even_parts(group, max(1, min(size, cap))):
                out.append((part[0][0], tuple(part)))
        return out


def _run_batch(one_run: Callable, tasks: tuple) -> list[tuple[str, dict]]:
    """Worker: the runs of ``tasks`` (one scenario, several seeds) advanced together.

    Returns ``(run_id, row)`` per task, in order; each row is ``one_run(task)``'s (the
    same keys, the very values: a batch's seed equals its run alone).  One task runs
    with ``one_run``.
    """
    if len(tasks) == 1:
        return [(tasks[0][0], one_run(tasks[0]))]
    from lab.api import as_scenario
    from lab.batch import BatchRun

    _, scenario, _, days, metrics = tasks[0]
    batch = BatchRun(as_scenario(scenario), [t[2] for t in tasks], days)
    batch.run()
    rows = []
    for (rid, _, seed, _, _), res in zip(tasks, batch.results(), strict=True):
        row = {"run_id": rid, "seed": int(seed), "days": int(res.days)}
        row["scenario_hash"] = res.meta["scenario_hash"]
        for k, v in metrics(res).items():
            row[k] = float(v)
        rows.append((rid, row))
    return rows


def write_tables(table: pd.DataFrame, store: RunStore, stem: str = "table") -> None:
    """Write the consolidated table as ``<stem>.parquet`` and ``<stem>.csv`` (atomic, stamped)."""
    for suffix, writer in ((".parquet", write_parquet), (".csv", write_csv)):
        with atomic_file(store.folder / f"{stem}{suffix}") as tmp:
            writer(table, tmp, store.stamp)


def write_figure(path: Path, draw: Callable, figsize: tuple[float, float] = (7.0, 4.0)) -> None:
    """Draw with ``draw(ax)`` on a new figure (no pyplot, no window) and save it atomically."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout="constrained")
    draw(fig.add_subplot())
    with atomic_file(path) as tmp:
        fig.savefig(tmp, dpi=150, format="png")
