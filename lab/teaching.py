"""Helpers for the notebooks and the classroom (教学辅助).

The notebooks in ``notebooks/`` are thin clients of the lab: every number they
show comes from :func:`lab.run`, :func:`lab.compare` and :mod:`lab.analysis`.
What they need beyond that lives here, so that it is documented and tested:

* finding the scenario files (:func:`scenario_path`);
* the set-up every notebook shares (:func:`notebook_setup`);
* the changes a lesson makes to a scenario, applied with the validated
  :meth:`lab.Scenario.with_changes` (:func:`add_strategy`, :func:`scale_pool`,
  :func:`weekly_plan`);
* one lever at a few levels with paired seeds (:func:`compare_levels`,
  :class:`LevelComparison`), and plotting the result (:meth:`LevelComparison.plot`);
* bilingual tables: the headline numbers of one run (:func:`kpi_table`) and LTV per
  segment or channel across scenarios (:func:`ltv_by_scenario`).

Nothing here draws random numbers: randomness stays inside the lab's seeded runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib as mpl
import numpy as np
import pandas as pd

from lab.analysis.headline import HEADLINE_METRICS, headline_metrics
from lab.analysis.ltv import ltv_by
from lab.api import as_scenario
from lab.experiments.compare import Comparison, compare
from lab.experiments.replicate import DAILY_METRICS
from lab.i18n import check_lang, label
from lab.plots import house_rc
from lab.results import RunResult
from lab.scenario import Scenario, dump_scenario, load_scenario
from lab.stats import band
from lab.vocab import WEEKDAYS

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = [
    "WEEKDAYS",
    "LevelComparison",
    "NotebookSetup",
    "add_strategy",
    "compare_levels",
    "kpi_table",
    "ltv_by_scenario",
    "messages_per_week",
    "money_lines",
    "notebook_setup",
    "scale_pool",
    "scenario_path",
    "weekly_plan",
]


# --------------------------------------------------------------------- scenario files
def scenario_path(name: str | Path) -> Path:
    """Path of a scenario file shipped with the lab, e.g. ``scenario_path("baseline")``.

    Looks in the ``scenarios/`` folder of the lab checkout, then in ``scenarios/``
    of the working directory and of its parents (a notebook runs in
    ``notebooks/``).  A name without suffix gets ``.yaml``; an existing path is
    returned as it is.

    Parameters
    ----------
    name : str or pathlib.Path
        ``"baseline"``, ``"q1_weekly_20off.yaml"`` or a path.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    FileNotFoundError
        Naming every folder searched.
    """
    p = Path(name)
    if p.is_file():
        return p
    if not p.suffix:
        p = p.with_suffix(".yaml")
    cwd = Path.cwd().resolve()
    folders = [Path(__file__).resolve().parents[1] / "scenarios"]
    folders += [d / "scenarios" for d in (cwd, *cwd.parents)]
    for folder in dict.fromkeys(folders):
        if (folder / p).is_file():
            return folder / p
    searched = ", ".join(str(f) for f in dict.fromkeys(folders[:3]))
    raise FileNotFoundError(f"no scenario {p} in {searched} (or further up)")


# -------------------------------------------------------------------- notebook set-up
@dataclass(frozen=True)
class NotebookSetup:
    """The size a tutorial notebook runs at: full, or small for the tests.

    Attributes
    ----------
    small : bool
        The notebook runs at the small test size (``SMALL = True``).
    scale : float
        Share of each shipped scenario's acquisition volumes (see :func:`scale_pool`).
    days : int
        Days per run.
    seeds : range
        Seeds of the comparisons.
    workers : int or None
        Processes of the comparisons (None = every core; 1 when small).
    lang : str
        Language of the house style applied to matplotlib.
    """

    small: bool
    scale: float
    days: int
    seeds: range
    workers: int | None
    lang: str

    def scenario(self, name: str | Path) -> Scenario:
        """A shipped scenario (see :func:`scenario_path`) with its pool scaled to this size."""
        return scale_pool(load_scenario(scenario_path(name)), self.scale)


def notebook_setup(
    small: bool,
    days: int = 365,
    small_days: int = 120,
    seeds: int = 10,
    small_seeds: int = 3,
    lang: str = "zh",
) -> NotebookSetup:
    """The set-up every tutorial notebook shares, in one call.

    Applies the lab's house style and CJK font (:func:`lab.plots.house_rc`) to
    matplotlib, so a notebook's own figures look like the lab's, and returns the
    sizes: the full pool (scale 1, ``days``, ``seeds`` seeds on every core) or the
    small test size (scale 0.15, ``small_days``, ``small_seeds`` seeds in this
    process) that ``tests/test_notebooks.py`` runs.

    Parameters
    ----------
    small : bool
        The notebook's ``SMALL`` parameter.
    days, small_days : int
        Days per run at full and at small size.
    seeds, small_seeds : int
        Seeds of the comparisons at full and at small size (seeds 0 .. n-1).
    lang : {"en", "zh"}
        Language of the house style.

    Returns
    -------
    NotebookSetup

    Examples
    --------
    >>> setup = notebook_setup(SMALL, seeds=12)  # doctest: +SKIP
    >>> base = setup.scenario("baseline")  # doctest: +SKIP
    >>> lab.run(base, seed=7, days=setup.days)  # doctest: +SKIP
    """
    check_lang(lang)
    mpl.rcParams.update(house_rc(lang))
    small = bool(small)
    return NotebookSetup(
        small=small,
        scale=0.15 if small else 1.0,
        days=small_days if small else days,
        seeds=range(small_seeds if small else seeds),
        workers=1 if small else None,
        lang=lang,
    )


# ------------------------------------------------------------------ scenario variants
# Changing a scenario is Scenario.with_changes (validated, the paths of lab sweep --set);
# the helpers below build the changes a lesson needs.


def add_strategy(
    scenario: Scenario | dict | str | Path, spec: Mapping, name: str | None = None
) -> Scenario:
    """Append a strategy given as a mapping with its ``type`` (validated).

    Parameters
    ----------
    scenario : Scenario, dict or path
    spec : mapping
        E.g. ``{"type": "fission_program", "reward_cny": 50, "end_day": 180}``.
    name : str, optional
        New scenario name.

    Returns
    -------
    Scenario
    """
    if "type" not in spec:
        raise ValueError("a strategy needs its 'type', e.g. {'type': 'membership', ...}")
    sc = as_scenario(scenario)
    changes: dict[str, Any] = {"strategies": [*dump_scenario(sc)["strategies"], dict(spec)]}
    if name is not None:
        changes["name"] = name
    return sc.with_changes(changes)


def scale_pool(scenario: Scenario | dict | str | Path, factor: float) -> Scenario:
    """The same scenario with every acquisition volume multiplied by ``factor``.

    Scales the stock import (rate and total), the paid budget together with its
    saturation volume (so the cost per customer stays the same) and the staff
    invite rate; referrals follow from the pool.  A finite market (``market.size``)
    and its number of seed customers (KOC) shrink by the same factor, so a small
    pool still meets the edge of its market at the same time.  Strategies with
    absolute sizes (shop-guide teams, campaign budgets) are left as they are.  Used to make
    quick classroom pools and the small test size of the notebooks.

    Parameters
    ----------
    scenario : Scenario, dict or path
    factor : float
        > 0; 0.25 gives a pool about a quarter the size.

    Returns
    -------
    Scenario
    """
    if not factor > 0:
        raise ValueError(f"factor must be > 0, got {factor}")
    sc = as_scenario(scenario)
    si, paid, staff = (
        sc.acquisition.stock_import,
        sc.acquisition.paid,
        sc.acquisition.staff_invite,
    )
    changes: dict[str, Any] = {
        "acquisition.stock_import.customers_per_day": si.customers_per_day * factor,
        "acquisition.stock_import.total_customers": round(si.total_customers * factor),
        "acquisition.paid.daily_budget_cny": paid.daily_budget_cny * factor,
        "acquisition.paid.saturation_customers_per_day": paid.saturation_customers_per_day * factor,
        "acquisition.staff_invite.invites_per_staff_per_day": staff.invites_per_staff_per_day
        * factor,
    }
    market = sc.market
    if market.size is not None:
        changes["market.size"] = max(10, round(market.size * factor))
        changes["market.seed_customers.count"] = round(market.seed_customers.count * factor)
    return sc.with_changes(changes)


def weekly_plan(messages: int, contents: Sequence[str] = ("promotion",)) -> dict[str, list[str]]:
    """A contact plan's ``weekly`` mapping with ``messages`` spread over the week.

    Messages go to the days as evenly as possible (Monday first; up to 7 a week
    one a day, then a second round, ...) and take their content types from
    ``contents`` in turn.

    Parameters
    ----------
    messages : int
        Messages per week, >= 0.
    contents : sequence of str
        Content types cycled through, e.g. ``("promotion", "interaction", "value")``.

    Returns
    -------
    dict
        ``{"mon": [...], ..., "sun": [...]}``.

    Examples
    --------
    >>> weekly_plan(3)
    {'mon': ['promotion'], 'tue': [], 'wed': [], 'thu': ['promotion'], 'fri': [], 'sat': ['promotion'], 'sun': []}
    """
    if int(messages) != messages or messages < 0:
        raise ValueError(f"messages must be a whole number >= 0, got {messages}")
    if not contents:
        raise ValueError("contents must name at least one content type")
    plan: dict[str, list[str]] = {d: [] for d in WEEKDAYS}
    n = int(messages)
    for i in range(n):
        rnd, pos = divmod(i, 7)
        # spread this round's messages evenly over the 7 days
        per_round = min(7, n - 7 * rnd)
        day = WEEKDAYS[(pos * 7) // per_round]
        plan[day].append(contents[i % len(contents)])
    return plan


def messages_per_week(weekly: Mapping[str, Sequence[str]]) -> int:
    """Number of messages in a ``weekly`` contact plan."""
    return int(sum(len(v) for v in weekly.values()))


# ------------------------------------------------------------- one lever, a few levels
@dataclass
class LevelComparison:
    """One lever set to a few values, every value run with the same seeds.

    Attributes
    ----------
    lever : str
        The lever: a scenario path, or the short name given with ``change``.
    values : list
        The lever's values, in order; the first is the reference of the paired
        differences.
    names : list of str
        Scenario names, one per value.
    comparison : lab.Comparison
        The runs; ``.comparison.table`` holds each value against the first.
    xlabel : str, optional
        Axis label of the lever in plots (default: ``lever``).
    """

    lever: str
    values: list
    names: list[str]
    comparison: Comparison
    xlabel: str | None = None

    def table(self, metrics: Iterable[str] = ("gmv", "net_margin")) -> pd.DataFrame:
        """Per value and metric: median, 10–90% band, and the paired difference to the first.

        Returns
        -------
        pandas.DataFrame
            ``value, metric, median, p10, p90, mean, diff_mean, diff_low, diff_high``
            (the difference columns are 0 for the reference value).
        """
        metrics = list(metrics)
        unknown = [
            m for m in metrics if m not in set(self.comparison.replications.totals["metric"])
        ]
        if unknown:
            raise KeyError(
                f"unknown metric(s) {', '.join(unknown)}; known: {', '.join(HEADLINE_METRICS)}"
            )
        s = self.comparison.replications.summary()
        s = s[s["metric"].isin(metrics)]
        d = self.comparison.table
        d = d[d["metric"].isin(metrics)][
            ["scenario", "metric", "diff_mean", "diff_low", "diff_high"]
        ]
        out = s.merge(d, on=["scenario", "metric"], how="left")
        ref = out["scenario"] == self.names[0]
        out.loc[ref, ["diff_mean", "diff_low", "diff_high"]] = 0.0
        value_of = dict(zip(self.names, self.values, strict=True))
        out.insert(0, "value", out["scenario"].astype(str).map(value_of))
        order = {n: i for i, n in enumerate(self.names)}
        out["_o"] = out["scenario"].astype(str).map(order)
        out["_m"] = out["metric"].map({m: i for i, m in enumerate(metrics)})
        out = out.sort_values(["_m", "_o"]).drop(columns=["_o", "_m", "scenario", "sd", "n"])
        cols = ["value", "metric", "median", "p10", "p90", "mean"]
        cols += ["diff_mean", "diff_low", "diff_high"]
        return out[cols].reset_index(drop=True)

    def daily_total(self, metric: str, how: str = "sum") -> pd.DataFrame:
        """A daily KPI kept in the runs, totalled per run, summarised per value.

        Parameters
        ----------
        metric : str
            A daily KPI passed to :func:`compare_levels` in ``extra_daily`` (or one of
            :data:`lab.experiments.DAILY_METRICS`).
        how : {"sum", "last", "mean"}
            Total over the days, the last day's value, or the mean over days.

        Returns
        -------
        pandas.DataFrame
            ``value, median, p10, p90, mean`` over the seeds.
        """
        d = self.comparison.replications.daily
        part = d[d["metric"] == metric]
        if part.empty:
            known = ", ".join(sorted(d["metric"].unique()))
            raise KeyError(f"no daily metric {metric!r} in the runs; kept: {known}")
        if how not in ("sum", "last", "mean"):
            raise ValueError(f"how must be 'sum', 'last' or 'mean', got {how!r}")
        per_run = part.sort_values("day").groupby(["scenario", "seed"], observed=True)["value"]
        per_run = getattr(per_run, how)().reset_index()
        rows = []
        for name, value in zip(self.names, self.values, strict=True):
            v = per_run.loc[per_run["scenario"] == name, "value"].to_numpy(dtype=float)
            lo, med, hi = band(v)
            rows.append((value, med, lo, hi, float(np.mean(v)) if v.size else np.nan))
        return pd.DataFrame(rows, columns=["value", "median", "p10", "p90", "mean"])

    def best(self, metric: str = "net_margin") -> Any:
        """The value with the highest mean of ``metric`` over the seeds."""
        t = self.table([metric])
        return t.loc[t["mean"].idxmax(), "value"]

    def plot(
        self,
        metric: str = "net_margin",
        ax: Axes | None = None,
        lang: str = "en",
        kind: str = "difference",
        relative: bool = False,
    ) -> Axes:
        """The metric against the lever's values.

        Parameters
        ----------
        metric : str
            A headline metric (see :data:`lab.analysis.HEADLINE_METRICS`).
        ax : matplotlib Axes, optional
        lang : {"en", "zh"}
        kind : {"difference", "level"}
            ``"difference"``: the paired difference to the first value, mean and its
            interval (error bars), the best value marked; ``"level"``: the metric's
            median with its 10–90% band over the seeds.
        relative : bool
            With ``kind="difference"``: as % of the first value's mean.

        Returns
        -------
        matplotlib.axes.Axes
        """
        from matplotlib.ticker import FuncFormatter

        from lab.plots import PALETTE
        from lab.plots._style import finish, new_axes, styled

        if kind not in ("difference", "level"):
            raise ValueError(f"kind must be 'difference' or 'level', got {kind!r}")
        t = self.table([metric])
        x = np.arange(len(t))
        first = self.names[0]
        name = label(metric, lang)
        with styled(lang):
            ax = new_axes(ax)
            if kind == "level":
                y = t["median"]
                ax.plot(x, y, color=PALETTE[0], marker="o", lw=1.6, label=label("median", lang))
                ax.fill_between(
                    x,
                    t["p10"],
                    t["p90"],
                    color=PALETTE[0],
                    alpha=0.2,
                    lw=0,
                    label=label("band", lang),
                )
                ax.set_ylabel(name)
                ax.legend(loc="best")
                title = name
            else:
                base = abs(t["mean"].iloc[0]) if relative else 0.0
                scale = base / 100 if relative and base else 1.0
                y = t["diff_mean"] / scale
                err = np.vstack([y - t["diff_low"] / scale, t["diff_high"] / scale - y])
                ax.axhline(0, color="black", lw=0.8)
                ax.errorbar(
                    x,
                    y,
                    yerr=np.nan_to_num(np.clip(err, 0, None)),
                    color=PALETTE[1],
                    marker="o",
                    lw=1.6,
                    capsize=3,
                    label=f"{label('mean', lang)} · {self.comparison.level:.0%} {label('ci', lang)}",
                )
                top = int(np.nanargmax(y.to_numpy())) if np.isfinite(y).any() else None
                if top is not None:
                    ax.scatter(
                        [x[top]],
                        [y.iloc[top]],
                        s=120,
                        facecolors="none",
                        edgecolors=PALETTE[3],
                        lw=1.6,
                        zorder=4,
                    )
                unit = (
                    label("difference_pct", lang, a=first)
                    if relative
                    else f"{label('difference', lang)} ({_VERSUS[lang]} {first})"
                )
                ax.set_ylabel(unit)
                ax.legend(loc="best")
                title = f"{name} · {label('difference', lang)}"
            shown = np.abs(np.asarray(y, dtype=float))
            if np.isfinite(shown).any() and np.nanmax(shown) >= 1e4:
                ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
            ax.set_xticks(x, [str(v) for v in t["value"]])
            ax.set_xlabel(self.xlabel or self.lever)
            ax.set_title(title)
        finish(ax, lang)
        return ax


_VERSUS = {"en": "vs", "zh": "对比"}


def compare_levels(
    base: Scenario | dict | str | Path,
    lever: str,
    values: Sequence[Any],
    seeds: Sequence[int],
    days: int | None = None,
    workers: int | None = None,
    level: float = 0.90,
    xlabel: str | None = None,
    extra_daily: Sequence[str] = (),
    change: Callable[[Any], Mapping[str, Any]] | None = None,
) -> LevelComparison:
    """Run ``base`` at every level of one lever over the same seeds, paired with the first.

    An in-memory :func:`lab.compare` of a few variants, for a lesson: every number
    comes with its paired interval against the first level.  For grids over several
    parameters, kept on disk and resumable, use :func:`lab.sweep`.

    Parameters
    ----------
    base : Scenario, dict or path
        The scenario every variant starts from.
    lever : str
        A scenario path (as in ``lab sweep --set``), set to each value with
        :meth:`lab.Scenario.with_changes`, e.g. ``"strategies.fission_program.reward_cny"``;
        with ``change``, just a short name for the lever.
    values : sequence
        Levels of the lever; the first is the reference.
    seeds : sequence of int
        At least 2 for intervals.
    days : int, optional
        Override the length.
    workers : int, optional
        Processes (default: the local cores; 1 = in this process).
    level : float
        Level of the paired intervals.
    xlabel : str, optional
        Axis label in plots, e.g. ``"reward per invite · 邀请奖励 (CNY)"``.
    extra_daily : sequence of str
        Daily KPIs to keep beyond :data:`lab.experiments.DAILY_METRICS`, e.g. a
        strategy's ``chats_dropped`` (see :meth:`LevelComparison.daily_total`).
    change : callable, optional
        ``value -> {path: new value, ...}`` when one level changes more than one
        value, e.g. ``lambda n: {"strategies.group plan.weekly": weekly_plan(n)}``.

    Returns
    -------
    LevelComparison
    """
    values = list(values)
    if len(values) < 2:
        raise ValueError("a comparison of levels needs at least two values")
    sc = as_scenario(base)
    short = lever if change is not None else lever.rsplit(".", 1)[-1]
    names = [f"{short}={v}" for v in values]
    if len(set(names)) != len(names):
        raise ValueError(f"values must be distinct, got {values}")
    changes = change or (lambda v: {lever: v})
    scenarios = {
        n: sc.with_changes({**changes(v), "name": n}) for n, v in zip(names, values, strict=True)
    }
    daily = tuple(dict.fromkeys((*DAILY_METRICS, *extra_daily)))
    cmp = compare(
        scenarios,
        seeds,
        days=days,
        level=level,
        workers=workers,
        progress=False,
        daily_metrics=daily,
        warn_confounded=False,  # the levels differ in the lever, wherever it lies
    )
    return LevelComparison(lever, values, names, cmp, xlabel)


# ------------------------------------------------------------------------ tables
def kpi_table(result: RunResult, metrics: Iterable[str] | None = None) -> pd.DataFrame:
    """Headline numbers of one run with English and Chinese names (术语对照).

    Parameters
    ----------
    result : RunResult
    metrics : iterable of str, optional
        Which headline metrics (default: all of :data:`lab.analysis.HEADLINE_METRICS`).

    Returns
    -------
    pandas.DataFrame
        ``metric, en, zh, value, meaning``.
    """
    h = headline_metrics(result)
    keys = list(metrics) if metrics is not None else list(HEADLINE_METRICS)
    unknown = [k for k in keys if k not in h]
    if unknown:
        raise KeyError(f"unknown metric(s) {', '.join(unknown)}; known: {', '.join(h)}")
    return pd.DataFrame(
        {
            "metric": keys,
            "en": [label(k, "en") for k in keys],
            "zh": [label(k, "zh") for k in keys],
            "value": [h[k] for k in keys],
            "meaning": [HEADLINE_METRICS[k] for k in keys],
        }
    )


def money_lines(runs: Mapping[str, RunResult], lang: str | None = None) -> pd.DataFrame:
    """Where the money went: every booked cost and revenue line per scenario (CNY).

    Sums the daily ``gmv``, ``discount_cost``, every ``cost_<kind>`` and
    ``revenue_<kind>`` column and ``net_margin`` over each run; a line a scenario
    does not have (no membership, no stored value) is 0.

    Parameters
    ----------
    runs : mapping
        Scenario name -> RunResult.
    lang : {"en", "zh"}, optional
        Label the rows in this language (default: the column names, e.g.
        ``revenue_membership_fees``).

    Returns
    -------
    pandas.DataFrame
        One row per line, one column per scenario.
    """
    if lang is not None:
        check_lang(lang)
    if not runs:
        raise ValueError("no runs given")
    cols = {}
    for name, res in runs.items():
        d = res.daily
        keep = ["gmv", "discount_cost", "gross_margin"]
        keep += [c for c in d.columns if c.startswith(("revenue_", "cost_"))]
        keep += ["net_margin"]
        cols[str(name)] = d[keep].sum()
    out = pd.DataFrame(cols).fillna(0.0)
    first = ["gmv", "discount_cost", "gross_margin"]
    revenue = sorted(k for k in out.index if k.startswith("revenue_"))
    cost = sorted(k for k in out.index if k.startswith("cost_"))
    out = out.loc[[*first, *revenue, *cost, "net_margin"]]
    if lang is not None:
        out.index = [label(k, lang) for k in out.index]
    return out


def ltv_by_scenario(
    runs: Mapping[str, RunResult],
    by: str = "segment",
    horizon_days: int = 180,
    value: str = "margin",
    lang: str | None = None,
) -> pd.DataFrame:
    """Mean LTV per group (segment, channel or cohort), one column per scenario.

    Uses :func:`lab.analysis.ltv_by` (customers whose whole horizon is observed).
    Runs of one seed are paired: the same person has the same identity in every
    scenario, so column differences are per-person effects plus who was acquired.

    Parameters
    ----------
    runs : mapping
        Scenario name -> RunResult (same seed and length).
    by : str
        ``"segment"``, ``"channel"`` or ``"cohort"``.
    horizon_days : int
        LTV horizon.
    value : {"margin", "revenue"}
    lang : {"en", "zh"}, optional
        Label the groups in this language (default: their keys, e.g. ``paid``).

    Returns
    -------
    pandas.DataFrame
        Index: group; one column of mean LTV per scenario, plus ``customers``
        (complete customers in the first scenario).
    """
    if lang is not None:
        check_lang(lang)
    if not runs:
        raise ValueError("no runs given")
    cols, first = {}, None
    for name, res in runs.items():
        t = ltv_by(res, by, horizon_days, value).set_index(by)
        cols[str(name)] = t["ltv_mean"]
        if first is None:
            first = t["complete"]
    out = pd.DataFrame(cols)
    out.insert(0, "customers", first.reindex(out.index).fillna(0).astype(np.int64))
    out.index = [str(g) if lang is None else label(str(g), lang) for g in out.index]
    out.index.name = by if lang is None else label(by, lang)
    out.attrs.update(horizon_days=horizon_days, value=value, by=by)
    return out
