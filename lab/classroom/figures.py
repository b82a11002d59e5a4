"""The classroom app's two pictures of a played-back day (matplotlib, no Solara).

* :func:`draw_stages`: the pool by lifecycle stage, day by day up to the day shown
  (a stacked area: prospects, active, silent, sleeping, churned), on a fixed
  one-year axis with calendar months, so playing the year fills the picture in;
* :func:`draw_cascade`: the largest referral trees up to that day, who invited
  whom, each customer placed at the day they joined.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from lab.classroom.year import Year, cascade_layout
from lab.i18n import label, pick
from lab.vocab import STAGES

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["STAGE_COLOURS", "draw_cascade", "draw_stages", "month_ticks"]

#: one colour per lifecycle stage (prospect → churned: from light to dark)
STAGE_COLOURS: dict[str, str] = {
    "prospect": "#c9d7e8",
    "active": "#3a923a",
    "silent": "#e0b13a",
    "sleeping": "#d9822b",
    "churned": "#8c8c8c",
}

_TEXT = {
    "stages_title": ("Customers by lifecycle stage", "各生命周期阶段的用户"),
    "cascade_title": ("Referral cascade: who invited whom", "裂变传播: 谁邀请了谁"),
    "joined_on": ("joined on", "加入日期"),
    "no_referrals": ("no referral yet", "尚无裂变"),
    "customers": ("customers", "用户数"),
    "inviter": ("first inviter", "首位邀请人"),
    "invited": ("invited friend", "被邀请的朋友"),
}


def text(key: str, lang: str) -> str:
    """Label of the app's figures in ``lang``."""
    return pick(_TEXT, key, lang)


def month_ticks(year: Year, lang: str = "en") -> tuple[list[int], list[str]]:
    """Day numbers of day 0 and of the first of each month after it, with month labels."""
    days = [d for d in range(year.days) if d == 0 or year.date(d).day == 1]
    if lang == "en":
        return days, [f"{year.date(d):%b}" for d in days]
    return days, [f"{year.date(d).month}月" for d in days]


def _months(ax, year: Year, lang: str) -> None:
    days, names = month_ticks(year, lang)
    ax.set_xticks(days, names)
    ax.set_xlim(0, year.days - 1)


def draw_stages(year: Year, day: int, lang: str = "en", fig: Figure | None = None) -> Figure:
    """Stacked area of the pool by lifecycle stage from day 0 to ``day``.

    Parameters
    ----------
    year : Year
    day : int
        Last day drawn (the rest of the year stays empty).
    lang : {"en", "zh"}
    fig : matplotlib.figure.Figure, optional
        Cleared and reused.

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure

    from lab.plots._style import finish, styled

    day = int(np.clip(day, 0, year.days - 1))
    with styled(lang):
        fig = fig or Figure(figsize=(7.2, 3.6), layout="constrained")
        fig.clear()
        ax = fig.subplots()
        d = year.daily.iloc[: day + 1]
        ax.stackplot(
            d["day"],
            *(d[s] for s in STAGES),
            labels=[label(s, lang) for s in STAGES],
            colors=[STAGE_COLOURS[s] for s in STAGES],
            alpha=0.9,
        )
        top = float(year.daily[list(STAGES)].sum(axis=1).max())
        ax.set_ylim(0, max(top * 1.05, 1.0))
        ax.axvline(day, color="black", lw=0.8)
        _months(ax, year, lang)
        ax.set_ylabel(text("customers", lang))
        ax.set_title(f"{text('stages_title', lang)} · {year.date(day):%Y-%m-%d}", loc="left")
        ax.legend(loc="upper left", fontsize=8, ncols=len(STAGES))
    finish(ax, lang)
    return fig


def draw_cascade(
    year: Year, day: int, lang: str = "en", fig: Figure | None = None, max_trees: int = 8
) -> Figure:
    """The largest referral trees up to ``day``: a line from each inviter to each friend.

    Parameters
    ----------
    year : Year
    day : int
    lang : {"en", "zh"}
    fig : matplotlib.figure.Figure, optional
        Cleared and reused.
    max_trees : int
        Trees drawn (the largest at the end of the year).

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.collections import LineCollection
    from matplotlib.figure import Figure

    from lab.plots import PALETTE
    from lab.plots._style import finish, styled

    day = int(np.clip(day, 0, year.days - 1))
    nodes = cascade_layout(year, day, max_trees)
    with styled(lang):
        fig = fig or Figure(figsize=(7.2, 3.6), layout="constrained")
        fig.clear()
        ax = fig.subplots()
        ax.set_title(text("cascade_title", lang), loc="left")
        _months(ax, year, lang)
        ax.set_yticks([])
        ax.grid(axis="y", visible=False)
        if nodes.empty:
            ax.text(0.5, 0.5, text("no_referrals", lang), transform=ax.transAxes, ha="center")
        else:
            pos = nodes.set_index("customer")[["x", "y"]]
            linked = nodes[nodes["parent"] >= 0]
            segments = [
                [tuple(pos.loc[p]), tuple(pos.loc[c])]
                for p, c in zip(linked["parent"], linked["customer"], strict=True)
            ]
            ax.add_collection(LineCollection(segments, colors="#9a9a9a", linewidths=0.9))
            roots = nodes["parent"] < 0
            ax.scatter(
                nodes.loc[roots, "x"],
                nodes.loc[roots, "y"],
                s=36,
                color=PALETTE[1],
                label=text("inviter", lang),
                zorder=3,
            )
            ax.scatter(
                nodes.loc[~roots, "x"],
                nodes.loc[~roots, "y"],
                s=18,
                color=PALETTE[0],
                label=text("invited", lang),
                zorder=3,
            )
            ax.set_ylim(float(nodes["y"].max()) + 1.0, -1.0)
            fig.legend(loc="upper right", ncols=2, fontsize=8, frameon=False)
        ax.axvline(day, color="black", lw=0.8)
        ax.set_xlabel(text("joined_on", lang))
    finish(ax, lang, fig)  # the figure's legend too
    return fig
