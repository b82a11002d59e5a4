"""Robust verdicts: does B beat A in every plausible world, and what does it hinge on?

A paired comparison (:func:`lab.compare`) answers "is B better than A?" for one
setting of the behavioural assumptions: the defaults nobody measured
(``source_kind == "assumption"`` in :func:`lab.parameter_table`), each of which
declares a plausible range.  :func:`robustness` asks the question again in ``n``
*plausible worlds*:

1. **Draws.**  A Latin hypercube (``scipy.stats.qmc.LatinHypercube``, seeded from the
   lab's stream ``robustness_draws``, :mod:`lab.rng`) over the plausible ranges of
   the behavioural assumptions that A and B share, and within ± 2 standard errors of
   their own fit for the values fitted to an order log (a calibrated scenario's
   ``fitted`` section: never the literature's range of the default they replaced; a
   fitted value without a standard error is held at its fit); integers are rounded.
   Left out:
   the ``strategies`` section (the strategist's levers), every ``setting``, any
   assumption whose value differs between A and B (that difference is the question,
   not an unknown) and, when neither scenario has a finite market, the ``market``
   section (it does nothing then).  ``params`` restricts the draws further.
2. **Runs.**  World ``i`` sets the *same* drawn values in A and in B, and both run
   with the same seeds (common random numbers); every world uses the same seeds, so
   the worlds differ by their assumptions, not by luck.  Runs go through the lab's
   process pool (:func:`lab.experiments.pool.run_tasks`) and come back in task
   order: the result is identical for any number of workers.
3. **Report.**  Per headline metric: the share of worlds in which B beats A (on the
   mean over the seeds of the paired difference, respecting whether higher or lower
   is better, :data:`ROBUSTNESS_METRICS`), how often the seeds' interval is clear
   of zero, the range, median and 10–90% band of B − A across worlds, and the
   parameters the verdict hinges on: ranked by the absolute **Spearman rank
   correlation** of B − A with each parameter over the worlds (with its p-value and
   the share of worlds where B wins when the parameter is below / above its median).
   A Latin hypercube is not one of SALib's designs with a variance decomposition, and
   with tens of parameters and tens of worlds a rank correlation is the estimate
   that stays stable; it ranks monotone effects, not interactions.
   :meth:`RobustnessResult.advice` says in one sentence what to measure first.
"""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lab.experiments.design import (
    DesignError,
    check_pool_size,
    check_run_count,
    lhs_points,
    resolve_param,
)
from lab.experiments.stats import band, paired_interval
from lab.parallel.pool import LocalExecutor

if TYPE_CHECKING:  # pragma: no cover
    from rich.console import Console

    from lab.scenario import Scenario

__all__ = [
    "MAX_WORLDS",
    "ROBUSTNESS_METRICS",
    "RobustnessError",
    "RobustnessPlan",
    "RobustnessResult",
    "plan_for_cli",
    "plan_robustness",
    "robustness",
    "robustness_assumptions",
]

#: most plausible worlds one analysis may draw
MAX_WORLDS = 1000

#: seeds run in every world by default (the CLI's ``--world-seeds``)
DEFAULT_WORLD_SEEDS = 2

#: headline metrics reported, with +1 where higher is better and -1 where lower is
ROBUSTNESS_METRICS: dict[str, int] = {
    "net_margin": 1,
    "gmv": 1,
    "orders": 1,
    "ltv_margin": 1,
    "repurchase_rate": 1,
    "discount_cost": -1,
    "block_rate": -1,
    "mean_fatigue": -1,
}

#: significance of a rank correlation (Bonferroni over the parameters drawn)
ALPHA = 0.05

#: worlds needed before a rank correlation gets a p-value (the t approximation is poor
#: below; with 4 worlds a parameter with no effect has rho = ±1 one time in 12)
MIN_WORLDS_FOR_P = 10

#: parameters named per metric in the summary table
HINGES = 3


class RobustnessError(DesignError):
    """A robustness request that cannot run (bad ``n``, no parameters, too many runs)."""


# ---------------------------------------------------------------- what is drawn
def robustness_assumptions(
    a: Scenario, b: Scenario, params: str | Sequence[str] | None = None
) -> tuple[pd.DataFrame, dict[str, str]]:
    """The behavioural assumptions a robustness analysis of A vs B draws.

    Parameters
    ----------
    a, b : Scenario
    params : str or sequence of str, optional
        Patterns restricting the draws (comma-separated in one string, or a list):
        shell-style (``purchase.*``) or, without wildcards, any path containing the
        text (``fatigue``).

    Returns
    -------
    table : pandas.DataFrame
        ``path, value, type, plausible_low, plausible_high, range_from, unit, doc``: one
        row per parameter drawn, in the order of :func:`lab.parameter_table`.  An
        assumption is drawn within its plausible range; a value fitted to data
        (``lab calibrate``'s ``fitted`` section, ``source_kind`` ``"fitted"``)
        within ± 2 standard errors of its own fit, never the literature's range of the
        default it replaced (``range_from`` says which).
    left_out : dict
        Path -> why an assumption of A is not drawn (the lever: A and B differ), or a
        fitted value held at its fit (no standard error recorded).

    Raises
    ------
    RobustnessError
        When no assumption is left to draw (naming the patterns).
    """
    from lab.params import parameter_table

    ta, tb = parameter_table(a), parameter_table(b)
    fitted = ta["source_kind"] == "fitted"
    held = ta[fitted & ta["plausible_low"].isna()]
    rows = ta[ta["source_kind"].isin(["assumption", "fitted"]) & ta["plausible_low"].notna()]
    rows = rows.assign(
        range_from=np.where(
            rows["source_kind"] == "fitted", "fit ± 2 SE", "plausible range (assumption)"
        )
    )
    rows = rows[~rows["path"].str.startswith("strategies")]
    if a.market.size is None and b.market.size is None:
        rows = rows[~rows["path"].str.startswith("market.")]
    if not (a.personas.enabled or b.personas.enabled):  # the effects act on nothing
        rows = rows[~rows["path"].str.startswith("personas.")]
    b_values = dict(zip(tb["path"], tb["value"], strict=True))
    same = [
        p in b_values and b_values[p] == v for p, v in zip(rows["path"], rows["value"], strict=True)
    ]
    patterns = _patterns(params)
    left_out = {
        p: "fitted to the data, no standard error recorded: held at its fitted value"
        for p in held["path"]
        if not patterns or any(fnmatch.fnmatchcase(p, pat) for pat in patterns)
    }
    left_out |= {p: "differs between A and B (the lever)" for p in rows["path"][~np.array(same)]}
    rows = rows[np.array(same, dtype=bool)]
    if patterns:
        keep = [any(fnmatch.fnmatchcase(p, pat) for pat in patterns) for p in rows["path"]]
        rows = rows[np.array(keep, dtype=bool)]
    if rows.empty:
        what = f" matching --params {', '.join(patterns)}" if patterns else ""
        raise RobustnessError(
            f"no behavioural assumption{what} to draw; see `lab explain` for the paths "
            "(source: assumption) and their plausible ranges"
        )
    cols = ["path", "value", "type", "plausible_low", "plausible_high", "range_from", "unit", "doc"]
    return rows[cols].reset_index(drop=True), left_out


def _patterns(params: str | Sequence[str] | None) -> list[str]:
    if params is None:
        return []
    items = params.split(",") if isinstance(params, str) else list(params)
    out = []
    for item in (str(x).strip() for x in items):
        if item:
            out.append(item if any(c in item for c in "*?[") else f"*{item}*")
    return out


# ---------------------------------------------------------------- the plan
@dataclass
class RobustnessPlan:
    """A checked robustness analysis, drawn but not yet run (see :func:`plan_robustness`).

    Attributes
    ----------
    names : tuple of str
        Names of A and B.
    scenarios : tuple of Scenario
        A and B as given.
    assumptions : pandas.DataFrame
        What is drawn (:func:`robustness_assumptions`).
    draws : pandas.DataFrame
        One row per world (index ``world``), one column per drawn path.
    seeds : list of int
        Seeds run in every world, for A and for B.
    days : int or None
    draw_seed : int
        Seed of the Latin hypercube.
    left_out : dict
        Assumptions not drawn and why.
    """

    names: tuple[str, str]
    scenarios: tuple[Scenario, Scenario]
    assumptions: pd.DataFrame
    draws: pd.DataFrame
    seeds: list[int]
    days: int | None
    draw_seed: int
    left_out: dict[str, str] = field(default_factory=dict)

    @property
    def n_runs(self) -> int:
        """Runs the analysis makes: worlds x 2 scenarios x seeds."""
        return len(self.draws) * 2 * len(self.seeds)

    def world_scenarios(self, world: int) -> tuple[Scenario, Scenario]:
        """A and B with world ``world``'s drawn values set (the same values in both)."""
        from lab.scenario import ScenarioError

        changes = {p: _plain(v) for p, v in self.draws.loc[world].items()}
        try:
            return tuple(sc.with_changes(changes) for sc in self.scenarios)  # type: ignore[return-value]
        except ScenarioError as exc:
            raise RobustnessError(
                f"plausible world {world} is not a valid scenario: {exc}"
            ) from None

    def run(
        self,
        workers: int | None = None,
        progress: bool | None = None,
        metrics: Callable | None = None,
        executor: LocalExecutor | None = None,
    ) -> RobustnessResult:
        """Run every world's pair over the seeds and analyse (see :func:`robustness`);
        ``executor``: warm workers (a :class:`lab.parallel.LocalExecutor`) to run on."""
        from lab.analysis.headline import headline_metrics
        from lab.experiments.pool import run_tasks

        metrics = metrics or headline_metrics
        paths = list(self.draws.columns)
        locs = [resolve_param(self.scenarios[0], p).loc for p in paths]
        tasks = []
        for world in self.draws.index:
            pair = self.world_scenarios(int(world))
            for name, sc in zip(self.names, pair, strict=True):
                tasks += [(int(world), name, sc, s, self.days, locs, metrics) for s in self.seeds]
        label = f"{self.names[1]} vs {self.names[0]} in {len(self.draws)} plausible worlds"
        results = run_tasks(_world_run, tasks, workers, progress, label, executor)
        runs = pd.DataFrame(
            [
                {"world": r["world"], "scenario": r["name"], "seed": r["seed"], "days": r["days"]}
                | dict(zip(paths, r["values"], strict=True))
                | r["totals"]
                for r in results
            ]
        )
        return _analyse(self, runs)


def _plain(v: Any) -> Any:
    return v.item() if hasattr(v, "item") else v


def _world_run(task: tuple) -> dict:
    """Worker: run one (world, scenario, seed); return its metrics and the values it used."""
    from lab.api import run
    from lab.scenario import dump_scenario

    world, name, scenario, seed, days, locs, metrics = task
    res = run(scenario, seed=seed, days=days)
    dumped = dump_scenario(scenario)
    values = []
    for loc in locs:
        node = dumped
        for key in loc:
            node = node[key]
        values.append(node)
    totals = {k: float(v) for k, v in metrics(res).items()}
    return {
        "world": world,
        "name": name,
        "seed": seed,
        "days": int(res.days),
        "values": values,
        "totals": totals,
    }


def plan_robustness(
    scenarios: Mapping[str, Any],
    n: int,
    seeds: int | Sequence[int] = DEFAULT_WORLD_SEEDS,
    days: int | None = None,
    params: str | Sequence[str] | None = None,
    draw_seed: int | None = None,
    max_runs: int | None = None,
) -> RobustnessPlan:
    """Check a robustness analysis of B against A and draw its worlds (nothing runs).

    Parameters are those of :func:`robustness`.

    Raises
    ------
    RobustnessError
        ``n`` not in 1..:data:`MAX_WORLDS`, not exactly two scenarios, bad seeds, no
        assumption to draw, or more runs than ``max_runs``.
    """
    from lab.api import as_scenario

    n = _check_n(n)
    if len(scenarios) != 2:
        raise RobustnessError(
            f"--robustness compares two scenarios (A and B), got {len(scenarios)}"
        )
    seed_list = _seed_list(seeds)
    names = tuple(str(k) for k in scenarios)
    a, b = (as_scenario(v) for v in scenarios.values())
    for sc in (a, b):
        check_pool_size(sc, days)
    table, left_out = robustness_assumptions(a, b, params)
    check_run_count(n * 2 * len(seed_list), max_runs, f"--robustness {n}")
    draw_seed = seed_list[0] if draw_seed is None else int(draw_seed)
    draws = _draw(a, table, n, draw_seed)
    return RobustnessPlan(names, (a, b), table, draws, seed_list, days, draw_seed, left_out)  # type: ignore[arg-type]


def plan_for_cli(
    scenarios: Mapping[str, Any],
    n: int | None,
    seeds: Sequence[int],
    days: int | None,
    params: str | None,
    err_console: Console,
) -> RobustnessPlan | None:
    """``lab compare --robustness N``: the checked plan (None without the option).

    Bad input ends the command before any run: one message on ``err_console``,
    exit code 2, nothing written.
    """
    import typer
    from rich.markup import escape

    from lab.scenario import ScenarioError

    if n is None:
        if params is not None:
            err_console.print("[bold red]error:[/] --params needs --robustness N", highlight=False)
            raise typer.Exit(code=2)
        return None
    try:
        return plan_robustness(scenarios, n, seeds, days, params)
    except (DesignError, ScenarioError) as exc:
        err_console.print(
            f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True
        )
        raise typer.Exit(code=2) from None


def _check_n(n: Any) -> int:
    if isinstance(n, bool) or not isinstance(n, int | np.integer):
        raise RobustnessError(f"--robustness {n!r}: give a whole number of plausible worlds")
    if not 1 <= int(n) <= MAX_WORLDS:
        raise RobustnessError(
            f"--robustness {n}: the number of plausible worlds must be between 1 and "
            f"{MAX_WORLDS:,} (try 30-100)"
        )
    return int(n)


def _seed_list(seeds: int | Sequence[int]) -> list[int]:
    if isinstance(seeds, int | np.integer) and not isinstance(seeds, bool):
        if seeds < 1:
            raise RobustnessError(f"seeds {seeds}: need at least 1 seed per world")
        return list(range(int(seeds)))
    out = [int(s) for s in seeds]
    if not out:
        raise RobustnessError("seeds: need at least 1 seed per world")
    if len(set(out)) != len(out):
        raise RobustnessError(f"seeds must be distinct, got {out}")
    if any(not 0 <= s < 2**63 for s in out):
        raise RobustnessError(f"seeds must be integers in [0, 2**63), got {out}")
    return out


def _draw(a: Scenario, table: pd.DataFrame, n: int, draw_seed: int) -> pd.DataFrame:
    """The Latin hypercube of worlds, seeded from the lab's stream ``robustness_draws``."""
    from lab.rng import RandomStreams

    if not 0 <= draw_seed < 2**63:
        raise RobustnessError(f"draw seed {draw_seed}: must be an integer in [0, 2**63)")
    ranges = {
        resolve_param(a, r.path): (float(r.plausible_low), float(r.plausible_high))
        for r in table.itertuples()
    }
    seed = int(RandomStreams(draw_seed).key("robustness_draws"))
    points = lhs_points(ranges, n, seed)
    draws = pd.DataFrame([{p.path: v for p, v in pt.items()} for pt in points])
    draws.index = pd.RangeIndex(n, name="world")
    return draws


def robustness(
    scenarios: Mapping[str, Any],
    n: int = 30,
    seeds: int | Sequence[int] = DEFAULT_WORLD_SEEDS,
    days: int | None = None,
    workers: int | None = None,
    params: str | Sequence[str] | None = None,
    draw_seed: int | None = None,
    progress: bool | None = None,
    max_runs: int | None = None,
) -> RobustnessResult:
    """Is B's advantage over A robust to the behavioural assumptions nobody measured?

    Parameters
    ----------
    scenarios : mapping
        ``{"A": a, "B": b}``: exactly two (Scenario, dict or YAML path); the first is A.
    n : int
        Plausible worlds to draw (1..:data:`MAX_WORLDS`).
    seeds : int or sequence of int
        Seeds run in every world, for A and B alike (an int ``k`` means ``0..k-1``).
    days : int, optional
        Override both scenarios' length.
    workers : int, optional
        Processes (default: the local cores); the result does not depend on it.
    params : str or sequence of str, optional
        Draw only the assumptions matching these patterns (see
        :func:`robustness_assumptions`).
    draw_seed : int, optional
        Seed of the Latin hypercube (default: the first seed).
    progress : bool, optional
        Progress bar on stderr (default: when stderr is a terminal).
    max_runs : int, optional
        Refuse more runs (worlds x 2 x seeds) than this (default 10,000).

    Returns
    -------
    RobustnessResult
        ``.summary`` (per metric: share of worlds where B wins, B − A across worlds,
        the parameters it hinges on), ``.params`` (the ranking), ``.worlds``,
        ``.draws``, ``.advice()`` and ``.plot()``.

    Examples
    --------
    >>> rob = lab.robustness({"monthly": "scenarios/q1_monthly_30off.yaml",
    ...                       "weekly": "scenarios/q1_weekly_20off.yaml"}, n=40)  # doctest: +SKIP
    >>> rob.summary[["metric", "share_b_better", "diff_p10", "diff_p90", "hinge_1"]]  # doctest: +SKIP
    >>> print(rob.advice())  # doctest: +SKIP
    """
    plan = plan_robustness(scenarios, n, seeds, days, params, draw_seed, max_runs)
    return plan.run(workers=workers, progress=progress)


# ---------------------------------------------------------------- analysis
@dataclass
class RobustnessResult:
    """B against A across plausible worlds.

    Attributes
    ----------
    plan : RobustnessPlan
        What was drawn and run.
    runs : pandas.DataFrame
        Every run: ``world, scenario, seed, days``, the drawn values the run used,
        its metrics.
    worlds : pandas.DataFrame
        Per (world, metric): ``a, b`` (means over the seeds), ``diff`` (mean paired
        B − A), ``diff_low, diff_high`` (its interval over the seeds, 90%),
        ``b_better`` (B beats A, direction respected).
    summary : pandas.DataFrame
        Per metric: ``better`` (higher/lower), ``worlds``, ``share_b_better``,
        ``share_a_better``, ``share_tied``, ``share_b_clearly_better``,
        ``share_a_clearly_better`` (the seeds' interval excludes 0; NaN with one seed
        per world), ``diff_min,
        diff_p10, diff_median, diff_p90, diff_max``, ``hinge_1..3`` and ``verdict``.
    params : pandas.DataFrame
        Per (metric, parameter): ``rank`` (1 = the verdict hinges on it most),
        ``spearman``, ``p_value``, ``clear`` (from 10 worlds: significant after Bonferroni over the
        parameters), ``b_better_low`` / ``b_better_high`` (share of worlds where B
        wins with the parameter below / above its median draw), the current
        ``value``, ``plausible_low``, ``plausible_high``, ``unit`` and ``doc``.
    """

    plan: RobustnessPlan
    runs: pd.DataFrame
    worlds: pd.DataFrame
    summary: pd.DataFrame
    params: pd.DataFrame

    @property
    def names(self) -> tuple[str, str]:
        return self.plan.names

    @property
    def draws(self) -> pd.DataFrame:
        """The draw table: one row per world, one column per drawn path."""
        return self.plan.draws

    def ranking(self, metric: str = "net_margin") -> list[str]:
        """Parameters from the one the verdict on ``metric`` hinges on most to least."""
        t = self.params[self.params["metric"] == metric].sort_values("rank")
        return list(t["parameter"])

    def advice(self, metric: str = "net_margin") -> str:
        """One sentence: how robust the verdict on ``metric`` is and what to measure first."""
        return _advice(self, metric)

    def plot(self, metric: str = "net_margin", lang: str = "en", top: int = 8):
        """Share-of-worlds bars and the tornado of ``metric`` in one figure (two Axes)."""
        from lab.plots.robustness import plot_robustness

        return plot_robustness(self, metric, lang=lang, top=top)

    def frames(self) -> dict[str, pd.DataFrame]:
        """The CSV files :meth:`write` makes, by name."""
        draws = self.draws.reset_index()
        return {
            "robustness.csv": self.summary,
            "robustness_params.csv": self.params,
            "robustness_worlds.csv": self.worlds,
            "robustness_draws.csv": draws,
        }

    def write(self, folder: str | Path, lang: str = "en", plots: bool = True) -> dict[str, int]:
        """Write the tables (and ``robustness.png``) into ``folder``; rows per file.

        ``folder`` is the temporary folder of an atomic save (see
        :meth:`lab.experiments.Comparison.save`'s ``extra``); nothing else is touched.
        """
        from lab.io import write_csv

        folder = Path(folder)
        stamp = self.stamp()
        written = {}
        for name, df in self.frames().items():
            write_csv(df, folder / name, stamp)
            written[name] = len(df)
        if plots:
            fig = self.plot(lang=lang)
            fig.savefig(folder / "robustness.png", dpi=150)
            written["robustness.png"] = 1
        return written

    def writer(self, lang: str = "en", plots: bool = True) -> Callable[[Path], dict[str, int]]:
        """``folder -> files written``, for :meth:`lab.experiments.Comparison.save`."""
        return lambda folder: self.write(folder, lang, plots)

    def stamp(self) -> dict[str, str]:
        """Flat provenance of the analysis."""
        p = self.plan
        return {
            "robustness_worlds": str(len(p.draws)),
            "robustness_seeds": ",".join(map(str, p.seeds)),
            "robustness_draw_seed": str(p.draw_seed),
            "robustness_params": str(len(p.assumptions)),
            "robustness_ranking": "spearman",
        }

    def print(self, console: Console) -> None:
        """The summary table and the advice, on a rich console."""
        _print(self, console)


def _analyse(plan: RobustnessPlan, runs: pd.DataFrame) -> RobustnessResult:
    worlds = _world_table(plan, runs)
    params = _param_table(plan, worlds)
    summary = _summary_table(plan, worlds, params)
    return RobustnessResult(plan, runs, worlds, summary, params)


def _world_table(plan: RobustnessPlan, runs: pd.DataFrame) -> pd.DataFrame:
    a_name, b_name = plan.names
    a = runs[runs["scenario"] == a_name].set_index(["world", "seed"]).sort_index()
    b = runs[runs["scenario"] == b_name].set_index(["world", "seed"]).sort_index()
    rows = []
    for metric in (m for m in ROBUSTNESS_METRICS if m in runs.columns):
        sign = ROBUSTNESS_METRICS[metric]
        for world in plan.draws.index:
            va = a.loc[world, metric].to_numpy(dtype=float)
            vb = b.loc[world, metric].to_numpy(dtype=float)
            ci = paired_interval(va, vb, 0.90)
            diff = float(np.nanmean(vb - va)) if np.isfinite(vb - va).any() else np.nan
            rows.append(
                {
                    "world": int(world),
                    "metric": metric,
                    "a": _mean(va),
                    "b": _mean(vb),
                    "diff": diff,
                    "diff_low": ci.low,
                    "diff_high": ci.high,
                    "b_better": bool(sign * diff > 0) if np.isfinite(diff) else False,
                    "a_better": bool(sign * diff < 0) if np.isfinite(diff) else False,
                    "b_clearly_better": _clear(ci, sign),
                    "a_clearly_better": _clear(ci, -sign),
                }
            )
    return pd.DataFrame(rows)


def _mean(x: np.ndarray) -> float:
    return float(np.nanmean(x)) if np.isfinite(x).any() else np.nan


def _clear(ci, sign: int) -> bool:
    """The seeds' interval of B − A lies wholly on the side ``sign`` of zero."""
    if not (np.isfinite(ci.low) and np.isfinite(ci.high)) or ci.low == ci.high == 0:
        return False
    return bool(ci.low > 0) if sign > 0 else bool(ci.high < 0)


def _param_table(plan: RobustnessPlan, worlds: pd.DataFrame) -> pd.DataFrame:
    from scipy.stats import rankdata
    from scipy.stats import t as student_t

    info = plan.assumptions.set_index("path")
    k = len(info)
    rows = []
    for metric, part in worlds.groupby("metric", sort=False):
        part = part.set_index("world").loc[plan.draws.index]
        ok = np.isfinite(part["diff"].to_numpy())
        y = part["diff"].to_numpy()[ok]
        won = part["b_better"].to_numpy()[ok]
        for path in plan.draws.columns:
            x = plan.draws[path].to_numpy(dtype=float)[ok]
            rho = _rank_corr(rankdata(x), rankdata(y))
            p = _p_value(rho, len(y), student_t)
            below = x <= np.median(x) if len(x) else x.astype(bool)
            rows.append(
                {
                    "metric": metric,
                    "parameter": path,
                    "spearman": rho,
                    "abs_spearman": abs(rho) if np.isfinite(rho) else np.nan,
                    "p_value": p,
                    "clear": bool(np.isfinite(p) and p < ALPHA / k),
                    "b_better_low": _share(won[below]),
                    "b_better_high": _share(won[~below]),
                    "split_at": float(np.median(x)) if len(x) else np.nan,
                    "value": info.loc[path, "value"],
                    "plausible_low": info.loc[path, "plausible_low"],
                    "plausible_high": info.loc[path, "plausible_high"],
                    "range_from": info.loc[path, "range_from"],
                    "unit": info.loc[path, "unit"],
                    "doc": info.loc[path, "doc"],
                }
            )
    t = pd.DataFrame(rows)
    if t.empty:
        return t
    t = t.sort_values(["metric", "abs_spearman", "parameter"], ascending=[True, False, True])
    t["rank"] = t.groupby("metric").cumcount() + 1
    t.loc[t["abs_spearman"].isna(), "rank"] = np.nan
    order = {m: i for i, m in enumerate(ROBUSTNESS_METRICS)}
    t = t.sort_values(["metric", "rank"], key=lambda s: s.map(order) if s.name == "metric" else s)
    first = ["metric", "rank", "parameter"]
    return t[first + [c for c in t.columns if c not in first]].reset_index(drop=True)


def _rank_corr(rx: np.ndarray, ry: np.ndarray) -> float:
    """Spearman's rho (Pearson correlation of the ranks); NaN when either has no spread."""
    if len(rx) < 3 or np.ptp(rx) == 0 or np.ptp(ry) == 0:
        return np.nan
    return float(np.corrcoef(rx, ry)[0, 1])


def _p_value(rho: float, n: int, student_t) -> float:
    """Two-sided p-value of a rank correlation (t approximation, n - 2 degrees of freedom)."""
    if not np.isfinite(rho) or n < MIN_WORLDS_FOR_P:
        return np.nan
    if abs(rho) >= 1:
        return 0.0
    t = rho * math.sqrt((n - 2) / (1 - rho * rho))
    return float(2 * student_t.sf(abs(t), n - 2))


def _share(flags) -> float:
    return float(np.mean(flags)) if len(flags) else np.nan


def _summary_table(
    plan: RobustnessPlan, worlds: pd.DataFrame, params: pd.DataFrame
) -> pd.DataFrame:
    a_name, b_name = plan.names
    paired = len(plan.seeds) > 1  # an interval over the seeds needs two of them
    rows = []
    for metric, part in worlds.groupby("metric", sort=False):
        d = part["diff"].to_numpy(dtype=float)
        ok = np.isfinite(d)
        n = int(ok.sum())
        lo, med, hi = band(d)
        ranked = params[(params["metric"] == metric) & params["rank"].notna()]
        hinges = list(ranked.sort_values("rank")["parameter"][:HINGES])
        share_b = _share(part["b_better"].to_numpy()[ok])
        row = {
            "metric": metric,
            "better": "higher" if ROBUSTNESS_METRICS[metric] > 0 else "lower",
            "worlds": n,
            "share_b_better": share_b,
            "share_a_better": _share(part["a_better"].to_numpy()[ok]),
            "share_tied": _share(d[ok] == 0),
            "share_b_clearly_better": _share(
                part["b_clearly_better"].to_numpy()[ok] if paired else []
            ),
            "share_a_clearly_better": _share(
                part["a_clearly_better"].to_numpy()[ok] if paired else []
            ),
            "diff_min": float(d[ok].min()) if n else np.nan,
            "diff_p10": lo,
            "diff_median": med,
            "diff_p90": hi,
            "diff_max": float(d[ok].max()) if n else np.nan,
        }
        row |= {f"hinge_{i + 1}": hinges[i] if i < len(hinges) else "" for i in range(HINGES)}
        row["verdict"] = _verdict(row, a_name, b_name)
        rows.append(row)
    return pd.DataFrame(rows)


def _verdict(row: dict, a: str, b: str) -> str:
    n, share = row["worlds"], row["share_b_better"]
    if n == 0:
        return "undefined in every world"
    if row["share_tied"] == 1:
        return f"{b} and {a} identical in every world"
    if share == 1:
        return f"{b} better in every one of {n} plausible worlds"
    if row["share_a_better"] == 1:
        return f"{a} better in every one of {n} plausible worlds"
    if share >= 0.9 or share <= 0.1:
        who = b if share >= 0.9 else a
        return f"{who} better in {max(share, 1 - share):.0%} of {n} plausible worlds"
    return f"depends on the assumptions: {b} better in {share:.0%} of {n} plausible worlds"


# ---------------------------------------------------------------- words
def _advice(rob: RobustnessResult, metric: str) -> str:
    from lab.i18n import label

    s = rob.summary[rob.summary["metric"] == metric]
    if s.empty:
        known = ", ".join(rob.summary["metric"])
        raise KeyError(f"no robustness summary for {metric!r}; reported: {known}")
    row = s.iloc[0]
    a, b = rob.names
    name = label(metric, "en")
    n = int(row["worlds"])
    if n == 0:
        return f"{name} is undefined in every plausible world; nothing to settle."
    share = float(row["share_b_better"])
    winner, loser, won = (b, a, share) if share >= 0.5 else (a, b, float(row["share_a_better"]))
    head = (
        f"{winner} beats {loser} on {name} in {won:.0%} of {n} plausible worlds "
        f"(B − A from {_num(row['diff_min'])} to {_num(row['diff_max'])}, "
        f"median {_num(row['diff_median'])})"
    )
    ranked = rob.params[(rob.params["metric"] == metric) & rob.params["rank"].notna()]
    if ranked.empty:
        return head + "; B − A does not vary with any drawn assumption."
    top = ranked.sort_values("rank").iloc[0]
    what = _describe(top)
    if not top["clear"]:
        if n < MIN_WORLDS_FOR_P:
            return (
                head + f"; {n} worlds are too few to say what it hinges on (strongest so far: "
                f"{what}): run at least {MIN_WORLDS_FOR_P}."
            )
        return (
            head + f"; no assumption stands out at {n} worlds (strongest: {what}, rank "
            f"correlation {top['spearman']:+.2f}): run more worlds before choosing what "
            "to measure."
        )
    if share in (0.0, 1.0):
        return (
            head + f": the verdict holds across the plausible ranges; its size hinges most "
            f"on {what} (rank correlation {top['spearman']:+.2f}), so measure that first "
            "to size the gain."
        )
    return (
        head + f"; the verdict hinges most on {what} (rank correlation "
        f"{top['spearman']:+.2f}: {b} wins in {top['b_better_low']:.0%} of worlds with it "
        f"at or below {_num(top['split_at'])} and {top['b_better_high']:.0%} above), so "
        "measure it first in a real test."
    )


def _describe(row: pd.Series) -> str:
    """A parameter in words: its path, what it is, its current value and plausible range."""
    doc = str(row["doc"]).rstrip(".")
    unit = f" {row['unit']}" if row["unit"] and row["unit"] not in ("share", "-", "1") else ""
    return (
        f"{row['parameter']} ({doc[:1].lower() + doc[1:]}; now {_num(row['value'])}{unit}, "
        f"plausible {_num(row['plausible_low'])}–{_num(row['plausible_high'])})"
    )


def _num(x: Any) -> str:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return str(x)
    if not np.isfinite(v):
        return "n/a"
    if v == int(v) and abs(v) >= 1:
        return f"{v:+,.0f}" if v < 0 else f"{v:,.0f}"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    return f"{v:.3g}"


def _print(rob: RobustnessResult, console: Console) -> None:
    from rich import box
    from rich.markup import escape
    from rich.table import Table

    from lab.i18n import label

    a, b = rob.names
    p = rob.plan
    t = Table(
        title=(
            f"{escape(b)} vs {escape(a)} in {len(p.draws)} plausible worlds · "
            f"{len(p.assumptions)} assumptions drawn (Latin hypercube) · seeds "
            f"{', '.join(map(str, p.seeds))} in every world\n"
            "B beats A: the mean paired B − A over the seeds is on the better side; "
            "hinges: ranked by |Spearman rank correlation|"
        ),
        title_justify="left",
        box=box.SIMPLE_HEAD,
    )
    t.add_column("metric 指标")
    t.add_column("B beats A\n(clearly)", justify="right")
    t.add_column("B − A across worlds\nmedian [10–90%]", justify="right")
    t.add_column("hinges on", overflow="fold")
    for r in rob.summary.itertuples():
        name = f"{label(r.metric, 'en')} {label(r.metric, 'zh')}"
        clearly = "—" if np.isnan(r.share_b_clearly_better) else f"{r.share_b_clearly_better:.0%}"
        share = f"{r.share_b_better:.0%} ({clearly})" if r.worlds else "n/a"
        spread = f"{_num(r.diff_median)} [{_num(r.diff_p10)}, {_num(r.diff_p90)}]"
        hinges = ", ".join(h for h in (r.hinge_1, r.hinge_2) if h) or "—"
        t.add_row(escape(name), share, spread, escape(hinges))
    console.print(t)
    if note := fitted_note(p):
        console.print(escape(note), soft_wrap=True)
    console.print(escape(rob.advice("net_margin")), soft_wrap=True)


def fitted_note(plan: RobustnessPlan) -> str:
    """One sentence on the values fitted to an order log: drawn within ± 2 SE of their own
    fit, or held at it (no standard error recorded); "" when the scenarios have none."""
    drawn = plan.assumptions.loc[plan.assumptions["range_from"] == "fit ± 2 SE", "path"]
    held = [p for p, why in plan.left_out.items() if why.startswith("fitted")]
    parts = []
    if len(drawn):
        parts.append(
            f"{len(drawn)} value(s) fitted to the order log drawn within ± 2 SE of their own "
            "fit (not the literature's plausible range)"
        )
    if held:
        parts.append(f"held at their fit (no standard error recorded): {', '.join(held)}")
    return ("; ".join(parts) + ".") if parts else ""
