"""Forest plot of paired scenario differences."""

from __future__ import annotations

import numpy as np

from lab.i18n import label
from lab.plots._style import finish, good_bad_colour, new_axes, styled

__all__ = ["FOREST_METRICS", "plot_forest"]

#: rows shown by default: money, counts and rates whose relative change reads well
#: (an index near 0, like the fatigue index, would dwarf them as a % of A)
FOREST_METRICS: tuple[str, ...] = (
    "gmv",
    "gross_margin",
    "net_margin",
    "discount_cost",
    "orders",
    "customers",
    "active_end",
    "alive_end",
    "repurchase_rate",
    "ltv_margin",
    "k_factor",
    "share_on_discount",
    "mean_fatigue",
    "block_rate",
)


def plot_forest(
    comparison,
    ax=None,
    lang: str = "en",
    metrics: list[str] | None = None,
    scenario: str | None = None,
    relative: bool = True,
):
    """Paired differences B − A with their intervals, one row per metric.

    Parameters
    ----------
    comparison : Comparison or its ``.table``
    ax : matplotlib Axes, optional
    lang : {"en", "zh"}
    metrics : list of str, optional
        Rows to show (default: those of :data:`FOREST_METRICS` present, else all).
    scenario : str, optional
        Which scenario B (default: the first compared with the baseline).
    relative : bool
        Plot differences as % of A's mean, so metrics of any unit share one axis.

    Returns
    -------
    matplotlib.axes.Axes
        Green: the interval lies on the good side of 0 (more GMV, less cost, see
        :data:`lab.plots._style.GOOD_DIRECTION`); red: on the bad side; grey: it
        includes 0.
    """
    table = comparison.table if hasattr(comparison, "table") else comparison
    if table.empty:
        raise ValueError("the comparison table is empty")
    b = scenario or str(table["scenario"].iloc[0])
    t = table[table["scenario"] == b]
    if metrics is None:
        default = [m for m in FOREST_METRICS if m in set(t["metric"])]
        metrics = default or list(t["metric"])
    t = t.set_index("metric").loc[list(metrics)].reset_index()
    t = t[np.isfinite(t["diff_low"]) & np.isfinite(t["diff_high"])]
    a = table.attrs.get("baseline") or getattr(comparison, "baseline", "A")
    if relative:
        scale = t["a_mean"].abs().replace(0, np.nan)
        mid, lo, hi = (t[c] / scale * 100 for c in ("diff_mean", "diff_low", "diff_high"))
    else:
        mid, lo, hi = t["diff_mean"], t["diff_low"], t["diff_high"]
    keep = np.isfinite(mid) & np.isfinite(lo) & np.isfinite(hi)
    t, mid, lo, hi = t[keep], mid[keep], lo[keep], hi[keep]
    with styled(lang):
        ax = new_axes(ax, figsize=(7.0, 0.32 * max(len(t), 3) + 1.2))
        y = np.arange(len(t))[::-1]
        colors = [
            good_bad_colour(m, lo_, hi_) for m, lo_, hi_ in zip(t["metric"], lo, hi, strict=True)
        ]
        ax.hlines(y, lo, hi, colors=colors, lw=2)
        ax.scatter(mid, y, color=colors, zorder=3, s=22)
        ax.axvline(0, color="black", lw=0.8)
        fmt = "{:+.1f}%" if relative else "{:+,.3g}"
        for yi, m, lo_, hi_ in zip(y, mid, lo, hi, strict=True):
            ax.annotate(
                f"{fmt.format(m)} [{fmt.format(lo_)}, {fmt.format(hi_)}]",
                (1.0, yi),
                xycoords=("axes fraction", "data"),
                xytext=(4, 0),
                textcoords="offset points",
                va="center",
                fontsize=7.5,
            )
        ax.set_yticks(y, [label(m, lang) for m in t["metric"]])
        ax.grid(axis="y", visible=False)
        level = table.attrs.get("level", getattr(comparison, "level", 0.9))
        unit = label("difference_pct", lang, a=a) if relative else label("difference", lang)
        ax.set_xlabel(f"{unit} · {level:.0%} {label('ci', lang)}")
        ax.set_title(label("title_forest", lang, a=a, b=b))
    finish(ax, lang)
    return ax
