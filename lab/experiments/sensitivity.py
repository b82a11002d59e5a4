"""Which parameters move LTV, margin and fatigue most: Morris screening or Sobol indices (SALib).

SALib draws the sample points over the given ranges; each point runs with the
same seeds (common random numbers) and its output is the mean over those seeds,
so the differences between points come from the parameters, not from luck.  The
runs go through the experiment folder like a sweep (resumable, any executor).

* ``morris``: elementary effects; ``mu_star`` (mean absolute effect, in the
  metric's unit, with its bootstrap interval) ranks the parameters, ``sigma``
  says how much the effect depends on the other parameters (interactions or
  non-linearity).  ``samples`` trajectories cost ``samples * (k + 1)`` points.
* ``sobol``: variance shares; ``S1`` (the parameter alone) and ``ST`` (with its
  interactions), each with its interval; ranked by ``ST``.  ``samples`` must be
  a power of 2 and costs ``samples * (k + 2)`` points.

Integer parameters are rounded to the nearest integer at each sample point.
"""

from __future__ import annotations

import math
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
    numeric_range,
    resolve_param,
    run_specs,
)
from lab.experiments.runstore import (
    check_metric,
    check_run_length,
    evaluate,
    experiment_metrics,
    open_store,
    run_table,
)
from lab.experiments.sweep import function_name, seed_list, write_figure, write_tables

if TYPE_CHECKING:  # pragma: no cover
    from lab.scenario import Scenario

__all__ = ["SENSITIVITY_OUTPUTS", "SensitivityResult", "sensitivity"]

#: outputs analysed by default: LTV, margin and promo fatigue
SENSITIVITY_OUTPUTS: tuple[str, ...] = ("ltv_margin", "net_margin", "mean_fatigue")
METHODS = ("morris", "sobol")


@dataclass
class SensitivityResult:
    """Sensitivity indices of the outputs to the parameters.

    Attributes
    ----------
    method : str
        ``morris`` or ``sobol``.
    table : pandas.DataFrame
        One row per (metric, parameter): ``rank`` (1 = moves the metric most),
        ``importance`` (``mu_star`` or ``ST``), ``importance_conf`` and the method's
        indices (``mu_star, mu_star_conf, sigma, mu`` or ``S1, S1_conf, ST, ST_conf``).
    runs : pandas.DataFrame
        Every run: point, parameters, seed, metrics.
    out : pathlib.Path
        The experiment folder.
    skipped : dict
        Metric -> why it was not analysed (e.g. undefined at some points).
    """

    method: str
    table: pd.DataFrame
    runs: pd.DataFrame
    out: Path
    params: list[Param] = field(default_factory=list)
    skipped: dict = field(default_factory=dict)

    def ranking(self, metric: str) -> list[str]:
        """Parameters from most to least influential for ``metric``."""
        t = self.table[self.table["metric"] == metric].sort_values("rank")
        return list(t["parameter"])

    def plot(self, metric: str, ax=None, lang: str = "en"):
        """Tornado chart of the indices for ``metric`` (see :func:`lab.plots.plot_sensitivity`)."""
        from lab.plots import plot_sensitivity

        return plot_sensitivity(self, metric, ax=ax, lang=lang)


def _sample(method: str, problem: dict, samples: int, seed: int, num_levels: int) -> np.ndarray:
    if method == "morris":
        from SALib.sample import morris

        return morris.sample(problem, samples, num_levels=num_levels, seed=seed)
    from SALib.sample import sobol

    return sobol.sample(problem, samples, calc_second_order=False, seed=seed)


def _analyse(method: str, problem: dict, x: np.ndarray, y: np.ndarray, seed: int, num_levels: int):
    if method == "morris":
        from SALib.analyze import morris

        r = morris.analyze(problem, x, y, num_levels=num_levels, seed=seed)
        cols = {k: np.asarray(r[k], float) for k in ("mu_star", "mu_star_conf", "sigma", "mu")}
        return cols, "mu_star"
    from SALib.analyze import sobol

    r = sobol.analyze(problem, y, calc_second_order=False, seed=seed)
    cols = {k: np.asarray(r[k], float) for k in ("S1", "S1_conf", "ST", "ST_conf")}
    return cols, "ST"


def _check_samples(method: str, samples: int) -> None:
    if method not in METHODS:
        raise DesignError(f"--method {method!r}: use morris or sobol")
    if samples < 2:
        raise DesignError(f"--samples {samples}: need at least 2")
    if method == "sobol" and samples & (samples - 1):
        raise DesignError(f"--samples {samples}: sobol needs a power of 2 (e.g. 8, 16, 64)")


def sensitivity(
    scenario: Scenario | Mapping[str, Any] | str | Path,
    params: Mapping[str, tuple[Any, Any]],
    method: str = "morris",
    samples: int = 8,
    seeds: int | Sequence[int] = 4,
    days: int | None = None,
    outputs: Sequence[str] = SENSITIVITY_OUTPUTS,
    out: str | Path | None = None,
    cluster: Any = None,
    workers: int | None = None,
    progress: bool | None = None,
    sample_seed: int = 0,
    num_levels: int = 4,
    metrics: Callable = experiment_metrics,
    lang: str = "en",
    allow_code_change: bool = False,
    max_runs: int | None = None,
) -> SensitivityResult:
    """Rank the parameters by how much they move each output (SALib Morris or Sobol).

    Parameters
    ----------
    scenario : Scenario, dict or path
    params : mapping
        Path -> ``(low, high)``; at least two parameters.
    method : {"morris", "sobol"}
    samples : int
        Morris trajectories, or the Sobol base sample size (a power of 2).
    seeds : int or sequence of int
        Seeds run at every sample point (common random numbers); the point's output
        is their mean.
    days : int, optional
    outputs : sequence of str
        Metrics to analyse (aliases ``ltv``, ``margin``, ``fatigue`` accepted).
    out, cluster, workers, progress
        As for :func:`lab.sweep`.
    sample_seed : int
        Seed of SALib's sampler and bootstrap.
    num_levels : int
        Morris grid levels.
    metrics : callable
        ``RunResult -> dict[str, float]`` computed in the workers.
    lang : {"en", "zh"}
        Labels of the plots ``sensitivity_<metric>.png`` written to ``out``.
    allow_code_change : bool
        Resume an ``out`` folder whose runs were made by another lab version or git
        commit (default: refuse, :class:`~lab.experiments.runstore.CodeChanged`); the
        old runs are kept and each row's ``lab_version`` / ``git_commit`` says which
        code made it.
    max_runs : int, optional
        Refuse a design of more runs (sample points x seeds) than this, before
        sampling it (default :data:`~lab.experiments.design.MAX_RUNS`, 10,000).

    Returns
    -------
    SensitivityResult
        ``.table`` ranked per metric, ``.ranking(metric)``, ``.plot(metric)``.
    """
    from lab.api import as_scenario
    from lab.i18n import check_lang
    from lab.parallel.executors import open_executor
    from lab.scenario import scenario_hash

    sc = as_scenario(scenario)
    check_lang(lang)
    _check_samples(method, samples)
    seeds = seed_list(seeds)
    outputs = [check_metric(m, "--outputs") for m in outputs]
    resolved = {resolve_param(sc, k, "--params"): v for k, v in dict(params).items()}
    if len(resolved) < 2:
        raise DesignError("--params: give at least two parameters (PATH=LOW:HIGH)")
    if len({p.canonical for p in resolved}) < len(resolved):
        raise DesignError("--params: a parameter is given twice")
    bounds = {p: numeric_range(p, lo, hi, f"--params {p.path}") for p, (lo, hi) in resolved.items()}
    searched = next(
        (
            (f"--params {p.path}={lo}:{hi}", math.ceil(lo))
            for p, (lo, hi) in bounds.items()
            if p.canonical == "days"
        ),
        None,
    )
    check_run_length([("--outputs", m) for m in outputs], days, sc.days, searched)
    check_pool_size(sc, days)
    plist = list(bounds)
    per_sample = len(plist) + (1 if method == "morris" else 2)  # SALib: N (D+1) or N (D+2)
    check_run_count(
        samples * per_sample * len(seeds),
        max_runs,
        f"the {method} design ({samples * per_sample:,} points x {len(seeds)} seed(s))",
    )
    problem = {
        "num_vars": len(plist),
        "names": [p.path for p in plist],
        "bounds": [[float(lo), float(hi)] for lo, hi in bounds.values()],
    }
    x = _sample(method, problem, samples, sample_seed, num_levels)
    points = [_point(plist, bounds, row) for row in x]
    base = base_dump(sc)
    for pt in points:
        check_point(base, pt, "--params")
    bh = scenario_hash(sc)
    mname = function_name(metrics)
    design = {
        "method": method,
        "params": {p.canonical: list(b) for p, b in bounds.items()},
        "samples": samples,
        "num_levels": num_levels if method == "morris" else None,
        "sample_seed": sample_seed,
        "seeds": seeds,
        "days": days,
        "metrics": mname,
    }
    store = open_store("sensitivity", out, sc.name, bh, design, allow_code_change)
    folder = store.folder
    specs: list[RunSpec] = run_specs(bh, points, seeds, days, mname)
    with open_executor(workers, cluster) as ex:
        store.open(ex.where)
        evaluate(specs, base, store, ex, metrics, progress, f"sensitivity {sc.name}")
    runs = run_table(specs, store)
    table, skipped = _indices(method, problem, x, runs, outputs, plist, sample_seed, num_levels)
    res = SensitivityResult(method, table, runs, folder, plist, skipped)
    write_tables(runs, store)
    write_tables(table, store, "sensitivity")
    for m in table["metric"].unique() if not table.empty else ():
        write_figure(
            folder / f"sensitivity_{m}.png",
            lambda ax, m=m: res.plot(m, ax=ax, lang=lang),
            (7.0, 0.45 * max(len(plist), 3) + 1.3),
        )
    return res


def _point(plist: list[Param], bounds: dict, row) -> dict[Param, Any]:
    pt = {}
    for p, v in zip(plist, row, strict=True):
        lo, hi = bounds[p]
        pt[p] = int(np.clip(np.rint(v), lo, hi)) if p.kind == "int" else float(v)
    return pt


def _indices(method, problem, x, runs, outputs, plist, seed, num_levels):
    means = runs.groupby("point", sort=True)[outputs].mean()
    rows, skipped = [], {}
    for m in outputs:
        y = means[m].to_numpy(dtype=np.float64)
        if not np.isfinite(y).all():
            skipped[m] = f"undefined (NaN) at {int((~np.isfinite(y)).sum())} sample point(s)"
            continue
        cols, key = _analyse(method, problem, x, y, seed, num_levels)
        order = np.argsort(-np.nan_to_num(cols[key], nan=-np.inf), kind="stable")
        rank = np.empty(len(plist), dtype=np.int64)
        rank[order] = np.arange(1, len(plist) + 1)
        for i, p in enumerate(plist):
            rows.append(
                {
                    "metric": m,
                    "parameter": p.path,
                    "rank": int(rank[i]),
                    "importance": float(cols[key][i]),
                    "importance_conf": float(cols[f"{key}_conf"][i]),
                    **{k: float(v[i]) for k, v in cols.items()},
                    "output_mean": float(y.mean()),
                }
            )
    table = pd.DataFrame(rows)
    if not table.empty:
        table = table.sort_values(["metric", "rank"], ignore_index=True)
    table.attrs.update(method=method)
    return table, skipped
