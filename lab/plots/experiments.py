"""Plots of experiments: sensitivity indices (tornado) and an optimisation's history.

Plots take tables: an experiment's result object is accepted for convenience, but only
through the small :class:`HasTable` / :class:`HasTrials` shapes below, so this module does
not import the experiments (which import it to draw their own figures).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import numpy as np
import pandas as pd

from lab.i18n import label
from lab.plots._style import NEUTRAL, PALETTE, finish, new_axes, styled
from lab.plots.series import _readable_numbers

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

__all__ = ["HasTable", "HasTrials", "plot_optimization_history", "plot_sensitivity"]


class HasTable(Protocol):
    """A result holding its indices table (e.g. :class:`lab.experiments.SensitivityResult`)."""

    table: pd.DataFrame


class HasTrials(Protocol):
    """An optimisation result (e.g. :class:`lab.experiments.OptimizeResult`)."""

    trials: pd.DataFrame
    objective: str
    direction: str


def plot_sensitivity(
    result: HasTable | pd.DataFrame, metric: str, ax: Axes | None = None, lang: str = "en"
) -> Axes:
    """Tornado chart: how much each parameter moves ``metric``, most influential on top.

    Parameters
    ----------
    result : SensitivityResult or its ``.table``
    metric : str
        An analysed output (e.g. ``net_margin``).
    ax : matplotlib Axes, optional
    lang : {"en", "zh"}

    Returns
    -------
    matplotlib.axes.Axes
        Morris: bars of ``mu_star`` with their interval, dots of ``sigma``
        (interactions / non-linearity).  Sobol: bars of ``ST`` and ``S1`` with intervals.
    """
    table = result.table if hasattr(result, "table") else result
    t = table[table["metric"] == metric].sort_values("rank")
    if t.empty:
        known = ", ".join(sorted(table["metric"].unique())) if "metric" in table else ""
        raise KeyError(f"no sensitivity indices for {metric!r}; analysed: {known}")
    morris = "mu_star" in t.columns and t["mu_star"].notna().any()
    y = np.arange(len(t))[::-1]
    with styled(lang):
        ax = new_axes(ax, figsize=(7.0, 0.45 * max(len(t), 3) + 1.3))
        if morris:
            ax.barh(
                y,
                t["mu_star"],
                xerr=t["mu_star_conf"],
                color=PALETTE[0],
                alpha=0.85,
                label="μ*",
                error_kw={"lw": 1, "ecolor": NEUTRAL},
            )
            ax.scatter(t["sigma"], y, color=PALETTE[1], zorder=3, s=22, label="σ")
            ax.set_xlabel(f"{label('sensitivity_effect', lang)} · {label(metric, lang)}")
            ax.xaxis.set_major_formatter(_readable_numbers(lang))  # 1.2M / 120万
        else:
            h = 0.38
            ax.barh(
                y + h / 2,
                t["ST"],
                h,
                xerr=t["ST_conf"],
                color=PALETTE[0],
                label="ST",
                error_kw={"lw": 1, "ecolor": NEUTRAL},
            )
            ax.barh(
                y - h / 2,
                t["S1"],
                h,
                xerr=t["S1_conf"],
                color=PALETTE[1],
                label="S1",
                error_kw={"lw": 1, "ecolor": NEUTRAL},
            )
            ax.set_xlabel(label("sensitivity_share", lang))
        ax.axvline(0, color="black", lw=0.8)
        ax.set_yticks(y, list(t["parameter"]))
        ax.grid(axis="y", visible=False)
        ax.legend(loc="lower right")
        ax.set_title(label("title_sensitivity", lang, metric=label(metric, lang)))
    finish(ax, lang)
    return ax


def plot_optimization_history(
    result: HasTrials | pd.DataFrame, ax: Axes | None = None, lang: str = "en"
) -> Axes:
    """Objective of every trial (feasible or not) and the best feasible value so far.

    Parameters
    ----------
    result : OptimizeResult or its trials table (``trial, objective, feasible, state``)
    ax : matplotlib Axes, optional
    lang : {"en", "zh"}

    Returns
    -------
    matplotlib.axes.Axes
    """
    if isinstance(result, pd.DataFrame):  # a trials table: name and direction in its attrs
        t = result
        objective = t.attrs.get("objective", "objective")
        maximize = t.attrs.get("direction", "maximize") == "maximize"
    else:
        t, objective = result.trials, result.objective
        maximize = result.direction == "maximize"
    t = t[t["state"] == "complete"].sort_values("trial")
    feasible = t["feasible"].astype(bool).to_numpy()
    with styled(lang):
        ax = new_axes(ax)
        ax.scatter(
            t["trial"][feasible],
            t["objective"][feasible],
            color=PALETTE[0],
            s=20,
            label=label("feasible", lang),
            zorder=3,
        )
        ax.scatter(
            t["trial"][~feasible],
            t["objective"][~feasible],
            color=PALETTE[3],
            s=20,
            marker="x",
            label=label("infeasible", lang),
            zorder=3,
        )
        best = pd.Series(np.where(feasible, t["objective"], np.nan), index=t.index)
        best = best.cummax() if maximize else best.cummin()
        ax.step(
            t["trial"], best, where="post", color="black", lw=1.2, label=label("best_so_far", lang)
        )
        ax.set_xlabel(label("trial", lang))
        ax.set_ylabel(label(objective, lang))
        ax.yaxis.set_major_formatter(_readable_numbers(lang))
        ax.legend(loc="best")
        ax.set_title(label("title_optimization", lang, metric=label(objective, lang)))
    finish(ax, lang)
    return ax
