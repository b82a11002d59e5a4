"""Assemble what a forecast report shows, independent of its language and format.

One call, :func:`collect`, runs every scenario over the same seeds (common random
numbers, one process pool) and returns a :class:`ReportData`: monthly bands,
end-of-run metrics, the paired comparison with the first scenario (the reference),
every assumption with its source, and the provenance stamp.  Rendering to HTML or
xlsx, in English or Chinese, only reads it.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lab.analysis.breakdown import breakdown_metrics
from lab.analysis.headline import channel_metrics, headline_metrics, ltv_horizon_for
from lab.analysis.ltv import ltv_by
from lab.analysis.orders import as_order_data
from lab.experiments.compare import (
    Comparison,
    diffs_against,
    paired_table,
    split_breakdown,
    split_channel_metrics,
)
from lab.experiments.replicate import Replications, simulate_many
from lab.params import iter_parameters
from lab.scenario import Scenario, scenario_hash
from lab.stats import band

__all__ = [
    "COHORT_PREFIX",
    "MONTHLY_METRICS",
    "OBJECTIVES",
    "REPORT_DAILY",
    "SOURCES",
    "ReportData",
    "ScenarioInfo",
    "collect",
    "format_value",
    "monthly_per_seed",
    "promo_response_lost_per_fatigue",
    "report_metrics",
    "unique_names",
]

#: daily KPIs the report keeps from every run
REPORT_DAILY: tuple[str, ...] = (
    "customers",
    "orders",
    "gmv",
    "gross_margin",
    "net_margin",
    "mean_fatigue",
    "cum_gmv",
    "cum_net_margin",
    "prospect",
)

#: how a month is made from its days, per daily KPI
_MONTHLY_AGG: dict[str, str] = {
    "customers": "last",  # the pool at the end of the month
    "orders": "sum",
    "gmv": "sum",
    "gross_margin": "sum",
    "net_margin": "sum",
    "mean_fatigue": "mean",  # mean over the month's days of the daily mean
    "promo_response_lost": "mean",
    "prospect": "last",  # of the pool at the month's end: added, never ordered
}

#: columns of the monthly forecast, in order (``ltv_margin`` is the month's cohort)
MONTHLY_METRICS: tuple[str, ...] = (
    "customers",
    "prospect",
    "orders",
    "gmv",
    "gross_margin",
    "net_margin",
    "ltv_margin",
    "promo_response_lost",
)

#: metrics the first screen can compare scenarios on (``--objective``): headline
#: metrics with a good direction (more GMV is better, less discount cost is better)
OBJECTIVES: tuple[str, ...] = (
    "net_margin",
    "gmv",
    "gross_margin",
    "orders",
    "ltv_margin",
    "repurchase_rate",
    "conversion_rate",
    "customers",
    "discount_cost",
    "block_rate",
    "promo_response_lost",
)

#: end-of-run metric key of a cohort's LTV: ``cohort_ltv_margin:2026-01``
COHORT_PREFIX = "cohort_ltv_margin:"

#: where an assumption's value came from; ``calibration``: a value ``lab calibrate``
#: fitted to an order log and the scenario still holds (its ``fitted`` section)
SOURCES: tuple[str, ...] = ("default", "file", "option", "calibration")


@dataclass(frozen=True)
class ScenarioInfo:
    """One scenario of the report: its name in the report and where it came from."""

    name: str
    scenario: Scenario
    file: str
    hash: str
    days: int

    @property
    def start(self) -> dt.date:
        return self.scenario.start_date

    @property
    def end(self) -> dt.date:
        """The last simulated day."""
        return self.scenario.start_date + dt.timedelta(days=self.days - 1)

    @property
    def currency(self) -> str:
        return self.scenario.economics.currency

    @property
    def ltv_horizon_days(self) -> int:
        """Horizon of this scenario's LTV metrics (180 days, or half the run)."""
        return ltv_horizon_for(self.days)


@dataclass
class ReportData:
    """Everything a forecast report shows, before it is put into words.

    Attributes
    ----------
    scenarios : list of ScenarioInfo
        In order; the first is the reference (A) of the comparison.
    seeds : list of int
    level : float
        Confidence level of the paired intervals.
    replications : Replications
        The runs; ``.totals`` holds the headline metrics only.
    monthly : pandas.DataFrame
        ``scenario, month, days, metric, median, p10, p90, n`` (bands over seeds).
    monthly_seeds : pandas.DataFrame
        The same per seed: ``scenario, seed, month, days, metric, value``.
    headline : pandas.DataFrame
        End-of-run metrics per scenario: ``median, p10, p90, mean, sd, n``.
    comparison : Comparison or None
        Paired differences against the first scenario (2+ scenarios).
    assumptions : pandas.DataFrame
        ``scenario, parameter, value`` (as text), ``raw`` (the Python value), ``unit,
        valid, meaning, source`` (one of :data:`SOURCES`), ``source_file`` (the scenario
        file that sets it), ``fitted_to`` (the order log a fitted value came from) and
        ``basis`` (the source of the default, or the fit with its SE).
    ltv_horizon_days : int
        Horizon of the reference scenario's LTV (each scenario's is on its info).
    stamp : dict
        Provenance: scenario names, files and hashes, seeds, days, lab version,
        git commit, creation time (UTC).
    objective : str
        What "better" means on the first screen (one of :data:`OBJECTIVES`).
    robustness : RobustnessResult or None
        The plausible-worlds analysis of B against A, when it was run.
    channels : pandas.DataFrame
        Unit economics by acquisition channel per scenario (customers, CAC, payback
        days, LTV, LTV/CAC: medians and 10–90% over seeds,
        :func:`lab.experiments.channel_table`).
    breakdown : pandas.DataFrame
        With 2+ scenarios: each against the reference by segment, channel and RFM
        class, paired by seed (:func:`lab.experiments.split_breakdown`); else empty.
    """

    scenarios: list[ScenarioInfo]
    seeds: list[int]
    level: float
    replications: Replications
    monthly: pd.DataFrame
    monthly_seeds: pd.DataFrame
    headline: pd.DataFrame
    comparison: Comparison | None
    assumptions: pd.DataFrame
    ltv_horizon_days: int
    stamp: dict[str, str] = field(default_factory=dict)
    objective: str = "net_margin"
    robustness: Any = None
    channels: pd.DataFrame = field(default_factory=pd.DataFrame)
    breakdown: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.scenarios]

    @property
    def reference(self) -> str:
        return self.scenarios[0].name

    def info(self, name: str) -> ScenarioInfo:
        return next(s for s in self.scenarios if s.name == name)

    def headline_value(self, scenario: str, metric: str, stat: str = "median") -> float:
        """One cell of :attr:`headline` (NaN if missing)."""
        h = self.headline
        row = h[(h["scenario"] == scenario) & (h["metric"] == metric)]
        return float(row[stat].iloc[0]) if len(row) else math.nan


# ------------------------------------------------------------------ worker side
def promo_response_lost_per_fatigue(scenario: Scenario) -> float:
    """Share of a customer's promotion and contact lift lost per unit of promo fatigue.

    The engine damps the price and contact lift of a customer with fatigue ``f`` by
    ``1 − purchase.fatigue_damping × f`` (:func:`lab.agents.behaviour.purchase_rates`),
    so ``fatigue_damping × mean fatigue`` is the share of the promotion response the
    pool has lost to fatigue: 0 with fatigue off.
    """
    return float(scenario.purchase.fatigue_damping) if scenario.fatigue.enabled else 0.0


def report_metrics(result) -> dict[str, float]:
    """Headline metrics of one run, its unit economics by channel and the margin LTV
    of each monthly cohort.

    Runs inside the worker process (module level, so it pickles).  A cohort's
    value is NaN unless every customer of the cohort is observed for the whole
    LTV horizon (:func:`lab.analysis.headline.ltv_horizon_for` the run's length).
    """
    d = as_order_data(result)
    out = {**headline_metrics(d), **channel_metrics(d), **breakdown_metrics(d)}
    out["promo_response_lost"] = out["mean_fatigue"] * promo_response_lost_per_fatigue(
        result.scenario
    )
    if d.daily is not None and "prospect" in d.daily:
        out["prospects_end"] = float(d.daily["prospect"].iloc[-1])
    h = ltv_horizon_for(d.n_days)
    t = ltv_by(d, "cohort", h, "margin")
    for row in t.itertuples(index=False):
        full = row.customers > 0 and row.complete == row.customers
        out[f"{COHORT_PREFIX}{row.cohort}"] = float(row.ltv_mean) if full else math.nan
    return out


# ------------------------------------------------------------------ assembly
def unique_names(names: Sequence[str], fallbacks: Sequence[str]) -> list[str]:
    """Scenario names made unique: the names, else the fallbacks, else numbered."""
    out = list(names)
    if len(set(out)) < len(out):
        out = list(fallbacks)
    if len(set(out)) < len(out):
        out = [f"{n}#{i + 1}" for i, n in enumerate(out)]
    return out


def _as_infos(scenarios, days: int | None) -> list[ScenarioInfo]:
    from lab.api import as_scenario

    if isinstance(scenarios, Mapping):
        items = list(scenarios.items())
    else:
        items = [(None, s) for s in scenarios]
    if not items:
        raise ValueError("no scenarios to report on")
    loaded, files = [], []
    for _, value in items:
        loaded.append(as_scenario(value))
        files.append(str(value) if isinstance(value, str | Path) else "")
    given = [k if k is not None else sc.name for (k, _), sc in zip(items, loaded, strict=True)]
    stems = [Path(f).stem if f else g for f, g in zip(files, given, strict=True)]
    names = unique_names([str(g) for g in given], stems)
    return [
        ScenarioInfo(n, sc, f, scenario_hash(sc), int(days or sc.days))
        for n, sc, f in zip(names, loaded, files, strict=True)
    ]


def with_response_lost(reps: Replications, infos: Sequence[ScenarioInfo]) -> Replications:
    """``reps`` with the daily ``promo_response_lost`` of each scenario added.

    The daily mean fatigue times the scenario's
    :func:`promo_response_lost_per_fatigue` (exact: the damping is linear in fatigue).
    """
    d = reps.daily
    fat = d[d["metric"] == "mean_fatigue"]
    factor = (
        fat["scenario"]
        .astype(str)
        .map({i.name: promo_response_lost_per_fatigue(i.scenario) for i in infos})
    )
    lost = fat.assign(metric="promo_response_lost", value=fat["value"] * factor.to_numpy())
    return replace(reps, daily=pd.concat([d, lost], ignore_index=True))


def monthly_per_seed(reps: Replications, infos: Sequence[ScenarioInfo]) -> pd.DataFrame:
    """Calendar-month values of every run: ``scenario, seed, month, days, metric, value``.

    ``customers`` is the pool on the month's last simulated day, ``mean_fatigue``
    the mean of its days, the others sums; ``ltv_margin`` is the margin LTV of the
    customers who joined that month (NaN until all of them are observed for the
    whole horizon).  ``days`` is the number of simulated days in the month.
    """
    parts = []
    d = reps.daily[reps.daily["metric"].isin(list(_MONTHLY_AGG))]
    t = reps.totals
    for info in infos:
        part = d[d["scenario"] == info.name].copy()
        dates = pd.Timestamp(info.start) + pd.to_timedelta(part["day"], unit="D")
        part["month"] = dates.dt.to_period("M").astype(str)
        first_seed = part["seed"] == part["seed"].iloc[0]
        n_days = part[first_seed].groupby("month")["day"].nunique()
        mine = []
        for metric, how in _MONTHLY_AGG.items():
            sub = part[part["metric"] == metric].sort_values(["seed", "day"])
            g = sub.groupby(["seed", "month"], sort=True)["value"].agg(how).reset_index()
            mine.append(g.assign(metric=metric))
        coh = t[(t["scenario"] == info.name) & t["metric"].str.startswith(COHORT_PREFIX)]
        coh = coh.assign(month=coh["metric"].str.removeprefix(COHORT_PREFIX), metric="ltv_margin")
        mine.append(coh.loc[coh["month"].isin(n_days.index), ["seed", "month", "value", "metric"]])
        for g in mine:
            parts.append(g.assign(scenario=info.name, days=g["month"].map(n_days).astype(np.int64)))
    out = pd.concat(parts, ignore_index=True)
    out["scenario"] = out["scenario"].astype(str)
    return out[["scenario", "seed", "month", "days", "metric", "value"]]


def _monthly_bands(per_seed: pd.DataFrame, infos: Sequence[ScenarioInfo]) -> pd.DataFrame:
    rows = []
    for (scenario, month, metric), g in per_seed.groupby(
        ["scenario", "month", "metric"], sort=False
    ):
        lo, med, hi = band(g["value"])
        n = int(np.isfinite(g["value"].to_numpy(dtype=float)).sum())
        rows.append((scenario, month, int(g["days"].iloc[0]), metric, med, lo, hi, n))
    out = pd.DataFrame(
        rows, columns=["scenario", "month", "days", "metric", "median", "p10", "p90", "n"]
    )
    order = {info.name: i for i, info in enumerate(infos)}
    out["_s"] = out["scenario"].map(order)
    out["_m"] = out["metric"].map({m: i for i, m in enumerate(MONTHLY_METRICS)})
    out = out.sort_values(["_s", "month", "_m"], kind="stable").drop(columns=["_s", "_m"])
    return out.reset_index(drop=True)


def format_value(value) -> str:
    """A parameter value as short text (dicts and lists inline, None as 'none')."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {format_value(v)}" for k, v in value.items()) or "{}"
    if isinstance(value, list | tuple):
        return ", ".join(format_value(v) for v in value) or "[]"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _assumptions(infos: Sequence[ScenarioInfo], seeds: list[int], days: int | None):
    rows = []
    for info in infos:
        for rec in iter_parameters(info.scenario):
            value, source = rec["value"], rec["source"]
            if rec["path"] == "days" and days is not None:
                value, source = int(days), "option"
            if rec["path"] == "seed":
                value, source = _seed_text(seeds), "option"
            rows.append(
                {
                    "scenario": info.name,
                    "parameter": rec["path"],
                    "value": format_value(value),
                    "raw": value,
                    "unit": rec["unit"],
                    "valid": rec["range"],
                    "meaning": rec["doc"],
                    "source": source,
                    "source_file": info.file if source in ("file", "calibration") else "",
                    "fitted_to": rec["fitted_to"],
                    "basis": rec["basis"],
                }
            )
    return pd.DataFrame(
        rows,
        columns=[
            "scenario",
            "parameter",
            "value",
            "raw",
            "unit",
            "valid",
            "meaning",
            "source",
            "source_file",
            "fitted_to",
            "basis",
        ],
    )


def _seed_text(seeds: Sequence[int]) -> str:
    seeds = list(seeds)
    if seeds == list(range(seeds[0], seeds[0] + len(seeds))) and len(seeds) > 1:
        return f"{seeds[0]}..{seeds[-1]}"
    return ",".join(map(str, seeds))


def _stamp(infos, seeds, reps: Replications, level: float) -> dict[str, str]:
    m = reps.meta
    stamp = {
        "scenarios": ", ".join(f"{i.name}@{i.hash}" for i in infos),
        "reference": infos[0].name,
        "scenario_files": ", ".join(i.file or "<python>" for i in infos),
        "seeds": _seed_text(seeds),
        "n_seeds": str(len(seeds)),
        "days": ", ".join(f"{i.name}:{i.days}" for i in infos),
        "level": f"{level:g}",
        "ltv_horizon_days": ", ".join(f"{i.name}:{i.ltv_horizon_days}" for i in infos),
        "lab_version": m["lab_version"],
        "git_commit": m["git_commit"],
        "created_utc": m["created_utc"],
    }
    for i in infos:
        stamp[f"scenario_hash:{i.name}"] = i.hash
    return stamp


def collect(
    scenarios: Mapping | Sequence,
    seeds: Sequence[int],
    days: int | None = None,
    level: float = 0.90,
    workers: int | None = None,
    progress: bool | None = None,
    objective: str = "net_margin",
) -> ReportData:
    """Run the scenarios over the seeds and assemble everything a report shows.

    Parameters
    ----------
    scenarios : sequence or mapping
        YAML paths, Scenarios or dicts; a mapping gives their names in the report
        (default: the scenario names, else the file names).  The first is the
        reference of the comparison.
    seeds : sequence of int
        Every scenario runs with each seed (common random numbers).
    days : int, optional
        Override every scenario's length.
    level : float
        Confidence level of the paired intervals (default 0.90).
    workers, progress
        See :func:`lab.experiments.simulate_many`.
    objective : str
        The metric the first screen calls "better" on (:data:`OBJECTIVES`).

    Returns
    -------
    ReportData
    """
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ValueError("seeds must not be empty")
    if days is not None and int(days) < 1:
        raise ValueError(f"days must be >= 1, got {days}")
    if objective not in OBJECTIVES:
        raise ValueError(f"objective {objective!r}: use one of {', '.join(OBJECTIVES)}")
    infos = _as_infos(scenarios, days)
    reps = simulate_many(
        {i.name: i.scenario for i in infos},
        seeds,
        days=days,
        workers=workers,
        progress=progress,
        daily_metrics=REPORT_DAILY,
        metrics=report_metrics,
    )
    reps = with_response_lost(reps, infos)
    per_seed = monthly_per_seed(reps, infos)
    is_cohort = reps.totals["metric"].str.startswith(COHORT_PREFIX)
    reps = replace(reps, totals=reps.totals[~is_cohort].reset_index(drop=True))
    reps, channels = split_channel_metrics(reps)
    reps, breakdown = split_breakdown(reps, infos[0].name, level)
    comparison = None
    if len(infos) > 1:
        differences, table = paired_table(reps, infos[0].name, level)
        diffs = diffs_against({i.name: i.scenario for i in infos}, infos[0].name)
        comparison = Comparison(
            reps, infos[0].name, level, differences, table, diffs, channels, breakdown
        )
    horizon = infos[0].ltv_horizon_days
    return ReportData(
        scenarios=infos,
        seeds=seeds,
        level=level,
        replications=reps,
        monthly=_monthly_bands(per_seed, infos),
        monthly_seeds=per_seed,
        headline=reps.summary(),
        comparison=comparison,
        assumptions=_assumptions(infos, seeds, days),
        ltv_horizon_days=horizon,
        stamp=_stamp(infos, seeds, reps, level) | {"objective": objective},
        objective=objective,
        channels=channels,
        breakdown=breakdown,
    )


def safe_stem(text: str) -> str:
    """A file-name-safe version of a scenario name (for default output paths)."""
    from lab.io import safe_slug

    return safe_slug(text, fallback="report")
