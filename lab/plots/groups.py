"""Plot of community-group health (社群健康度) over a run."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from lab.i18n import label
from lab.plots._style import PALETTE, finish, new_axes, styled

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes

    from lab.results import RunResult

__all__ = ["plot_group_health"]


def plot_group_health(
    data: RunResult | pd.DataFrame, ax: Axes | None = None, lang: str = "en"
) -> Axes:
    """Activity of every group over time, dead groups (死群) marked, share still active.

    Parameters
    ----------
    data : RunResult or DataFrame
        A run with a ``community_groups`` strategy, or its ``groups`` table.
    ax : matplotlib Axes, optional
    lang : {"en", "zh"}

    Returns
    -------
    matplotlib.axes.Axes
        Thin lines: each group's activity (0..1) while active; crosses: the day a
        group went quiet, at its last activity; bold line: share of groups active.
    """
    g = data.groups if hasattr(data, "groups") else data
    if not isinstance(g, pd.DataFrame) or not {"day", "group", "activity", "status"} <= set(g):
        raise TypeError("pass a RunResult with community groups or its groups table")
    if g.empty:
        raise ValueError("no community groups in this run; add a community_groups strategy")
    with styled(lang):
        ax = new_axes(ax)
        active = g[g["status"] == "active"]
        for _, one in active.groupby("group", sort=True):
            ax.plot(one["day"], one["activity"], color=PALETTE[0], lw=0.7, alpha=0.35)
        died = g[g["status"] == "quiet"].groupby("group")["died_day"].first()
        if died.size:
            last = active.groupby("group").last().reindex(died.index)
            ax.scatter(
                died.to_numpy(), last["activity"].to_numpy(), marker="x", s=22,
                color=PALETTE[3], zorder=3, label=label("dead_group", lang),
            )  # fmt: skip
        share = g.groupby("day")["status"].apply(lambda s: float(np.mean(s == "active")))
        ax.plot(share.index, share.to_numpy(), color=PALETTE[1], lw=2.0,
                label=label("groups_active_share", lang))  # fmt: skip
        ax.plot([], [], color=PALETTE[0], lw=0.7, label=label("group_activity", lang))
        ax.set_ylim(0, 1.05)
        ax.set_xlabel(label("day", lang))
        ax.set_ylabel(f"{label('group_activity', lang)} · {label('share', lang)}")
        ax.set_title(label("title_groups", lang))
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))  # outside: lines fill the box
    finish(ax, lang)
    return ax
