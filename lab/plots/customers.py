"""Plots of customers: cohort retention heatmap, LTV distribution, funnel, RFM grid."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lab.i18n import label
from lab.plots._style import PALETTE, finish, new_axes, styled

__all__ = ["plot_cohort_retention", "plot_funnel", "plot_ltv_distribution", "plot_rfm_grid"]


def plot_cohort_retention(
    table: pd.DataFrame, ax=None, lang: str = "en", annotate: bool | None = None
):
    """Cohort retention table as a heatmap (rows: cohorts, columns: periods).

    Parameters
    ----------
    table : DataFrame from :func:`lab.analysis.cohort_retention`
    ax : matplotlib Axes, optional
    lang : {"en", "zh"}
    annotate : bool, optional
        Write the percentages in the cells (default: when there are at most 16 columns).

    Returns
    -------
    matplotlib.axes.Axes
    """
    periods = [c for c in table.columns if isinstance(c, int | np.integer)]
    values = table[periods].to_numpy(dtype=float)
    with styled(lang):
        ax = new_axes(ax, figsize=(7.5, 0.35 * max(len(table), 4) + 1.5))
        masked = np.ma.masked_invalid(values)
        vmax = float(np.nanmax(values)) if np.isfinite(values).any() else 1.0
        im = ax.imshow(masked, aspect="auto", cmap="Blues", vmin=0, vmax=max(vmax, 1e-9))
        ax.grid(False)
        ax.set_xticks(range(len(periods)), [str(p) for p in periods])
        sizes = table["customers"] if "customers" in table else None
        ylabels = [
            f"{c} (n={int(sizes.loc[c])})" if sizes is not None else str(c) for c in table.index
        ]
        ax.set_yticks(range(len(table)), ylabels)
        p = table.attrs.get("period_days", 30)
        ax.set_xlabel(f"{label('period', lang)} ({p} {label('days', lang)})")
        ax.set_ylabel(label("cohort", lang))
        if annotate if annotate is not None else len(periods) <= 16:
            for (i, j), v in np.ndenumerate(values):
                if np.isfinite(v):
                    ax.text(
                        j,
                        i,
                        f"{v:.0%}",
                        ha="center",
                        va="center",
                        fontsize=7,
                        color="white" if v > 0.6 * vmax else "black",
                    )
        cb = ax.figure.colorbar(im, ax=ax, fraction=0.04, pad=0.02)
        cb.set_label(label("retention_rate", lang))
        ax.set_title(label("title_retention", lang))
    finish(ax, lang, cb.ax)
    return ax


def plot_ltv_distribution(
    ltv: pd.DataFrame, ax=None, lang: str = "en", by: str | None = None, complete_only: bool = True
):
    """Histogram of per-customer LTV above 0 (mean and median of all marked), optionally per group.

    The share of customers with LTV 0 (no order in the horizon) is in the title;
    the mean and median lines are over all customers, zeros included.

    Parameters
    ----------
    ltv : DataFrame from :func:`lab.analysis.customer_ltv`
    ax : matplotlib Axes, optional
    lang : {"en", "zh"}
    by : str, optional
        Overlay one outline histogram (share of customers) per ``channel``/``segment``/``cohort``.
    complete_only : bool
        Use only customers whose horizon is fully observed.

    Returns
    -------
    matplotlib.axes.Axes
    """
    t = ltv[ltv["complete"]] if complete_only else ltv
    h = ltv.attrs.get("horizon_days", "?")
    value = label(ltv.attrs.get("value", "revenue"), lang)
    with styled(lang):
        ax = new_axes(ax)
        v = t["ltv"].to_numpy(dtype=float)
        pos = t[t["ltv"] > 0]
        top = float(np.quantile(pos["ltv"], 0.99)) if len(pos) else 1.0
        bins = np.linspace(0.0, max(top, 1e-9), 40)
        if by:
            for i, (g, part) in enumerate(pos.groupby(by, observed=True, sort=True)):
                w = np.full(len(part), 1.0 / max(len(part), 1))
                ax.hist(
                    part["ltv"].clip(upper=top),
                    bins=bins,
                    weights=w,
                    histtype="step",
                    lw=1.5,
                    color=PALETTE[i % len(PALETTE)],
                    label=f"{label(str(g), lang)} (n={len(part)})",
                )
            ax.set_ylabel(label("share", lang))
        else:
            ax.hist(pos["ltv"].clip(upper=top), bins=bins, color=PALETTE[0], alpha=0.8)
            ax.set_ylabel(label("customers_label", lang))
        if v.size:
            ax.axvline(
                v.mean(), color=PALETTE[3], lw=1.4, label=f"{label('mean', lang)} {v.mean():,.1f}"
            )
            ax.axvline(
                np.median(v),
                color=PALETTE[1],
                lw=1.4,
                ls="--",
                label=f"{label('median', lang)} {np.median(v):,.1f}",
            )
        zero = float((v <= 0).mean()) if v.size else float("nan")
        ax.set_xlabel(label("ltv_per_customer", lang, value=value, h=h))
        ax.legend(title=label("ltv_buyers", lang))
        ax.set_title(f"{label('title_ltv', lang)} · {label('ltv_zero', lang, share=f'{zero:.0%}')}")
    finish(ax, lang)
    return ax


def plot_funnel(funnel: pd.DataFrame, ax=None, lang: str = "en"):
    """The funnel as horizontal bars with counts, rates and the base of each rate.

    Parameters
    ----------
    funnel : DataFrame from :func:`lab.analysis.funnel` (``by=None``)
    ax : matplotlib Axes, optional
    lang : {"en", "zh"}

    Returns
    -------
    matplotlib.axes.Axes
    """
    f = funnel.dropna(subset=["customers"])
    with styled(lang):
        ax = new_axes(ax, figsize=(7.0, 3.6))
        y = np.arange(len(f))[::-1]
        top = float(f["customers"].max()) if len(f) else 1.0
        ax.barh(
            y, f["customers"], color=[PALETTE[i % len(PALETTE)] for i in range(len(f))], alpha=0.85
        )
        ax.set_yticks(y, [label(s, lang) for s in f["stage"]])
        for yi, (_, r) in zip(y, f.iterrows(), strict=True):
            rate = "" if not r["of"] else f"  {r['rate']:.1%} / {label(r['of'], lang)}"
            ax.text(
                r["customers"] + top * 0.01,
                yi,
                f"{int(r['customers']):,}{rate}",
                va="center",
                fontsize=8,
            )
        ax.set_xlim(0, top * 1.45)
        ax.set_xlabel(label("customers_label", lang))
        ax.grid(axis="y", visible=False)
        ax.set_title(label("title_funnel", lang))
    finish(ax, lang)
    return ax


_GRID_ROWS = ("important", "general")
_GRID_COLS = ("value", "development", "keep", "retention")


def plot_rfm_grid(rfm: pd.DataFrame, ax=None, lang: str = "en", day: int | None = None):
    """The eight RFM classes as a 2 × 4 grid coloured by their share of customers.

    Parameters
    ----------
    rfm : DataFrame from :func:`lab.analysis.rfm_table` (one row per customer) or
        :func:`lab.analysis.rfm_class_sizes` (the last day, or ``day``)
    ax : matplotlib Axes, optional
    lang : {"en", "zh"}
    day : int, optional
        Which day of a class-sizes table.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if "customer_id" in rfm.columns:
        counts = rfm["rfm_class"].value_counts()
    else:
        d = rfm["day"].max() if day is None else day
        counts = rfm[rfm["day"] == d].set_index("rfm_class")["customers"]
    total = max(float(counts.sum()), 1.0)
    grid = np.zeros((2, 4))
    with styled(lang):
        ax = new_axes(ax, figsize=(7.5, 3.2))
        for i, row in enumerate(_GRID_ROWS):
            for j, col in enumerate(_GRID_COLS):
                grid[i, j] = float(counts.get(f"{row}_{col}", 0)) / total
        ax.imshow(grid, cmap="Oranges", vmin=0, vmax=max(grid.max(), 1e-9), aspect="auto")
        ax.grid(False)
        for i, row in enumerate(_GRID_ROWS):
            for j, col in enumerate(_GRID_COLS):
                key = f"{row}_{col}"
                n = int(counts.get(key, 0))
                ax.text(
                    j,
                    i,
                    f"{label(key, lang)}\n{n:,} · {grid[i, j]:.0%}",
                    ha="center",
                    va="center",
                    fontsize=8.5,
                    color="white" if grid[i, j] > 0.6 * grid.max() else "black",
                )
        ax.set_xticks(range(4), [label(c, lang) for c in _GRID_COLS])
        ax.set_yticks(range(2), [label(r, lang) for r in _GRID_ROWS])
        ax.set_title(label("title_rfm", lang))
    finish(ax, lang)
    return ax
