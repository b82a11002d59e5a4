"""One page: each fact's target range, the lab's value and its band over seeds.

Facts are measured in different units (elasticities, shares, ratios, standard
errors), so each fact gets its own row with its own scale: the published target
as a shaded span (an arrow where the literature gives only a direction), the
lab's 10-90% band over seeds as a bar, its median as a dot, green when the whole
band is inside the target, red otherwise.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.ticker import MaxNLocator

from lab.i18n import check_lang, label

__all__ = ["plot_facts"]

_PASS, _FAIL, _TARGET = "#3a923a", "#c23b3b", "#d8e6f3"


def _limits(row) -> tuple[float, float]:
    pts = [row.target_low, row.target_high, row.band_low, row.band_high, row.value]
    finite = [float(p) for p in pts if np.isfinite(p)]
    if not finite:
        return -1.0, 1.0
    lo, hi = min(finite), max(finite)
    span = hi - lo if hi > lo else max(abs(hi), 1.0) * 0.2
    return lo - 0.35 * span, hi + 0.35 * span


def _draw_row(ax, row, title: str, lang: str) -> None:
    lo, hi = _limits(row)
    ax.set_xlim(lo, hi)
    t_lo = row.target_low if np.isfinite(row.target_low) else lo
    t_hi = row.target_high if np.isfinite(row.target_high) else hi
    ax.axvspan(t_lo, t_hi, color=_TARGET, zorder=0)
    for edge in (row.target_low, row.target_high):
        if np.isfinite(edge):
            ax.axvline(edge, color="#1f5a96", lw=0.8)
    if not np.isfinite(row.target_high) or not np.isfinite(row.target_low):
        x0 = row.target_low if np.isfinite(row.target_low) else row.target_high
        x1 = x0 + (0.15 if np.isfinite(row.target_low) else -0.15) * (hi - lo)
        ax.annotate("", (x1, 0.8), (x0, 0.8), arrowprops={"arrowstyle": "->", "color": "#1f5a96"})
    ok = bool(row["pass"])
    color = _PASS if ok else _FAIL
    if np.isfinite(row.band_low) and np.isfinite(row.band_high):
        ax.hlines(0, row.band_low, row.band_high, color=color, lw=4, alpha=0.6)
    if np.isfinite(row.value):
        ax.plot([row.value], [0], "o", color=color, ms=6, zorder=3)
    verdict = label("facts_pass" if ok else "facts_fail", lang)
    ax.set_ylim(-1, 1)
    ax.set_yticks([])
    ax.set_title(title, loc="left", fontsize=8.5, pad=2)
    ax.text(
        1.01,
        0.5,
        f"{verdict}\n{row.value:.3g}",
        transform=ax.transAxes,
        va="center",
        fontsize=8,
        color=color,
    )
    ax.xaxis.set_major_locator(MaxNLocator(nbins=6))
    ax.tick_params(axis="x", labelsize=7, length=2, pad=1)
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)


def plot_facts(table: pd.DataFrame, labels: dict[str, str] | None = None, lang: str = "en"):
    """Draw the facts table on one page and return the matplotlib Figure.

    Parameters
    ----------
    table : pandas.DataFrame
        The facts table (``lab.facts``): ``fact, target_low, target_high, value,
        band_low, band_high, pass``.
    labels : dict, optional
        Fact key -> row title (default: the fact keys).
    lang : {"en", "zh"}

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.figure import Figure

    from lab.plots._style import styled

    check_lang(lang)
    if table.empty:
        raise ValueError("the facts table is empty")
    n = len(table)
    fig = Figure(figsize=(8.27, min(0.62 * n + 1.0, 11.0)), layout="constrained")
    with styled(lang):
        axes = fig.subplots(n, 1, squeeze=False)[:, 0]
        for ax, (_, row) in zip(axes, table.iterrows(), strict=True):
            title = (labels or {}).get(row.fact, row.fact)
            _draw_row(ax, row, title, lang)
        passed = int(table["pass"].sum())
        fig.suptitle(
            label("facts_title", lang, passed=passed, total=n), fontsize=11, x=0.01, ha="left"
        )
    return fig
