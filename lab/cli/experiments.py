"""Command line: ``lab sweep | sensitivity | optimize`` (added to :data:`lab.cli.app` by :func:`register`).

Each command runs on local processes by default, or on a dask.distributed cluster
with ``--cluster tcp://HOST:8786`` (or ``tls://...`` with dask's TLS configuration; or
the environment variable ``LAB_DASK_SCHEDULER``).  Runs stream to the ``--out`` folder as they finish; the
same command resumes an interrupted experiment.  Bad arguments end with one clear
message naming the argument, exit code 2, and nothing written.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from lab.cli.common import consoles, fail, fmt_interval, fmt_number, load_or_exit, print_error
from lab.cli.options import BaseScenarioArg, ExperimentOptions, Lang, with_experiment_options

if TYPE_CHECKING:  # pragma: no cover
    from lab.scenario import Scenario

__all__ = ["optimize_cmd", "register", "sensitivity_cmd", "sweep_cmd"]


def _guarded(fn: Callable[[], Any]) -> Any:
    """Run ``fn``; turn bad input and faults into one message and exit 2, Ctrl-C into a hint.

    Warnings of the run store (files set aside) print as one line on stderr.
    """
    from lab.experiments.design import DesignError
    from lab.model import PoolTooLarge
    from lab.parallel.pool import WorkerDied
    from lab.scenario import ScenarioError

    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            return fn()
    except (DesignError, ScenarioError, PoolTooLarge, ConnectionError, WorkerDied) as exc:
        fail(str(exc))
    except OSError as exc:  # unwritable, full or odd --out, unreadable run files ...
        where = f" {exc.filename}" if exc.filename else ""
        fail(f"could not write{where}: {exc.strerror or exc}")
    except KeyboardInterrupt:
        _, err = consoles()
        err.print(
            "[yellow]interrupted:[/] finished runs are saved; run the same command again to "
            "resume where it stopped"
        )
        raise typer.Exit(code=130) from None


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    _, err = consoles()
    err.print(f"[yellow]warning:[/] {escape(str(message))}", highlight=False, soft_wrap=True)


def _pairs(items: list[str] | None, parse, arg: str) -> dict:
    from lab.experiments.design import DesignError

    out: dict = {}
    for text in items or []:
        try:
            key, *rest = parse(text, arg)
        except DesignError as exc:
            fail(str(exc))
        out[key] = rest[0] if len(rest) == 1 else tuple(rest)
    return out


def _check_lang(lang: str) -> None:
    if lang not in ("en", "zh"):
        fail(f"--lang {lang!r}: use en or zh")


# ---------------------------------------------------------------------- shared
def _start(scenario: Path, lang: str | None = None) -> Scenario:
    """The preamble of every experiment command: check ``--lang``, load the scenario."""
    if lang is not None:
        _check_lang(lang)
    return load_or_exit(scenario)


def _run(experiment: Callable[..., Any], sc: Scenario, opts: ExperimentOptions, **own: Any):
    """``experiment(sc, **own)`` with the shared options; bad input and faults exit 2."""
    return _guarded(lambda: experiment(sc, **own, **opts.run_kwargs()))


def _print_wrote(out: Path, files: str, more: str = "") -> None:
    """The last line of every experiment command: the folder, its files, and ``more``."""
    console, _ = consoles()
    console.print(f"wrote {escape(str(out))}/ ({files}){more}", highlight=False, soft_wrap=True)


# ---------------------------------------------------------------------- sweep
@with_experiment_options
def sweep_cmd(
    scenario: BaseScenarioArg,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="PATH=V1,V2,... grid values (repeat for more parameters)"),
    ] = None,
    range_: Annotated[
        list[str] | None,
        typer.Option("--range", help="PATH=LOW:HIGH sampled range (repeat; needs --samples)"),
    ] = None,
    samples: Annotated[
        int | None, typer.Option(help="points sampled over the --range parameters", min=1)
    ] = None,
    design: Annotated[
        str, typer.Option(help="lhs (Latin hypercube) or grid (evenly spaced) for --range")
    ] = "lhs",
    design_seed: Annotated[int, typer.Option(help="seed of the Latin hypercube", min=0)] = 0,
    metrics: Annotated[
        str | None,
        typer.Option(
            help="metrics to print, comma separated (default: net_margin, gmv, ltv_margin, "
            "mean_fatigue, block_rate); all are in the table files"
        ),
    ] = None,
    *,
    opts: ExperimentOptions,
) -> None:
    """Run SCENARIO over a grid (--set) and/or a Latin hypercube (--range), with seeds.

    A weekly contact plan is varied by its messages per week:
    --set "strategies.group plan.messages_per_week=1,3,7".
    """
    from lab.experiments.design import parse_assignment, parse_range
    from lab.experiments.sweep import parse_metrics, sweep

    sc = _start(scenario)
    shown = _guarded(lambda: parse_metrics(metrics, opts.days))
    grid = _pairs(set_, parse_assignment, "--set")
    ranges = _pairs(range_, parse_range, "--range")
    res = _run(
        sweep,
        sc,
        opts,
        grid=grid,
        ranges=ranges,
        samples=samples,
        design=design,
        design_seed=design_seed,
    )
    _print_sweep_table(res, sc, opts.seeds, shown)
    _print_wrote(
        res.out,
        "runs/, table.parquet, table.csv, manifest.json",
        f" · {len(res.specs)} runs, {res.executed} run now on {escape(res.where)} · "
        f"design {res.store.key}",
    )


def _print_sweep_table(res, sc: Scenario, seeds: int, shown: list[str]) -> None:
    """The first 20 points: their values and the mean of the main metrics over seeds."""
    console, _ = consoles()
    summary = res.intervals(shown)
    t = Table(
        title=f"{escape(sc.name)} · mean over {seeds} seed(s) per point [90% interval of the mean]",
        title_justify="left",
    )
    cols = [p.path for p in res.params]
    for c in ["point", *_short_names(cols), *shown]:
        t.add_column(escape(c), justify="right")
    for r in summary.head(20).itertuples(index=False):
        d = r._asdict()
        t.add_row(
            *(escape(str(v)) for v in [d["point"], *(getattr(r, _attr(summary, c)) for c in cols)]),
            *(_mean_interval(d, summary, m) for m in shown),
        )
    console.print(t)
    if len(summary) > 20:
        console.print(f"... {len(summary) - 20} more points in the table")


def _mean_interval(row: dict, summary, metric: str) -> str:
    """``mean [low, high]`` of one metric at one point (itertuples row as a dict)."""

    def get(column: str):
        return row[_attr(summary, column)]

    low, high, n = get(f"{metric}_low"), get(f"{metric}_high"), int(get(f"{metric}_n"))
    return f"{fmt_number(get(metric))} {fmt_interval(low, high, n)}"


def _short_names(paths: list[str]) -> list[str]:
    """Column headers: the last key of each path, the whole path where two would clash."""
    last = [p.replace("[", ".").split(".")[-1] for p in paths]
    return [s if last.count(s) == 1 else p for s, p in zip(last, paths, strict=True)]


def _attr(df, column: str) -> str:
    """The itertuples field name of ``column`` (renamed when not an identifier)."""
    i = list(df.columns).index(column)
    return column if column.isidentifier() else f"_{i}"


# ---------------------------------------------------------------------- sensitivity
@with_experiment_options
def sensitivity_cmd(
    scenario: BaseScenarioArg,
    params: Annotated[
        list[str] | None,
        typer.Option("--params", help="PATH=LOW:HIGH (repeat; at least two)"),
    ] = None,
    method: Annotated[str, typer.Option(help="morris (screening) or sobol (variance shares)")] = (
        "morris"
    ),
    samples: Annotated[
        int, typer.Option(help="Morris trajectories, or Sobol base size (a power of 2)", min=2)
    ] = 8,
    outputs: Annotated[
        str, typer.Option(help="metrics to analyse, comma separated")
    ] = "ltv_margin,net_margin,mean_fatigue",
    sample_seed: Annotated[int, typer.Option(help="seed of the SALib sampler", min=0)] = 0,
    lang: Lang = "en",
    *,
    opts: ExperimentOptions,
) -> None:
    """Rank which parameters move LTV, margin and fatigue most (SALib Morris or Sobol)."""
    from lab.experiments.design import parse_range
    from lab.experiments.sensitivity import sensitivity

    sc = _start(scenario, lang)
    ranges = _pairs(params, parse_range, "--params")
    res = _run(
        sensitivity,
        sc,
        opts,
        params=ranges,
        method=method,
        samples=samples,
        outputs=[m.strip() for m in outputs.split(",") if m.strip()],
        sample_seed=sample_seed,
        lang=lang,
    )
    _print_ranking(res, sc, method)
    _print_wrote(
        res.out, "sensitivity.csv, sensitivity_<metric>.png, table.parquet, runs/, manifest.json"
    )


def _print_ranking(res, sc: Scenario, method: str) -> None:
    """The parameters ranked per metric, and the metrics that could not be analysed."""
    console, _ = consoles()
    key = "mu_star" if method == "morris" else "ST"
    t = Table(
        title=f"{escape(sc.name)} · {method} · {len(res.runs)} runs · rank 1 moves the metric most",
        title_justify="left",
    )
    for c in ("metric", "rank", "parameter", key, "± 95%", "sigma" if key == "mu_star" else "S1"):
        t.add_column(c, justify="left" if c in ("metric", "parameter") else "right")
    for r in res.table.itertuples(index=False):
        other = r.sigma if key == "mu_star" else r.S1
        t.add_row(
            escape(r.metric),
            str(r.rank),
            escape(r.parameter),
            fmt_number(r.importance),
            fmt_number(r.importance_conf),
            fmt_number(other),
        )
    console.print(t)
    for m, why in res.skipped.items():
        console.print(f"[yellow]not analysed:[/] {escape(m)}: {escape(why)}")


# ---------------------------------------------------------------------- optimize
@with_experiment_options
def optimize_cmd(
    scenario: BaseScenarioArg,
    params: Annotated[
        list[str] | None,
        typer.Option("--params", help="PATH=LOW:HIGH or PATH=A,B,C (repeat)"),
    ] = None,
    objective: Annotated[str, typer.Option(help="metric to optimise, e.g. margin_12m")] = (
        "net_margin"
    ),
    direction: Annotated[str, typer.Option(help="maximize or minimize")] = "maximize",
    constraint: Annotated[
        list[str] | None,
        typer.Option(help='e.g. "block_rate<=0.05" on the mean over seeds (repeat)'),
    ] = None,
    trials: Annotated[int, typer.Option(help="candidate plans to evaluate", min=1)] = 20,
    batch: Annotated[
        int,
        typer.Option(
            help="candidates evaluated together (fixed: same results for any workers)", min=1
        ),
    ] = 4,
    sampler_seed: Annotated[int, typer.Option(help="seed of optuna's TPE sampler", min=0)] = 0,
    lang: Lang = "en",
    *,
    opts: ExperimentOptions,
) -> None:
    """Search for the best plan under constraints (optuna), every candidate on the same seeds."""
    from lab.experiments.optimize import optimize

    sc = _start(scenario, lang)
    spaces = _search_spaces(params)
    res = _run(
        optimize,
        sc,
        opts,
        params=spaces,
        objective=objective,
        direction=direction,
        constraints=constraint or [],
        trials=trials,
        batch=batch,
        sampler_seed=sampler_seed,
        lang=lang,
    )
    _print_search_header(res, sc, opts.seeds)
    failed = _no_trial_succeeded(res)
    if failed:
        print_error(failed)
    else:
        _print_best(res)
    _print_wrote(
        res.out,
        f"trials.csv, trials.parquet, {'best.yaml, ' if res.best else ''}best.json, history.png, "
        "runs/, manifest.json",
    )
    if failed:
        raise typer.Exit(code=1)


def _search_spaces(params: list[str] | None) -> dict[str, str]:
    """``--params PATH=SPEC`` as path -> spec (checked against the scenario later)."""
    spaces: dict[str, str] = {}
    for text in params or []:
        path, sep, spec = text.partition("=")
        if not sep or not path.strip() or not spec.strip():
            fail(f"--params {text!r}: write PATH=LOW:HIGH or PATH=A,B,C")
        spaces[path.strip()] = spec.strip()
    return spaces


def _print_search_header(res, sc: Scenario, seeds: int) -> None:
    console, _ = consoles()
    n_ok = int(res.trials["feasible"].sum())
    cons = ", ".join(map(str, res.constraints)) or "none"
    console.print(
        f"[bold]{escape(sc.name)}[/] · {res.direction} {escape(res.objective)} · constraints: "
        f"{escape(cons)} · {len(res.trials)} trials, {n_ok} feasible · {seeds} seed(s) each",
        highlight=False,
    )


def _print_best(res) -> None:
    """The best feasible plan: its values, objective and constrained metrics (or why none)."""
    console, _ = consoles()
    if res.best is None:
        console.print("[yellow]no trial met the constraints: no best plan written[/]")
        return
    t = Table(title=f"best plan: trial {res.best['trial']}", title_justify="left")
    t.add_column("parameter / metric")
    t.add_column("value", justify="right")
    for k, v in res.best["params"].items():
        t.add_row(escape(k), escape(f"{v:.4g}" if isinstance(v, float) else str(v)))
    t.add_row(f"[bold]{escape(res.objective)}[/]", fmt_number(res.best["objective"]))
    for c in res.constraints:
        t.add_row(escape(c.metric), fmt_number(res.best["metrics"].get(c.metric, float("nan"))))
    console.print(t)


def _no_trial_succeeded(res) -> str:
    """Why no trial of ``res`` ran to a value (empty when at least one did)."""
    t = res.trials
    if (t["state"] == "complete").any():
        return ""
    n_invalid = int((t["state"] == "invalid").sum())
    first = t.iloc[0]
    return (
        f"no trial succeeded: {n_invalid} of {len(t)} plan(s) were invalid and "
        f"{len(t) - n_invalid} left {res.objective} undefined (NaN), so there is no best "
        f"plan; trial {first['trial']}: {first['note']} (see the note column of trials.csv)"
    )


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("sweep")(sweep_cmd)
    app.command("sensitivity")(sensitivity_cmd)
    app.command("optimize")(optimize_cmd)
