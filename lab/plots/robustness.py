"""Plots of a robustness analysis: in how many plausible worlds B wins, and on what it hinges."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import numpy as np

from lab.i18n import label
from lab.plots._style import NEGATIVE, NEUTRAL, POSITIVE, finish, literal, new_axes, styled

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from matplotlib.axes import Axes


class RobustnessResult(Protocol):
    """What the plots read of :class:`lab.experiments.robustness.RobustnessResult`.

    Plots take tables, not the experiments layer (an import-linter contract).
    """

    names: tuple[str, str]
    summary: pd.DataFrame
    params: pd.DataFrame
    draws: pd.DataFrame


__all__ = ["plot_robustness", "plot_robustness_share", "plot_robustness_tornado"]


def plot_robustness_share(
    result: RobustnessResult, ax: Axes | None = None, lang: str = "en"
) -> Axes:
    """Share of plausible worlds in which B beats A, A beats B or they tie, per metric.

    Parameters
    ----------
    result : RobustnessResult
    ax : matplotlib Axes, optional
    lang : {"en", "zh"}

    Returns
    -------
    matplotlib.axes.Axes
        One stacked bar per metric (0–100% of the worlds where it is defined).
    """
    s = result.summary[result.summary["worlds"] > 0]
    a, b = result.names
    y = np.arange(len(s))[::-1]
    parts = (
        (s["share_b_better"], POSITIVE, label("robust_b_better", lang, b=b)),
        (s["share_tied"], NEUTRAL, label("robust_tied", lang)),
        (s["share_a_better"], NEGATIVE, label("robust_a_better", lang, a=a)),
    )
    with styled(lang):
        ax = new_axes(ax, figsize=(7.0, 0.4 * max(len(s), 3) + 1.4))
        left = np.zeros(len(s))
        for share, colour, text in parts:
            pct = share.to_numpy(dtype=float) * 100
            ax.barh(y, pct, left=left, color=colour, alpha=0.85, label=text, height=0.6)
            left += pct
        for yi, share in zip(y, s["share_b_better"], strict=True):
            ax.text(1, yi, f"{share:.0%}", va="center", ha="left", color="white", fontsize=8.5)
        ax.set_yticks(y, [label(m, lang) for m in s["metric"]])
        ax.set_xlim(0, 100)
        ax.set_xlabel(label("robust_share", lang, n=len(result.draws)))
        ax.axvline(50, color="black", lw=0.6, ls=":")
        ax.grid(axis="y", visible=False)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=3)
        ax.set_title(label("title_robust_share", lang, a=a, b=b))
    finish(ax, lang)
    return ax


def plot_robustness_tornado(
    result: RobustnessResult,
    metric: str = "net_margin",
    ax: Axes | None = None,
    lang: str = "en",
    top: int = 8,
) -> Axes:
    """Tornado: the parameters B − A on ``metric`` hinges on, by Spearman rank correlation.

    Parameters
    ----------
    result : RobustnessResult
    metric : str
        A reported metric (``result.summary["metric"]``).
    ax : matplotlib Axes, optional
    lang : {"en", "zh"}
    top : int
        Parameters shown (the highest ``|rho|`` first).

    Returns
    -------
    matplotlib.axes.Axes
        Bars of rho (green: B − A grows with the parameter, red: it shrinks); the
        shaded band is the |rho| a parameter with no effect stays inside 95% of the
        time at this number of worlds (``1.96 / sqrt(n - 1)``).
    """
    t = result.params[(result.params["metric"] == metric) & result.params["rank"].notna()]
    if t.empty and metric not in set(result.summary["metric"]):
        known = ", ".join(result.summary["metric"])
        raise KeyError(f"no robustness ranking for {metric!r}; reported: {known}")
    t = t.sort_values("rank").head(top)
    y = np.arange(len(t))[::-1]
    rho = t["spearman"].to_numpy(dtype=float)
    n = int(result.summary.set_index("metric").loc[metric, "worlds"])
    with styled(lang):
        ax = new_axes(ax, figsize=(7.0, 0.4 * max(len(t), 3) + 1.3))
        if n > 1:
            noise = 1.96 / np.sqrt(n - 1)
            ax.axvspan(
                -noise, noise, color=NEUTRAL, alpha=0.15, lw=0, label=label("robust_noise", lang)
            )
        ax.barh(y, rho, color=[POSITIVE if r > 0 else NEGATIVE for r in rho], alpha=0.85)
        ax.axvline(0, color="black", lw=0.8)
        ax.set_yticks(y, [literal(p) for p in t["parameter"]])
        ax.set_xlim(-1, 1)
        ax.set_xlabel(label("robust_rho", lang, metric=label(metric, lang)))
        ax.grid(axis="y", visible=False)
        if n > 1:
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18))
        ax.set_title(label("title_robust_hinges", lang, metric=label(metric, lang)))
    finish(ax, lang)
    return ax


def plot_robustness(
    result: RobustnessResult, metric: str = "net_margin", lang: str = "en", top: int = 8
):
    """Both plots side by side in a new figure (not managed by pyplot); returns the figure.

    Returns
    -------
    matplotlib.figure.Figure
        ``fig.axes``: the share-of-worlds bars, then the tornado of ``metric``.
    """
    from matplotlib.figure import Figure

    fig = Figure(
        figsize=(14.0, 0.42 * max(len(result.summary), top, 3) + 2.0), layout="constrained"
    )
    with styled(lang):
        left, right = fig.subplots(1, 2)
    plot_robustness_share(result, ax=left, lang=lang)
    plot_robustness_tornado(result, metric, ax=right, lang=lang, top=top)
    return fig
