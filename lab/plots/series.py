"""Plots over time: KPI bands over replications, promo fatigue, survival curves."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lab.i18n import label
from lab.plots._style import PALETTE, ReadableNumbers, date_axis, finish, new_axes, styled
from lab.stats import band

__all__ = ["plot_fatigue", "plot_kpi", "plot_survival", "start_date_of"]


def _bands(data, metric: str) -> pd.DataFrame:
    """Median and 10–90% band per scenario and day from any accepted input."""
    if hasattr(data, "replications"):  # a Comparison
        data = data.replications
    if hasattr(data, "bands"):  # Replications
        return data.bands(metric)
    if hasattr(data, "daily") and hasattr(data, "scenario"):  # one RunResult
        data = data.daily.assign(scenario=data.scenario.name)
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"cannot plot {type(data).__name__}; pass Replications, a run or a table")
    if {"median", "p10", "p90"} <= set(data.columns):
        return data if "metric" not in data else data[data["metric"] == metric]
    if {"metric", "value"} <= set(data.columns):  # long replications
        part = data[data["metric"] == metric]
        rows = [
            (s, day, *band(g["value"]))
            for (s, day), g in part.groupby(["scenario", "day"], observed=True, sort=True)
        ]
        out = pd.DataFrame(rows, columns=["scenario", "day", "p10", "median", "p90"])
        return out
    column = metric.removeprefix("cum_")
    if column not in data.columns:
        raise KeyError(f"no column {column!r}; columns: {', '.join(map(str, data.columns))}")
    v = data[column].to_numpy(dtype=float)
    if metric.startswith("cum_"):
        v = np.cumsum(v)
    s = data["scenario"].iloc[0] if "scenario" in data else ""
    day = data["day"] if "day" in data else np.arange(len(data))
    return pd.DataFrame({"scenario": s, "day": day, "median": v, "p10": v, "p90": v})


def start_date_of(data):
    """The calendar date of day 0 of ``data`` (a run, Replications or Comparison), or None.

    None when the input carries no scenario, or its scenarios start on different days.
    """
    if hasattr(data, "replications"):
        data = data.replications
    if hasattr(data, "scenario") and hasattr(data.scenario, "start_date"):
        return data.scenario.start_date
    scenarios = getattr(data, "scenarios", None)
    if isinstance(scenarios, dict) and scenarios:
        starts = {getattr(s, "start_date", None) for s in scenarios.values()}
        if len(starts) == 1:
            return starts.pop()
    return None


def _x(days, start):
    if start is None:
        return days
    return pd.Timestamp(start) + pd.to_timedelta(np.asarray(days, dtype=float), unit="D")


def plot_kpi(data, metric: str = "gmv", ax=None, lang: str = "en", start_date=None):
    """A daily KPI over time: median line and 10–90% band per scenario.

    Parameters
    ----------
    data : Replications, Comparison, RunResult, long table or bands table
        Replications give bands; one run gives a line.  ``cum_<kpi>`` plots a
        running total (kept by default in replications).
    metric : str
        Daily KPI name.
    ax : matplotlib Axes, optional
    lang : {"en", "zh"}
    start_date : date, optional
        Calendar date of day 0 (default: the scenario's ``start_date`` when ``data``
        carries it).  With a date the x axis shows months; without, day numbers.

    Returns
    -------
    matplotlib.axes.Axes
    """
    start = start_date if start_date is not None else start_date_of(data)
    with styled(lang):
        b = _bands(data, metric)
        ax = new_axes(ax)
        name = label(metric.removeprefix("cum_"), lang)
        if metric.startswith("cum_"):
            name = ("累计" if lang == "zh" else "cumulative ") + name
        for i, (s, g) in enumerate(b.groupby("scenario", observed=True, sort=False)):
            color = PALETTE[i % len(PALETTE)]
            x = _x(g["day"], start)
            ax.plot(x, g["median"], color=color, lw=1.6, label=str(s))
            if (g["p90"] > g["p10"]).any():
                ax.fill_between(x, g["p10"], g["p90"], color=color, alpha=0.2, lw=0)
        ax.set_title(label("title_kpi", lang, metric=name))
        if start is None:
            ax.set_xlabel(label("day", lang))
        else:
            date_axis(ax, lang)
        ax.set_ylabel(name)
        ax.yaxis.set_major_formatter(_readable_numbers(lang))
        if b["scenario"].nunique() > 1 or (b["p90"] > b["p10"]).any():
            ax.legend(title=f"{label('median', lang)} · {label('band', lang)}")
    finish(ax, lang)
    return ax


def plot_fatigue(data, ax=None, lang: str = "en"):
    """Promo fatigue over time: share of orders on discount, mean fatigue, block rate.

    Parameters
    ----------
    data : DataFrame from :func:`lab.analysis.fatigue_over_time`, or anything it accepts
    ax : matplotlib Axes, optional
    lang : {"en", "zh"}

    Returns
    -------
    matplotlib.axes.Axes
        The left axes (shares in [0, 1]); the block rate per 1000 reachable
        customers is on a twin right axis.
    """
    from lab.analysis.fatigue import fatigue_over_time

    t = data if isinstance(data, pd.DataFrame) and "share_on_discount" in data else None
    start = None
    if t is None:
        start = start_date_of(data)
        t = fatigue_over_time(data)
    with styled(lang):
        ax = new_axes(ax)
        x = _x(t["start_day"], start)
        ax.plot(
            x,
            t["share_on_discount"],
            color=PALETTE[1],
            marker="o",
            ms=3,
            label=label("share_on_discount", lang),
        )
        if t["mean_fatigue"].notna().any():
            ax.plot(
                x, t["mean_fatigue"], color=PALETTE[3], lw=1.8, label=label("mean_fatigue", lang)
            )
        ax.set_ylim(
            0,
            max(
                1e-9,
                float(np.nanmax([t["share_on_discount"].max(), t["mean_fatigue"].max(), 0.05])),
            )
            * 1.15,
        )
        if start is None:
            ax.set_xlabel(label("day", lang))
        else:
            date_axis(ax, lang)
        ax.set_ylabel(label("share", lang))
        handles, labels = ax.get_legend_handles_labels()
        twins = []
        if t["block_rate"].notna().any():
            ax2 = ax.twinx()
            twins.append(ax2)
            ax2.spines["right"].set_visible(True)
            ax2.grid(False)
            ax2.bar(
                x,
                t["block_rate"] * 1000,
                width=0.8 * t.attrs.get("period_days", 7),
                color=PALETTE[7],
                alpha=0.3,
                align="edge",
                label=label("block_rate_per_1000", lang),
            )
            ax2.set_ylabel(label("block_rate_per_1000", lang))
            ax.set_zorder(ax2.get_zorder() + 1)
            ax.patch.set_visible(False)
            h2, l2 = ax2.get_legend_handles_labels()
            handles, labels = handles + h2, labels + l2
        ax.legend(handles, labels, loc="upper left")
        ax.set_title(label("title_fatigue", lang))
    finish(ax, lang, *twins)
    return ax


def plot_survival(curves, ax=None, lang: str = "en"):
    """Kaplan–Meier survival curves with their confidence bands, one per group.

    Parameters
    ----------
    curves : DataFrame from :func:`lab.analysis.survival_curves`
    ax : matplotlib Axes, optional
    lang : {"en", "zh"}

    Returns
    -------
    matplotlib.axes.Axes
    """
    event = curves.attrs.get("event", "lapse")
    with styled(lang):
        ax = new_axes(ax)
        for i, (g, part) in enumerate(curves.groupby("group", sort=True)):
            color = PALETTE[i % len(PALETTE)]
            ax.step(
                part["t"],
                part["survival"],
                where="post",
                color=color,
                lw=1.6,
                label=label(str(g), lang),
            )
            ax.fill_between(
                part["t"],
                part["ci_lower"],
                part["ci_upper"],
                step="post",
                color=color,
                alpha=0.15,
                lw=0,
            )
        ax.set_ylim(0, 1.02)
        ax.set_xlabel(label("days_since_start" if event == "lapse" else "days_since_join", lang))
        ax.set_ylabel(label("survival", lang))
        ev = label(f"event_{event}", lang, n=curves.attrs.get("lapse_days", 90))
        ax.set_title(f"{label('title_survival', lang)} · {ev}")
        ax.legend(title=label(curves.attrs.get("by", "cohort"), lang))
    finish(ax, lang)
    return ax


def _readable_numbers(lang: str) -> ReadableNumbers:
    """Tick labels planners read at a glance: 1.2M / 3.4k, or 120万 in Chinese (one unit per axis)."""
    return ReadableNumbers(lang)
