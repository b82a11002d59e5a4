"""Replications: one scenario (or several) run over a list of seeds, as tidy long data.

Each run is summarised inside its worker process, so only small tables travel back:
the chosen daily KPIs (one value per day) and the end-of-run metrics of
:func:`lab.analysis.headline_metrics` (or your own ``metrics`` function).  Both
come as long tables with columns ``scenario, seed, day, metric, value``; an
end-of-run metric is stamped with ``day`` = the run's length (the day after the
last simulated day).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import accumulate, pairwise

import numpy as np
import pandas as pd

from lab.analysis.headline import headline_metrics
from lab.parallel.pool import LocalExecutor, default_workers, run_tasks
from lab.stats import band

__all__ = ["DAILY_METRICS", "Replications", "replicate", "simulate_many"]

#: daily KPIs kept by default ("cum_<kpi>" is the running total of a KPI)
DAILY_METRICS: tuple[str, ...] = (
    "customers",
    "active",
    "orders",
    "gmv",
    "gross_margin",
    "net_margin",
    "discount_cost",
    "promo_orders",
    "new_blocks",
    "blocked_total",
    "referred",
    "mean_fatigue",
    "cum_gmv",
    "cum_net_margin",
)

COLUMNS = ["scenario", "seed", "day", "metric", "value"]


@dataclass
class Replications:
    """Runs of one or more scenarios over a list of seeds.

    Attributes
    ----------
    daily : pandas.DataFrame
        Long: ``scenario, seed, day, metric, value`` for the daily KPIs.
    totals : pandas.DataFrame
        Long, same columns, for the end-of-run metrics (``day`` = run length).
    scenarios : dict
        Name -> Scenario.
    seeds : list of int
    meta : dict
        Provenance: scenario hashes, seeds, days, lab version, git commit.
    """

    daily: pd.DataFrame
    totals: pd.DataFrame
    scenarios: dict
    seeds: list[int]
    meta: dict = field(default_factory=dict)

    def long(self) -> pd.DataFrame:
        """Both tables stacked, with ``kind`` = "daily" or "total"."""
        return pd.concat(
            [self.daily.assign(kind="daily"), self.totals.assign(kind="total")],
            ignore_index=True,
        )

    def summary(self) -> pd.DataFrame:
        """End-of-run metrics per scenario: ``median, p10, p90, mean, sd, n`` (finite runs)."""
        return _summarise(self.totals, ["scenario", "metric"])

    def bands(self, metric: str | None = None) -> pd.DataFrame:
        """Daily median and 10–90% band per scenario (and metric): ``median, p10, p90``."""
        d = self.daily if metric is None else self.daily[self.daily["metric"] == metric]
        if d.empty:
            known = ", ".join(sorted(self.daily["metric"].unique()))
            raise KeyError(f"no daily metric {metric!r}; known: {known}")
        return _summarise(d, ["scenario", "metric", "day"])[
            ["scenario", "metric", "day", "median", "p10", "p90"]
        ]

    def wide(self) -> pd.DataFrame:
        """End-of-run metrics as one row per (scenario, seed)."""
        return self.totals.pivot_table(
            index=["scenario", "seed"], columns="metric", values="value", sort=False, observed=True
        ).reset_index()


def _summarise(df: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    def agg(v: pd.Series) -> pd.Series:
        lo, med, hi = band(v)
        f = v[np.isfinite(v)]
        return pd.Series(
            {
                "median": med,
                "p10": lo,
                "p90": hi,
                "mean": f.mean() if len(f) else np.nan,
                "sd": f.std(ddof=1) if len(f) > 1 else np.nan,
                "n": float(len(f)),
            }
        )

    out = df.groupby(keys, sort=False, observed=True)["value"].apply(agg).unstack().reset_index()
    out["n"] = out["n"].astype(np.int64)
    return out


def _one_run(task: tuple) -> dict:
    """Worker: run one (scenario, seed) and summarise it (module-level so it pickles)."""
    from lab.api import run

    name, scenario, seed, days, daily_metrics, metrics = task
    return _summarise_run(name, run(scenario, seed=seed, days=days), daily_metrics, metrics)


def _batch_run(task: tuple) -> list[dict]:
    """Worker: run one scenario with several seeds together (:mod:`lab.batch`), summarised.

    Each seed's summary equals :func:`_one_run`'s for that seed alone.
    """
    from lab.batch import BatchRun

    name, scenario, seeds, days, daily_metrics, metrics = task
    batch = BatchRun(scenario, seeds, days)
    batch.run()
    return [_summarise_run(name, res, daily_metrics, metrics) for res in batch.results()]


def _summarise_run(name: str, res, daily_metrics, metrics) -> dict:
    """The chosen daily KPIs and end-of-run metrics of one run, for the tidy tables."""
    seed = res.seed
    daily = res.daily
    values = {}
    for m in daily_metrics:
        if m.startswith("cum_") and m not in daily.columns:
            values[m] = daily[m[4:]].to_numpy(dtype=np.float64).cumsum()
        else:
            values[m] = daily[m].to_numpy(dtype=np.float64)
    totals = {} if metrics is None else {k: float(v) for k, v in metrics(res).items()}
    return {
        "name": name,
        "seed": seed,
        "days": int(res.days),
        "daily": values,
        "totals": totals,
        "hash": res.meta["scenario_hash"],
    }


def _check_daily(scenario, daily_metrics) -> tuple[str, ...]:
    from lab.model import PoolModel

    cols = PoolModel(scenario, days=1).kpi_names()
    if daily_metrics == "all":
        return tuple(cols)
    bad = [m for m in daily_metrics if m not in cols and m.removeprefix("cum_") not in cols]
    if bad:
        raise ValueError(
            f"unknown daily metric(s) {', '.join(bad)}; known: {', '.join(cols)} "
            "(and cum_<name> for a running total)"
        )
    return tuple(daily_metrics)


def _batched_tasks(named: dict, seeds: list[int], days, cols, metrics, workers) -> list[tuple]:
    """Tasks of :func:`_batch_run`: each scenario's seeds in batches, in seed order.

    Batches are even (:func:`_even_parts`: at most :data:`lab.batch.MAX_BATCH` seeds and
    what the free memory holds); with several workers each gets at least two, so a
    worker slowed down is relieved by the others.  A scenario that cannot batch (:func:`lab.batch.batch_problem`)
    gets one seed per task.
    """
    from lab.batch import batch_problem, batch_size

    n_workers = default_workers() if workers is None else max(int(workers), 1)
    per_worker = 1 if n_workers == 1 else 2
    tasks = []
    for name, sc in named.items():
        size = 1 if batch_problem(sc, days) else batch_size(sc, days)
        size = min(size, -(-len(seeds) // (n_workers * per_worker)))
        tasks += [(name, sc, part, days, cols, metrics) for part in _even_parts(seeds, size)]
    return tasks


def _even_parts(seeds: list[int], size: int) -> list[list[int]]:
    """``seeds`` in order, in the fewest parts of at most ``size``, as even as can be.

    10 seeds in parts of at most 3 are 3, 3, 2, 2 (not 3, 3, 3, 1): the workers get
    about the same number of seeds.
    """
    n_parts = -(-len(seeds) // size)
    small, extra = divmod(len(seeds), n_parts)
    bounds = list(accumulate((small + (i < extra) for i in range(n_parts)), initial=0))
    return [seeds[lo:hi] for lo, hi in pairwise(bounds)]


def _daily_table(results: list[dict]) -> pd.DataFrame:
    """The long daily table of the runs' summaries: one row per (run, metric, day).

    Built from whole columns at once (not a frame per run and metric, then a concat).
    """
    series = [(r, m, v) for r in results for m, v in r["daily"].items()]
    lengths = np.array([v.size for _, _, v in series], dtype=np.int64)
    return pd.DataFrame(
        {
            "scenario": np.repeat(
                np.array([r["name"] for r, _, _ in series], dtype=object), lengths
            ),
            "seed": np.repeat(np.array([r["seed"] for r, _, _ in series], dtype=np.int64), lengths),
            "day": np.concatenate([np.arange(n, dtype=np.int64) for n in lengths]),
            "metric": np.repeat(np.array([m for _, m, _ in series], dtype=object), lengths),
            "value": np.concatenate([np.asarray(v, dtype=np.float64) for _, _, v in series]),
        }
    )


def simulate_many(
    scenarios: dict,
    seeds: Sequence[int],
    days: int | None = None,
    workers: int | None = None,
    progress: bool | None = None,
    daily_metrics: Sequence[str] | str = DAILY_METRICS,
    metrics: Callable | None = headline_metrics,
    batch: bool = True,
    executor: LocalExecutor | None = None,
) -> Replications:
    """Run every scenario with every seed (one process pool) and collect tidy results.

    Parameters
    ----------
    scenarios : dict
        Name -> Scenario, dict or YAML path.
    seeds : sequence of int
        Seeds; every scenario runs with each of them (common random numbers).
    days : int, optional
        Override every scenario's length.
    workers : int, optional
        Processes (default: the local cores; 1 = in this process).
    progress : bool, optional
        Progress bar on stderr (default: when stderr is a terminal).
    daily_metrics : sequence of str or "all"
        Daily KPI columns to keep (``cum_<kpi>`` for a running total).
    metrics : callable or None
        ``RunResult -> dict[str, float]`` for end-of-run metrics; must be a
        module-level function when ``workers > 1``.  None: no end-of-run metrics
        (``totals`` empty), for daily KPIs alone; the default headline metrics are
        computed from the run's arrays and cost ~3 ns per customer-day, a few percent
        of a batched 10,000-customer run's CPU time (``benchmarks/RESULTS_reps.md``).
    batch : bool
        Advance the seeds of a scenario together in batches, one loop over all their
        customers a day (:mod:`lab.batch`; each seed's results are identical to its run
        alone); False runs every seed on its own.
    executor : LocalExecutor, optional
        Worker processes kept warm by the caller (a sweep's or a session's): no start-up,
        imports or numba cache loading per call; its workers replace ``workers``.  The
        results do not depend on it.

    Returns
    -------
    Replications
    """
    from lab._version import __version__
    from lab.api import as_scenario
    from lab.results import git_commit
    from lab.scenario import scenario_hash

    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ValueError("seeds must not be empty")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be distinct, got {seeds}")
    if not scenarios:
        raise ValueError("no scenarios to run")
    named = {str(k): as_scenario(v) for k, v in scenarios.items()}
    cols = _check_daily(next(iter(named.values())), daily_metrics)
    label = " vs ".join(named) if len(named) > 1 else next(iter(named))
    runs = len(named) * len(seeds)
    if batch:
        n_workers = workers if executor is None else executor.workers
        tasks = _batched_tasks(named, seeds, days, cols, metrics, n_workers)
        parts = run_tasks(_batch_run, tasks, workers, progress, f"{label}: {runs} runs", executor)
        results = [r for part in parts for r in part]
    else:
        tasks = [(n, sc, s, days, cols, metrics) for n, sc in named.items() for s in seeds]
        results = run_tasks(_one_run, tasks, workers, progress, f"{label}: {runs} runs", executor)
    daily = _daily_table(results)
    total_rows = [
        (r["name"], r["seed"], r["days"], k, v) for r in results for k, v in r["totals"].items()
    ]
    totals = pd.DataFrame(total_rows, columns=COLUMNS)
    for t in (daily, totals):
        t["scenario"] = pd.Categorical(t["scenario"], categories=list(named))
        t["seed"] = t["seed"].astype(np.int64)
        t["day"] = t["day"].astype(np.int64)
    meta = {
        "scenarios": {n: {"name": sc.name, "hash": scenario_hash(sc)} for n, sc in named.items()},
        "seeds": seeds,
        "days": {r["name"]: r["days"] for r in results},
        "lab_version": __version__,
        "git_commit": git_commit(),
        "created_utc": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    return Replications(daily, totals, named, seeds, meta)


def replicate(
    scenario,
    seeds: Sequence[int],
    days: int | None = None,
    name: str | None = None,
    workers: int | None = None,
    progress: bool | None = None,
    daily_metrics: Sequence[str] | str = DAILY_METRICS,
    metrics: Callable | None = headline_metrics,
    batch: bool = True,
    executor: LocalExecutor | None = None,
) -> Replications:
    """Run one scenario with each seed; tidy long results and median/10–90% summaries.

    Parameters
    ----------
    scenario : Scenario, dict or path
    seeds : sequence of int
    days : int, optional
        Override the scenario's length.
    name : str, optional
        Label in the ``scenario`` column (default: the scenario's name).
    workers, progress, daily_metrics, metrics, batch, executor
        See :func:`simulate_many`.

    Returns
    -------
    Replications
        ``.daily`` and ``.totals`` (long: scenario, seed, day, metric, value),
        ``.summary()`` and ``.bands(metric)``.

    Examples
    --------
    >>> reps = lab.replicate("scenarios/baseline.yaml", seeds=range(8), days=120)  # doctest: +SKIP
    >>> reps.summary().query("metric == 'net_margin'")                              # doctest: +SKIP
    """
    from lab.api import as_scenario

    sc = as_scenario(scenario)
    return simulate_many(
        {name or sc.name: sc},
        seeds,
        days,
        workers,
        progress,
        daily_metrics,
        metrics,
        batch,
        executor,
    )
