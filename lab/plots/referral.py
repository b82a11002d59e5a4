"""Plots of fission (裂变) on a finite market: the referral cascade and the share reached."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from lab.i18n import label
from lab.plots._style import PALETTE, finish, new_axes, styled

if TYPE_CHECKING:  # pragma: no cover
    from pathlib import Path

    from matplotlib.axes import Axes

    from lab.analysis.orders import OrderData
    from lab.results import RunResult

__all__ = ["plot_market_reach", "plot_referral_cascade"]

_DEPTH_COLOURS = ("#6b6b6b", *PALETTE[:6])  # depth 0 grey, then one colour per level


def _dfs_order(t: pd.DataFrame, roots: list) -> list:
    """Customers of the given trees in depth-first order (a subtree is contiguous)."""
    children: dict = {}
    for cid, ref in zip(t["customer_id"], t["referrer"], strict=True):
        if ref >= 0:
            children.setdefault(ref, []).append(cid)
    order = []
    for r in roots:
        stack = [r]
        while stack:
            node = stack.pop()
            order.append(node)
            stack.extend(reversed(children.get(node, [])))
    return order


def plot_referral_cascade(
    data: RunResult | OrderData | pd.DataFrame | str | Path,
    ax: Axes | None = None,
    lang: str = "en",
    max_customers: int = 300,
) -> Axes:
    """The largest referral trees as a cascade: who invited whom, when, at what depth.

    Each dot is a customer at their joining day (x), trees stacked largest first
    (y, depth-first so every subtree is a block); a line joins each invitee to their
    inviter; colour is the referral depth, a star marks a KOC (seed customer) root.

    Parameters
    ----------
    data : RunResult, DataFrame, path or OrderData, or the frame of
        :func:`lab.analysis.referral_tree`
    ax : matplotlib Axes, optional
    lang : {"en", "zh"}
    max_customers : int
        Trees are added, largest first, until this many customers are shown.

    Returns
    -------
    matplotlib.axes.Axes
    """
    from matplotlib.collections import LineCollection
    from matplotlib.lines import Line2D

    from lab.analysis.referral import SEED_CHANNEL, _tree, referral_trees

    t = _tree(data)
    trees = referral_trees(t)
    roots, shown = [], 0
    for root, size in zip(trees["root"], trees["size"], strict=True):
        if shown + size > max_customers and roots:
            break
        roots.append(root)
        shown += size
    order = _dfs_order(t, roots)
    sub = t.set_index("customer_id").loc[order]
    y = pd.Series(np.arange(len(order))[::-1], index=order)
    x = sub["start_day"].to_numpy() if "start_day" in sub else np.zeros(len(order))
    xs = pd.Series(x, index=order)
    with styled(lang):
        ax = new_axes(ax, figsize=(7.5, 5.0))
        inv = sub[sub["referrer"] >= 0]
        segs = [
            [(xs[r], y[r]), (xs[c], y[c])] for c, r in zip(inv.index, inv["referrer"], strict=True)
        ]
        ax.add_collection(LineCollection(segs, colors="#9a9a9a", linewidths=0.6, zorder=1))
        depth = sub["depth"].to_numpy()
        colours = [_DEPTH_COLOURS[min(d, len(_DEPTH_COLOURS) - 1)] for d in depth]
        ax.scatter(x, y.to_numpy(), c=colours, s=14, zorder=2, linewidths=0)
        is_koc = (
            (sub["channel"].astype(str) == SEED_CHANNEL).to_numpy()
            if "channel" in sub
            else np.zeros(len(order), bool)
        )
        if is_koc.any():
            ax.scatter(
                x[is_koc],
                y.to_numpy()[is_koc],
                marker="*",
                s=120,
                c="#c23b3b",
                edgecolors="black",
                linewidths=0.4,
                zorder=3,
            )
        ax.set_yticks([])
        ax.set_xlabel(label("day", lang))
        ax.set_ylabel(label("cascade_trees", lang))
        ax.set_title(label("title_cascade", lang))
        handles = [
            Line2D([], [], marker="o", ls="", color=_DEPTH_COLOURS[d], label=str(d))
            for d in range(min(int(depth.max()) + 1 if depth.size else 1, len(_DEPTH_COLOURS)))
        ]
        if is_koc.any():
            handles.append(
                Line2D(
                    [],
                    [],
                    marker="*",
                    ls="",
                    color="#c23b3b",
                    markersize=10,
                    label=label("koc", lang),
                )
            )
        ax.legend(
            handles=handles,
            title=label("referral_depth", lang),
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
        )
        ax.autoscale_view()
    finish(ax, lang)
    return ax


def plot_market_reach(
    result: RunResult,
    ax: Axes | None = None,
    lang: str = "en",
    bass: tuple[float, float] | None = None,
) -> Axes:
    """Share of a finite market reached over time (and by referral), optionally vs Bass.

    Parameters
    ----------
    result : RunResult or the frame of :func:`lab.analysis.market_reach`
    ax : matplotlib Axes, optional
    lang : {"en", "zh"}
    bass : (p, q), optional
        Draw the Bass (1969) closed form with these daily rates (dashed).

    Returns
    -------
    matplotlib.axes.Axes
    """
    from lab.analysis.referral import bass_cumulative, market_reach

    m = result if isinstance(result, pd.DataFrame) else market_reach(result)
    day = m["day"].to_numpy()
    with styled(lang):
        ax = new_axes(ax)
        ax.plot(day, m["share_reached"], color=PALETTE[0], lw=2, label=label("simulated", lang))
        by_referral = m["new_referral"].cumsum() / m.attrs.get("market_size", np.nan)
        if m.attrs.get("market_size"):
            ax.plot(
                day,
                by_referral,
                color=PALETTE[2],
                lw=1.2,
                ls="-.",
                label=label("reached_by_referral", lang),
            )
        if bass is not None:
            p, q = bass
            ax.plot(
                day,
                bass_cumulative(day + 1, p, q),
                color=PALETTE[1],
                ls="--",
                lw=1.5,
                label=f"{label('bass_curve', lang)} (p={p:g}, q={q:g})",
            )
        ax.set_ylim(0, 1.02)
        ax.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
        ax.set_xlabel(label("day", lang))
        ax.set_ylabel(label("market_reached_share", lang))
        size = m.attrs.get("market_size")
        title = label("title_market_reach", lang)
        ax.set_title(f"{title} (N = {size:,})" if size else title)
        ax.legend(loc="lower right")
    finish(ax, lang)
    return ax
