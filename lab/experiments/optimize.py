"""Strategy search: the best plan for an objective under constraints (optuna TPE).

Each candidate plan (a trial) runs on the *same* seeds (common random numbers), so
two candidates differ only by their parameters and are compared fairly; its value
is the mean over those seeds.  Constraints such as ``block_rate<=0.05`` go to
optuna's ``constraints_func``: a trial that breaks one is marked infeasible and the
sampler learns to avoid the region.

Candidates are asked in batches of fixed size (optuna ask/tell) and each batch
runs on the executor (local processes or a dask cluster): with the same sampler
seed and batch size the search is the same whatever the number of workers.  Runs
go through the experiment folder, so re-running an interrupted search replays the
finished trials from disk (the sampler asks the same candidates again) and goes on.

The best feasible plan is written as a complete scenario YAML (every parameter
spelled out, no ``extends:``), so it still describes the same plan if the base
file changes later; its header says which parameters the search changed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lab.experiments.design import (
    DesignError,
    Param,
    apply_overrides,
    base_dump,
    check_point,
    check_pool_size,
    check_run_count,
    numeric_range,
    resolve_param,
    run_specs,
)
from lab.experiments.runstore import (
    EXPERIMENT_METRICS,
    RunStore,
    check_metric,
    check_run_length,
    evaluate,
    experiment_metrics,
    finite_mean,
    open_store,
)
from lab.experiments.sweep import function_name, seed_list, write_figure, write_tables

if TYPE_CHECKING:  # pragma: no cover
    from lab.scenario import Scenario

__all__ = ["Constraint", "OptimizeResult", "optimize", "parse_constraint"]


@dataclass(frozen=True)
class Constraint:
    """``metric <= limit`` or ``metric >= limit`` on the mean over seeds."""

    metric: str
    op: str
    limit: float

    def violation(self, value: float) -> float:
        """<= 0 when satisfied (optuna's convention); +inf when the metric is undefined."""
        if not math.isfinite(value):
            return math.inf
        return value - self.limit if self.op == "<=" else self.limit - value

    def __str__(self) -> str:
        return f"{self.metric}{self.op}{self.limit:g}"


def parse_constraint(text: str, days: int | None = None) -> Constraint:
    """Parse ``"block_rate<=0.05"`` (also ``>=``, ``<``, ``>``; spaces allowed)."""
    m = re.fullmatch(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*(<=|>=|<|>|=<|=>)\s*([-+0-9.eE]+)\s*", text)
    if not m:
        raise DesignError(
            f"--constraint {text!r}: write METRIC<=VALUE or METRIC>=VALUE, e.g. block_rate<=0.05"
        )
    metric = check_metric(m.group(1), f"--constraint {text!r}", days)
    op = {"<": "<=", "=<": "<=", ">": ">=", "=>": ">="}.get(m.group(2), m.group(2))
    try:
        limit = float(m.group(3))
    except ValueError:
        raise DesignError(f"--constraint {text!r}: {m.group(3)!r} is not a number") from None
    return Constraint(metric, op, limit)


@dataclass
class OptimizeResult:
    """A finished search.

    Attributes
    ----------
    trials : pandas.DataFrame
        One row per trial: ``trial``, the parameters, ``state``, ``objective`` (mean
        over seeds), one ``violation_<constraint>`` column per constraint (<= 0 is
        satisfied), ``feasible``, and the mean of every metric.
    best : dict or None
        The best feasible trial: ``trial``, ``params``, ``objective``, ``metrics``.
    best_scenario : dict or None
        The complete scenario of the best plan.
    out : pathlib.Path
        Experiment folder (``trials.csv``, ``best.yaml``, ``history.png`` ...).
    """

    objective: str
    direction: str
    constraints: list[Constraint]
    trials: pd.DataFrame
    best: dict | None
    best_scenario: dict | None
    out: Path
    params: list[Param] = field(default_factory=list)

    @property
    def table(self) -> pd.DataFrame:
        """The trials table (alias of ``.trials``)."""
        return self.trials

    def plot_history(self, ax=None, lang: str = "en"):
        """Objective per trial and best feasible so far (:func:`lab.plots.plot_optimization_history`)."""
        from lab.plots import plot_optimization_history

        return plot_optimization_history(self, ax=ax, lang=lang)

    def save_best(self, path: str | Path) -> Path:
        """Write the best plan as a scenario YAML (atomically)."""
        if self.best_scenario is None:
            raise ValueError("no feasible trial: there is no best plan to write")
        return _write_best_yaml(self, Path(path))


@dataclass(frozen=True)
class _Space:
    param: Param
    low: Any = None
    high: Any = None
    choices: tuple | None = None

    def suggest(self, trial):
        name = self.param.path
        if self.choices is not None:
            return trial.suggest_categorical(name, list(self.choices))
        if self.param.kind == "int":
            return trial.suggest_int(name, int(self.low), int(self.high))
        return trial.suggest_float(name, float(self.low), float(self.high))

    def describe(self):
        return list(self.choices) if self.choices is not None else [self.low, self.high]


def _spaces(sc, params: Mapping[str, Any]) -> list[_Space]:
    out = []
    for path, spec in dict(params).items():
        p = resolve_param(sc, path, "--params")
        arg = f"--params {path}"
        if isinstance(spec, str):
            if ":" in spec:
                lo, hi = spec.split(":", 1)
                out.append(_Space(p, *numeric_range(p, lo, hi, arg)))
            else:
                out.append(_Space(p, choices=tuple(p.coerce(v, arg) for v in spec.split(","))))
        elif isinstance(spec, tuple) and len(spec) == 2:
            out.append(_Space(p, *numeric_range(p, spec[0], spec[1], arg)))
        elif isinstance(spec, list | tuple) and spec:
            out.append(_Space(p, choices=tuple(p.coerce(v, arg) for v in spec)))
        else:
            raise DesignError(f"{arg}: give (low, high), a list of choices, 'LOW:HIGH' or 'A,B,C'")
    if not out:
        raise DesignError("--params: give at least one parameter to search")
    if len({s.param.canonical for s in out}) < len(out):
        raise DesignError("--params: a parameter is given twice")
    return out


def optimize(
    scenario: Scenario | Mapping[str, Any] | str | Path,
    params: Mapping[str, Any],
    objective: str = "net_margin",
    direction: str = "maximize",
    constraints: Sequence[str | Constraint] = (),
    trials: int = 20,
    batch: int = 4,
    seeds: int | Sequence[int] = 4,
    days: int | None = None,
    out: str | Path | None = None,
    cluster: Any = None,
    workers: int | None = None,
    progress: bool | None = None,
    sampler_seed: int = 0,
    metrics: Callable = experiment_metrics,
    lang: str = "en",
    allow_code_change: bool = False,
    max_runs: int | None = None,
) -> OptimizeResult:
    """Search the parameters for the best plan (optuna TPE), every candidate on the same seeds.

    Parameters
    ----------
    scenario : Scenario, dict or path
        The base plan.
    params : mapping
        Path -> ``(low, high)`` (int or float by the field's type) or a list of choices.
    objective : str
        A metric of :data:`~lab.experiments.runstore.EXPERIMENT_METRICS` (e.g.
        ``margin_12m``, ``net_margin``; aliases ``ltv``, ``margin``, ``fatigue``).
    direction : {"maximize", "minimize"}
    constraints : sequence of str
        e.g. ``["block_rate<=0.05"]``, on the mean over seeds.
    trials : int
        Candidates to evaluate (in total, including those on disk from a previous call).
    batch : int
        Candidates asked and evaluated together; fixed, so results do not depend on
        the workers.
    seeds : int or sequence of int
        Seeds of every candidate (common random numbers).
    days, out, cluster, workers, progress
        As for :func:`lab.sweep`.
    sampler_seed : int
        Seed of optuna's TPESampler.
    metrics : callable
        ``RunResult -> dict[str, float]`` computed in the workers.
    lang : {"en", "zh"}
        Labels of ``history.png``.
    allow_code_change : bool
        Resume an ``out`` folder whose runs were made by another lab version or git
        commit (default: refuse, :class:`~lab.experiments.runstore.CodeChanged`); the
        old runs are kept and each row's ``lab_version`` / ``git_commit`` says which
        code made it.
    max_runs : int, optional
        Refuse a search of more runs (trials x seeds) than this, before it starts
        (default :data:`~lab.experiments.design.MAX_RUNS`, 10,000).

    Returns
    -------
    OptimizeResult
        ``.trials``, ``.best``, ``.best_scenario``, ``.save_best(path)``, ``.plot_history()``.
    """
    import optuna

    from lab.api import as_scenario
    from lab.i18n import check_lang
    from lab.parallel.executors import open_executor
    from lab.scenario import scenario_hash

    sc = as_scenario(scenario)
    check_lang(lang)
    if direction not in ("maximize", "minimize"):
        raise DesignError(f"--direction {direction!r}: use maximize or minimize")
    if trials < 1 or batch < 1:
        raise DesignError(f"--trials {trials} / --batch {batch}: must be >= 1")
    seeds = seed_list(seeds)
    check_run_count(
        trials * len(seeds), max_runs, f"the search ({trials:,} trials x {len(seeds)} seed(s))"
    )
    check_pool_size(sc, days)
    n_days = days or sc.days
    spaces = _spaces(sc, params)
    objective = check_metric(objective, "--objective")
    cons = [c if isinstance(c, Constraint) else parse_constraint(c) for c in constraints]
    check_run_length(
        [("--objective", objective), *((f"--constraint {c}", c.metric) for c in cons)],
        days,
        sc.days,
        _searched_days(spaces),
    )
    bh = scenario_hash(sc)
    mname = function_name(metrics)
    design = {
        "params": {s.param.canonical: s.describe() for s in spaces},
        "objective": objective,
        "direction": direction,
        "constraints": [str(c) for c in cons],
        "batch": batch,
        "sampler_seed": sampler_seed,
        "seeds": seeds,
        "days": days,
        "metrics": mname,
    }
    store = open_store("optimize", out, sc.name, bh, design, allow_code_change)
    folder = store.folder
    base = base_dump(sc)

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    # optuna >= 5 takes constraints per trial (Trial.set_constraint); 4.x via constraints_func
    legacy = cons and not hasattr(optuna.trial.Trial, "set_constraint")
    sampler = optuna.samplers.TPESampler(
        seed=sampler_seed,
        constraints_func=(lambda t: t.user_attrs["violations"]) if legacy else None,
    )
    study = optuna.create_study(direction=direction, sampler=sampler)
    rows: list[dict] = []
    with open_executor(workers, cluster) as ex:
        store.open(ex.where)
        while len(rows) < trials:
            asked = [study.ask() for _ in range(min(batch, trials - len(rows)))]
            points = [{s.param: s.suggest(t) for s in spaces} for t in asked]
            valid = [_valid(base, pt) for pt in points]
            specs = run_specs(
                bh,
                [pt for pt, v in zip(points, valid, strict=True) if v is None],
                seeds,
                days,
                mname,
            )
            evaluate(
                specs,
                base,
                store,
                ex,
                metrics,
                progress,
                f"optimize {sc.name}: trials {len(rows) + 1}-{len(rows) + len(asked)}",
            )
            by_point = _means(specs, store)
            k = 0
            for t, pt, why in zip(asked, points, valid, strict=True):
                means = None
                if why is None:
                    means, k = by_point[k], k + 1
                rows.append(_tell(study, t, pt, why, means, objective, cons))
    table = _trials_table(rows, spaces, cons)
    table.attrs.update(objective=objective, direction=direction)
    best = _best(table, spaces, objective, direction)
    best_sc = apply_overrides(base, best.pop("overrides")) if best else None
    res = OptimizeResult(
        objective, direction, cons, table, best, best_sc, folder, [s.param for s in spaces]
    )
    _save(res, store, sc, seeds, n_days, lang)
    return res


def _searched_days(spaces) -> tuple[str, int] | None:
    """How the ``days`` parameter is searched and its shortest value (None: not searched)."""
    for s in spaces:
        if s.param.canonical == "days":
            shortest = min(s.choices) if s.choices is not None else int(s.low)
            return f"--params {s.param.path}={_describe(s)}", shortest
    return None


def _describe(space: _Space) -> str:
    if space.choices is not None:
        return ",".join(map(str, space.choices))
    return f"{space.low}:{space.high}"


def _valid(base: dict, pt: dict) -> str | None:
    try:
        check_point(base, pt, "--params")
    except DesignError as exc:
        return str(exc)
    return None


def _means(specs, store) -> list[dict]:
    runs = store.read_runs([s.run_id for s in specs]).set_index("run_id")
    n_points = len({s.point for s in specs})
    out: list[dict] = [{} for _ in range(n_points)]
    metric_cols = [c for c in runs.columns if c in EXPERIMENT_METRICS]
    grouped: dict[int, list[str]] = {}
    for s in specs:
        grouped.setdefault(s.point, []).append(s.run_id)
    for i, ids in sorted(grouped.items()):
        part = runs.loc[ids]
        out[i] = {m: finite_mean(part[m]) for m in metric_cols}
    return out


def _tell(study, trial, pt, why, means, objective, cons) -> dict:
    from optuna.trial import TrialState

    row = {"trial": trial.number, **{p.path: v for p, v in pt.items()}}
    if why is not None:
        _set_violations(trial, cons, [math.inf] * len(cons))
        study.tell(trial, state=TrialState.FAIL)
        return {**row, "state": "invalid", "note": why, "objective": math.nan}
    viol = [c.violation(means.get(c.metric, math.nan)) for c in cons]
    _set_violations(trial, cons, viol)
    value = means.get(objective, math.nan)
    if not math.isfinite(value):
        study.tell(trial, state=TrialState.FAIL)
        return {
            **row,
            "state": "failed",
            "note": f"{objective} undefined",
            "objective": value,
            **means,
        }
    study.tell(trial, value)
    return {
        **row,
        "state": "complete",
        "note": "",
        "objective": value,
        **{f"violation_{c}": v for c, v in zip(cons, viol, strict=True)},
        "feasible": all(v <= 0 for v in viol),
        **means,
    }


def _set_violations(trial, cons, viol) -> None:
    if not cons:
        return
    if hasattr(trial, "set_constraint"):
        for c, v in zip(cons, viol, strict=True):
            trial.set_constraint(str(c), v)
    else:
        trial.set_user_attr("violations", viol)


def _trials_table(rows, spaces, cons) -> pd.DataFrame:
    t = pd.DataFrame(rows)
    if "feasible" not in t:
        t["feasible"] = False
    t["feasible"] = t["feasible"].fillna(False).astype(bool)
    first = ["trial", *(s.param.path for s in spaces), "state", "objective", "feasible"]
    first += [f"violation_{c}" for c in cons if f"violation_{c}" in t]
    rest = [c for c in t.columns if c not in first]
    return t[first + rest]


def _best(table, spaces, objective, direction) -> dict | None:
    ok = table[(table["state"] == "complete") & table["feasible"]]
    if ok.empty:
        return None
    vals = ok["objective"].to_numpy()
    i = int(np.argmax(vals) if direction == "maximize" else np.argmin(vals))  # first of ties
    r = ok.iloc[i]
    overrides = {s.param: _plain(r[s.param.path]) for s in spaces}
    return {
        "trial": int(r["trial"]),
        "params": {p.path: v for p, v in overrides.items()},
        "overrides": overrides,
        "objective": float(r["objective"]),
        "metrics": {m: float(r[m]) for m in EXPERIMENT_METRICS if m in r.index},
    }


def _plain(v):
    return v.item() if hasattr(v, "item") else v


def _save(res: OptimizeResult, store: RunStore, sc, seeds, n_days, lang: str) -> None:
    write_tables(res.trials, store, "trials")
    if res.best_scenario is not None:
        _write_best_yaml(res, store.folder / "best.yaml", sc, seeds)
    write_figure(store.folder / "history.png", lambda ax: res.plot_history(ax=ax, lang=lang))
    store.write_json("best.json", {**store.stamp, "seeds": seeds, "days": n_days, "best": res.best})


def _write_best_yaml(res: OptimizeResult, path: Path, sc=None, seeds=None) -> Path:
    import yaml

    from lab.io import atomic_file
    from lab.scenario import scenario_from_dict, scenario_hash

    best = res.best
    data = dict(res.best_scenario)
    base_name = data.get("name", "scenario")
    data["name"] = f"{base_name}-optimized"
    cons = ", ".join(map(str, res.constraints)) or "none"
    data["description"] = (
        f"Best plan found by lab optimize ({res.direction} {res.objective} subject to {cons}): "
        f"trial {best['trial']}, {res.objective} = {best['objective']:,.4g} (mean over seeds)."
    )
    header = [
        "# Written by `lab optimize`: the complete scenario of the best feasible plan",
        "# (every parameter spelled out, so it does not depend on the base file staying the same).",
        f"# base scenario: {base_name}" + (f" @ {scenario_hash(sc)}" if sc is not None else ""),
        "# parameters the search changed:",
        *(f"#   {k}: {v!r}" for k, v in best["params"].items()),
        f"# objective: {res.direction} {res.objective} = {best['objective']:.6g}; constraints: {cons}",
    ]
    if seeds is not None:
        header.append(f"# evaluated on seeds {seeds} (common random numbers)")
    text = "\n".join(header) + "\n" + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    scenario_from_dict(yaml.safe_load(text), str(path))  # what we write must load
    with atomic_file(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path
