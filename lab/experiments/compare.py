"""Paired scenario comparison under common random numbers (CRN).

Every scenario runs with the same seeds.  Because the lab's random draws depend
only on (seed, decision, day, customer), the runs of one seed share every draw
where the scenarios agree, so for each metric the comparison takes the difference
``B - A`` *per seed first* and only then an interval: the Student-t interval of
the mean paired difference at ``level`` (90% by default).  The table says in
words whether that interval excludes zero.  Summaries of each scenario alone are
medians with 10–90% bands over the seeds.

A comparison starts with what differs between the scenarios
(:func:`lab.scenario_diff.scenario_diff`): ``Comparison.scenario_diffs`` holds, per
scenario B, every resolved parameter whose value differs from A's; a difference
outside the ``strategies`` section is flagged (and warned about), because B − A
then includes more than the strategy.

Unit economics by acquisition channel (customers, CAC, payback days, LTV, LTV/CAC) come
with every comparison (``Comparison.channels``, :func:`channel_table`), and so do the
results by segment, channel and RFM class, paired by seed like the headline
(``Comparison.breakdown``, :mod:`lab.analysis.breakdown`): for whom B beats A.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from lab.analysis.breakdown import BREAKDOWN_PREFIX
from lab.analysis.headline import CHANNEL_METRICS, CHANNEL_PREFIX, compare_metrics
from lab.experiments.replicate import DAILY_METRICS, Replications, simulate_many
from lab.parallel.pool import LocalExecutor
from lab.scenario_diff import ScenarioDiff, scenario_diff
from lab.stats import band, paired_interval, unpaired_interval

__all__ = [
    "Comparison",
    "ConfoundedWarning",
    "channel_table",
    "compare",
    "diffs_against",
    "paired_table",
    "split_breakdown",
    "split_channel_metrics",
]


class ConfoundedWarning(UserWarning):
    """Compared scenarios differ outside the ``strategies`` section."""


@dataclass
class Comparison:
    """Scenarios compared with a baseline, paired by seed.

    Attributes
    ----------
    replications : Replications
        All runs (``.daily``, ``.totals`` long tables).
    baseline : str
        Name of scenario A.
    level : float
        Confidence level of the intervals.
    differences : pandas.DataFrame
        Per seed: ``scenario, seed, metric, a, b, diff`` (``diff = b - a``).
    table : pandas.DataFrame
        One row per (scenario, metric); see :func:`paired_table`.
    scenario_diffs : dict
        Scenario B's name -> :class:`lab.scenario_diff.ScenarioDiff` against A: what
        differs between the scenarios (see :meth:`diff_frame`).
    channels : pandas.DataFrame
        Unit economics by acquisition channel, per scenario (:func:`channel_table`).
    breakdown : pandas.DataFrame
        Results by segment, channel and RFM class, paired by seed: the columns of
        :attr:`table` with ``dimension, group, measure`` for its metric
        (:func:`split_breakdown`).
    """

    replications: Replications
    baseline: str
    level: float
    differences: pd.DataFrame
    table: pd.DataFrame
    scenario_diffs: dict[str, ScenarioDiff] = field(default_factory=dict)
    channels: pd.DataFrame = field(default_factory=pd.DataFrame)
    breakdown: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def confounded(self) -> bool:
        """True when some scenario differs from A outside the ``strategies`` section."""
        return any(d.confounded for d in self.scenario_diffs.values())

    def diff_frame(self) -> pd.DataFrame:
        """What differs: ``scenario, path, a, b, outside_strategies``, one row per difference."""
        parts = [d.frame().assign(scenario=name) for name, d in self.scenario_diffs.items()]
        cols = ["scenario", "path", "a", "b", "outside_strategies"]
        if not parts:
            return pd.DataFrame(columns=cols)
        return pd.concat(parts, ignore_index=True)[cols]

    @property
    def meta(self) -> dict:
        return {**self.replications.meta, "baseline": self.baseline, "level": self.level}

    def summary(self) -> pd.DataFrame:
        """The comparison table (alias of ``.table``)."""
        return self.table

    def save(self, out_dir, lang: str = "en", plots: bool = True, extra=None):
        """Write tables, plots and a stamped manifest into ``out_dir`` (atomically).

        See :func:`lab.experiments.output.save_comparison` (``extra`` writes more
        files into the same folder, e.g. a robustness analysis).
        """
        from lab.experiments.output import save_comparison

        return save_comparison(self, out_dir, lang, plots, extra)


def paired_table(
    reps: Replications, baseline: str, level: float = 0.90
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-seed differences and the comparison table of every scenario against ``baseline``.

    Returns
    -------
    differences : pandas.DataFrame
        ``scenario, seed, metric, a, b, diff``.
    table : pandas.DataFrame
        Per (scenario, metric): ``a_mean, a_median, a_p10, a_p90, b_mean, b_median,
        b_p10, b_p90``; ``diff_mean, diff_low, diff_high`` (the interval of the
        mean paired difference),
        ``diff_p10, diff_p90`` (spread of the per-seed differences),
        ``rel_diff`` (``diff_mean / |mean of A|``), ``n``, ``excludes_zero`` and
        ``verdict`` (plain words).
    """
    w = reps.totals.pivot_table(
        index=["metric", "seed"], columns="scenario", values="value", observed=True, dropna=False
    )
    if baseline not in w.columns:
        raise KeyError(f"baseline {baseline!r} is not one of {', '.join(map(str, w.columns))}")
    diffs, rows = [], []
    metrics = list(dict.fromkeys(reps.totals["metric"]))
    for name in [c for c in w.columns if c != baseline]:
        for m in metrics:
            part = w.loc[m]
            a, b = part[baseline].to_numpy(), part[name].to_numpy()
            diffs.append(
                pd.DataFrame(
                    {
                        "scenario": name,
                        "seed": part.index.to_numpy(),
                        "metric": m,
                        "a": a,
                        "b": b,
                        "diff": b - a,
                    }
                )
            )
            ci = paired_interval(a, b, level)
            a_lo, a_med, a_hi = band(a)
            b_lo, b_med, b_hi = band(b)
            d_lo, _, d_hi = band(b - a)
            a_mean = float(np.nanmean(a)) if np.isfinite(a).any() else np.nan
            b_mean = float(np.nanmean(b)) if np.isfinite(b).any() else np.nan
            rows.append(
                {
                    "scenario": name,
                    "metric": m,
                    "a_mean": a_mean,
                    "a_median": a_med,
                    "a_p10": a_lo,
                    "a_p90": a_hi,
                    "b_mean": b_mean,
                    "b_median": b_med,
                    "b_p10": b_lo,
                    "b_p90": b_hi,
                    "diff_mean": ci.estimate,
                    "diff_low": ci.low,
                    "diff_high": ci.high,
                    "diff_p10": d_lo,
                    "diff_p90": d_hi,
                    "rel_diff": ci.estimate / abs(a_mean) if a_mean else np.nan,
                    "n": ci.n,
                    "excludes_zero": ci.excludes_zero,
                    "verdict": _verdict(ci, name, baseline),
                }
            )
    differences = pd.concat(diffs, ignore_index=True) if diffs else pd.DataFrame()
    table = pd.DataFrame(rows)
    table.attrs.update(baseline=baseline, level=level)
    return differences, table


def split_channel_metrics(reps: Replications) -> tuple[Replications, pd.DataFrame]:
    """Split the ``channel:`` metrics off the end-of-run totals.

    Returns the replications without them and :func:`channel_table` of them.
    """
    t = reps.totals
    is_channel = t["metric"].astype(str).str.startswith(CHANNEL_PREFIX)
    rest = replace(reps, totals=t[~is_channel].reset_index(drop=True))
    return rest, channel_table(t[is_channel])


def split_breakdown(
    reps: Replications, baseline: str, level: float = 0.90
) -> tuple[Replications, pd.DataFrame]:
    """Split the ``by:`` metrics off the totals and pair them by seed against ``baseline``.

    Returns the replications without them and their :func:`paired_table` with
    ``dimension`` (segment, channel, rfm_class), ``group`` and ``measure`` columns
    first.  A group missing in a run (no customer of it) counts as NaN there.
    """
    t = reps.totals
    is_by = t["metric"].astype(str).str.startswith(BREAKDOWN_PREFIX)
    rest = replace(reps, totals=t[~is_by].reset_index(drop=True))
    part = replace(reps, totals=t[is_by].reset_index(drop=True))
    if part.totals.empty or part.totals["scenario"].nunique() < 2:
        return rest, pd.DataFrame()
    _, table = paired_table(part, baseline, level)
    keys = table["metric"].str.removeprefix(BREAKDOWN_PREFIX).str.split(":", n=2)
    table.insert(1, "dimension", keys.str[0])
    table.insert(2, "group", keys.str[1])
    table.insert(3, "measure", keys.str[2])
    return rest, table


def channel_table(totals: pd.DataFrame) -> pd.DataFrame:
    """Unit economics by acquisition channel, per scenario, over the seeds.

    Parameters
    ----------
    totals : pandas.DataFrame
        Long end-of-run metrics (``scenario, seed, metric, value``) whose metrics are
        ``channel:<channel>:<metric>`` (:func:`lab.analysis.headline.channel_metrics`).

    Returns
    -------
    pandas.DataFrame
        ``scenario, channel`` then, per metric of
        :data:`lab.analysis.headline.CHANNEL_METRICS`, its median over seeds and
        ``<metric>_p10`` / ``<metric>_p90``; ``seeds`` = runs with the channel.
        Channel ``all`` is every customer (blended CAC).
    """
    metrics = list(CHANNEL_METRICS)
    cols = ["scenario", "channel", "seeds"] + [
        c for m in metrics for c in (m, f"{m}_p10", f"{m}_p90")
    ]
    if totals.empty:
        return pd.DataFrame(columns=cols)
    parts = totals["metric"].astype(str).str.removeprefix(CHANNEL_PREFIX).str.rsplit(":", n=1)
    t = totals.assign(channel=parts.str[0], name=parts.str[1])
    rows = []
    for (sc, ch), g in t.groupby(["scenario", "channel"], sort=False, observed=True):
        row = {"scenario": sc, "channel": ch, "seeds": int(g["seed"].nunique())}
        for m in metrics:
            v = g.loc[g["name"] == m, "value"].to_numpy(dtype=np.float64)
            lo, med, hi = band(v) if v.size else (np.nan, np.nan, np.nan)
            row.update({m: med, f"{m}_p10": lo, f"{m}_p90": hi})
        rows.append(row)
    out = pd.DataFrame(rows, columns=cols)
    scenarios = {s: i for i, s in enumerate(dict.fromkeys(out["scenario"]))}
    channels = {c: i for i, c in enumerate([*sorted(set(out["channel"]) - {"all"}), "all"])}
    rank = out["scenario"].map(scenarios) * len(channels) + out["channel"].map(channels)
    return out.iloc[np.argsort(rank.to_numpy(), kind="stable")].reset_index(drop=True)


def _verdict(ci, b: str, a: str) -> str:
    if ci.n < 2 or not np.isfinite(ci.low):
        return "too few runs for an interval"
    if ci.low == ci.high == 0:
        return "identical in every seed"
    pct = f"{ci.level:.0%}"
    if ci.low > 0:
        return f"{b} higher than {a} ({pct} interval excludes 0)"
    if ci.high < 0:
        return f"{b} lower than {a} ({pct} interval excludes 0)"
    return f"no clear difference ({pct} interval includes 0)"


def compare(
    scenarios: dict,
    seeds: Sequence[int],
    baseline: str | None = None,
    days: int | None = None,
    level: float = 0.90,
    workers: int | None = None,
    progress: bool | None = None,
    daily_metrics: Sequence[str] | str = DAILY_METRICS,
    metrics: Callable = compare_metrics,
    warn_confounded: bool = True,
    batch: bool = True,
    executor: LocalExecutor | None = None,
) -> Comparison:
    """Run scenarios with the same seeds and compare each with a baseline, paired by seed.

    Parameters
    ----------
    scenarios : dict
        Name -> Scenario, dict or YAML path, e.g. ``{"A": sa, "B": sb}``.
    seeds : sequence of int
        At least 2 seeds for an interval.
    baseline : str, optional
        Name of scenario A (default: the first).
    days : int, optional
        Override every scenario's length.
    level : float
        Confidence level of the paired interval (default 0.90).
    workers, progress, daily_metrics, metrics
        See :func:`lab.experiments.simulate_many`; the default metrics are the headline
        ones plus the unit economics by channel (``channel:`` keys, split off into
        ``Comparison.channels``).
    warn_confounded : bool
        Warn (:class:`ConfoundedWarning`) when a scenario differs from A outside the
        ``strategies`` section; off when that difference is the lever studied.
    batch, executor
        See :func:`lab.experiments.simulate_many`: each scenario's seeds advance in
        batches (default), on ``executor``'s warm workers when given (a session's or a
        sweep's, kept across calls).  The results depend on neither.

    Returns
    -------
    Comparison
        ``.scenario_diffs`` (what differs between the scenarios, first),
        ``.table`` (metric, A, B, B − A with interval, verdict), ``.differences``
        (per seed) and ``.replications`` (tidy long data).

    Examples
    --------
    >>> cmp = lab.compare({"A": "scenarios/a.yaml", "B": "scenarios/b.yaml"}, seeds=range(20))  # doctest: +SKIP
    >>> cmp.diff_frame()  # what differs between A and B  # doctest: +SKIP
    >>> cmp.table[["metric", "diff_mean", "diff_low", "diff_high", "verdict"]]  # doctest: +SKIP
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    if len(scenarios) < 2:
        raise ValueError("compare needs at least two scenarios")
    names = [str(k) for k in scenarios]
    base = names[0] if baseline is None else str(baseline)
    if base not in names:
        raise KeyError(f"baseline {base!r} is not one of {', '.join(names)}")
    diffs = diffs_against({str(k): v for k, v in scenarios.items()}, base)
    if warn_confounded:
        _warn_confounded(diffs, base)
    reps = simulate_many(
        scenarios, seeds, days, workers, progress, daily_metrics, metrics, batch, executor
    )
    reps, channels = split_channel_metrics(reps)
    reps, breakdown = split_breakdown(reps, base, level)
    differences, table = paired_table(reps, base, level)
    return Comparison(reps, base, level, differences, table, diffs, channels, breakdown)


def diffs_against(scenarios: Mapping, baseline: str) -> dict[str, ScenarioDiff]:
    """What differs between each scenario and ``baseline`` (name -> Scenario, dict or path)."""
    from lab.api import as_scenario

    loaded = {name: as_scenario(sc) for name, sc in scenarios.items()}
    a = loaded[baseline]
    return {name: scenario_diff(a, sc) for name, sc in loaded.items() if name != baseline}


def _warn_confounded(diffs: Mapping[str, ScenarioDiff], baseline: str) -> None:
    for name, d in diffs.items():
        if d.confounded:
            paths = ", ".join(x.path for x in d.flagged)
            warnings.warn(
                f"{name} differs from {baseline} outside the strategies section ({paths}); "
                "B − A includes the effect of these differences",
                ConfoundedWarning,
                stacklevel=3,
            )


def interval_widths(cmp: Comparison, metric: str, scenario: str | None = None) -> dict[str, float]:
    """Widths of the paired and the unpaired (Welch) interval for one metric, and their ratio."""
    d = cmp.differences
    name = scenario or next(n for n in d["scenario"].unique())
    part = d[(d["metric"] == metric) & (d["scenario"] == name)]
    p = paired_interval(part["a"], part["b"], cmp.level)
    u = unpaired_interval(part["a"], part["b"], cmp.level)
    return {"paired": p.width, "unpaired": u.width, "ratio": p.width / u.width}
